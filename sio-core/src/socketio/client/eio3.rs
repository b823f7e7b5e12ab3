//! Old clients in the Socket.IO layer: an Engine.IO v3 session speaks Socket.IO protocol v4
//! (`socket.io-client` 2.x), served as socket.io 4.8 serves it with `allowEIO3`:
//!
//! - the server connects the client to `/` as soon as the engine session opens, with no
//!   CONNECT from the client, after `/`'s middlewares ([`on_open`]);
//! - a CONNECT carries its query in the namespace (`0/admin?token=1234,`): the query becomes
//!   the auth payload (`{"token":"1234"}`), and the namespace is `/admin` ([`incoming`]);
//! - the CONNECT reply has no payload (`0/admin,`), and a middleware's refusal is
//!   `4/admin,"Not authorized"`: the error's data when it has some, else its message
//!   ([`outgoing_connect`]). An unknown namespace is refused as for current clients
//!   (`{"message":"Invalid namespace"}`), as socket.io 4.8 does;
//! - the client names its socket `/admin#<engine id>` (the engine id alone on `/`), which
//!   socket.io 4.8 also takes as the server-side id. Here the server-side id stays a random
//!   [`Sid`](crate::engine::Sid), and the socket joins a room named after the client's id, so
//!   that `to(id)` with an id such a client reports reaches it ([`join_alias`]).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::super::packet::{Packet, PacketKind};
use super::super::server::ServerInner;
use super::super::socket::SocketRef;
use super::{EngineSocket, connect};
use crate::engine::ProtocolVersion;

/// Whether the connection is an old client's (Engine.IO v3, Socket.IO protocol v4).
pub(crate) fn is_old(conn: &EngineSocket) -> bool {
    conn.protocol() == ProtocolVersion::V3
}

/// The engine session opened: an old client is connected to `/` at once (its middlewares
/// run; a refusal is sent as `4"message"`).
pub(crate) fn on_open(server: &Arc<ServerInner>, conn: &Arc<EngineSocket>) {
    if is_old(conn) {
        connect(server, conn, Packet::connect("/", None));
    }
}

/// A packet from the client: for an old client, the query in its namespace is removed, and
/// on a CONNECT it becomes the auth payload (`{}` without one; any payload is ignored, as
/// protocol v4 has none).
pub(crate) fn incoming(conn: &EngineSocket, mut packet: Packet) -> Packet {
    if !is_old(conn) {
        return packet;
    }
    let query = match packet.nsp.split_once('?') {
        Some((path, query)) => {
            let auth = parse_query(query);
            packet.nsp = path.to_owned();
            auth
        }
        None => Value::Object(Map::new()),
    };
    if packet.kind == PacketKind::Connect {
        packet.data = Some(query);
    }
    packet
}

/// Rewrites the server's answer to a CONNECT for an old client: the CONNECT reply loses its
/// payload (`0/admin,`), and a CONNECT_ERROR `{"message", "data"?}` becomes its data when that
/// is set (and not `null`, `false`, `0` or `""`: JavaScript's `err.data || err.message`),
/// else its message as a JSON string (`4/admin,"Not authorized"`). Other packets, and every
/// packet to a current client, are returned as they are.
pub(crate) fn outgoing_connect(conn: &EngineSocket, packet: Packet) -> Packet {
    if is_old(conn) {
        to_v4_connect(packet)
    } else {
        packet
    }
}

fn to_v4_connect(mut packet: Packet) -> Packet {
    match packet.kind {
        PacketKind::Connect => packet.data = None,
        PacketKind::ConnectError => {
            let data = match packet.data.take() {
                Some(Value::Object(mut error)) => match error.remove("data") {
                    Some(data) if truthy(&data) => data,
                    _ => error.remove("message").unwrap_or(Value::Null),
                },
                other => other.unwrap_or(Value::Null),
            };
            packet.data = Some(data);
        }
        _ => {}
    }
    packet
}

/// JavaScript's truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The socket joined its namespace: an old client's socket also joins the room named after
/// the id the client gives it (`/admin#<engine id>`, or the engine id on `/`).
pub(crate) fn join_alias(socket: &SocketRef) {
    let conn = socket.engine();
    if !is_old(conn) {
        return;
    }
    let id = if socket.ns() == "/" {
        conn.id().as_str().to_owned()
    } else {
        format!("{}#{}", socket.ns(), conn.id())
    };
    socket.join(id);
}

/// Parses a query string as Node's `querystring` does: percent-decoded, `+` as a space,
/// string values, a repeated key as an array of its values.
fn parse_query(query: &str) -> Value {
    let mut out = Map::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = Value::String(value.into_owned());
        match out.get_mut(key.as_ref()) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => {
                let first = first.take();
                out.insert(key.into_owned(), Value::Array(vec![first, value]));
            }
            None => {
                out.insert(key.into_owned(), value);
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn query_in_the_namespace() {
        assert_eq!(parse_query("token=1234"), json!({ "token": "1234" }));
        assert_eq!(
            parse_query("a=1&b=x%20y+z&a=2&a=3&c"),
            json!({ "a": ["1", "2", "3"], "b": "x y z", "c": "" })
        );
        assert_eq!(parse_query(""), json!({}));
    }

    #[test]
    fn connect_reply_and_errors_in_v4_form() {
        let reply = to_v4_connect(Packet::connect("/admin", Some(json!({ "sid": "x" }))));
        assert_eq!(reply, Packet::connect("/admin", None));
        let refusal = to_v4_connect(Packet::connect_error("/admin", "Not authorized", None));
        assert_eq!(refusal.data, Some(json!("Not authorized")));
        let with_data = to_v4_connect(Packet::connect_error(
            "/admin",
            "Not authorized",
            Some(json!({ "reason": "no token" })),
        ));
        assert_eq!(with_data.data, Some(json!({ "reason": "no token" })));
        for falsy in [json!(null), json!(false), json!(0), json!("")] {
            let p = to_v4_connect(Packet::connect_error("/", "no", Some(falsy)));
            assert_eq!(p.data, Some(json!("no")));
        }
        let event = Packet::event("/", "x", vec![json!(1)]);
        assert_eq!(to_v4_connect(event.clone()), event);
    }

    #[test]
    fn v4_forms_on_the_wire() {
        use super::super::super::parser::{Frame, JsonParser, Parser};
        let encode = |p: &Packet| JsonParser::new().encode(p);
        assert_eq!(
            encode(&to_v4_connect(Packet::connect(
                "/admin",
                Some(json!({ "sid": "x" }))
            ))),
            vec![Frame::from("0/admin,")]
        );
        assert_eq!(
            encode(&to_v4_connect(Packet::connect(
                "/",
                Some(json!({ "sid": "x" }))
            ))),
            vec![Frame::from("0")]
        );
        assert_eq!(
            encode(&to_v4_connect(Packet::connect_error(
                "/admin",
                "Not authorized",
                None
            ))),
            vec![Frame::from(r#"4/admin,"Not authorized""#)]
        );
        assert_eq!(
            encode(&to_v4_connect(Packet::connect_error("/", "refused", None))),
            vec![Frame::from(r#"4"refused""#)]
        );
    }
}
