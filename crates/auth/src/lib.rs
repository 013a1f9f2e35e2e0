//! Who is calling Baton: AWS Signature Version 4 verified on its APIs ([`sigv4`]).

pub mod sigv4;
