//! Unit tests of the JSONata layer.
