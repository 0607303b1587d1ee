//! Authentication schemes, one module each (PROTOCOL.md §3).

pub mod body_sig;
pub mod token;
pub mod token_cache;

/// How a client authenticates business calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// `OPEN-BODY-SIG`: every request signed over its body; stateless (the default).
    #[default]
    BodySig,
    /// `OPEN-ACCESS-TOKEN`: a cached token from `POST /v1/token/access`, as the official
    /// SDKs use it; fetched, shared and refreshed by the client.
    AccessToken,
}
