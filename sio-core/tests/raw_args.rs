//! Event arguments kept as the JSON text the client sent (`Args`): relayed byte for byte when
//! the text is what Node's `JSON.stringify` would write, parsed into values otherwise, and
//! still read as values and types by handlers.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use sio_core::socketio::testing::TestClient;
use sio_core::socketio::{AckReply, Data, Handlers, RawData, SocketIo, SocketRef};

fn server() -> SocketIo {
    SocketIo::builder()
        .ns(
            "/",
            Handlers::new()
                .on("echo-ack", |raw: RawData| async move {
                    AckReply::Args(raw.args, raw.attachments)
                })
                .on("echo", |socket: SocketRef, raw: RawData| async move {
                    let _ = socket.emit_args("echo", raw.args, raw.attachments);
                })
                .on("broadcast", |io: SocketIo, raw: RawData| async move {
                    if let Some(nsp) = io.of("/") {
                        let _ = nsp
                            .broadcast()
                            .emit_args("broadcast", raw.args, raw.attachments);
                    }
                })
                .on("touch", |socket: SocketRef, mut raw: RawData| async move {
                    raw.args.push(json!("added"));
                    let _ = socket.emit_args("touched", raw.args, raw.attachments);
                })
                .on("read", |raw: RawData| async move {
                    let first = raw.args.first().cloned().unwrap_or(Value::Null);
                    AckReply::Args(vec![first, json!(raw.args.len())].into(), Vec::new())
                })
                .on("typed", |Data((n, s)): Data<(i64, String)>| async move {
                    AckReply::Args(vec![json!(n + 1), json!(s + "!")].into(), Vec::new())
                })
                .on("lone", |Data((s,)): Data<(String,)>| async move {
                    AckReply::Args(vec![json!(s)].into(), Vec::new())
                })
                .on("one", |Data(v): Data<Option<u32>>| async move {
                    AckReply::Args(vec![json!(v)].into(), Vec::new())
                }),
        )
        .build()
        .unwrap()
}

async fn client() -> TestClient {
    let mut c = TestClient::open(&server()).await.unwrap();
    c.connect("/", json!({})).await.unwrap();
    c
}

/// Sends `sent` (a Socket.IO packet's text) and returns the text of the server's answer.
async fn answer(sent: &str) -> String {
    let mut c = client().await;
    c.send_raw(&format!("4{sent}"));
    tokio::time::timeout(Duration::from_secs(5), c.recv_text())
        .await
        .expect("an answer")
        .expect("the connection stays open")
}

#[tokio::test]
async fn relays_are_byte_for_byte() {
    let args = r#"[1,-2.5,0.000001,"a\"\\\n\tb","é😀",{"z":1,"a":[null,true,{"y":{},"x":[]}]},[],123456789012345]"#;
    let inner = &args[1..args.len() - 1];
    assert_eq!(
        answer(&format!(r#"27["echo-ack",{inner}]"#)).await,
        format!("37{args}")
    );
    assert_eq!(
        answer(&format!(r#"2["echo",{inner}]"#)).await,
        format!(r#"2["echo",{inner}]"#)
    );
    assert_eq!(
        answer(&format!(r#"2["broadcast",{inner}]"#)).await,
        format!(r#"2["broadcast",{inner}]"#)
    );
    assert_eq!(answer(r#"29["echo-ack"]"#).await, "39[]");
    assert_eq!(answer(r#"2["echo"]"#).await, r#"2["echo"]"#);
}

/// Text that `JSON.stringify` would write differently goes through values, as before: these
/// answers are what serde_json writes, as before. Node writes `1` for `1.0`, `1000` for
/// `1e3` and `0` for `-0`: differences that predate raw arguments.
#[tokio::test]
async fn other_text_is_parsed_and_written_again() {
    for (sent, expected) in [
        (r#"21["echo-ack", 1 ,{ "b" : 2 }]"#, r#"31[1,{"b":2}]"#),
        (r#"21["echo-ack","\u00e9\/"]"#, r#"31["é/"]"#),
        (r#"21["echo-ack",1.0,1.50]"#, r#"31[1.0,1.5]"#),
        (r#"21["echo-ack",1e3,-0]"#, r#"31[1000.0,-0.0]"#),
        (
            r#"21["echo-ack",12345678901234567]"#,
            r#"31[12345678901234567]"#,
        ),
        (r#"21["echo-ack",0.0000001]"#, r#"31[1e-7]"#),
    ] {
        assert_eq!(answer(sent).await, expected, "{sent}");
    }
}

#[tokio::test]
async fn handlers_read_raw_arguments_as_values_and_types() {
    assert_eq!(
        answer(r#"21["read",{"k":[1]},2]"#).await,
        r#"31[{"k":[1]},2]"#
    );
    assert_eq!(
        answer(r#"21["touch",1,"x"]"#).await,
        r#"2["touched",1,"x","added"]"#
    );
    assert_eq!(answer(r#"21["typed",41,"hi"]"#).await, r#"31[42,"hi!"]"#);
    assert_eq!(answer(r#"21["lone","alone"]"#).await, r#"31["alone"]"#);
    assert_eq!(answer(r#"21["one",7]"#).await, r#"31[7]"#);
    assert_eq!(answer(r#"21["one"]"#).await, r#"31[null]"#);
    let refused = answer(r#"21["typed","x","y"]"#).await;
    assert!(refused.starts_with(r#"31[{"error":"#), "{refused}");
}

#[tokio::test]
async fn bad_json_still_closes_the_connection() {
    for bad in [
        r#"2["echo",1,]"#,
        r#"2["echo",tru]"#,
        r#"2["echo",{"a"}]"#,
        r#"2["echo",1]x"#,
        r#"2["echo",01]"#,
        r#"2["echo","\x"]"#,
        r#"2["connect",1]"#,
        r#"2[{"a":1},1]"#,
        r#"2[]"#,
        "2[\"echo\",\"\u{1}\"]",
        r#"299999999999999999999["echo"]"#,
    ] {
        let mut c = client().await;
        c.send_raw(&format!("4{bad}"));
        assert!(c.closed_within(Duration::from_secs(5)).await, "{bad}");
    }
}
