//! A started [`Server`](super::Server): the future that runs it and the handle that stops it.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot, watch};

use super::worker::Stop;
use crate::takeover::WsEngine;

/// A command to the server's control.
struct Command {
    graceful: bool,
    done: oneshot::Sender<()>,
}

/// Stops a running [`Server`](super::Server) from elsewhere (a test, an admin route, your own
/// signal handling). Cloneable; stopping a server that has already stopped returns at once.
#[derive(Clone)]
pub struct ServerHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle").finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// Stops the server and waits until its workers have stopped. `graceful`: the workers
    /// stop accepting and let the HTTP requests in progress finish (at most the
    /// [shutdown timeout](super::Server::shutdown_timeout)); otherwise every connection is
    /// dropped at once. WebSocket connections taken over are dropped either way: close them
    /// first with `SocketIo::close` for a clean goodbye.
    pub fn stop(&self, graceful: bool) -> impl Future<Output = ()> + Send + 'static {
        let (done, stopped) = oneshot::channel();
        let sent = self.commands.send(Command { graceful, done }).is_ok();
        async move {
            if sent {
                let _ = stopped.await;
            }
        }
    }
}

/// A running [`Server`](super::Server): await it to run until it stops (a signal, or
/// [`ServerHandle::stop`]); [`handle`](Self::handle) gives a handle to stop it. Its workers
/// start when [`run`](super::Server::run) is called; stop it through the handle or a signal
/// rather than dropping this future (dropping it stops the workers at once).
#[must_use = "a server runs until this future completes"]
pub struct Running {
    handle: ServerHandle,
    control: BoxFuture<'static, io::Result<()>>,
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running").finish_non_exhaustive()
    }
}

impl Running {
    /// A handle to stop this server.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// A server that could not start: awaiting it gives `err`.
    pub(super) fn failed(err: io::Error) -> Self {
        let (commands, _) = mpsc::unbounded_channel();
        Running {
            handle: ServerHandle { commands },
            control: Box::pin(async move { Err(err) }),
        }
    }

    pub(super) fn start(
        workers: Vec<JoinHandle<io::Result<()>>>,
        stop: watch::Sender<Stop>,
        failures: mpsc::UnboundedReceiver<io::Error>,
        signals: bool,
        engines: Vec<Arc<dyn WsEngine>>,
    ) -> Self {
        let (commands, received) = mpsc::unbounded_channel();
        let control = control(
            workers,
            stop,
            Inputs {
                commands: received,
                failures,
                signals,
                engines,
            },
        );
        Running {
            handle: ServerHandle { commands },
            control: Box::pin(control),
        }
    }
}

impl Future for Running {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.control.as_mut().poll(cx)
    }
}

/// What makes the server stop.
struct Inputs {
    /// Stop commands from the handles.
    commands: mpsc::UnboundedReceiver<Command>,
    /// A worker that ended with an error (it could not start its service, say).
    failures: mpsc::UnboundedReceiver<io::Error>,
    /// Whether SIGINT, SIGTERM and SIGQUIT stop the server.
    signals: bool,
    /// The engines a graceful stop shuts down first.
    engines: Vec<Arc<dyn WsEngine>>,
}

/// Waits for a stop (a command; with `signals`, SIGINT / SIGQUIT at once and SIGTERM
/// gracefully, as actix-server does; or a worker failing, which stops the others at once and
/// is the server's result), stops the workers, and waits for them.
async fn control(
    workers: Vec<JoinHandle<io::Result<()>>>,
    stop: watch::Sender<Stop>,
    inputs: Inputs,
) -> io::Result<()> {
    let Inputs {
        mut commands,
        mut failures,
        signals,
        engines,
    } = inputs;
    let mut waiting = Vec::new();
    let mut failure = None;
    let graceful = tokio::select! {
        command = commands.recv() => match command {
            Some(command) => {
                waiting.push(command.done);
                command.graceful
            }
            // No handle left: run until a signal, as if the handles had never been taken.
            None => wait_for_signal(signals).await,
        },
        graceful = wait_for_signal(signals) => graceful,
        Some(err) = failures.recv() => {
            tracing::error!(%err, "a server worker failed: stopping");
            failure = Some(err);
            false
        }
    };
    tracing::info!(graceful, "server stopping");
    if graceful {
        // Every session is told goodbye while the workers still run to deliver it, and the
        // HTTP connections end after their answer: what the workers then wait for ends soon.
        for engine in &engines {
            engine.shutdown();
        }
    }
    let _ = stop.send(if graceful { Stop::Graceful } else { Stop::Now });
    let result = join(workers).await;
    // Commands that arrived while stopping are answered too.
    commands.close();
    while let Some(command) = commands.recv().await {
        waiting.push(command.done);
    }
    for done in waiting {
        let _ = done.send(());
    }
    match failure {
        Some(err) => Err(err),
        None => result,
    }
}

/// Waits until the workers' threads end; the first error any of them had.
async fn join(workers: Vec<JoinHandle<io::Result<()>>>) -> io::Result<()> {
    let joined = tokio::task::spawn_blocking(move || {
        let mut result = Ok(());
        for worker in workers {
            let ended = worker
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a server worker panicked")));
            if result.is_ok() {
                result = ended;
            }
        }
        result
    });
    joined
        .await
        .unwrap_or_else(|err| Err(io::Error::other(err)))
}

/// Resolves to whether the stop is graceful, when a stop signal comes; never without
/// `signals`.
async fn wait_for_signal(signals: bool) -> bool {
    if !signals {
        return std::future::pending().await;
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::quit()),
        );
        if let (Ok(mut int), Ok(mut term), Ok(mut quit)) = streams {
            return tokio::select! {
                _ = int.recv() => false,
                _ = term.recv() => true,
                _ = quit.recv() => false,
            };
        }
        tracing::warn!("signal handlers could not be installed: stop the server with its handle");
        std::future::pending().await
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        false
    }
}
