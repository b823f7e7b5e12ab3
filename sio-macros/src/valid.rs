//! Checks a parsed namespace; every mistake is reported once, on its token.

use std::collections::HashMap;

use crate::ast::{Handler, Namespace, Receiver};
use crate::attr::Role;
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &mut Ctxt, ns: &Namespace) {
    let mut events: HashMap<String, &Handler> = HashMap::new();
    let mut server_events: HashMap<String, &Handler> = HashMap::new();
    let mut singles: HashMap<&'static str, &Handler> = HashMap::new();
    for h in &ns.handlers {
        check_handler(cx, h);
        match &h.role {
            Role::Event(name) => once(cx, &mut events, name, h, "handlers for event"),
            Role::ServerSide(name) => once(
                cx,
                &mut server_events,
                name,
                h,
                "listeners for server-side event",
            ),
            Role::Middleware | Role::UseEvent => {}
            role => {
                if let Some(first) = singles.insert(role.name(), h) {
                    cx.error_spanned_by(
                        &h.role_attr,
                        format!(
                            "a namespace has at most one `#[{}]`; `{}` already is",
                            role.name(),
                            first.ident
                        ),
                    );
                }
            }
        }
    }
}

/// Notes `h` as the method of the event `name`, reporting a second one ("two `what` \"name\"").
fn once<'a>(
    cx: &mut Ctxt,
    seen: &mut HashMap<String, &'a Handler>,
    name: &syn::LitStr,
    h: &'a Handler,
    what: &str,
) {
    if let Some(first) = seen.insert(name.value(), h) {
        cx.error_spanned_by(
            name,
            format!(
                "two {what} \"{}\": `{}` and `{}`; keep one",
                name.value(),
                first.ident,
                h.ident
            ),
        );
    }
}

fn check_handler(cx: &mut Ctxt, h: &Handler) {
    if matches!(h.role, Role::Outgoing) {
        if h.is_async {
            cx.error_spanned_by(
                &h.ident,
                "`#[on_any_outgoing]` runs synchronously on every emit: write `fn name(&self, socket: &SocketRef, event: &str, args: &[serde_json::Value])`, not `async fn`",
            );
        }
        if !matches!(h.receiver, Receiver::Ref) {
            cx.error_spanned_by(&h.ident, "handlers take `&self` as their first parameter");
        }
        return;
    }
    if !h.is_async {
        cx.error_spanned_by(
            h.fn_token,
            format!("handlers are async: write `async fn {}`", h.ident),
        );
    }
    match &h.receiver {
        Receiver::Ref => {}
        Receiver::Other(tokens) => cx.error_spanned_by(
            tokens,
            "handlers take `&self`: one namespace value is shared by all its sockets (keep mutable state behind a lock, or per socket in an `Extension`)",
        ),
        Receiver::None => cx.error_spanned_by(
            &h.ident,
            "handlers take `&self` as their first parameter",
        ),
    }
    let mut data = h.params.iter().filter_map(|p| p.data.as_ref());
    if let Some(_first) = data.next() {
        for extra in data {
            cx.error_spanned_by(
                extra,
                "only one parameter can be `#[data]`: take several arguments as a tuple, `#[data] (a, b): (A, B)`",
            );
        }
    }
    for p in &h.params {
        if let (Some(attr), Some(name)) = (&p.data, extractor_name(&p.ty)) {
            let why = match name.as_str() {
                "Data" | "TryData" | "RawData" => "it reads the payload itself",
                _ => "`#[data]` marks the payload, deserialized into a type of yours",
            };
            cx.error_spanned_by(
                attr,
                format!("`{name}` is an extractor: drop `#[data]` ({why})"),
            );
        }
    }
    if matches!(h.role, Role::ServerSide(_)) {
        check_server_side_params(cx, h);
    }
    if matches!(h.role, Role::Middleware | Role::UseEvent) && h.output.is_none() {
        cx.error_spanned_by(
            &h.ident,
            "a middleware returns `Result<(), E>` with `E: Into<ConnectError>`",
        );
    }
}

/// A server-side emit comes from another server: refuses the extractors that read a socket.
fn check_server_side_params(cx: &mut Ctxt, h: &Handler) {
    for p in h.params.iter().filter(|p| p.data.is_none()) {
        let Some(name) = extractor_name(&p.ty) else {
            continue;
        };
        let message = match name.as_str() {
            "SocketRef" => "a server-side listener has no socket: the emit comes from another server (take `SocketIo` to reach this server's sockets)".to_owned(),
            "Extension" => "`Extension<T>` reads a socket's extensions, and a server-side listener has no socket: take `State<T>` for what the server shares".to_owned(),
            "Handshake" | "DisconnectReason" => format!(
                "`{name}` belongs to a socket, and a server-side listener has no socket: the emit comes from another server"
            ),
            "AckSender" => "a server-side listener answers with its return value (`Ack<T>`, or `()` for `null`), not with an `AckSender`".to_owned(),
            _ => continue,
        };
        cx.error_spanned_by(&p.ty, message);
    }
}

/// sio's own extractors, which take no `#[data]`: the name of the one `ty` names, if any.
///
/// The check is by name, so it is kept to names that are sio's without doubt: the path is the
/// bare name or goes through `sio_core`, the generic extractors have their `<T>`, and `Event`
/// (a likely name for a payload type of one's own) is left out.
fn extractor_name(ty: &syn::Type) -> Option<String> {
    const PLAIN: &[&str] = &[
        "SocketRef",
        "RawData",
        "SocketIo",
        "Handshake",
        "DisconnectReason",
    ];
    const GENERIC: &[&str] = &["Data", "TryData", "AckSender", "Extension", "State"];
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segments = &path.path.segments;
    let ours = segments.len() == 1 || segments.first().is_some_and(|s| s.ident == "sio_core");
    let last = segments.last()?;
    let name = last.ident.to_string();
    let generic = matches!(last.arguments, syn::PathArguments::AngleBracketed(_));
    let known = if generic {
        GENERIC.contains(&name.as_str())
    } else {
        PLAIN.contains(&name.as_str())
    };
    (ours && known).then_some(name)
}
