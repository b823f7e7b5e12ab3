//! Long-polling requests that race each other or the heartbeat, over real HTTP: a close packet
//! and a long-poll sent at the same moment, and pongs that come late for reasons Node's
//! `engine.io` forgives (other packets first, an upgrade in between).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fast, next_frame, send_text};
use sio_core::engine::{DisconnectReason, Sid};
use tokio::time::{Instant, sleep, sleep_until};
use tokio_tungstenite::tungstenite::Message as WsMessage;

const UNKNOWN_SID: &str = r#"{"code":1,"message":"Session ID unknown"}"#;

/// A client sends a long-poll and its close packet at the same moment: the poll is answered
/// `200 6` whichever request the server handles first (Node: a close with a pending poll
/// releases it with a noop), and the session is gone for good soon after.
#[actix_web::test]
async fn a_close_racing_a_poll_always_releases_it_with_a_noop() {
    let server = TestServer::start().await;
    for round in 0..100 {
        let sid = server.open_polling().await;
        let (poll, close) = match round % 3 {
            // The close packet handled first: the poll comes after its answer.
            0 => {
                let close = server.send(&sid, "1").await;
                (server.poll(&sid).await, close)
            }
            // The poll pending first.
            1 => {
                let poll = server.poll(&sid);
                let close = async {
                    sleep(Duration::from_millis(20)).await;
                    server.send(&sid, "1").await
                };
                tokio::join!(poll, close)
            }
            // Both at once, on two connections.
            _ => tokio::join!(server.poll(&sid), server.send(&sid, "1")),
        };
        assert_eq!(close, (200, "ok".to_owned()), "round {round}: the close");
        assert_eq!(
            poll,
            (200, "6".to_owned()),
            "round {round}: the racing poll"
        );
        assert_eq!(
            server.recorder().disconnect_of(&sid).await,
            DisconnectReason::TransportClose
        );
    }
    // After a moment, the closed session's id is unknown, as in Node.
    let sid = server.open_polling().await;
    assert_eq!(server.send(&sid, "1").await, (200, "ok".to_owned()));
    sleep(Duration::from_millis(150)).await;
    assert_eq!(server.poll(&sid).await, (400, UNKNOWN_SID.to_owned()));
    assert!(server.engine.is_empty());
    server.stop().await;
}

/// Only a long-poll gets the noop: a POST after the close is refused at once.
#[actix_web::test]
async fn a_post_after_the_close_is_refused() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    assert_eq!(server.send(&sid, "1").await, (200, "ok".to_owned()));
    assert_eq!(
        server.send(&sid, "4late").await,
        (400, UNKNOWN_SID.to_owned())
    );
    assert_eq!(server.poll(&sid).await, (200, "6".to_owned()));
    assert_eq!(server.poll(&sid).await, (400, UNKNOWN_SID.to_owned()));
    server.stop().await;
}

/// Waits for the server's ping on a long-poll and returns when it arrived.
async fn await_ping(server: &TestServer, sid: &str) -> Instant {
    assert_eq!(server.poll(sid).await, (200, "2".to_owned()));
    Instant::now()
}

/// A packet other than the pong, arriving while the pong is awaited, gives the client a new
/// `ping_timeout` once (Node's engine.io 6.6: a polling client's pong waits behind the `POST`
/// it has in flight).
#[actix_web::test]
async fn another_packet_while_a_pong_is_awaited_extends_the_deadline_once() {
    let server = TestServer::with(|b| fast(b).ping_timeout(Duration::from_millis(400))).await;
    let sid = server.open_polling().await;
    // Ping at ~300 ms; the pong is due 400 ms after it.
    let ping = await_ping(&server, &sid).await;
    sleep_until(ping + Duration::from_millis(250)).await;
    assert_eq!(server.send(&sid, "4busy").await, (200, "ok".to_owned()));
    // Past the first deadline (400 ms), within the new one (~650 ms).
    sleep_until(ping + Duration::from_millis(520)).await;
    assert_eq!(server.send(&sid, "3").await, (200, "ok".to_owned()));
    assert!(server.engine.socket(Sid::parse(&sid).unwrap()).is_some());
    assert_eq!(server.poll(&sid).await, (200, "4busy".to_owned()));

    // Only once per ping: a second packet does not push the deadline again.
    let ping = await_ping(&server, &sid).await;
    sleep_until(ping + Duration::from_millis(100)).await;
    assert_eq!(server.send(&sid, "4one").await, (200, "ok".to_owned()));
    sleep_until(ping + Duration::from_millis(350)).await;
    assert_eq!(server.send(&sid, "4two").await, (200, "ok".to_owned()));
    // The deadline is ~500 ms after the ping (100 + 400), not 750 (350 + 400).
    sleep_until(ping + Duration::from_millis(620)).await;
    assert!(
        Sid::parse(&sid)
            .and_then(|s| server.engine.socket(s))
            .is_none()
    );
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::PingTimeout
    );
    server.stop().await;
}

/// A ping sent over polling while the client upgrades is answered on the WebSocket once the
/// upgrade is done (the client holds its packets back meanwhile): the upgrade gives the pong a
/// new `ping_timeout` (Node drops the ping timeout on upgrade altogether).
#[actix_web::test]
async fn an_upgrade_gives_an_awaited_pong_a_new_deadline() {
    let server = TestServer::with(|b| fast(b).ping_timeout(Duration::from_millis(400))).await;
    let sid = server.open_polling().await;
    let ping = await_ping(&server, &sid).await;
    let mut ws = server
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(
        next_frame(&mut ws).await,
        Some(WsMessage::text("3probe".to_owned()))
    );
    // A long-poll during the probe is released with a noop.
    assert_eq!(server.poll(&sid).await, (200, "6".to_owned()));
    sleep_until(ping + Duration::from_millis(300)).await;
    send_text(&mut ws, "5").await;
    // Past the ping's deadline (400 ms), within the upgrade's (~700 ms).
    sleep_until(ping + Duration::from_millis(550)).await;
    send_text(&mut ws, "3").await;
    sleep(Duration::from_millis(250)).await;
    assert!(
        server.engine.socket(Sid::parse(&sid).unwrap()).is_some(),
        "the session ended: {:?}",
        server.recorder().events()
    );
    server.stop().await;
}

/// Closed by the server, a polling session waits for its last long-poll; a `POST` meanwhile is
/// read and its packets ignored (`200 ok`), as Node answers it, not refused as unknown.
#[actix_web::test]
async fn a_post_while_the_close_packet_waits_is_read_and_ignored() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    server.engine.sockets().pop().unwrap().close();
    assert_eq!(server.send(&sid, "4ignored").await, (200, "ok".to_owned()));
    assert_eq!(server.poll(&sid).await, (200, "6\x1e1".to_owned()));
    assert_eq!(
        server.send(&sid, "4late").await,
        (400, UNKNOWN_SID.to_owned())
    );
    assert!(server.recorder().messages_of(&sid).is_empty());
    server.stop().await;
}
