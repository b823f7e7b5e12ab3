//! Serves {{project-name}} on `127.0.0.1:$PORT` (default 3000): Socket.IO at `/socket.io/`,
//! next to the app's own routes (a page at `/` that talks to the `hello` handler).

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(std::io::Error::other)?,
        Err(_) => 3000,
    };
    let io = {{crate_name}}::server().map_err(std::io::Error::other)?;

    tracing::info!("listening: open http://127.0.0.1:{port}/ in a browser");
    HttpServer::new(move || {
        App::new()
            .configure(sio_actix::configure(io.clone()))
            .route("/", web::get().to(index))
    })
    // Notice at once when a client abandons its long-poll.
    .h1_allow_half_closed(false)
    // Small packets leave at once: Nagle's algorithm off, as in Node.
    .tcp_nodelay(true)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}

/// The app's own routes sit next to Socket.IO: here, a page that connects with the official
/// browser client and calls `hello`.
async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("../static/index.html"))
}
