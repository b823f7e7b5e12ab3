//! Connections: TCP from rotating 127.0.0.x source addresses, WebSocket via tokio-tungstenite,
//! and the Engine.IO / Socket.IO handshake over it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Errors of the generator: any failure, with a message.
pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;
/// A result with [`Error`].
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// A WebSocket to the server under test.
pub(crate) type Ws = WebSocketStream<TcpStream>;

/// How long one handshake step may take before the connection counts as failed.
pub(crate) const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// Microseconds since the generator started: the clock of the timestamps in payloads.
pub(crate) fn now_micros() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// The server under test and where connections come from.
#[derive(Debug)]
pub(crate) struct Target {
    /// The server's address (loopback only).
    pub(crate) addr: SocketAddr,
    /// The Socket.IO path, with its trailing slash.
    pub(crate) path: String,
    sources: Vec<Ipv4Addr>,
    next: AtomicUsize,
}

impl Target {
    /// A target at `addr`, connecting from `sources` loopback addresses (127.0.0.1 and up).
    pub(crate) fn new(addr: SocketAddr, path: String, sources: usize) -> Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(format!(
                "{addr} is not a loopback address: the generator only targets 127.0.0.0/8"
            )
            .into());
        }
        let sources = (1..=sources.clamp(1, 250) as u8)
            .map(|i| Ipv4Addr::new(127, 0, 0, i))
            .collect();
        Ok(Target {
            addr,
            path,
            sources,
            next: AtomicUsize::new(0),
        })
    }

    /// A TCP connection from the next source address, with Nagle off.
    pub(crate) async fn tcp(&self) -> Result<TcpStream> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.sources.len();
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(self.sources[i].into(), 0))?;
        let stream = socket.connect(self.addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    /// `host:port` for the `Host` header.
    pub(crate) fn host(&self) -> String {
        self.addr.to_string()
    }

    /// A WebSocket to the Engine.IO endpoint (not yet handshaken at the Engine.IO level).
    pub(crate) async fn websocket(&self) -> Result<Ws> {
        let tcp = self.tcp().await?;
        let url = format!("ws://{}{}?EIO=4&transport=websocket", self.addr, self.path);
        let config = WebSocketConfig::default()
            .read_buffer_size(16 * 1024)
            .write_buffer_size(0);
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await?;
        Ok(ws)
    }

    /// A Socket.IO client connected to `/` over WebSocket: the Engine.IO open packet is read,
    /// `40` sent, and the namespace's CONNECT answer read.
    pub(crate) async fn socketio(&self) -> Result<Ws> {
        let mut ws = tokio::time::timeout(STEP_TIMEOUT, self.websocket())
            .await
            .map_err(|_| "timed out opening the WebSocket")??;
        let open = next_text(&mut ws).await?;
        if !open.starts_with('0') {
            return Err(format!("expected the open packet, got {open:?}").into());
        }
        ws.send(Message::text("40")).await?;
        loop {
            let text = next_text(&mut ws).await?;
            if text.starts_with("40") {
                return Ok(ws);
            }
            if text.starts_with("44") {
                return Err(format!("connect refused: {text}").into());
            }
            answer_ping(&mut ws, &text).await?;
        }
    }
}

/// The next text frame, within [`STEP_TIMEOUT`].
pub(crate) async fn next_text(ws: &mut Ws) -> Result<Utf8Bytes> {
    loop {
        let msg = tokio::time::timeout(STEP_TIMEOUT, ws.next())
            .await
            .map_err(|_| "timed out waiting for the server")?;
        match msg {
            Some(Ok(Message::Text(text))) => return Ok(text),
            Some(Ok(Message::Close(_))) | None => return Err("the server closed".into()),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

/// Answers an Engine.IO ping (`2`) with a pong (`3`); other frames are left alone.
pub(crate) async fn answer_ping(ws: &mut Ws, text: &str) -> Result<bool> {
    if text == "2" {
        ws.send(Message::text("3")).await?;
        return Ok(true);
    }
    Ok(false)
}

/// A payload of `len` ASCII characters.
pub(crate) fn filler(len: usize) -> String {
    "abcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .cycle()
        .take(len)
        .collect()
}

/// The number after `"t":` in a frame: the sender's [`now_micros`] when it sent it.
pub(crate) fn timestamp(text: &str) -> Option<u64> {
    let at = text.find("\"t\":")? + 4;
    let digits = &text.as_bytes()[at..];
    let mut n: u64 = 0;
    let mut any = false;
    for &b in digits {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        any = true;
    }
    any.then_some(n)
}

/// The ack id of an Engine.IO-message-wrapped Socket.IO ACK on `/` (`43<id>[...]`).
pub(crate) fn ack_id(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("43")?;
    let end = rest.find('[')?;
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_timestamps_and_acks() {
        assert_eq!(
            timestamp(r#"42["broadcast",{"t":12345,"p":"x"}]"#),
            Some(12345)
        );
        assert_eq!(timestamp(r#"42["broadcast",{"p":"x","t":7}]"#), Some(7));
        assert_eq!(timestamp(r#"42["broadcast",{}]"#), None);
        assert_eq!(ack_id(r#"4312[{"p":"x"}]"#), Some(12));
        assert_eq!(ack_id(r#"42["x"]"#), None);
        assert_eq!(filler(5), "abcde");
    }
}
