//! The WebSocket of `HttpServer` (an engine mounted with [`configure`](crate::configure) or
//! [`engine_io`](crate::engine_io)): the `101 Switching Protocols` response's own body drives
//! the connection.
//!
//! The body is a stream that owns the [`Driver`] and the request payload: on each wake-up it
//! hands the client's bytes (the payload) to the driver, and yields every frame the driver has
//! encoded as one chunk. No task, no per-frame channel: the connection is driven by the HTTP
//! dispatcher that writes its body.

use std::convert::Infallible;

use actix_http::ResponseBuilder;
use actix_http::body::{BodyStream, BoxBody, MessageBody};
use actix_http::ws::CloseCode;
use actix_web::{HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use sio_core::engine::{EngineHandler, WsConnection, WsOutgoing};

use super::driver::{CLOSE_WITHOUT_STATUS, Driver, Stop};

/// Returns the `101 Switching Protocols` response (`switching`, from the checked handshake)
/// whose body drives `conn`, frames in coming from `payload`.
pub(crate) fn switch<H: EngineHandler>(
    mut switching: ResponseBuilder,
    payload: web::Payload,
    conn: WsConnection<H>,
    max_message_size: usize,
) -> HttpResponse {
    let driver = Driver::new(conn, max_message_size);
    let body =
        futures_util::stream::unfold((driver, payload), |(mut driver, mut payload)| async move {
            let chunk = driver.next_chunk(&mut payload).await?;
            Some((Ok::<_, Infallible>(chunk), (driver, payload)))
        });
    match switching.message_body(BodyStream::new(body).boxed()) {
        Ok(res) => res.into(),
        Err(err) => HttpResponse::from_error(err),
    }
}

/// Completes the handshake of a WebSocket the session cannot take (it is already upgraded, or
/// upgrading) and closes it at once, as Node's `engine.io` does: the `101` response's body is
/// a close frame without a status.
pub(crate) fn close_at_once(mut switching: ResponseBuilder) -> HttpResponse {
    match switching.message_body(BoxBody::new(Bytes::from_static(&CLOSE_WITHOUT_STATUS))) {
        Ok(res) => res.into(),
        Err(err) => HttpResponse::from_error(err),
    }
}

impl<H: EngineHandler> Driver<H> {
    /// The next bytes to write, or `None` once the WebSocket is closed (frames in
    /// come from the request payload).
    async fn next_chunk(&mut self, payload: &mut web::Payload) -> Option<Bytes> {
        loop {
            if !self.write.is_empty() {
                return Some(std::mem::take(&mut self.write).freeze());
            }
            if self.done {
                return None;
            }
            tokio::select! {
                chunk = payload.next() => match chunk {
                    Some(Ok(bytes)) => {
                        if self.read.is_empty() {
                            // Avoid a copy when nothing is buffered.
                            self.read = BytesMut::from(bytes);
                        } else {
                            self.read.extend_from_slice(&bytes);
                        }
                        self.receive();
                    }
                    Some(Err(err)) => {
                        self.stop(Stop::Failed(CloseCode::Protocol, err.to_string()));
                    }
                    None => self.stop(Stop::Closed),
                },
                out = self.conn.next_outgoing() => match out {
                    WsOutgoing::Frames(frames) => self.encode_frames(frames),
                    WsOutgoing::Close => self.close(None),
                },
            }
        }
    }
}
