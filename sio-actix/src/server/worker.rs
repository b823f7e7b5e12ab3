//! One worker of [`Server`](super::Server): a thread with its own actix runtime that accepts
//! the connections of every listener itself and serves them there.
//!
//! Each worker registers the listening sockets in its own runtime. A new connection is
//! therefore accepted by the thread that will serve it — no accept thread handing it over, as
//! actix-server has, which cost a thread switch and a channel per connection. With several
//! workers on one listener, every idle worker is woken by a new connection and one of them
//! takes it.

use std::cell::Cell;
use std::io;
use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

use actix_http::error::DispatchError;
use actix_service::boxed::BoxServiceFactory;
use actix_service::{Service as _, ServiceFactory as _};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};

/// What a worker serves a listener's connections with: its HTTP service, built on the
/// worker's thread (actix services are not `Send`).
pub(super) type HttpFactory = BoxServiceFactory<(), TcpStream, (), DispatchError, ()>;

/// Builds a listener's [`HttpFactory`] on a worker's thread.
pub(super) type MakeFactory = Box<dyn FnOnce() -> HttpFactory + Send>;

/// How the server asks its workers to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// Keep serving.
    No,
    /// Stop accepting, let the HTTP connections in progress finish (at most the shutdown
    /// timeout), then stop.
    Graceful,
    /// Stop at once: the connections are dropped.
    Now,
}

/// What a worker needs.
pub(super) struct Worker {
    pub(super) listeners: Vec<(TcpListener, MakeFactory)>,
    pub(super) max_connections: usize,
    pub(super) shutdown_timeout: Duration,
    /// Whether accepted connections get `TCP_NODELAY`.
    pub(super) nodelay: bool,
    pub(super) stop: watch::Receiver<Stop>,
}

/// The HTTP connections a worker is serving (a WebSocket taken over has left them).
#[derive(Default)]
struct Live {
    count: Cell<usize>,
    /// Notified whenever a connection ends.
    ended: Notify,
}

/// Counts one connection for as long as it lives.
struct Counted(Rc<Live>);

impl Counted {
    fn new(live: &Rc<Live>) -> Self {
        live.count.set(live.count.get() + 1);
        Counted(live.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.count.set(self.0.count.get().saturating_sub(1));
        self.0.ended.notify_waiters();
    }
}

impl Worker {
    /// Runs the worker on the current thread until it is told to stop (or the server's
    /// control is gone).
    pub(super) fn run(self, name: &str) -> io::Result<()> {
        actix_web::rt::System::new().block_on(self.serve(name))
    }

    async fn serve(mut self, name: &str) -> io::Result<()> {
        let live = Rc::new(Live::default());
        let mut accepting = Vec::with_capacity(self.listeners.len());
        for (listener, make) in self.listeners.drain(..) {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let service = make().new_service(()).await.map_err(|()| {
                io::Error::other(format!("{name}: the HTTP service did not start"))
            })?;
            accepting.push(tokio::task::spawn_local(accept_loop(
                listener,
                Rc::new(service),
                live.clone(),
                Accepting {
                    max_connections: self.max_connections,
                    nodelay: self.nodelay,
                },
            )));
        }
        let stop = loop {
            let current = *self.stop.borrow_and_update();
            if current != Stop::No {
                break current;
            }
            if self.stop.changed().await.is_err() {
                // The server's control is gone: nothing will ask for a graceful stop.
                break Stop::Now;
            }
        };
        for task in &accepting {
            task.abort();
        }
        if stop == Stop::Graceful {
            let drained = async {
                while live.count.get() > 0 {
                    let ended = live.ended.notified();
                    if live.count.get() == 0 {
                        break;
                    }
                    ended.await;
                }
            };
            if tokio::time::timeout(self.shutdown_timeout, drained)
                .await
                .is_err()
            {
                tracing::debug!(
                    worker = name,
                    connections = live.count.get(),
                    "shutdown timeout: connections dropped"
                );
            }
        }
        Ok(())
    }
}

/// How a worker accepts connections.
#[derive(Debug, Clone, Copy)]
struct Accepting {
    /// The most connections served at once.
    max_connections: usize,
    /// Whether accepted connections get `TCP_NODELAY`.
    nodelay: bool,
}

/// Accepts `listener`'s connections and serves each in a task of this worker, at most
/// `max_connections` at once.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    service: Rc<<HttpFactory as actix_service::ServiceFactory<TcpStream>>::Service>,
    live: Rc<Live>,
    accepting: Accepting,
) {
    loop {
        while live.count.get() >= accepting.max_connections {
            let ended = live.ended.notified();
            if live.count.get() < accepting.max_connections {
                break;
            }
            ended.await;
        }
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // A connection that went away before it was accepted: the next one.
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                // Out of descriptors and the like: the connections wait in the backlog; try
                // again shortly rather than spin.
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if accepting.nodelay
            && let Err(err) = stream.set_nodelay(true)
        {
            // The connection still works, only with Nagle's algorithm on.
            tracing::debug!(%err, "TCP_NODELAY not set");
        }
        let counted = Counted::new(&live);
        let service = service.clone();
        tokio::task::spawn_local(async move {
            if let Err(err) = service.call(stream).await {
                tracing::debug!(%err, "HTTP connection ended with an error");
            }
            drop(counted);
        });
    }
}

/// Whether an accept error concerns that one connection only.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a worker with `nodelay`, connects once, and returns what the worker's service saw
    /// of the accepted connection's `TCP_NODELAY`.
    fn accepted_nodelay(nodelay: bool) -> bool {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let (seen_tx, seen_rx) = std::sync::mpsc::channel();
        let make: MakeFactory = Box::new(move || {
            actix_service::boxed::factory(actix_service::fn_service(move |stream: TcpStream| {
                let seen = seen_tx.clone();
                async move {
                    let _ = seen.send(stream.nodelay().expect("TCP_NODELAY readable"));
                    Ok::<_, DispatchError>(())
                }
            }))
        });
        let (stop, stopped) = watch::channel(Stop::No);
        let worker = Worker {
            listeners: vec![(listener, make)],
            max_connections: 10,
            shutdown_timeout: Duration::ZERO,
            nodelay,
            stop: stopped,
        };
        let thread = std::thread::spawn(move || worker.run("test"));
        let _client = std::net::TcpStream::connect(addr).expect("connect");
        let seen = seen_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the worker served the connection");
        stop.send(Stop::Now).expect("worker alive");
        thread.join().expect("worker thread").expect("worker ran");
        seen
    }

    #[test]
    fn accepted_connections_have_nagle_off_unless_asked() {
        assert!(accepted_nodelay(true));
        assert!(!accepted_nodelay(false));
    }
}
