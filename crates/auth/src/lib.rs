//! Who is calling Baton: AWS Signature Version 4 verified on its APIs ([`sigv4`]) with the keys
//! the operator configured ([`keys`]).

pub mod keys;
pub mod sigv4;

pub use keys::{AuthConfig, Keys, Principal};
