//! The subscriber connection: `SUBSCRIBE`, `PSUBSCRIBE` and `SSUBSCRIBE` on one connection,
//! messages yielded in the order Redis sent them.
//!
//! It speaks RESP2 itself (the `redis` crate's pub/sub has no `SSUBSCRIBE`), over TCP or a Unix
//! socket, and takes its address and credentials from the same URL as the publisher.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use redis::ConnectionAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::hub::Routes;
use super::resp::{self, Frame};
use super::{Backoff, ConnConfig, ConnError};

/// What the subscriber listens to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subscription {
    /// `SUBSCRIBE channel`.
    Channel(String),
    /// `PSUBSCRIBE pattern`.
    Pattern(String),
    /// `SSUBSCRIBE channel` (sharded pub/sub, Redis 7).
    Shard(String),
}

impl Subscription {
    fn command(&self, subscribe: bool) -> Vec<u8> {
        let (verb, name) = match (self, subscribe) {
            (Self::Channel(c), true) => ("SUBSCRIBE", c),
            (Self::Channel(c), false) => ("UNSUBSCRIBE", c),
            (Self::Pattern(p), true) => ("PSUBSCRIBE", p),
            (Self::Pattern(p), false) => ("PUNSUBSCRIBE", p),
            (Self::Shard(c), true) => ("SSUBSCRIBE", c),
            (Self::Shard(c), false) => ("SUNSUBSCRIBE", c),
        };
        resp::command(&[verb.as_bytes(), name.as_bytes()])
    }

    /// The subscription a confirmation (`subscribe`, `punsubscribe`, …) is about, and whether
    /// it subscribes.
    fn of_confirmation(kind: &[u8], name: &[u8]) -> Option<(Self, bool)> {
        let name = String::from_utf8_lossy(name).into_owned();
        Some(match kind {
            b"subscribe" => (Self::Channel(name), true),
            b"unsubscribe" => (Self::Channel(name), false),
            b"psubscribe" => (Self::Pattern(name), true),
            b"punsubscribe" => (Self::Pattern(name), false),
            b"ssubscribe" => (Self::Shard(name), true),
            b"sunsubscribe" => (Self::Shard(name), false),
            _ => return None,
        })
    }
}

/// A message received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The subscription it came through (for a pattern, the pattern).
    pub subscription: Subscription,
    /// The channel it was published on.
    pub channel: String,
    /// The payload.
    pub payload: Bytes,
}

/// What the subscriber reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubEvent {
    /// Connected and subscribed to everything asked for so far; `reconnected` after an
    /// outage (messages published meanwhile were lost: count the servers again).
    Connected {
        /// Whether this follows a lost connection.
        reconnected: bool,
    },
    /// The connection was lost; it is being re-established.
    Disconnected {
        /// Why.
        error: String,
    },
    /// A message.
    Message(Message),
}

/// Where the subscriber task puts its events: one consumer, or the consumers of a
/// [`SharedSubscriber`](super::hub::SharedSubscriber), each given its own subscriptions'.
pub(super) enum Sink {
    One(mpsc::Sender<SubEvent>),
    Routed(Arc<Routes>),
}

impl Sink {
    /// Hands `event` over; fails once its one consumer is gone (a routed sink never fails: the
    /// task ends when the shared subscriber's handle is dropped).
    async fn deliver(&self, event: SubEvent) -> Result<(), ()> {
        match self {
            Sink::One(tx) => tx.send(event).await.map_err(drop),
            Sink::Routed(routes) => {
                routes.deliver(event).await;
                Ok(())
            }
        }
    }
}

/// The events of a [`Subscriber`].
#[derive(Debug)]
pub struct SubEvents {
    rx: mpsc::Receiver<SubEvent>,
}

impl SubEvents {
    /// The events that arrive on `rx`.
    pub(super) fn from_receiver(rx: mpsc::Receiver<SubEvent>) -> Self {
        Self { rx }
    }

    /// The next event; `None` once the subscriber is gone.
    pub async fn recv(&mut self) -> Option<SubEvent> {
        self.rx.recv().await
    }
}

enum Control {
    Change {
        subscription: Subscription,
        subscribe: bool,
        reply: oneshot::Sender<Result<(), ConnError>>,
    },
}

/// A handle on the subscriber connection. It runs until every handle and its [`SubEvents`]
/// are dropped.
#[derive(Debug, Clone)]
pub struct Subscriber {
    control: mpsc::UnboundedSender<Control>,
}

impl Subscriber {
    /// Starts the subscriber with its first subscriptions (the connection is made in the
    /// background; [`SubEvent::Connected`] says when they are in place). Must be called within
    /// a tokio runtime.
    pub fn new(
        config: ConnConfig,
        subscriptions: impl IntoIterator<Item = Subscription>,
    ) -> Result<(Self, SubEvents), ConnError> {
        let (events, rx) = mpsc::channel(config.subscriber_buffer.max(1));
        let subscriber = Self::start(config, subscriptions, Sink::One(events))?;
        Ok((subscriber, SubEvents { rx }))
    }

    /// Starts the subscriber task, its events going to `events`.
    pub(super) fn start(
        config: ConnConfig,
        subscriptions: impl IntoIterator<Item = Subscription>,
        events: Sink,
    ) -> Result<Self, ConnError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| ConnError::InvalidUrl(e.to_string()))?;
        let info = client.get_connection_info();
        let addr = info.addr().clone();
        if !matches!(addr, ConnectionAddr::Tcp(..) | ConnectionAddr::Unix(..)) {
            return Err(ConnError::InvalidUrl(
                "the subscriber connects over plain TCP or a Unix socket only".to_owned(),
            ));
        }
        let auth = info.redis_settings().password().map(|password| {
            (
                info.redis_settings().username().map(str::to_owned),
                password.to_owned(),
            )
        });
        let (control, control_rx) = mpsc::unbounded_channel();
        let task = Task {
            config,
            addr,
            auth,
            wanted: subscriptions.into_iter().collect(),
            control: control_rx,
            events,
        };
        tokio::spawn(task.run());
        Ok(Self { control })
    }

    /// Queues the change at once (changes take effect in call order); the future resolves
    /// once Redis confirmed it.
    fn change(
        &self,
        subscription: Subscription,
        subscribe: bool,
    ) -> impl Future<Output = Result<(), ConnError>> + Send + 'static {
        let (reply, rx) = oneshot::channel();
        let sent = self
            .control
            .send(Control::Change {
                subscription,
                subscribe,
                reply,
            })
            .map_err(|_| ConnError::Closed);
        async move {
            sent?;
            rx.await.unwrap_or(Err(ConnError::Closed))
        }
    }

    /// Subscribes; resolves once Redis confirmed. The request is queued when called, so
    /// subscriptions and unsubscriptions apply in call order even if their futures are polled
    /// later or dropped. While Redis is unreachable this fails with
    /// [`ConnError::Unavailable`], and the subscription is made when the connection is back.
    pub fn subscribe(
        &self,
        subscription: Subscription,
    ) -> impl Future<Output = Result<(), ConnError>> + Send + 'static {
        self.change(subscription, true)
    }

    /// Unsubscribes; resolves once Redis confirmed (at once while Redis is unreachable: the
    /// subscription is not made again). Queued when called, as [`Subscriber::subscribe`].
    pub fn unsubscribe(
        &self,
        subscription: Subscription,
    ) -> impl Future<Output = Result<(), ConnError>> + Send + 'static {
        self.change(subscription, false)
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A command sent and not yet confirmed.
struct Pending {
    subscription: Subscription,
    subscribe: bool,
    /// `None` for the subscriptions made on connecting.
    reply: Option<oneshot::Sender<Result<(), ConnError>>>,
}

/// Why a connection ended.
enum End {
    /// Lost: reconnect.
    Lost(String),
    /// Every handle is gone: stop.
    Closed,
}

struct Task {
    config: ConnConfig,
    addr: ConnectionAddr,
    auth: Option<(Option<String>, String)>,
    wanted: BTreeSet<Subscription>,
    control: mpsc::UnboundedReceiver<Control>,
    events: Sink,
}

impl Task {
    async fn run(mut self) {
        let mut backoff = Backoff::new(&self.config);
        let mut reconnected = false;
        // Whether this outage was reported already.
        let mut reported = false;
        loop {
            let error = match self.connect().await {
                Ok(io) => {
                    backoff.reset();
                    reported = false;
                    match self.serve(io, reconnected).await {
                        End::Closed => return,
                        End::Lost(error) => error,
                    }
                }
                Err(error) => error,
            };
            sio_core::warn_limited!(error = %error, "redis subscriber: connection lost or refused");
            if !std::mem::replace(&mut reported, true)
                && self
                    .events
                    .deliver(SubEvent::Disconnected { error })
                    .await
                    .is_err()
            {
                return;
            }
            reconnected = true;
            // Wait before reconnecting; changes asked for meanwhile are recorded.
            let sleep = backoff.wait();
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    control = self.control.recv() => match control {
                        None => return,
                        Some(Control::Change { subscription, subscribe, reply }) => {
                            let result = if subscribe {
                                self.wanted.insert(subscription);
                                Err(ConnError::Unavailable("reconnecting; the subscription is made once Redis is back".to_owned()))
                            } else {
                                self.wanted.remove(&subscription);
                                Ok(())
                            };
                            let _ = reply.send(result);
                        }
                    },
                }
            }
        }
    }

    async fn connect(&self) -> Result<Box<dyn Io>, String> {
        let connect = async {
            let io: Box<dyn Io> = match &self.addr {
                ConnectionAddr::Tcp(host, port) => {
                    let stream = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                    stream.set_nodelay(true)?;
                    Box::new(stream)
                }
                #[cfg(unix)]
                ConnectionAddr::Unix(path) => {
                    Box::new(tokio::net::UnixStream::connect(path).await?)
                }
                _ => return Err(std::io::Error::other("unsupported address")),
            };
            Ok(io)
        };
        let mut io = tokio::time::timeout(self.config.connect_timeout, connect)
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        if let Some((user, password)) = &self.auth {
            let cmd = match user {
                Some(user) => resp::command(&[b"AUTH", user.as_bytes(), password.as_bytes()]),
                None => resp::command(&[b"AUTH", password.as_bytes()]),
            };
            let reply = async {
                io.write_all(&cmd).await.map_err(|e| e.to_string())?;
                let mut buf = BytesMut::new();
                loop {
                    if let Some(frame) = resp::parse(&mut buf).map_err(|e| e.to_string())? {
                        return Ok::<_, String>(frame);
                    }
                    if io.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                        return Err("connection closed during AUTH".to_owned());
                    }
                }
            };
            match tokio::time::timeout(self.config.response_timeout, reply).await {
                Ok(Ok(Frame::Simple(_))) => {}
                Ok(Ok(Frame::Error(e))) => return Err(format!("AUTH failed: {e}")),
                Ok(Ok(other)) => return Err(format!("unexpected AUTH reply {other:?}")),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err("AUTH timed out".to_owned()),
            }
        }
        Ok(io)
    }

    /// Subscribes to everything wanted, then relays messages and changes until the connection
    /// ends.
    async fn serve(&mut self, io: Box<dyn Io>, reconnected: bool) -> End {
        let (mut reader, mut writer) = tokio::io::split(io);
        let mut pending: VecDeque<Pending> = VecDeque::new();
        let mut first: Vec<u8> = Vec::new();
        for subscription in &self.wanted {
            first.extend(subscription.command(true));
            pending.push_back(Pending {
                subscription: subscription.clone(),
                subscribe: true,
                reply: None,
            });
        }
        let end = self
            .relay(&mut reader, &mut writer, &mut pending, first, reconnected)
            .await;
        let error = match &end {
            End::Lost(e) => e.clone(),
            End::Closed => "closed".to_owned(),
        };
        for p in pending {
            if let Some(reply) = p.reply {
                let _ = reply.send(Err(ConnError::Lost(error.clone())));
            }
        }
        end
    }

    async fn relay(
        &mut self,
        reader: &mut ReadHalf<Box<dyn Io>>,
        writer: &mut WriteHalf<Box<dyn Io>>,
        pending: &mut VecDeque<Pending>,
        first: Vec<u8>,
        reconnected: bool,
    ) -> End {
        let timeout = self.config.response_timeout;
        if let Err(e) = write(writer, &first, timeout).await {
            return End::Lost(e);
        }
        // Connected is announced once the subscriptions made on connecting are confirmed.
        let mut announce = Some(SubEvent::Connected { reconnected });
        let mut buf = BytesMut::with_capacity(16 * 1024);
        let mut last_read = Instant::now();
        let ping = self.config.ping_interval.max(Duration::from_millis(10));
        let mut ticker = tokio::time::interval_at(Instant::now() + ping, ping);
        loop {
            if pending.iter().all(|p| p.reply.is_some())
                && let Some(event) = announce.take()
            {
                tracing::info!(reconnected, "redis subscriber: subscribed");
                if self.events.deliver(event).await.is_err() {
                    return End::Closed;
                }
            }
            tokio::select! {
                read = reader.read_buf(&mut buf) => {
                    match read {
                        Ok(0) => return End::Lost("connection closed by Redis".to_owned()),
                        Ok(_) => {}
                        Err(e) => return End::Lost(e.to_string()),
                    }
                    loop {
                        let frame = match resp::parse(&mut buf) {
                            Ok(Some(frame)) => frame,
                            Ok(None) => break,
                            Err(e) => return End::Lost(e.to_string()),
                        };
                        if let Some(event) = self.on_frame(frame, pending)
                            && self.events.deliver(event).await.is_err()
                        {
                            return End::Closed;
                        }
                    }
                    // Measured from here: time spent waiting for a slow consumer is not
                    // Redis's silence.
                    last_read = Instant::now();
                }
                control = self.control.recv() => {
                    let Some(Control::Change { subscription, subscribe, reply }) = control else {
                        return End::Closed;
                    };
                    if subscribe {
                        self.wanted.insert(subscription.clone());
                    } else {
                        self.wanted.remove(&subscription);
                    }
                    let cmd = subscription.command(subscribe);
                    pending.push_back(Pending { subscription, subscribe, reply: Some(reply) });
                    if let Err(e) = write(writer, &cmd, timeout).await {
                        return End::Lost(e);
                    }
                }
                _ = ticker.tick() => {
                    if last_read.elapsed() > ping * 2 {
                        return End::Lost(format!("no reply from Redis for {:?}", last_read.elapsed()));
                    }
                    if let Err(e) = write(writer, &resp::command(&[b"PING"]), timeout).await {
                        return End::Lost(e);
                    }
                }
            }
        }
    }

    /// Handles one frame: a message to relay, or a confirmation to match.
    fn on_frame(&mut self, frame: Frame, pending: &mut VecDeque<Pending>) -> Option<SubEvent> {
        let items = match frame {
            Frame::Array(Some(items)) => items,
            Frame::Error(e) => {
                // The oldest command was refused (SSUBSCRIBE before Redis 7, ACLs, …).
                sio_core::warn_limited!(error = %e, "redis subscriber: command refused");
                if let Some(p) = pending.pop_front() {
                    if p.subscribe {
                        self.wanted.remove(&p.subscription);
                    }
                    if let Some(reply) = p.reply {
                        let _ = reply.send(Err(ConnError::Redis(e)));
                    }
                }
                return None;
            }
            _ => return None,
        };
        let kind = items.first().and_then(Frame::as_bytes)?;
        let text = |i: usize| {
            items
                .get(i)
                .and_then(Frame::as_bytes)
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let payload = |i: usize| match items.get(i) {
            Some(Frame::Bulk(Some(b))) => Some(b.clone()),
            _ => None,
        };
        match kind {
            b"message" | b"smessage" => {
                let channel = text(1)?;
                let subscription = if kind == b"message" {
                    Subscription::Channel(channel.clone())
                } else {
                    Subscription::Shard(channel.clone())
                };
                Some(SubEvent::Message(Message {
                    subscription,
                    channel,
                    payload: payload(2)?,
                }))
            }
            b"pmessage" => Some(SubEvent::Message(Message {
                subscription: Subscription::Pattern(text(1)?),
                channel: text(2)?,
                payload: payload(3)?,
            })),
            _ => {
                let name = items.get(1).and_then(Frame::as_bytes)?;
                let (subscription, subscribe) = Subscription::of_confirmation(kind, name)?;
                if let Some(at) = pending
                    .iter()
                    .position(|p| p.subscribe == subscribe && p.subscription == subscription)
                    && let Some(p) = pending.remove(at)
                    && let Some(reply) = p.reply
                {
                    let _ = reply.send(Ok(()));
                }
                None
            }
        }
    }
}

async fn write(
    writer: &mut WriteHalf<Box<dyn Io>>,
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), String> {
    match tokio::time::timeout(timeout, writer.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("write timed out".to_owned()),
    }
}
