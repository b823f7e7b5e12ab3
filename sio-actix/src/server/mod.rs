//! [`Server`]: actix-web's HTTP service on workers that accept their own connections, with the
//! engine's WebSocket connections taken out of the HTTP dispatcher after their handshake.

mod listener;
mod running;
mod worker;

pub use running::{Running, ServerHandle};

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_codec::Framed;
use actix_http::body::MessageBody;
use actix_http::{HttpService, Request, Response, h1};
use actix_service::{
    IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_service, map_config,
};
use actix_web::Error;
use actix_web::dev::AppConfig;
use sio_core::engine::{Engine, EngineHandler};
use sio_core::socketio::SocketIo;
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::fallback::{AppFallback, LazyApp};
use crate::takeover::{WsEngine, takeover};
use worker::{HttpFactory, MakeFactory, Stop, Worker};

/// An HTTP server for an actix-web `App` in which each WebSocket connection of the engine
/// leaves actix's HTTP/1 dispatcher once it is switched: sio reads and writes the TCP stream
/// itself.
///
/// Mounted with [`configure`](crate::configure) in actix-web's own `HttpServer`, a WebSocket
/// lives inside the dispatcher that answered its handshake: two 8 KiB buffers and the
/// dispatcher's task for as long as it is open, and every frame in or out passes through the
/// dispatcher's request payload and response body. `Server` runs the same `App` (polling,
/// your other routes, middleware) on the same actix runtime, but gives actix-http an upgrade
/// service: the engine answers the handshake and keeps only the socket, with buffers held
/// only while they hold bytes. An idle connection then costs a third of the memory, and each
/// message less work (see the book's performance chapter).
///
/// An upgrade request outside the engines' paths (a WebSocket route of your own) is answered
/// by the `App` (a second instance per worker, built on first use), and its switched
/// connection bridged as actix's dispatcher would. Plain TCP only (terminate TLS in front, or
/// use `HttpServer`).
///
/// ```no_run
/// use actix_web::App;
/// use sio_core::socketio::SocketIo;
///
/// # async fn run() -> std::io::Result<()> {
/// let io = SocketIo::builder().build().expect("valid namespaces");
/// let app_io = io.clone();
/// sio_actix::Server::new(move || App::new().configure(sio_actix::configure(app_io.clone())))
///     .socketio(&io)
///     .bind(("127.0.0.1", 3000))?
///     .run()
///     .await
/// # }
/// ```
pub struct Server<F> {
    engines: Vec<Arc<dyn WsEngine>>,
    factory: F,
    workers: usize,
    backlog: u32,
    max_connections: usize,
    signals: bool,
    shutdown_timeout: Duration,
    nodelay: bool,
    listeners: Vec<Listener>,
}

/// A listening socket and how each worker builds its HTTP service for it.
struct Listener {
    socket: TcpListener,
    service: Box<dyn Fn() -> MakeFactory + Send>,
}

impl<F> fmt::Debug for Server<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("engines", &self.engines.len())
            .field("workers", &self.workers)
            .field("listeners", &self.listeners.len())
            .finish_non_exhaustive()
    }
}

impl<F> Server<F>
where
    F: Send + Clone + 'static,
{
    /// A server running the `App` that `factory` builds on each worker. Name the engines it
    /// mounts with [`socketio`](Self::socketio) or [`engine`](Self::engine) before
    /// [`bind`](Self::bind).
    pub fn new(factory: F) -> Self {
        Server {
            engines: Vec::new(),
            factory,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            backlog: 2_048,
            max_connections: 25_000,
            signals: true,
            shutdown_timeout: Duration::from_secs(30),
            nodelay: true,
            listeners: Vec::new(),
        }
    }

    /// Takes over the WebSocket connections of this Socket.IO server (the one the `App`
    /// mounts with [`configure`](crate::configure)).
    pub fn socketio(self, io: &SocketIo) -> Self {
        self.engine(io.engine().clone())
    }

    /// Takes over the WebSocket connections of this engine (the one the `App` mounts with
    /// [`engine_io`](crate::engine_io)). Upgrade requests go to the first engine whose path
    /// they are under.
    pub fn engine<H: EngineHandler>(mut self, engine: Arc<Engine<H>>) -> Self {
        self.engines.push(engine);
        self
    }

    /// The number of worker threads (default: the number of CPUs this process may run on).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// The listen backlog (default 2,048); set it before [`bind`](Self::bind).
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    /// The most HTTP connections each worker serves at once (default 25,000); past it, a
    /// worker accepts again when one of its connections ends. A WebSocket taken over no longer
    /// counts: it has left the HTTP dispatcher.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Whether accepted connections have Nagle's algorithm off (`TCP_NODELAY`; default
    /// `true`, as Node's socket.io). With it on, a small packet that follows another one the
    /// client has not acknowledged yet waits for that acknowledgement — up to the client's
    /// delayed-ACK timer, 40 ms on Linux — so a stream of small emits (a live dashboard, a
    /// game's positions) arrives in jerks. Turn it off only for bulk transfers of many small
    /// writes where latency does not matter.
    pub fn tcp_nodelay(mut self, nodelay: bool) -> Self {
        self.nodelay = nodelay;
        self
    }

    /// Does not stop on SIGINT (Ctrl-C), SIGTERM and SIGQUIT (for a server embedded in a
    /// larger program, or in tests: stop it through [`Running::handle`]).
    pub fn disable_signals(mut self) -> Self {
        self.signals = false;
        self
    }

    /// How long a graceful stop (SIGTERM, or [`ServerHandle::stop`]`(true)`) waits for the
    /// HTTP requests in progress (default 30 s). A graceful stop first shuts the named engines
    /// down ([`Engine::shutdown`](sio_core::engine::Engine::shutdown)): every session is closed
    /// ("server shutting down"), long-polls are answered at once with `Connection: close`, and
    /// new sessions are refused, so that it usually ends well within the timeout.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Listens on every address `addrs` resolves to.
    pub fn bind<I, S, B>(mut self, addrs: impl ToSocketAddrs) -> io::Result<Self>
    where
        F: Fn() -> I,
        I: IntoServiceFactory<S, Request>,
        S: ServiceFactory<Request, Config = AppConfig> + 'static,
        S::Error: Into<Error> + 'static,
        S::InitError: fmt::Debug,
        S::Response: Into<Response<B>> + 'static,
        <S::Service as actix_service::Service<Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        let mut bound = false;
        for addr in addrs.to_socket_addrs()? {
            let listener = listener::bind(addr, self.backlog)?;
            self = self.listen(listener)?;
            bound = true;
        }
        if !bound {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no address to bind",
            ));
        }
        Ok(self)
    }

    /// Serves on a listener bound by the caller.
    pub fn listen<I, S, B>(mut self, listener: TcpListener) -> io::Result<Self>
    where
        F: Fn() -> I,
        I: IntoServiceFactory<S, Request>,
        S: ServiceFactory<Request, Config = AppConfig> + 'static,
        S::Error: Into<Error> + 'static,
        S::InitError: fmt::Debug,
        S::Response: Into<Response<B>> + 'static,
        <S::Service as actix_service::Service<Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        let addr: SocketAddr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let engines: Arc<[Arc<dyn WsEngine>]> = self.engines.iter().cloned().collect();
        let factory = self.factory.clone();
        self.listeners.push(Listener {
            socket: listener,
            service: Box::new(move || {
                let engines = engines.clone();
                let factory = factory.clone();
                Box::new(move || http_service(engines, &factory, addr))
            }),
        });
        Ok(self)
    }

    /// Starts the workers; await the returned [`Running`] to run until the server stops
    /// (SIGINT and SIGQUIT stop it at once, SIGTERM gracefully — the engines' sessions closed
    /// first, see [`shutdown_timeout`](Self::shutdown_timeout); or its
    /// [handle](Running::handle)). Each worker is a thread with its own actix runtime that
    /// accepts connections on every listener itself.
    pub fn run(self) -> Running {
        let (stop, stopped) = watch::channel(Stop::No);
        let (failed, failures) = tokio::sync::mpsc::unbounded_channel();
        let mut threads = Vec::with_capacity(self.workers);
        for n in 0..self.workers {
            let mut listeners = Vec::with_capacity(self.listeners.len());
            for listener in &self.listeners {
                match listener.socket.try_clone() {
                    Ok(socket) => listeners.push((socket, (listener.service)())),
                    Err(err) => return Running::failed(err),
                }
            }
            let worker = Worker {
                listeners,
                max_connections: self.max_connections,
                shutdown_timeout: self.shutdown_timeout,
                nodelay: self.nodelay,
                stop: stopped.clone(),
            };
            let name = format!("sio-worker-{n}");
            let failed = failed.clone();
            let thread = std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || {
                    let ended = worker.run(&name);
                    if let Err(err) = &ended {
                        // The server stops: a worker short does not go unnoticed.
                        let _ = failed.send(io::Error::new(err.kind(), format!("{name}: {err}")));
                    }
                    ended
                });
            match thread {
                Ok(thread) => threads.push(thread),
                Err(err) => {
                    let _ = stop.send(Stop::Now);
                    return Running::failed(err);
                }
            }
        }
        Running::start(threads, stop, failures, self.signals, self.engines)
    }
}

/// The HTTP service of one worker for a listener on `addr`: the `App` that `factory` builds,
/// with the engines' WebSocket upgrades taken over.
fn http_service<F, I, S, B>(
    engines: Arc<[Arc<dyn WsEngine>]>,
    factory: &F,
    addr: SocketAddr,
) -> HttpFactory
where
    F: Fn() -> I,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as actix_service::Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    // Upgrade requests outside the engines' paths: a second App of this worker.
    let fallback: Rc<dyn AppFallback> = Rc::new(LazyApp::<S, B>::new(factory().into_factory()));
    let upgrade = fn_service(
        move |(req, framed): (Request, Framed<TcpStream, h1::Codec>)| {
            takeover(engines.clone(), fallback.clone(), req, framed)
        },
    );
    let app = factory()
        .into_factory()
        .map_err(|err| err.into().error_response());
    actix_service::boxed::factory(
        HttpService::build()
            // An abandoned long-poll is seen at once, not at the next heartbeat.
            .h1_allow_half_closed(false)
            .local_addr(addr)
            .upgrade(upgrade)
            .finish(map_config(app, |_| AppConfig::default()))
            .tcp(),
    )
}
