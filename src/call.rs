//! One API call as a small state machine: the adapter sends what it is told to send and hands
//! back what came back, without knowing why.
//!
//! The loop every adapter runs, here with a canned answer in place of an HTTP client:
//!
//! ```
//! use std::time::Duration;
//! use chinaums::{Merchant, PaymentQuery};
//! use chinaums::{Client, Credentials, Environment, MemoryTokenStore, Step, TransportError};
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
//! let store = MemoryTokenStore::new(); // a fleet's shared token store (Redis, say)
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
//!         // Only for a call that shares tokens with other processes (`share_tokens`):
//!         Step::Store(op) => call.stored(op.run_blocking(&store)),
//!         Step::Pause(pause) => {
//!             std::thread::sleep(pause);
//!             call.resume()
//!         }
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
use crate::auth::token_cache::{self, Decision, FetchLease};
use crate::auth::token_store::{
    AsyncTokenStore, Lease, StoreAnswer, StoreError, StoreOp, StoredToken, TokenStore,
};
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
    /// Only for a call told to [share tokens](Call::share_tokens): perform this operation with
    /// the shared token store and pass the outcome to [`Call::stored`]. Bound it by a fraction
    /// of the send deadline (the async loop gives it a quarter, at most a second); a store that
    /// failed or timed out is an `Err` (the call then carries on with this process's own cache).
    Store(StoreOp),
    /// Only for a call told to [share tokens](Call::share_tokens): another process is fetching
    /// the token; sleep this long, then call [`Call::resume`].
    Pause(Duration),
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
            Step::Store(op) => f.debug_tuple("Store").field(op).finish(),
            Step::Pause(pause) => f.debug_tuple("Pause").field(pause).finish(),
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
    /// This call holds the lease to get a token and asks the shared store for one. Dropping
    /// the state (the call dropped, a panic) releases the lease and wakes the waiting calls.
    SharedLoad {
        lease: FetchLease,
    },
    /// No usable shared token: asking the shared store for the right to fetch.
    SharedLease {
        lease: FetchLease,
        shared: Lease,
    },
    /// This call took the store's lease: looking in the store once more, since another
    /// process may have published (and released its lease) between the first look and the
    /// lease.
    SharedRecheck {
        lease: FetchLease,
        shared: Lease,
    },
    /// A token published meanwhile is installed: giving the store's lease back before sending.
    ReleasingUnused {
        token: AccessToken,
        generation: u64,
    },
    /// Another process is fetching: pausing before looking in the store again.
    Polling {
        lease: FetchLease,
    },
    /// This call holds the lease to fetch a token (and `shared`, the store's, if it took it).
    FetchingToken {
        lease: FetchLease,
        shared: Option<Lease>,
    },
    /// The new token is installed here; publishing it to the store before the business request.
    Publishing {
        token: AccessToken,
        generation: u64,
    },
    /// The fetch failed; releasing the store's lease before reporting it.
    Releasing {
        error: Error,
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
    /// With a shared store: how long this call may still wait for another process's fetch.
    sharing: Option<Duration>,
    /// The token the platform rejected on this call: never taken again from the store.
    rejected: Option<AccessToken>,
    /// The token the business request in flight carries.
    sent_token: Option<AccessToken>,
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
            sharing: None,
            rejected: None,
            sent_token: None,
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
    pub fn run_blocking<S>(self, wait_limit: Duration, send: S) -> Result<R, Error>
    where
        S: FnMut(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>,
    {
        self.drive_blocking(wait_limit, None, send)
    }

    /// [`Call::run_blocking`], sharing access tokens with other processes through `store`: at
    /// most one process of the fleet fetches a token, the others wait for it (within
    /// `wait_limit`). A store that fails is logged and skipped: the call goes on with this
    /// process's own cache. With OPEN-BODY-SIG the store is never used.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chinaums::{Merchant, PaymentQuery};
    /// use chinaums::{http, AuthScheme, Client, Credentials, Environment, MemoryTokenStore};
    ///
    /// let store = MemoryTokenStore::new(); // a Redis store in a fleet
    /// let client = Client::builder(Credentials::new("my-app-id", "my-app-key"), Environment::Test)
    ///     .auth(AuthScheme::AccessToken)
    ///     .build();
    /// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
    /// let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
    /// let answer = client.call(&query)?.run_blocking_with_store(
    ///     Duration::from_secs(30),
    ///     &store,
    ///     |request| Ok(http::Response::new(match request.uri().path() {
    ///         "/v1/token/access" => br#"{"errCode":"0000","accessToken":"t1","expiresIn":3600}"#.to_vec(),
    ///         _ => br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#.to_vec(),
    ///     })),
    /// )?;
    /// assert!(answer.is_paid());
    /// // The token is now in the store for every other process.
    /// assert!(chinaums::TokenStore::load(&store, "my-app-id")?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_blocking_with_store<S>(
        self,
        wait_limit: Duration,
        store: &dyn TokenStore,
        send: S,
    ) -> Result<R, Error>
    where
        S: FnMut(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>,
    {
        self.share_tokens(wait_limit)
            .drive_blocking(wait_limit, Some(store), send)
    }

    fn drive_blocking<S>(
        mut self,
        wait_limit: Duration,
        store: Option<&dyn TokenStore>,
        mut send: S,
    ) -> Result<R, Error>
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
                Step::Store(op) => {
                    let outcome = match store {
                        Some(store) => op.run_blocking(store),
                        None => Err(no_store()),
                    };
                    self.stored(outcome)
                }
                Step::Pause(pause) => {
                    std::thread::sleep(pause);
                    self.resume()
                }
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
        self,
        wait_limit: Duration,
        send: S,
        sleep: T,
    ) -> Result<R, Error>
    where
        S: FnMut(http::Request<Vec<u8>>) -> SF,
        SF: Future<Output = Result<http::Response<Vec<u8>>, TransportError>>,
        T: FnMut(Duration) -> TF,
        TF: Future<Output = ()>,
    {
        self.drive(wait_limit, None, send, sleep).await
    }

    /// [`Call::run`], sharing access tokens with other processes through `store`: at most one
    /// process of the fleet fetches a token, the others wait for it (within `wait_limit`), and
    /// every store operation is awaited, never blocking the executor, for at most a quarter of
    /// `wait_limit` (and at most a second): a store slower than that is treated as down.
    /// A store that fails or times out is logged and skipped: the call goes on with this
    /// process's own cache. With OPEN-BODY-SIG the store is never used.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chinaums::{Merchant, PaymentQuery};
    /// use chinaums::{http, AuthScheme, Client, Credentials, Environment, MemoryTokenStore};
    ///
    /// # async fn example() -> Result<(), chinaums::Error> {
    /// let store = MemoryTokenStore::new(); // a Redis store in a fleet
    /// let client = Client::builder(Credentials::new("my-app-id", "my-app-key"), Environment::Test)
    ///     .auth(AuthScheme::AccessToken)
    ///     .build();
    /// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
    /// let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
    /// let answer = client
    ///     .call(&query)?
    ///     .run_with_store(
    ///         Duration::from_secs(30),
    ///         &store,
    ///         |request| async move {
    ///             // an async HTTP client sends `request` here
    ///             Ok(http::Response::new(match request.uri().path() {
    ///                 "/v1/token/access" => br#"{"errCode":"0000","accessToken":"t1","expiresIn":3600}"#.to_vec(),
    ///                 _ => br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#.to_vec(),
    ///             }))
    ///         },
    ///         |limit| async move { /* the runtime's sleep(limit) */ },
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn run_with_store<S, SF, T, TF>(
        self,
        wait_limit: Duration,
        store: &dyn AsyncTokenStore,
        send: S,
        sleep: T,
    ) -> Result<R, Error>
    where
        S: FnMut(http::Request<Vec<u8>>) -> SF,
        SF: Future<Output = Result<http::Response<Vec<u8>>, TransportError>>,
        T: FnMut(Duration) -> TF,
        TF: Future<Output = ()>,
    {
        self.share_tokens(wait_limit)
            .drive(wait_limit, Some(store), send, sleep)
            .await
    }

    async fn drive<S, SF, T, TF>(
        mut self,
        wait_limit: Duration,
        store: Option<&dyn AsyncTokenStore>,
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
                    Some(()) => self.resume(),
                    None => self.wait_timed_out(),
                },
                Step::Store(op) => {
                    let limit = store_op_limit(wait_limit);
                    let outcome =
                        match store {
                            Some(store) => first_of(op.run(store), sleep(limit))
                                .await
                                .unwrap_or_else(|| {
                                    Err(StoreError::new(format!("no answer within {limit:?}")))
                                }),
                            None => Err(no_store()),
                        };
                    self.stored(outcome)
                }
                Step::Pause(pause) => {
                    sleep(pause).await;
                    self.resume()
                }
                Step::Done(result) => return result,
            };
        }
    }

    /// Makes this call share access tokens through a store: with OPEN-ACCESS-TOKEN it yields
    /// [`Step::Store`] and [`Step::Pause`] as well, and waits at most `wait_limit` in all for
    /// another process's fetch. Call it before [`Call::start`]; [`Call::run_with_store`] and
    /// [`Call::run_blocking_with_store`] do.
    pub fn share_tokens(mut self, wait_limit: Duration) -> Self {
        self.sharing = Some(wait_limit);
        self
    }

    /// The first step: authorizes the request at the clock's current time.
    pub fn start(&mut self) -> Step<R> {
        if !matches!(self.state, State::Ready) {
            return self.misuse("start() called twice");
        }
        self.authorize()
    }

    /// Continues after a [`Step::Wait`].
    /// Continues after a [`Step::Wait`] or a [`Step::Pause`].
    pub fn resume(&mut self) -> Step<R> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Waiting { attempt } => {
                if let Some(error) = self.client.tokens().failure_of(attempt) {
                    return self.finish(Err(error));
                }
                self.authorize()
            }
            State::Polling { lease } => self.load_shared(lease),
            other => {
                self.state = other;
                self.misuse("resume() called without a wait or a pause")
            }
        }
    }

    /// Takes the outcome of the last [`Step::Store`] and says what to do next. An `Err` (the
    /// store failed or timed out) is logged, and the call goes on with this process's own
    /// cache: a store never fails a payment call.
    pub fn stored(&mut self, outcome: Result<StoreAnswer, StoreError>) -> Step<R> {
        match (std::mem::replace(&mut self.state, State::Finished), outcome) {
            (State::SharedLoad { lease }, Ok(StoreAnswer::Loaded(found))) => {
                match self.usable(found) {
                    Some(token) => self.use_token(lease, token),
                    None => self.take_shared_lease(lease),
                }
            }
            (State::SharedLease { lease, shared }, Ok(StoreAnswer::Leased(true))) => {
                self.state = State::SharedRecheck { lease, shared };
                Step::Store(StoreOp::Load {
                    app_id: self.app_id(),
                })
            }
            (State::SharedRecheck { lease, shared }, Ok(StoreAnswer::Loaded(found))) => {
                match self.usable(found) {
                    // Published between the first look and the lease: use it, fetch nothing.
                    Some(token) => match self.client.tokens().complete(lease, Ok(token)) {
                        Ok((token, generation)) => {
                            self.state = State::ReleasingUnused { token, generation };
                            Step::Store(StoreOp::Release {
                                app_id: self.app_id(),
                                lease: shared,
                            })
                        }
                        Err(e) => self.release_then_finish(Some(shared), e),
                    },
                    None => self.fetch_token(lease, Some(shared)),
                }
            }
            (State::SharedRecheck { lease, shared }, Err(error)) => {
                self.store_failed(&error);
                self.fetch_token(lease, Some(shared))
            }
            (State::ReleasingUnused { token, generation }, outcome) => {
                if let Err(error) = outcome {
                    self.store_failed(&error);
                }
                self.send_with_token(&token, generation)
            }
            (State::SharedLease { lease, .. }, Ok(StoreAnswer::Leased(false))) => {
                self.poll_later(lease)
            }
            (State::SharedLoad { lease } | State::SharedLease { lease, .. }, Err(error)) => {
                self.store_failed(&error);
                self.fetch_token(lease, None)
            }
            (State::Publishing { token, generation }, outcome) => {
                if let Err(error) = outcome {
                    self.store_failed(&error);
                }
                self.send_with_token(&token, generation)
            }
            (State::Releasing { error }, outcome) => {
                if let Err(store_error) = outcome {
                    self.store_failed(&store_error);
                }
                self.finish(Err(error))
            }
            (other, _) => {
                self.state = other;
                self.misuse("stored() called without a matching store operation")
            }
        }
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
            State::FetchingToken { lease, shared } => self.token_received(lease, shared, outcome),
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
                        self.rejected = self.sent_token.take();
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
        match self.client.tokens().decide(self.client.now()) {
            Decision::Use(token, generation) => self.send_with_token(&token, generation),
            Decision::Wait { attempt, listener } => {
                self.state = State::Waiting { attempt };
                Step::Wait(Wait(listener))
            }
            Decision::Fetch(lease) if self.sharing.is_some() => self.load_shared(lease),
            Decision::Fetch(lease) => self.fetch_token(lease, None),
        }
    }

    fn app_id(&self) -> String {
        self.client.credentials().app_id().to_owned()
    }

    /// A token from the store, if this call may use it: not due for refresh, and not the one the
    /// platform just rejected.
    fn usable(&self, found: Option<StoredToken>) -> Option<StoredToken> {
        let now = self.client.now();
        found.filter(|token| {
            self.rejected.as_ref() != Some(&token.access_token)
                && self.client.tokens().is_fresh(token, now)
        })
    }

    /// Holding this process's lease: is there a shared token?
    fn load_shared(&mut self, lease: FetchLease) -> Step<R> {
        self.state = State::SharedLoad { lease };
        Step::Store(StoreOp::Load {
            app_id: self.app_id(),
        })
    }

    /// No usable shared token: ask for the right to fetch one for the fleet.
    fn take_shared_lease(&mut self, lease: FetchLease) -> Step<R> {
        let owner = match self.client.fresh_nonce() {
            Ok(owner) => owner,
            Err(error) => {
                let _ = self.client.tokens().complete(lease, Err(error.clone()));
                return self.finish(Err(error));
            }
        };
        let shared = Lease {
            owner,
            ttl: self.client.token_lease_ttl(),
        };
        self.state = State::SharedLease {
            lease,
            shared: shared.clone(),
        };
        Step::Store(StoreOp::Lease {
            app_id: self.app_id(),
            lease: shared,
        })
    }

    /// Another process holds the lease: look again after a pause, within this call's budget.
    fn poll_later(&mut self, lease: FetchLease) -> Step<R> {
        let pause = self.client.token_poll_interval();
        let budget = self.sharing.unwrap_or_default();
        if budget < pause {
            let error = Error::Token(TokenError::new(
                None,
                None,
                "timed out waiting for another process's access-token fetch (the shared \
                 store's lease); this request was not sent",
            ));
            let _ = self.client.tokens().complete(lease, Err(error.clone()));
            return self.finish(Err(error));
        }
        self.sharing = Some(budget - pause);
        self.state = State::Polling { lease };
        Step::Pause(pause)
    }

    /// Installs `token` (from the store) for this process and sends with it.
    fn use_token(&mut self, lease: FetchLease, token: StoredToken) -> Step<R> {
        match self.client.tokens().complete(lease, Ok(token)) {
            Ok((token, generation)) => self.send_with_token(&token, generation),
            Err(e) => self.finish(Err(e)),
        }
    }

    /// Sends the token request; `shared` is the store's lease if this call holds it.
    fn fetch_token(&mut self, lease: FetchLease, shared: Option<Lease>) -> Step<R> {
        match self.client.token_request() {
            Ok(request) => {
                self.client.tokens().count_fetch();
                self.state = State::FetchingToken { lease, shared };
                Step::Send(request)
            }
            Err(e) => {
                let _ = self.client.tokens().complete(lease, Err(e.clone()));
                self.release_then_finish(shared, e)
            }
        }
    }

    /// Ends with `error`, first releasing the store's lease if this call holds it.
    fn release_then_finish(&mut self, shared: Option<Lease>, error: Error) -> Step<R> {
        match shared {
            Some(lease) => {
                self.state = State::Releasing { error };
                Step::Store(StoreOp::Release {
                    app_id: self.app_id(),
                    lease,
                })
            }
            None => self.finish(Err(error)),
        }
    }

    /// A store operation failed: say so, and carry on without the store.
    fn store_failed(&mut self, error: &StoreError) {
        self.client.tokens().count_store_failure();
        log::warn!("{error}; using this process's own access-token cache instead");
    }

    fn token_received(
        &mut self,
        lease: FetchLease,
        shared: Option<Lease>,
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
            issued_at: lease.asked_at,
            expires_at: token_cache::expiry(lease.asked_at, issued.expires_in),
        });
        match (stored, shared) {
            (Ok(token), Some(shared)) => {
                let published = token.clone();
                match self.client.tokens().complete(lease, Ok(token)) {
                    Ok((token, generation)) => {
                        self.state = State::Publishing { token, generation };
                        Step::Store(StoreOp::Publish {
                            app_id: self.app_id(),
                            token: published,
                            lease: shared,
                        })
                    }
                    Err(e) => self.release_then_finish(Some(shared), e),
                }
            }
            (Err(e), Some(shared)) => {
                let _ = self.client.tokens().complete(lease, Err(e.clone()));
                self.release_then_finish(Some(shared), e)
            }
            (stored, None) => match self.client.tokens().complete(lease, stored) {
                Ok((token, generation)) => self.send_with_token(&token, generation),
                Err(e) => self.finish(Err(e)),
            },
        }
    }

    fn send_with_token(&mut self, token: &AccessToken, generation: u64) -> Step<R> {
        self.sent_token = Some(token.clone());
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

/// How long one async store operation may take: a quarter of the wait limit, at most a second.
/// A shared store answers in milliseconds; one that does not is treated as down, early enough
/// that the call (and the calls of this process waiting for it) can still fetch by themselves
/// within their own limit.
pub(crate) fn store_op_limit(wait_limit: Duration) -> Duration {
    (wait_limit / 4).min(Duration::from_secs(1))
}

/// The error of a store step when the adapter was given no store.
fn no_store() -> StoreError {
    StoreError::new("this adapter was given no token store")
}

/// `Some` output of `work` if it finishes first, `None` if `timer` does.
async fn first_of<T>(work: impl Future<Output = T>, timer: impl Future<Output = ()>) -> Option<T> {
    let mut work = std::pin::pin!(work);
    let mut timer = std::pin::pin!(timer);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(value) = work.as_mut().poll(cx) {
            Poll::Ready(Some(value))
        } else if timer.as_mut().poll(cx).is_ready() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    })
    .await
}
