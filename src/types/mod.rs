//! The shared vocabulary: money, statuses, identifiers, Beijing time.

pub mod fen;
pub mod ids;
pub mod status;
pub mod time;

pub use fen::Fen;
pub use ids::{
    AppId, InstMid, MerOrderId, Merchant, Mid, MsgId, MsgSrcId, Nonce, RefundOrderId, SrcReserve,
    Tid,
};
pub use status::{PaymentState, TradeStatus};
pub use time::{PlatformDate, PlatformTime};
