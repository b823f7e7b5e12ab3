//! `sio_actix::Server`'s own accepting workers: several workers serve one listener, a worker
//! holds at most `max_connections` HTTP connections, a graceful stop lets a request in
//! progress finish, an immediate stop does not wait, and a stopped server accepts nothing.
#![allow(missing_docs, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::{App, HttpResponse, web};
use sio_core::socketio::SocketIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `/hello`, and `/slow` answering after 500 ms.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hello", web::get().to(|| async { "hello" }))
        .route(
            "/slow",
            web::get().to(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                HttpResponse::Ok().body("slow")
            }),
        );
}

/// A server of an app with the Socket.IO engine and [`routes`].
macro_rules! server_of {
    ($io:expr) => {{
        let io: SocketIo = $io;
        let app_io = io.clone();
        sio_actix::Server::new(move || {
            App::new()
                .configure(sio_actix::configure(app_io.clone()))
                .configure(routes)
        })
        .socketio(&io)
    }};
}

/// Starts a server with `workers` workers and at most `max` connections per worker.
fn start(
    workers: usize,
    max: usize,
) -> (
    SocketAddr,
    sio_actix::ServerHandle,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let io = SocketIo::builder().build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let running = server_of!(io)
        .workers(workers)
        .max_connections(max)
        .shutdown_timeout(Duration::from_secs(5))
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = running.handle();
    (addr, handle, tokio::spawn(running))
}

/// Sends a keep-alive GET of `path` on `tcp` and reads one response (up to its body).
async fn get(tcp: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the response ended");
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= len {
                return text.into_owned();
            }
        }
    }
}

#[tokio::test]
async fn several_workers_serve_one_listener() {
    let (addr, handle, running) = start(3, 100);
    let mut answered = 0;
    let mut clients = Vec::new();
    for _ in 0..30 {
        clients.push(tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            get(&mut tcp, "/hello").await
        }));
    }
    for client in clients {
        let response = client.await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("hello"), "{response}");
        answered += 1;
    }
    assert_eq!(answered, 30);
    // A Socket.IO handshake is served too.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let open = get(&mut tcp, "/socket.io/?EIO=4&transport=polling").await;
    assert!(open.contains("\"sid\""), "{open}");
    handle.stop(false).await;
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_worker_holds_at_most_max_connections() {
    let (addr, handle, running) = start(1, 1);
    let mut first = TcpStream::connect(addr).await.unwrap();
    assert!(get(&mut first, "/hello").await.ends_with("hello"));
    // The second connection waits in the backlog while the first is open.
    let mut second = TcpStream::connect(addr).await.unwrap();
    let waiting =
        tokio::time::timeout(Duration::from_millis(300), get(&mut second, "/hello")).await;
    assert!(
        waiting.is_err(),
        "a second connection was served past max_connections"
    );
    // Once the first ends, the second is served.
    drop(first);
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), second.read(&mut buf))
        .await
        .expect("the waiting connection was never served")
        .unwrap();
    let response = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    handle.stop(false).await;
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_graceful_stop_lets_a_request_finish_then_accepts_nothing() {
    let (addr, handle, running) = start(1, 100);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let slow = tokio::spawn(async move { get(&mut tcp, "/slow").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = tokio::time::Instant::now();
    handle.stop(true).await;
    // The stop waited for the request in progress, which was answered.
    assert!(started.elapsed() >= Duration::from_millis(200));
    let response = slow.await.unwrap();
    assert!(response.ends_with("slow"), "{response}");
    running.await.unwrap().unwrap();
    // Stopped: nothing listens any more, and stopping again returns at once.
    assert!(TcpStream::connect(addr).await.is_err());
    handle.stop(true).await;
}

#[tokio::test]
async fn an_immediate_stop_does_not_wait_for_requests() {
    let (addr, handle, running) = start(1, 100);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_millis(300), handle.stop(false))
        .await
        .expect("an immediate stop waited");
    running.await.unwrap().unwrap();
    // The request in progress was dropped with its connection.
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut out)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?} {out:?}");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn dropping_the_running_server_stops_its_workers() {
    let (addr, _handle, running) = start(2, 100);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    assert!(get(&mut tcp, "/hello").await.ends_with("hello"));
    running.abort();
    let _ = running.await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still accepting after the drop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn bind_applies_the_backlog_and_a_busy_port_is_an_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let io = SocketIo::builder().build().unwrap();
    let refused = server_of!(io.clone()).backlog(16).bind(addr);
    assert!(refused.is_err(), "bound a port that is in use");
    drop(taken);
    let running = server_of!(io)
        .workers(1)
        .backlog(16)
        .disable_signals()
        .bind(addr)
        .unwrap()
        .run();
    let handle = running.handle();
    let running = tokio::spawn(running);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    assert!(get(&mut tcp, "/hello").await.ends_with("hello"));
    handle.stop(true).await;
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_worker_that_cannot_start_stops_the_server_with_its_error() {
    let io = SocketIo::builder().build().unwrap();
    let app_io = io.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // The App's data cannot be built: the worker's HTTP service does not start.
    let running = sio_actix::Server::new(move || {
        App::new()
            .configure(sio_actix::configure(app_io.clone()))
            .data_factory(|| async { Err::<u32, _>(std::io::Error::other("no data")) })
    })
    .socketio(&io)
    .workers(2)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let ended = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the server kept running with a worker short");
    let err = ended.expect_err("a worker failed, the server must say so");
    assert!(err.to_string().contains("sio-worker-"), "{err}");
}

/// Sends a keep-alive POST of `body` to `path` on `tcp` and reads one response.
async fn post(tcp: &mut TcpStream, path: &str, body: &str) -> String {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn a_graceful_stop_closes_the_sessions_and_does_not_wait_for_their_long_polls() {
    let io = SocketIo::builder().build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let running = server_of!(io)
        .workers(1)
        // Far longer than the test may take: the stop must not need it.
        .shutdown_timeout(Duration::from_secs(120))
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = running.handle();
    let running = tokio::spawn(running);

    // A polling session with its namespace connected, then a long-poll pending on the same
    // keep-alive connection.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let open = get(&mut tcp, "/socket.io/?EIO=4&transport=polling").await;
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    assert!(post(&mut tcp, &path, "40").await.ends_with("ok"));
    assert!(get(&mut tcp, &path).await.contains("40{\"sid\""));
    let pending = tokio::spawn(async move { get(&mut tcp, &path).await });
    tokio::time::sleep(Duration::from_millis(100)).await;

    tokio::time::timeout(Duration::from_secs(10), handle.stop(true))
        .await
        .expect("the graceful stop waited for the long-poll (its shutdown timeout is 120 s)");
    // The long-poll got the session's close packet, and its connection is not kept alive.
    let response = pending.await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.to_ascii_lowercase().contains("connection: close"),
        "{response}"
    );
    assert!(response.ends_with("\r\n\r\n1"), "{response}");
    running.await.unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}
