//! The WebSocket transport: drives a [`WsConnection`] over an actix-ws session.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use sio_core::engine::{EngineHandler, WsConnection, WsFrame, WsOutgoing};

/// A checked WebSocket handshake, waiting for the engine connection it will carry.
pub(crate) struct Pending {
    response: HttpResponse,
    session: actix_ws::Session,
    stream: AggregatedMessageStream,
}

/// Checks the WebSocket handshake (actix-ws is strict: GET, version 13, a valid key) and sets
/// the frame and continuation limits to `max_message_size`.
pub(crate) fn handshake(
    req: &HttpRequest,
    payload: web::Payload,
    max_message_size: usize,
) -> Result<Pending, actix_web::Error> {
    let (response, session, stream) = actix_ws::handle(req, payload)?;
    let stream = stream
        .max_frame_size(max_message_size)
        .aggregate_continuations()
        .max_continuation_size(max_message_size);
    Ok(Pending {
        response,
        session,
        stream,
    })
}

impl Pending {
    /// Spawns the task that drives `conn` and returns the `101 Switching Protocols` response.
    pub(crate) fn start<H: EngineHandler>(self, conn: WsConnection<H>) -> HttpResponse {
        actix_web::rt::spawn(drive(conn, self.session, self.stream));
        self.response
    }
}

fn too_large(err: &ProtocolError) -> bool {
    match err {
        ProtocolError::Overflow => true,
        ProtocolError::Io(e) => e.to_string().contains("maximum continuation size"),
        _ => false,
    }
}

async fn drive<H: EngineHandler>(
    mut conn: WsConnection<H>,
    mut session: actix_ws::Session,
    mut stream: AggregatedMessageStream,
) {
    loop {
        tokio::select! {
            msg = stream.recv() => match msg {
                Some(Ok(AggregatedMessage::Text(text))) => conn.on_frame(WsFrame::Text(text)),
                Some(Ok(AggregatedMessage::Binary(bytes))) => conn.on_frame(WsFrame::Binary(bytes)),
                Some(Ok(AggregatedMessage::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        conn.on_transport_closed(true);
                        return;
                    }
                }
                Some(Ok(AggregatedMessage::Pong(_))) => {}
                Some(Ok(AggregatedMessage::Close(_))) | None => {
                    conn.on_transport_closed(false);
                    let _ = session.close(None).await;
                    return;
                }
                Some(Err(err)) => {
                    let code = if too_large(&err) { CloseCode::Size } else { CloseCode::Protocol };
                    tracing::debug!(sid = %conn.socket().id(), %err, "websocket error");
                    conn.on_transport_closed(true);
                    let _ = session.close(Some(CloseReason::from(code))).await;
                    return;
                }
            },
            out = conn.next_outgoing() => match out {
                WsOutgoing::Frames(frames) => {
                    for frame in frames {
                        let sent = match frame {
                            WsFrame::Text(text) => session.text(text).await,
                            WsFrame::Binary(bytes) => session.binary(bytes).await,
                        };
                        if sent.is_err() {
                            conn.on_transport_closed(true);
                            return;
                        }
                    }
                }
                WsOutgoing::Close => {
                    let _ = session.close(None).await;
                    return;
                }
            }
        }
    }
}
