//! The session's transitions, one at a time, without a transport or a clock.

use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::Instant;

use super::*;

const PING_TIMEOUT: Duration = Duration::from_secs(20);
const MAX_QUEUED: usize = 4;

fn text(s: &'static str) -> Frame {
    Frame::Text(s.into())
}

fn polling() -> State {
    State::new(TransportType::Polling, Instant::now(), None)
}

/// A polling session whose upgrade probe has succeeded.
fn probed() -> State {
    let mut st = polling();
    assert!(st.begin_probe());
    assert!(st.probe());
    st
}

fn websocket() -> State {
    State::new(TransportType::Websocket, Instant::now(), None)
}

/// Queues frames, which must be accepted.
fn queue(st: &mut State, frames: &[&'static str]) {
    let frames = frames.iter().map(|f| text(f)).collect::<Vec<_>>();
    st.queue(frames, MAX_QUEUED).expect("queued").wake();
}

/// One step of a long-poll, its body as the frames it took.
fn step(st: &mut State, poll: &mut LongPoll, now: Instant) -> PollStep<Vec<Frame>> {
    st.poll_step(poll, now, |frames| frames.collect())
}

fn body(frames: &[&'static str], ended: bool) -> PollStep<Vec<Frame>> {
    PollStep::Body {
        body: frames.iter().map(|f| text(f)).collect(),
        ended,
    }
}

fn cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

#[test]
fn queueing_fails_once_closed_or_full() {
    let mut st = websocket();
    queue(&mut st, &["4a", "4b", "4c", "4d"]);
    assert_eq!(st.queued(), 4);
    assert!(matches!(
        st.queue([text("4e")], MAX_QUEUED),
        Err(QueueError::Full)
    ));
    // Nothing queued does not make the queue full.
    assert!(st.queue([], MAX_QUEUED).is_ok());
    assert_eq!(st.close(DisconnectReason::TransportClose), Some(true));
    assert!(matches!(
        st.queue([text("4f")], MAX_QUEUED),
        Err(QueueError::Closed)
    ));
}

#[test]
fn a_long_poll_waits_then_takes_the_queue() {
    let mut st = polling();
    assert!(!st.is_writable());
    let mut poll = st.begin_poll().expect("first poll");
    assert!(st.is_writable());
    // A second long-poll while one is pending is refused.
    assert!(st.begin_poll().is_none());
    let now = Instant::now();
    assert_eq!(step(&mut st, &mut poll, now), PollStep::Wait(None));
    queue(&mut st, &["4a", "4b"]);
    assert!(!st.is_writable());
    assert_eq!(step(&mut st, &mut poll, now), body(&["4a", "4b"], false));
    assert_eq!(st.queued(), 0);
    // The poll is over: the next one may begin.
    assert!(st.begin_poll().is_some());
}

#[test]
fn a_long_poll_that_goes_away_frees_its_place() {
    let mut st = polling();
    assert!(st.begin_poll().is_some());
    st.end_poll();
    assert!(st.begin_poll().is_some());
}

#[test]
fn one_post_at_a_time() {
    let mut st = polling();
    assert!(st.begin_post());
    assert!(!st.begin_post());
    st.end_post();
    assert!(st.begin_post());
}

#[test]
fn a_graceful_close_over_polling_waits_for_the_last_long_poll() {
    let mut st = polling();
    assert_eq!(st.close(DisconnectReason::ForcedClose), Some(false));
    assert_eq!(st.ready(), ReadyState::Closing);
    assert_eq!(st.close(DisconnectReason::ForcedClose), None);
    let now = Instant::now();
    // The last long-poll is served; a WebSocket or the other method is not.
    assert_eq!(
        st.admits(TransportType::Polling, false, true, now),
        Some(TransportType::Polling)
    );
    assert_eq!(st.admits(TransportType::Websocket, true, true, now), None);
    assert_eq!(
        st.linger_deadline(now, PING_TIMEOUT),
        Some(now + PING_TIMEOUT)
    );
    let mut poll = st.begin_poll().expect("poll");
    // No long-poll was pending: a noop before the close packet.
    assert_eq!(step(&mut st, &mut poll, now), body(&["6", "1"], true));
    assert_eq!(st.ready(), ReadyState::Closed);
    assert_eq!(st.admits(TransportType::Polling, false, true, now), None);
}

#[test]
fn a_graceful_close_sends_the_queue_before_the_close_packet() {
    let mut st = polling();
    queue(&mut st, &["4a"]);
    assert_eq!(st.close(DisconnectReason::ForcedClose), Some(false));
    let now = Instant::now();
    let mut poll = st.begin_poll().expect("poll");
    assert_eq!(step(&mut st, &mut poll, now), body(&["4a"], false));
    let mut poll = st.begin_poll().expect("poll");
    assert_eq!(step(&mut st, &mut poll, now), body(&["6", "1"], true));
}

#[test]
fn a_graceful_close_releases_a_pending_long_poll_with_the_close_packet() {
    let mut st = polling();
    let mut poll = st.begin_poll().expect("poll");
    assert_eq!(st.close(DisconnectReason::ForcedClose), Some(false));
    assert_eq!(step(&mut st, &mut poll, Instant::now()), body(&["1"], true));
}

#[test]
fn a_graceful_close_over_websocket_ends_at_once_and_keeps_the_queue() {
    let mut st = websocket();
    queue(&mut st, &["4a"]);
    assert_eq!(st.close(DisconnectReason::ForcedClose), Some(true));
    assert_eq!(st.ready(), ReadyState::Closed);
    assert_eq!(
        st.poll_ws_frames(None, &cx()),
        Poll::Ready(Some(vec![text("4a")]))
    );
    assert_eq!(st.poll_ws_frames(None, &cx()), Poll::Ready(None));
    assert_eq!(st.poll_closed(&cx()), Poll::Ready(()));
}

#[test]
fn an_error_gives_a_pending_long_poll_the_queue_or_a_close_packet() {
    let now = Instant::now();
    // What was queued before the close goes out.
    let mut st = polling();
    let mut poll = st.begin_poll().expect("poll");
    queue(&mut st, &["4a"]);
    assert_eq!(st.close(DisconnectReason::PingTimeout), Some(true));
    assert_eq!(step(&mut st, &mut poll, now), body(&["4a"], true));
    // With nothing queued, a close packet.
    let mut st = polling();
    let mut poll = st.begin_poll().expect("poll");
    assert_eq!(st.close(DisconnectReason::PingTimeout), Some(true));
    assert_eq!(step(&mut st, &mut poll, now), body(&["1"], true));
}

#[test]
fn a_client_close_releases_a_pending_long_poll_with_a_noop() {
    let mut st = polling();
    let mut poll = st.begin_poll().expect("poll");
    let now = Instant::now();
    st.expect_racing_poll(now);
    assert_eq!(st.close(DisconnectReason::TransportClose), Some(true));
    assert_eq!(step(&mut st, &mut poll, now), body(&["6"], true));
}

#[test]
fn a_long_poll_racing_the_client_close_gets_a_noop_for_a_moment() {
    let mut st = polling();
    queue(&mut st, &["4a"]);
    let now = Instant::now();
    st.expect_racing_poll(now);
    assert_eq!(st.close(DisconnectReason::TransportClose), Some(false));
    assert_eq!(st.ready(), ReadyState::Closing);
    let until = now + CLOSED_POLL_GRACE;
    assert_eq!(st.linger_deadline(now, PING_TIMEOUT), Some(until));
    // Only a GET on the same transport, before the grace ends.
    assert!(
        st.admits(TransportType::Polling, false, true, now)
            .is_some()
    );
    assert!(
        st.admits(TransportType::Polling, false, false, now)
            .is_none()
    );
    assert!(
        st.admits(TransportType::Polling, false, true, until)
            .is_none()
    );
    let mut poll = st.begin_poll().expect("poll");
    assert_eq!(step(&mut st, &mut poll, now), body(&["6"], true));
}

#[test]
fn a_client_close_without_a_racing_poll_ends_at_once() {
    let mut st = polling();
    queue(&mut st, &["4a"]);
    assert_eq!(st.close(DisconnectReason::TransportClose), Some(true));
    assert_eq!(st.ready(), ReadyState::Closed);
    assert_eq!(st.queued(), 0);
    assert_eq!(st.linger_deadline(Instant::now(), PING_TIMEOUT), None);
}

#[test]
fn a_lingering_session_ends() {
    let mut st = polling();
    assert_eq!(st.close(DisconnectReason::ForcedClose), Some(false));
    st.end_linger();
    assert_eq!(st.ready(), ReadyState::Closed);
}

#[test]
fn a_long_poll_on_a_closed_session_is_refused() {
    // Closed with no long-poll pending: the queue is dropped, a later poll refused.
    let mut st = polling();
    queue(&mut st, &["4a"]);
    assert_eq!(st.close(DisconnectReason::TransportError), Some(true));
    let mut poll = st.begin_poll().expect("poll");
    assert_eq!(step(&mut st, &mut poll, Instant::now()), PollStep::Closed);
}

#[test]
fn an_upgrade_probes_then_switches_the_transport() {
    let mut st = polling();
    assert!(st.begin_probe());
    // One upgrade at a time.
    assert!(!st.begin_probe());
    assert!(!st.is_writable());
    // `5` before the probe is refused.
    let now = Instant::now();
    assert!(!st.complete_upgrade(now, None));
    assert!(st.probe());
    assert!(!st.probe());
    assert!(st.complete_upgrade(now, None));
    assert_eq!(st.transport(), TransportType::Websocket);
    assert!(st.is_writable());
    // No second upgrade once on WebSocket.
    assert!(!st.begin_probe());
}

#[test]
fn an_aborted_upgrade_stays_on_polling() {
    let mut st = probed();
    st.abort_upgrade();
    assert!(!st.complete_upgrade(Instant::now(), None));
    assert_eq!(st.transport(), TransportType::Polling);
    assert!(st.begin_probe());
}

#[test]
fn no_upgrade_of_a_closed_session() {
    let mut st = probed();
    assert_eq!(st.close(DisconnectReason::TransportError), Some(true));
    assert!(!st.complete_upgrade(Instant::now(), None));
    assert!(!st.begin_probe());
}

#[test]
fn a_pending_long_poll_gets_a_noop_once_probed() {
    let mut st = polling();
    let mut poll = st.begin_poll().expect("poll");
    assert!(st.begin_probe());
    let now = Instant::now();
    assert_eq!(step(&mut st, &mut poll, now), PollStep::Wait(None));
    assert!(st.probe());
    assert_eq!(step(&mut st, &mut poll, now), PollStep::Noop);
}

/// A probed session and a long-poll that arrived then, waiting for the upgrade.
fn poll_waiting_for_the_upgrade(now: Instant) -> (State, LongPoll) {
    let mut st = probed();
    let mut poll = st.begin_poll().expect("poll");
    let deadline = now + PROBED_POLL_WAIT;
    assert_eq!(
        step(&mut st, &mut poll, now),
        PollStep::Wait(Some(deadline))
    );
    // The deadline is set once.
    assert_eq!(
        step(&mut st, &mut poll, now + Duration::from_millis(1)),
        PollStep::Wait(Some(deadline))
    );
    (st, poll)
}

#[test]
fn a_long_poll_arriving_once_probed_is_refused_if_the_upgrade_completes() {
    let now = Instant::now();
    let (mut st, mut poll) = poll_waiting_for_the_upgrade(now);
    assert!(st.complete_upgrade(now, None));
    assert_eq!(step(&mut st, &mut poll, now), PollStep::Upgraded);
}

#[test]
fn a_long_poll_arriving_once_probed_gets_a_noop_at_its_deadline() {
    let now = Instant::now();
    let (mut st, mut poll) = poll_waiting_for_the_upgrade(now);
    assert_eq!(
        step(&mut st, &mut poll, now + PROBED_POLL_WAIT),
        PollStep::Noop
    );
}

#[test]
fn a_long_poll_pending_across_the_upgrade_gets_a_noop() {
    let mut st = polling();
    let mut poll = st.begin_poll().expect("poll");
    assert!(st.begin_probe());
    assert!(st.probe());
    let now = Instant::now();
    assert!(st.complete_upgrade(now, None));
    assert_eq!(step(&mut st, &mut poll, now), PollStep::Noop);
}

#[test]
fn the_server_pings_and_waits_for_the_pong() {
    let start = Instant::now();
    let mut st = State::new(TransportType::Websocket, start, None);
    let interval = Duration::from_secs(25);
    // The first ping is due one interval after the session opened.
    assert_eq!(st.next_ping(interval), Some(start + interval));
    let now = start + interval;
    st.send_ping(now, PING_TIMEOUT).expect("open").wake();
    assert_eq!(st.take_ws_frames(None), Some(vec![text("2")]));
    assert_eq!(st.pong_wait(now), PongWait::Until(now + PING_TIMEOUT));
    assert_eq!(st.pong_wait(now + PING_TIMEOUT), PongWait::Expired);
    let later = now + Duration::from_secs(1);
    st.on_pong(later);
    assert_eq!(st.pong_wait(later), PongWait::Over);
    assert_eq!(st.next_ping(interval), Some(later + interval));
}

#[test]
fn another_packet_pushes_the_pong_deadline_back_once_per_ping() {
    let mut st = polling();
    let now = Instant::now();
    st.send_ping(now, PING_TIMEOUT).expect("open").wake();
    let first = now + Duration::from_secs(5);
    st.on_other_packet(first, PING_TIMEOUT);
    assert_eq!(st.pong_wait(first), PongWait::Until(first + PING_TIMEOUT));
    let second = now + Duration::from_secs(10);
    st.on_other_packet(second, PING_TIMEOUT);
    assert_eq!(st.pong_wait(second), PongWait::Until(first + PING_TIMEOUT));
    // A new ping may be refreshed again.
    st.on_pong(second);
    st.send_ping(second, PING_TIMEOUT).expect("open").wake();
    st.on_other_packet(second + Duration::from_secs(1), PING_TIMEOUT);
    assert_eq!(
        st.pong_wait(second),
        PongWait::Until(second + Duration::from_secs(1) + PING_TIMEOUT)
    );
}

#[test]
fn a_packet_while_no_pong_is_awaited_moves_no_deadline() {
    let mut st = polling();
    st.on_other_packet(Instant::now(), PING_TIMEOUT);
    assert_eq!(st.pong_wait(Instant::now()), PongWait::Over);
}

#[test]
fn the_upgrade_gives_an_awaited_pong_a_new_deadline() {
    let mut st = polling();
    let now = Instant::now();
    st.send_ping(now, PING_TIMEOUT).expect("open").wake();
    assert!(st.begin_probe());
    assert!(st.probe());
    let later = now + Duration::from_secs(15);
    assert!(st.complete_upgrade(later, Some(PING_TIMEOUT)));
    assert_eq!(st.pong_wait(later), PongWait::Until(later + PING_TIMEOUT));
    // Without `refresh_pong` (v3), the deadline stays.
    let mut v3 = State::new(TransportType::Polling, now, Some(now + PING_TIMEOUT));
    assert!(v3.begin_probe());
    assert!(v3.probe());
    assert!(v3.complete_upgrade(later, None));
    assert_eq!(v3.client_ping_deadline(), Some(now + PING_TIMEOUT));
}

#[test]
fn no_ping_once_closed() {
    let mut st = websocket();
    assert_eq!(st.close(DisconnectReason::ServerShuttingDown), Some(true));
    assert_eq!(st.next_ping(PING_TIMEOUT), None);
    assert!(st.send_ping(Instant::now(), PING_TIMEOUT).is_none());
    assert_eq!(st.pong_wait(Instant::now()), PongWait::Over);
}

#[test]
fn a_v3_session_lives_until_its_client_pings_no_more() {
    let now = Instant::now();
    let window = Duration::from_secs(45);
    let mut st = State::new(TransportType::Polling, now, Some(now + window));
    assert_eq!(st.client_ping_deadline(), Some(now + window));
    assert!(!st.client_ping_expired(now));
    assert!(st.client_ping_expired(now + window));
    let ping = now + Duration::from_secs(30);
    st.on_client_ping(ping + window);
    assert!(!st.client_ping_expired(now + window));
    assert_eq!(st.client_ping_deadline(), Some(ping + window));
    assert_eq!(st.close(DisconnectReason::PingTimeout), Some(true));
    assert_eq!(st.client_ping_deadline(), None);
    assert!(!st.client_ping_expired(ping + window));
}

#[test]
fn the_websocket_writer_takes_the_queue_or_waits() {
    let mut st = websocket();
    assert_eq!(st.poll_ws_frames(None, &cx()), Poll::Pending);
    assert_eq!(st.take_ws_frames(None), None);
    queue(&mut st, &["4a", "4b"]);
    assert_eq!(
        st.poll_ws_frames(None, &cx()),
        Poll::Ready(Some(vec![text("4a"), text("4b")]))
    );
    assert_eq!(st.poll_closed(&cx()), Poll::Pending);
}

#[test]
fn a_v3_websocket_writer_takes_v3_frames() {
    let mut st = websocket();
    st.queue([text("4a"), Frame::Binary(vec![1u8].into())], MAX_QUEUED)
        .expect("queued")
        .wake();
    // Binary frames carry their packet type in v3; text frames are unchanged.
    assert_eq!(
        st.take_ws_frames(Some(true)),
        Some(vec![text("4a"), Frame::Binary(vec![4u8, 1].into())])
    );
    st.queue([Frame::Binary(vec![1u8].into())], MAX_QUEUED)
        .expect("queued")
        .wake();
    // As base64 text for a client that asked for `b64`.
    assert_eq!(st.take_ws_frames(Some(false)), Some(vec![text("b4AQ==")]));
}

#[test]
fn the_handshake_is_the_first_frame() {
    let mut st = websocket();
    st.queue_handshake(text("0{}"));
    queue(&mut st, &["4a"]);
    assert_eq!(st.take_ws_frames(None), Some(vec![text("0{}"), text("4a")]));
}

#[test]
fn the_poll_writer_keeps_a_notification() {
    let mut st = polling();
    st.notify_writers().wake();
    assert_eq!(
        st.poll_writer_notified(Writer::Poll, &cx()),
        Poll::Ready(())
    );
    assert_eq!(st.poll_writer_notified(Writer::Poll, &cx()), Poll::Pending);
}

/// The fields a broadcast touches per recipient (the queue and the writers' flags) are the
/// first ones, in the order `repr(C)` keeps.
#[test]
fn the_queue_and_the_writer_flags_come_first() {
    assert_eq!(std::mem::offset_of!(State, outbox), 0);
    assert_eq!(
        std::mem::offset_of!(State, writers),
        std::mem::size_of::<VecDeque<Frame>>()
    );
    assert!(std::mem::offset_of!(State, writers) < 64);
}
