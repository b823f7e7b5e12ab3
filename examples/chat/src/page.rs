//! The browser page: `/` (HTML), `/chat.js` (the page's script) and `/socket.io.min.js` (the
//! official `socket.io-client` browser bundle, read from disk at startup).

use std::path::{Path, PathBuf};

use actix_web::http::header::{CACHE_CONTROL, ContentType};
use actix_web::{HttpResponse, web};

const INDEX_HTML: &str = include_str!("../static/index.html");
const CHAT_JS: &str = include_str!("../static/chat.js");

/// Where `npm ci` in `examples/chat/static` puts the bundle.
const DEFAULT_BUNDLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/static/node_modules/socket.io-client/dist/socket.io.min.js"
);

/// What to say when the bundle is missing.
const INSTALL_HINT: &str = "the socket.io-client browser bundle is not installed: run \
     `npm ci` in examples/chat/static (or set CHAT_CLIENT_BUNDLE to a socket.io.min.js), \
     then restart the server";

/// The client bundle, if it could be read.
#[derive(Clone)]
pub(crate) struct Bundle(Option<web::Bytes>);

impl Bundle {
    /// Reads the bundle from `$CHAT_CLIENT_BUNDLE`, else from `static/node_modules`; warns
    /// (with the command that installs it) when it is missing. The server runs either way.
    pub(crate) fn load() -> Bundle {
        let path = std::env::var_os("CHAT_CLIENT_BUNDLE")
            .map_or_else(|| PathBuf::from(DEFAULT_BUNDLE), PathBuf::from);
        Bundle(read(&path))
    }
}

fn read(path: &Path) -> Option<web::Bytes> {
    match std::fs::read(path) {
        Ok(bytes) => {
            tracing::info!(path = %path.display(), "serving the socket.io-client bundle");
            Some(bytes.into())
        }
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "{INSTALL_HINT}");
            None
        }
    }
}

/// Mounts the page's routes.
pub(crate) fn routes(bundle: Bundle) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(bundle))
            .route("/", web::get().to(index))
            .route("/chat.js", web::get().to(script))
            .route("/socket.io.min.js", web::get().to(client_bundle));
    }
}

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(INDEX_HTML)
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(CHAT_JS)
}

async fn client_bundle(bundle: web::Data<Bundle>) -> HttpResponse {
    match &bundle.0 {
        Some(bytes) => HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .insert_header((CACHE_CONTROL, "public, max-age=3600"))
            .body(bytes.clone()),
        None => HttpResponse::NotFound()
            .content_type(ContentType::plaintext())
            .body(INSTALL_HINT),
    }
}
