//! Upgrade requests of [`Server`](crate::Server) that no engine owns: served by the `App`
//! itself, as `HttpServer` would serve them.
//!
//! actix-http hands every upgrade request to the upgrade service, with the connection. For
//! one outside the engines' paths (a WebSocket route of the application's own), a second
//! instance of the `App` (built on first use, per worker) answers it; a `101` answer is then
//! bridged as actix's dispatcher would: bytes from the client feed the request's payload, and
//! the response body's chunks are written to the connection, until either side ends.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use actix_codec::{Framed, FramedParts};
use actix_http::body::{BodySize, BoxBody, MessageBody};
use actix_http::{Payload, Request, Response, StatusCode, h1};
use actix_service::{Service, ServiceFactory};
use actix_web::dev::AppConfig;
use bytes::BytesMut;
use futures_util::SinkExt;
use futures_util::future::LocalBoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers a request with the application (type-erased).
pub(crate) trait AppFallback {
    /// The application's response to `req`.
    fn respond(self: Rc<Self>, req: Request) -> LocalBoxFuture<'static, Response<BoxBody>>;
}

/// An `App` factory, and the service it built on first use.
/// `B` is the body type of the application's responses.
pub(crate) struct LazyApp<S: ServiceFactory<Request>, B> {
    factory: S,
    service: RefCell<Option<Rc<S::Service>>>,
    body: PhantomData<B>,
}

impl<S: ServiceFactory<Request>, B> LazyApp<S, B> {
    pub(crate) fn new(factory: S) -> Self {
        LazyApp {
            factory,
            service: RefCell::new(None),
            body: PhantomData,
        }
    }
}

impl<S, B> AppFallback for LazyApp<S, B>
where
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    fn respond(self: Rc<Self>, req: Request) -> LocalBoxFuture<'static, Response<BoxBody>> {
        Box::pin(async move {
            let existing = self.service.borrow().clone();
            let service = match existing {
                Some(service) => service,
                None => match self.factory.new_service(AppConfig::default()).await {
                    Ok(service) => {
                        let service = Rc::new(service);
                        *self.service.borrow_mut() = Some(service.clone());
                        service
                    }
                    Err(err) => {
                        tracing::error!(?err, "the App could not be built for an upgrade request");
                        return Response::with_body(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            BoxBody::new(()),
                        );
                    }
                },
            };
            match service.call(req).await {
                Ok(res) => res.into().map_into_boxed_body(),
                Err(err) => Response::from(err.into()),
            }
        })
    }
}

/// Serves an upgrade request with the application; a `101` answer is bridged (see the module
/// documentation), any other is written and the connection closed.
pub(crate) async fn serve(
    app: Rc<dyn AppFallback>,
    req: Request,
    mut framed: Framed<TcpStream, h1::Codec>,
) {
    let (mut sender, payload) = h1::Payload::create(false);
    let (req, _) = req.replace_payload(Payload::from(payload));
    let res = app.respond(req).await;
    if res.status() != StatusCode::SWITCHING_PROTOCOLS {
        crate::taken::refuse(&mut framed, res).await;
        return;
    }
    let (res, mut body) = res.into_parts();
    if framed
        .send(h1::Message::Item((res.drop_body(), BodySize::None)))
        .await
        .is_err()
    {
        return;
    }
    let FramedParts {
        mut io, read_buf, ..
    } = framed.into_parts();
    if !read_buf.is_empty() {
        sender.feed_data(read_buf.freeze());
    }
    let mut read = BytesMut::new();
    let mut reading = true;
    loop {
        if read.capacity() < 1024 {
            read.reserve(4096);
        }
        tokio::select! {
            chunk = std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)) => match chunk {
                Some(Ok(bytes)) => {
                    if io.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                // The application ended the connection.
                Some(Err(_)) | None => break,
            },
            n = io.read_buf(&mut read), if reading => match n {
                Ok(0) | Err(_) => {
                    // The client is gone: the application sees its payload end, and ends.
                    sender.feed_eof();
                    reading = false;
                }
                Ok(_) => sender.feed_data(read.split().freeze()),
            },
        }
    }
    let _ = io.shutdown().await;
}
