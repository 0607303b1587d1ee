//! One API call as a small state machine: the adapter sends what it is told to send and hands
//! back what came back, without knowing why.
//!
//! The loop every adapter runs, here with a canned answer in place of an HTTP client:
//!
//! ```
//! use std::time::Duration;
//! use chinaums::{Merchant, PaymentQuery};
//! use chinaums::{Client, Credentials, Environment, Step, TransportError};
//!
//! /// Any HTTP client: sends the request exactly as built, returns the response as it came.
//! fn send(request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
//!     assert_eq!(request.uri().path(), "/v1/netpay/query");
//!     Ok(http::Response::new(br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#.to_vec()))
//! }
//!
//! let client = Client::new(Credentials::new("my-app-id", "my-app-key"), Environment::Test);
//! let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
//! let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
//! let deadline = Duration::from_secs(30); // the same bound as one exchange
//!
//! let mut call = client.call(&query)?; // validated and encoded; nothing sent yet
//! let mut step = call.start();
//! let answer = loop {
//!     step = match step {
//!         Step::Send(request) => call.receive(send(request)),
//!         // Another call is fetching the access token (`wait.await` in async code).
//!         Step::Wait(wait) => match wait.wait_timeout(deadline) {
//!             true => call.resume(),
//!             false => call.wait_timed_out(),
//!         },
//!         Step::Done(result) => break result?,
//!     };
//! };
//! assert!(answer.is_paid());
//! # Ok::<(), chinaums::Error>(())
//! ```

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use event_listener::{EventListener, Listener as _};

use crate::auth::AuthScheme;
use crate::auth::token::{self, AccessToken};
use crate::auth::token_cache::{self, Decision, FetchLease, StoredToken};
use crate::client::Client;
use crate::error::{ConfigErrorKind, Delivery, Error, ErrorClass, TokenError, TransportError};
use crate::netpay::FollowUp;
use crate::operation::Reply;
use crate::response::{self, Classifier};

/// What the adapter must do next.
///
/// `Debug` shows where a request goes and how big its body is, never its headers or body: a
/// token request's body holds a signature that could be replayed to mint a token.
#[must_use]
pub enum Step<R> {
    /// Send this request and pass the outcome to [`Call::receive`].
    Send(http::Request<Vec<u8>>),
    /// Another call of the same client is doing work this call needs (e.g. fetching an access
    /// token): wait for it (`wait.await`, or [`Wait::wait_timeout`] when blocking), then call
    /// [`Call::resume`]. Bound the wait by the same deadline as a send; when it runs out, call
    /// [`Call::wait_timed_out`] instead.
    Wait(Wait),
    /// The call is over.
    Done(Result<R, Error>),
}

impl<R: fmt::Debug> fmt::Debug for Step<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Send(request) => f
                .debug_struct("Send")
                .field("method", request.method())
                .field("uri", request.uri())
                .field("body_len", &request.body().len())
                .finish_non_exhaustive(),
            Step::Wait(wait) => f.debug_tuple("Wait").field(wait).finish(),
            Step::Done(result) => f.debug_tuple("Done").field(result).finish(),
        }
    }
}

/// A runtime-neutral wait: a future under any executor, or a blocking [`Wait::wait`].
pub struct Wait(EventListener);

impl Wait {
    /// Blocks the current thread until the awaited work is done.
    ///
    /// Unbounded: adapters use [`Wait::wait_timeout`] so that a stuck fetch cannot hold a call
    /// forever.
    pub fn wait(self) {
        self.0.wait();
    }

    /// Blocks the current thread until the awaited work is done or `limit` has passed; `true`
    /// if it was done. After `false`, end the call with [`Call::wait_timed_out`].
    pub fn wait_timeout(self, limit: Duration) -> bool {
        self.0.wait_timeout(limit).is_some()
    }
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wait")
    }
}

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

#[derive(Debug)]
enum State {
    Ready,
    /// Waiting for another call's token fetch `attempt`.
    Waiting {
        attempt: u64,
    },
    /// This call holds the lease to fetch a token. Dropping the state (the call dropped, a
    /// panic) releases the lease and wakes the waiting calls.
    FetchingToken {
        lease: FetchLease,
    },
    /// The business request is out, authorized by token `generation` (None: OPEN-BODY-SIG).
    InFlight {
        generation: Option<u64>,
    },
    Finished,
}

/// One API call in progress. Created by [`Client::call`]; no I/O of its own.
///
/// With OPEN-ACCESS-TOKEN a call may first send the token request, or wait for another call's;
/// an authentication failure on the business request drops the token, fetches a new one and
/// retries once, never more.
pub struct Call<R> {
    client: Client,
    path: String,
    body: Vec<u8>,
    classify: Classifier,
    follow_up: Option<FollowUp>,
    state: State,
    retried: bool,
    reply: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Call<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("path", &self.path)
            .field("state", &self.state)
            .field("retried", &self.retried)
            .finish_non_exhaustive()
    }
}

impl<R: Reply> Call<R> {
    pub(crate) fn new(
        client: Client,
        path: String,
        body: Vec<u8>,
        classify: Classifier,
        follow_up: Option<FollowUp>,
    ) -> Self {
        Call {
            client,
            path,
            body,
            classify,
            follow_up,
            state: State::Ready,
            retried: false,
            reply: PhantomData,
        }
    }

    /// The exact body bytes this call sends.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Drives the call to its end on this thread: `send` performs each exchange; a wait for
    /// another call's token fetch lasts at most `wait_limit` (give it the transport's timeout).
    /// This is the whole loop of a blocking adapter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chinaums::{Merchant, PaymentQuery};
    /// use chinaums::{http, Client, Credentials, Environment};
    ///
    /// let client = Client::new(Credentials::new("my-app-id", "my-app-key"), Environment::Test);
    /// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
    /// let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
    /// let answer = client.call(&query)?.run_blocking(Duration::from_secs(30), |request| {
    ///     assert_eq!(request.method(), http::Method::POST);
    ///     Ok(http::Response::new(br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#.to_vec()))
    /// })?;
    /// assert!(answer.is_paid());
    /// # Ok::<(), chinaums::Error>(())
    /// ```
    pub fn run_blocking<S>(mut self, wait_limit: Duration, mut send: S) -> Result<R, Error>
    where
        S: FnMut(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>,
    {
        let mut step = self.start();
        loop {
            step = match step {
                Step::Send(request) => self.receive(send(request)),
                Step::Wait(wait) => match wait.wait_timeout(wait_limit) {
                    true => self.resume(),
                    false => self.wait_timed_out(),
                },
                Step::Done(result) => return result,
            };
        }
    }

    /// Drives the call to its end asynchronously, under any executor: `send` performs each
    /// exchange; a wait for another call's token fetch lasts at most `wait_limit`, measured by
    /// the runtime's `sleep` (e.g. `tokio::time::sleep`). This is the whole loop of an async
    /// adapter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chinaums::{Merchant, PaymentQuery};
    /// use chinaums::{http, Client, Credentials, Environment};
    ///
    /// # async fn example() -> Result<(), chinaums::Error> {
    /// let client = Client::new(Credentials::new("my-app-id", "my-app-key"), Environment::Test);
    /// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
    /// let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
    /// let answer = client
    ///     .call(&query)?
    ///     .run(
    ///         Duration::from_secs(30),
    ///         |request| async move {
    ///             // an async HTTP client sends `request` here
    ///             Ok(http::Response::new(br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#.to_vec()))
    ///         },
    ///         |limit| async move { /* the runtime's sleep(limit) */ },
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn run<S, SF, T, TF>(
        mut self,
        wait_limit: Duration,
        mut send: S,
        mut sleep: T,
    ) -> Result<R, Error>
    where
        S: FnMut(http::Request<Vec<u8>>) -> SF,
        SF: Future<Output = Result<http::Response<Vec<u8>>, TransportError>>,
        T: FnMut(Duration) -> TF,
        TF: Future<Output = ()>,
    {
        let mut step = self.start();
        loop {
            step = match step {
                Step::Send(request) => {
                    let outcome = send(request).await;
                    self.receive(outcome)
                }
                Step::Wait(wait) => match first_of(wait, sleep(wait_limit)).await {
                    true => self.resume(),
                    false => self.wait_timed_out(),
                },
                Step::Done(result) => return result,
            };
        }
    }

    /// The first step: authorizes the request at the clock's current time.
    pub fn start(&mut self) -> Step<R> {
        if !matches!(self.state, State::Ready) {
            return self.misuse("start() called twice");
        }
        self.authorize()
    }

    /// Continues after a [`Step::Wait`].
    pub fn resume(&mut self) -> Step<R> {
        let State::Waiting { attempt } = self.state else {
            return self.misuse("resume() called without a wait");
        };
        if let Some(error) = self.client.tokens().failure_of(attempt) {
            return self.finish(Err(error));
        }
        self.authorize()
    }

    /// Ends the call after a [`Step::Wait`] outlasted the adapter's deadline: a
    /// [`Retryable`](crate::ErrorClass::Retryable) error that says the call was waiting for
    /// another call's access-token fetch. Nothing of this call was sent.
    pub fn wait_timed_out(&mut self) -> Step<R> {
        if !matches!(self.state, State::Waiting { .. }) {
            return self.misuse("wait_timed_out() called without a wait");
        }
        self.finish(Err(Error::Token(TokenError::new(
            None,
            None,
            "timed out waiting for another call's access-token fetch; this request was not sent",
        ))))
    }

    /// Takes the outcome of the last `Send` and says what to do next.
    pub fn receive(&mut self, outcome: Result<http::Response<Vec<u8>>, TransportError>) -> Step<R> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::FetchingToken { lease } => self.token_received(lease, outcome),
            State::InFlight { generation } => {
                let result = match outcome {
                    Ok(response) => response::parse(&response, self.classify),
                    Err(e) => Err(Error::Transport(e)),
                };
                match (generation, result) {
                    (Some(generation), Err(e))
                        if e.class() == ErrorClass::Auth && !self.retried =>
                    {
                        // The token was rejected: drop it (unless already replaced), refresh
                        // once and retry once.
                        self.retried = true;
                        self.client.tokens().invalidate(generation);
                        self.authorize()
                    }
                    (_, result) => self.finish(result),
                }
            }
            other => {
                self.state = other;
                self.misuse("receive() called without a request in flight")
            }
        }
    }

    fn authorize(&mut self) -> Step<R> {
        if self.client.auth_scheme() == AuthScheme::BodySig {
            return match self.client.sign_request(&self.path, self.body.clone()) {
                Ok(request) => self.send(request, None),
                Err(e) => self.finish(Err(e)),
            };
        }
        let now = self.client.now();
        let app_id = self.client.credentials().app_id().to_owned();
        match self.client.tokens().decide(&app_id, now) {
            Decision::Use(token, generation) => self.send_with_token(&token, generation),
            Decision::Wait { attempt, listener } => {
                self.state = State::Waiting { attempt };
                Step::Wait(Wait(listener))
            }
            Decision::Fetch(lease) => match self.client.token_request() {
                Ok(request) => {
                    self.state = State::FetchingToken { lease };
                    Step::Send(request)
                }
                Err(e) => {
                    let _ = self
                        .client
                        .tokens()
                        .complete(&app_id, lease, Err(e.clone()));
                    self.finish(Err(e))
                }
            },
        }
    }

    fn token_received(
        &mut self,
        lease: FetchLease,
        outcome: Result<http::Response<Vec<u8>>, TransportError>,
    ) -> Step<R> {
        let issued = match outcome {
            Ok(response) => token::parse_response(&response).map_err(Error::Token),
            // Whatever happened to the token request, the business request was not sent.
            Err(e) => Err(Error::Transport(TransportError::new(
                Delivery::NotSent,
                e.kind,
                format!(
                    "token request failed, business request not sent: {}",
                    e.message
                ),
            ))),
        };
        let stored = issued.map(|issued| StoredToken {
            access_token: issued.access_token,
            expires_at: token_cache::expiry(lease.asked_at, issued.expires_in),
        });
        let app_id = self.client.credentials().app_id().to_owned();
        match self.client.tokens().complete(&app_id, lease, stored) {
            Ok((token, generation)) => self.send_with_token(&token, generation),
            Err(e) => self.finish(Err(e)),
        }
    }

    fn send_with_token(&mut self, token: &AccessToken, generation: u64) -> Step<R> {
        match self
            .client
            .token_authorized_request(&self.path, self.body.clone(), token)
        {
            Ok(request) => self.send(request, Some(generation)),
            Err(e) => self.finish(Err(e)),
        }
    }

    fn send(&mut self, request: http::Request<Vec<u8>>, generation: Option<u64>) -> Step<R> {
        self.state = State::InFlight { generation };
        Step::Send(request)
    }

    fn finish(&mut self, result: Result<R, Error>) -> Step<R> {
        self.state = State::Finished;
        // An unknown outcome names the query that settles it (a refund's refund query).
        Step::Done(result.map_err(|e| e.with_follow_up(self.follow_up.clone())))
    }

    fn misuse(&mut self, what: &str) -> Step<R> {
        // Finishing drops a fetch lease, if this call held one.
        self.finish(Err(Error::config(
            ConfigErrorKind::Misuse,
            format!("call driven out of order: {what}"),
        )))
    }
}

/// `true` if `wait` finishes first, `false` if `timer` does.
async fn first_of(wait: Wait, timer: impl Future<Output = ()>) -> bool {
    let mut wait = std::pin::pin!(wait);
    let mut timer = std::pin::pin!(timer);
    std::future::poll_fn(|cx| {
        if wait.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if timer.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
}
