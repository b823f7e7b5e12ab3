//! An HTTP connection taken from actix's dispatcher ([`Server`](crate::Server)), answered
//! without it: a response written in full, then the connection closed. Used by the engines'
//! takeover for refused upgrades and by the application fallback.

use actix_codec::Framed;
use actix_http::body::{BodySize, BoxBody, MessageBody};
use actix_http::{Response, h1};
use futures_util::SinkExt;
use tokio::net::TcpStream;

/// Writes `res` and closes the connection.
pub(crate) async fn refuse(framed: &mut Framed<TcpStream, h1::Codec>, res: Response<BoxBody>) {
    let (res, body) = res.into_parts();
    let body = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => actix_http::body::to_bytes(body).await.unwrap_or_default(),
    };
    let mut head = res.drop_body();
    head.head_mut()
        .set_connection_type(actix_http::ConnectionType::Close);
    let size = BodySize::Sized(body.len() as u64);
    // Head and body are buffered, then written together (a client may read only what came
    // with the head). `Framed::close` does not write its buffer: flush first.
    let sent = async {
        framed.feed(h1::Message::Item((head, size))).await?;
        if !body.is_empty() {
            framed.feed(h1::Message::Chunk(Some(body))).await?;
        }
        framed.feed(h1::Message::Chunk(None)).await?;
        framed.flush().await?;
        framed.close().await
    };
    if let Err(err) = sent.await {
        tracing::debug!(%err, "writing a refusal failed");
    }
}
