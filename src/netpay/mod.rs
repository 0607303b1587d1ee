//! The `netpay` operations, one file each: the request, its rules, its answer and the decision
//! the answer carries. Adding an operation is one file here and its `mod` line; everything
//! public in it is re-exported at the crate root.

mod close;
pub(crate) mod common;
pub(crate) mod order;
mod query;
mod refund;
mod refund_query;
mod secure;
mod split;

pub use close::*;
pub use common::{AnswerEnvelope, FollowUp, OrderEcho};
pub use order::*;
pub use query::*;
pub use refund::{Refund, RefundResponse, RefundState, RefundStatus, RefundSubOrder};
pub use refund_query::*;
pub use secure::*;
pub use split::*;
