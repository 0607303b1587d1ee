//! Authentication schemes, one module each (PROTOCOL.md §3).

pub mod body_sig;
pub mod token;
