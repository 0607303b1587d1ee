//! Authentication schemes, one module each: OPEN-BODY-SIG signs every request over its body;
//! OPEN-ACCESS-TOKEN fetches a token first and sends it with each request.

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use crate::error::{ConfigErrorKind, Error};

pub mod body_sig;
pub mod form_param;
pub mod token;
pub mod token_cache;
pub mod token_store;

/// How a client authenticates business calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// `OPEN-BODY-SIG`: every request signed over its body; stateless (the default).
    #[default]
    BodySig,
    /// `OPEN-ACCESS-TOKEN`: a cached token from `POST /v1/token/access`, as the official
    /// SDKs use it; fetched, shared and refreshed by the client.
    ///
    /// A call's first step is then the token request; the business request follows with the
    /// token, and later calls reuse it:
    ///
    /// ```
    /// use chinaums::{Merchant, PaymentQuery};
    /// use chinaums::{AuthScheme, Client, Credentials, Environment, Step};
    ///
    /// let client = Client::builder(Credentials::new("my-app-id", "my-app-key"), Environment::Test)
    ///     .auth(AuthScheme::AccessToken)
    ///     .build();
    /// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
    /// let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
    /// let mut call = client.call(&query)?;
    ///
    /// let Step::Send(token_request) = call.start() else { unreachable!() };
    /// assert_eq!(token_request.uri().path(), "/v1/token/access");
    /// let issued = br#"{"errCode":"0000","accessToken":"a-token","expiresIn":3600}"#;
    ///
    /// let Step::Send(business) = call.receive(Ok(http::Response::new(issued.to_vec()))) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(business.headers()["authorization"], "OPEN-ACCESS-TOKEN AccessToken=a-token");
    /// let paid = br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#;
    /// let Step::Done(answer) = call.receive(Ok(http::Response::new(paid.to_vec()))) else {
    ///     unreachable!()
    /// };
    /// assert!(answer?.is_paid());
    /// assert_eq!(client.token_fetches_started(), 1);
    /// # Ok::<(), chinaums::Error>(())
    /// ```
    AccessToken,
}

/// The HTTP shape both POST schemes share (each scheme builds its own request with it; a GET
/// scheme, such as the signed H5 redirect URL, builds a URL instead).
/// A JSON `POST` with an optional `Authorization` header, marked sensitive so that `Debug`
/// of the request hides it.
pub(crate) fn json_post(
    uri: http::Uri,
    authorization: Option<String>,
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, Error> {
    // Built in place rather than through `http::request::Builder`: the parts are already
    // valid, and this runs on every call.
    let mut headers = http::HeaderMap::with_capacity(2);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(authorization) = authorization {
        // The header's bytes become the value as they are (no copy).
        let mut value =
            HeaderValue::from_maybe_shared(bytes::Bytes::from(authorization)).map_err(|_| {
                Error::config(
                    ConfigErrorKind::Request,
                    "the Authorization header is not valid ASCII",
                )
            })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let mut request = http::Request::new(body);
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}
