//! The procedural macros of sio: `#[namespace]` on an `impl` block, the method attributes it
//! reads (`#[on]`, `#[on_server_side]`, `#[on_connect]`, `#[on_disconnect]`, `#[on_disconnecting]`, `#[on_any]`,
//! `#[middleware]`, `#[use_event]`, `#[on_error]`, `#[on_any_outgoing]`, and `#[data]` on a
//! parameter), and `#[derive(Room)]` with its `#[room("…")]` attribute.
//!
//! Use them through `sio_core` (`sio_core::prelude::*`); this crate is an implementation
//! detail whose version is pinned by `sio-core`.
//!
//! The work is split as serde_derive does it: `ast` parses, `valid` checks and collects
//! every error, `expand` writes the code (or a fallback that keeps one mistake from causing a
//! cascade of others).

use proc_macro::TokenStream;

mod ast;
mod attr;
mod ctxt;
mod expand;
mod room;
mod valid;

/// Turns an `impl` block into a Socket.IO namespace. See `sio_core`'s documentation.
#[proc_macro_attribute]
pub fn namespace(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::namespace(args.into(), input.into()).into()
}

fn outside(name: &str, input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    let message = format!(
        "`#[{name}]` only works on a method of an `impl` block marked `#[namespace(\"/path\")]`"
    );
    let err = syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error();
    quote::quote!(#err #input).into()
}

/// Marks an event handler inside a `#[namespace]` impl: `#[on("event")]`.
#[proc_macro_attribute]
pub fn on(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on", input)
}

/// Marks a listener of server-side emits inside a `#[namespace]` impl:
/// `#[on_server_side("ping")]`. It is Node's `io.of(nsp).on("ping", (arg, callback) => …)`:
/// it runs when another server of the cluster calls `serverSideEmit("ping", arg)` on this
/// namespace and the adapter hands the emit in.
///
/// ```text
/// #[on_server_side("ping")]
/// async fn ping(&self, io: SocketIo, #[data] arg: Ping) -> Ack<String> { … }
/// ```
///
/// - Parameters are extractors that need no socket, since the emit comes from another server:
///   `SocketIo`, `State<T>`, `Event`, `Data<T>` (or `#[data] x: T`), `TryData<T>`, `RawData`,
///   or a type of yours implementing `FromServerSideEmit`. `SocketRef`, `Extension<T>`,
///   `Handshake`, `DisconnectReason` and `AckSender<T>` are refused at compile time.
/// - The return value is the answer, the one value of Node's callback, when the sender waits
///   for answers (`serverSideEmitWithAck`): `()` answers `null`, `Ack<T>` answers `T` (a tuple as
///   an array), `Result<R, E>` answers `R` or `{"error": "<E as Display>"}`. A payload that does
///   not deserialize answers `{"error": …}` too.
/// - One listener per event; events without one are logged at debug level and not answered, as
///   on a Node server without a listener. Listeners added at run time
///   (`NamespaceRef::on_server_side`) take precedence for their event.
#[proc_macro_attribute]
pub fn on_server_side(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on_server_side", input)
}

/// Marks the connect hook inside a `#[namespace]` impl.
#[proc_macro_attribute]
pub fn on_connect(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on_connect", input)
}

/// Marks the disconnect hook inside a `#[namespace]` impl.
#[proc_macro_attribute]
pub fn on_disconnect(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on_disconnect", input)
}

/// Marks the disconnecting hook (rooms still joined) inside a `#[namespace]` impl.
#[proc_macro_attribute]
pub fn on_disconnecting(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on_disconnecting", input)
}

/// Marks the catch-all event handler inside a `#[namespace]` impl.
#[proc_macro_attribute]
pub fn on_any(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on_any", input)
}

/// Marks a connect middleware inside a `#[namespace]` impl.
#[proc_macro_attribute]
pub fn middleware(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("middleware", input)
}

/// Marks a per-event middleware inside a `#[namespace]` impl (Node's `socket.use`).
#[proc_macro_attribute]
pub fn use_event(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("use_event", input)
}

/// Marks the hook told of events refused by an event middleware inside a `#[namespace]` impl.
#[proc_macro_attribute]
pub fn on_error(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on_error", input)
}

/// Marks the synchronous listener of every outgoing event inside a `#[namespace]` impl.
#[proc_macro_attribute]
pub fn on_any_outgoing(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("on_any_outgoing", input)
}

/// Derives room conversions: `#[room("room:{0}")]` formats the room name from the fields.
#[proc_macro_derive(Room, attributes(room))]
pub fn derive_room(input: TokenStream) -> TokenStream {
    room::derive(input.into()).into()
}
