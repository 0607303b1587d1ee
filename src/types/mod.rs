//! The shared vocabulary: money, statuses, identifiers, Beijing time.

pub mod fen;
pub mod ids;
pub mod status;
pub mod time;

pub use fen::Fen;
pub use ids::{
    AppId, BillNo, InstMid, MerOrderId, Merchant, Mid, MsgId, MsgSrcId, Nonce, NotifyUrl, QrCodeId,
    RefundOrderId, ReturnUrl, SrcReserve, Tid,
};
pub use status::{PaymentState, TradeStatus};
pub use time::{PlatformDate, PlatformTime};
