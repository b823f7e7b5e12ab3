//! Handlers tested in-process: `TestClient` talks to the server with no network, and a
//! handler is also an ordinary method.

use serde_json::json;
use sio_core::socketio::testing::TestClient;
use {{crate_name}}::{Greeting, Main};

#[tokio::test]
async fn hello_acks_with_a_greeting() {
    let io = {{crate_name}}::server().expect("the server builds");
    let mut client = TestClient::open(&io).await.expect("a session opens");
    client.connect("/", json!({})).await.expect("joins /");

    let reply = client
        .emit_with_ack("/", "hello", vec![json!("ana")])
        .await
        .expect("an ack");
    assert_eq!(reply, vec![json!({ "message": "Hello, ana!" })]);

    // A payload of the wrong shape gets an error ack.
    let reply = client
        .emit_with_ack("/", "hello", vec![json!(42)])
        .await
        .expect("an ack");
    assert!(reply[0]["error"].is_string(), "{reply:?}");
}

#[tokio::test]
async fn handlers_are_ordinary_methods() {
    let greeting = Main.hello("bob".to_owned()).await;
    let expected = Greeting {
        message: "Hello, bob!".to_owned(),
    };
    assert_eq!(greeting.0, expected);
}
