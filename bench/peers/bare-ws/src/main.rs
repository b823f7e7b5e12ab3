//! The bare-WebSocket floor of the benchmarks: the least work that answers the frames the
//! load generator sends, on tokio + tokio-tungstenite.
//!
//! - A WebSocket on any path gets the Engine.IO open packet at once; `40` gets
//!   `40{"sid":…}`.
//! - `42["echo",…]` is sent back as it came (the reply frame is the same text).
//! - `42<id>["echo-ack",args…]` is answered `43<id>[args…]`, by slicing the text.
//! - `42["broadcast",…]` is queued, as the same reference-counted frame, to every client.
//! - `join`, pongs and anything else are ignored. No heartbeat is sent.
//!
//! Each client has an unbounded queue drained by a writer task that writes everything queued
//! before one flush, so frames are coalesced into few `write` calls. `PORT` (3000) is the port
//! on 127.0.0.1; under `taskset -c 0` tokio runs one worker.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Clients = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Message>>>>;

const OPEN: &str = r#"0{"sid":"bare00000000000000000","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

/// `42<id>["echo-ack",args…]` → `43<id>[args…]`.
fn ack_reply(text: &str) -> Option<String> {
    let rest = text.strip_prefix("42")?;
    let open = rest.find('[')?;
    let (id, body) = rest.split_at(open);
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let args = body.strip_prefix("[\"echo-ack\"")?;
    let args = args.strip_prefix(',').unwrap_or(args);
    Some(format!("43{id}[{args}"))
}

async fn serve(stream: TcpStream, id: u64, clients: Clients) {
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if sink.feed(msg).await.is_err() {
                return;
            }
            while let Ok(msg) = rx.try_recv() {
                if sink.feed(msg).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let _ = tx.send(Message::text(OPEN));
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(text) = msg else {
            if matches!(msg, Message::Close(_)) {
                break;
            }
            continue;
        };
        if text.starts_with("42[\"broadcast\"") {
            let frame = Message::Text(text);
            for client in clients.lock().unwrap_or_else(|e| e.into_inner()).values() {
                let _ = client.send(frame.clone());
            }
        } else if text.starts_with("42[\"echo\"") {
            let _ = tx.send(Message::Text(text));
        } else if let Some(reply) = ack_reply(&text) {
            let _ = tx.send(Message::text(reply));
        } else if text.as_str() == "40" || text.starts_with("40{") {
            clients
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, tx.clone());
            let _ = tx.send(Message::text(format!(r#"40{{"sid":"bare{id:016}"}}"#)));
        }
    }
    clients
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    drop(tx);
    let _ = writer.await;
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(8192)?;
    eprintln!("bare-ws-peer listening on ws://{addr}/");
    let clients: Clients = Arc::default();
    let next = AtomicU64::new(1);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let id = next.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(serve(stream, id, clients.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::ack_reply;

    #[test]
    fn acks() {
        assert_eq!(
            ack_reply(r#"4212["echo-ack",{"p":"x"}]"#).as_deref(),
            Some(r#"4312[{"p":"x"}]"#)
        );
        assert_eq!(ack_reply(r#"421["echo-ack"]"#).as_deref(), Some("431[]"));
        assert_eq!(ack_reply(r#"42["echo-ack",1]"#), None);
    }
}
