//! The `netpay` operations, one module per operation family.

pub mod query;

pub use query::{PaymentQuery, PaymentQueryResponse};
