//! The shared vocabulary: money, statuses, identifiers, Beijing time.

pub mod fen;
pub mod ids;
pub mod status;
pub mod time;

pub use fen::Fen;
pub use status::{PaymentState, TradeStatus};
pub use time::{PlatformDate, PlatformTime};
