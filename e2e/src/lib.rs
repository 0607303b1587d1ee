//! End-to-end scenarios that must behave the same on every runtime adapter; see `tests/`.
#![forbid(unsafe_code)]
