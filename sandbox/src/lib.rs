//! Placeholder: not yet implemented.
