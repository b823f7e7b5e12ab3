//! The connection layer against a real Redis: 127.0.0.1:6379 (start it with
//! `redis-server --daemonize yes`), and, for the restart test, a redis-server this test starts
//! and kills itself on port 6390. Each test uses channels of its own, so they run in parallel.

use std::time::Duration;

use sio_redis::conn::{
    ConnConfig, ConnError, PendingRequests, Publisher, RequestError, SubEvent, SubEvents,
    Subscriber, Subscription,
};
use sio_redis::wire::{PubSubChannels, ShardedChannels, SubscriptionMode, sharded_uid};

const REDIS: &str = "redis://127.0.0.1:6379/";

/// Runs a test body, failing it instead of hanging if it takes more than a minute.
async fn within_a_minute(body: impl std::future::Future<Output = ()>) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    tokio::time::timeout(Duration::from_secs(60), body)
        .await
        .expect("the test took more than a minute");
}

/// A prefix no other test (or run) uses.
fn prefix(test: &str) -> String {
    format!("sio-test-{test}-{}", sharded_uid())
}

/// The next event, failing the test (instead of hanging) if none comes for 20 s.
async fn next(events: &mut SubEvents) -> SubEvent {
    tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("no subscriber event for 20 s")
        .expect("the subscriber ended")
}

/// Skips events until `Connected`.
async fn connected(events: &mut SubEvents) -> bool {
    loop {
        if let SubEvent::Connected { reconnected } = next(events).await {
            return reconnected;
        }
    }
}

/// The next message's channel and payload, skipping other events.
async fn message(events: &mut SubEvents) -> (Subscription, String, Vec<u8>) {
    loop {
        if let SubEvent::Message(m) = next(events).await {
            return (m.subscription, m.channel, m.payload.to_vec());
        }
    }
}

/// A subscriber to the request channel of `channels`, connected for the first time, and a
/// connected publisher.
async fn listening_pair(channels: &PubSubChannels) -> (Subscriber, SubEvents, Publisher) {
    let config = ConnConfig::new(REDIS);
    let (sub, mut events) = Subscriber::new(
        config.clone(),
        [Subscription::Channel(channels.request().to_owned())],
    )
    .expect("subscriber");
    assert!(!connected(&mut events).await, "a first connection");
    let publisher = Publisher::new(config).expect("publisher");
    publisher.wait_connected().await;
    (sub, events, publisher)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_arrive_in_publish_order_across_channel_kinds() {
    within_a_minute(async {
        let p = prefix("order");
        let channels = PubSubChannels::new(&p, "/");
        let sharded = ShardedChannels::new(&p, "/shard", SubscriptionMode::Dynamic);
        let config = ConnConfig::new(REDIS);
        let (_sub, mut events) = Subscriber::new(
            config.clone(),
            [
                Subscription::Pattern(channels.broadcast_pattern()),
                Subscription::Channel(channels.request().to_owned()),
                Subscription::Shard(sharded.main().to_owned()),
            ],
        )
        .expect("subscriber");
        assert!(!connected(&mut events).await);
        let publisher = Publisher::new(config).expect("publisher");
        publisher.wait_connected().await;

        // Node counts servers on the request channel (and the sharded adapter on its main one).
        assert_eq!(publisher.numsub(channels.request()).await, Ok(1));
        assert_eq!(publisher.shardnumsub(sharded.main()).await, Ok(1));
        assert_eq!(publisher.numsub(channels.response()).await, Ok(0));

        // One publisher's messages, over a pattern, a channel and a shard channel: one order.
        let n = 600;
        let mut sent = Vec::new();
        for i in 0..n {
            let payload = format!("m{i}").into_bytes();
            let channel = match i % 3 {
                0 => channels.room(&format!("room{i}")),
                1 => channels.request().to_owned(),
                _ => sharded.main().to_owned(),
            };
            if i % 3 == 2 {
                publisher
                    .spublish(&channel, payload.clone())
                    .expect("queued");
            } else {
                publisher
                    .publish(&channel, payload.clone())
                    .expect("queued");
            }
            sent.push((channel, payload));
        }
        for (i, (channel, payload)) in sent.into_iter().enumerate() {
            let (subscription, got_channel, got) = message(&mut events).await;
            assert_eq!(
                (got_channel, got),
                (channel.clone(), payload),
                "message {i}"
            );
            let expected = match i % 3 {
                0 => Subscription::Pattern(channels.broadcast_pattern()),
                1 => Subscription::Channel(channel),
                _ => Subscription::Shard(channel),
            };
            assert_eq!(subscription, expected);
        }
        // Binary payloads arrive byte for byte.
        let binary: Vec<u8> = (0..=255u8).chain([b'\r', b'\n', 0]).collect();
        assert_eq!(
            publisher
                .publish_confirmed(channels.request(), binary.clone())
                .await,
            Ok(1)
        );
        assert_eq!(message(&mut events).await.2, binary);
    })
    .await;
}

/// A publish wakes the publisher once its caller yields (one wake per batch): from a runtime
/// that is dropped before it yields, the publish still goes out, and so do the next ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_from_a_runtime_that_ends_at_once_still_go_out() {
    within_a_minute(async {
        let p = prefix("ended-runtime");
        let channels = PubSubChannels::new(&p, "/");
        let (_sub, mut events, publisher) = listening_pair(&channels).await;
        // The publisher's task is idle, waiting for a wake.
        assert_eq!(
            publisher
                .publish_confirmed(channels.request(), b"zero".to_vec())
                .await,
            Ok(1)
        );
        assert_eq!(message(&mut events).await.2, b"zero");
        tokio::time::sleep(Duration::from_millis(50)).await;

        let other = publisher.clone();
        let channel = channels.request().to_owned();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            // Queued and its wake deferred to a task of this runtime, which never runs.
            runtime.block_on(async { other.publish(&channel, b"first".to_vec()) })
        })
        .join()
        .expect("the publishing thread")
        .expect("queued");
        publisher
            .publish(channels.request(), b"second".to_vec())
            .expect("queued");
        assert_eq!(message(&mut events).await.2, b"first");
        assert_eq!(message(&mut events).await.2, b"second");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_change_once_confirmed() {
    within_a_minute(async {
        let p = prefix("dynamic");
        let sharded = ShardedChannels::new(&p, "/", SubscriptionMode::Dynamic);
        let config = ConnConfig::new(REDIS);
        let (sub, mut events) = Subscriber::new(config.clone(), []).expect("subscriber");
        assert!(!connected(&mut events).await);
        let publisher = Publisher::new(config).expect("publisher");
        publisher.wait_connected().await;

        let room = Subscription::Shard(sharded.room("room1"));
        sub.subscribe(room.clone()).await.expect("ssubscribe");
        // Confirmed: a publish right after reaches it.
        assert_eq!(
            publisher
                .spublish_confirmed(&sharded.room("room1"), b"hi".to_vec())
                .await,
            Ok(1)
        );
        assert_eq!(message(&mut events).await.2, b"hi");
        sub.unsubscribe(room).await.expect("sunsubscribe");
        assert_eq!(publisher.shardnumsub(&sharded.room("room1")).await, Ok(0));

        let pattern = Subscription::Pattern(format!("{p}#*"));
        sub.subscribe(pattern.clone()).await.expect("psubscribe");
        assert_eq!(
            publisher
                .publish_confirmed(&format!("{p}#x"), b"p".to_vec())
                .await,
            Ok(1)
        );
        let (subscription, channel, _) = message(&mut events).await;
        assert_eq!((subscription, channel), (pattern.clone(), format!("{p}#x")));
        sub.unsubscribe(pattern).await.expect("punsubscribe");
        assert_eq!(
            publisher
                .publish_confirmed(&format!("{p}#x"), b"p".to_vec())
                .await,
            Ok(0)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_collect_answers_or_fail_with_the_partial_ones() {
    within_a_minute(async {
        let p = prefix("requests");
        let channels = PubSubChannels::new(&p, "/");
        let (_sub, mut events, publisher) = listening_pair(&channels).await;
        let pending: PendingRequests<String, u8> = PendingRequests::default();

        // Two answers expected; a "server" answers once as soon as it reads the request.
        let request = pending.register("r1".to_owned(), 5, 2);
        let answering = {
            let pending = pending.clone();
            tokio::spawn(async move {
                let (_, _, payload) = message(&mut events).await;
                assert_eq!(pending.kind_of("r1"), Some(5));
                assert!(pending.answer("r1", String::from_utf8_lossy(&payload).into_owned()));
                events
            })
        };
        let result = request
            .send(
                &publisher,
                channels.request(),
                b"question".to_vec(),
                Duration::from_millis(500),
            )
            .await;
        match result {
            Err(RequestError::Timeout {
                answers,
                expected: 2,
                redis_down: false,
                ..
            }) => assert_eq!(answers, ["question"]),
            other => panic!("expected a timeout with one answer, got {other:?}"),
        }
        let mut events = answering.await.expect("answering task");
        assert!(pending.is_empty(), "a finished request is forgotten");
        assert!(!pending.answer("r1", "late".to_owned()));

        // All answers: Ok.
        let request = pending.register("r2".to_owned(), 1, 1);
        let answering = {
            let pending = pending.clone();
            tokio::spawn(async move {
                message(&mut events).await;
                pending.answer("r2", "only".to_owned());
            })
        };
        let result = request
            .send(
                &publisher,
                channels.request(),
                b"q".to_vec(),
                Duration::from_secs(10),
            )
            .await;
        assert_eq!(result, Ok(vec!["only".to_owned()]));
        answering.await.expect("answering task");
    })
    .await;
}

/// A redis-server of this test's own on `port`, killed when dropped.
struct OwnRedis {
    port: u16,
    child: Option<tokio::process::Child>,
}

impl OwnRedis {
    async fn start(port: u16) -> Self {
        Self::start_with(port, &[]).await
    }

    async fn start_with(port: u16, extra: &[&str]) -> Self {
        let child = tokio::process::Command::new("redis-server")
            .args(extra)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server must be on PATH");
        // Ready once it accepts connections.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    port,
                    child: Some(child),
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} did not start");
    }

    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill redis-server");
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_is_survived_with_bounded_memory_and_clear_errors() {
    within_a_minute(async {
        let mut redis = OwnRedis::start(6390).await;
        let channels = PubSubChannels::new("socket.io", "/");
        let config = ConnConfig::new(redis.url())
            .max_queued(10)
            .max_reconnect_delay(Duration::from_millis(200))
            .ping_interval(Duration::from_millis(500));
        let (_sub, mut events) = Subscriber::new(
            config.clone(),
            [
                Subscription::Pattern(channels.broadcast_pattern()),
                Subscription::Channel(channels.request().to_owned()),
            ],
        )
        .expect("subscriber");
        assert!(!connected(&mut events).await);
        let publisher = Publisher::new(config).expect("publisher");
        publisher.wait_connected().await;
        assert_eq!(publisher.numsub(channels.request()).await, Ok(1));
        publisher
            .publish(channels.broadcast(), b"before".to_vec())
            .expect("queued");
        assert_eq!(message(&mut events).await.2, b"before");

        redis.kill().await;
        match next(&mut events).await {
            SubEvent::Disconnected { error } => assert!(!error.is_empty()),
            other => panic!("expected Disconnected, got {other:?}"),
        }
        // Wait until the publisher noticed too (a command in flight fails, it does not hang).
        while publisher.is_connected() {
            match publisher.numsub(channels.request()).await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(e) => assert!(
                    matches!(e, ConnError::Lost(_) | ConnError::Unavailable(_)),
                    "a command fails as lost or unavailable: {e}"
                ),
            }
        }
        // Commands with a reply fail at once while Redis is away.
        assert!(matches!(
            publisher.numsub(channels.request()).await,
            Err(ConnError::Unavailable(_))
        ));

        // Requests fail clearly within their timeout (at once), and are never sent later.
        let pending: PendingRequests<String> = PendingRequests::default();
        let result = pending
            .register("down".to_owned(), (), 1)
            .send(
                &publisher,
                channels.request(),
                b"never".to_vec(),
                Duration::from_millis(300),
            )
            .await;
        match result {
            Err(e @ RequestError::Publish(ConnError::Unavailable(_))) => {
                assert!(e.to_string().contains("Redis is unreachable"), "{e}")
            }
            other => panic!("expected Redis to be unavailable, got {other:?}"),
        }

        // Bounded memory: at most 10 publishes wait, then a clear error.
        for i in 0..10 {
            publisher
                .publish(channels.broadcast(), format!("queued{i}").into_bytes())
                .expect("room in the queue");
        }
        let full = publisher.publish(channels.broadcast(), b"one too many".to_vec());
        assert!(
            matches!(full, Err(ConnError::QueueFull { queued: 10, .. })),
            "{full:?}"
        );
        assert!(
            full.unwrap_err()
                .to_string()
                .contains("Redis is unreachable"),
            "the error says why"
        );

        // Redis comes back: the subscriber resubscribes and says so; the server counts again.
        let _redis = OwnRedis::start(6390).await;
        assert!(connected(&mut events).await, "reconnected");
        // The publisher reconnects on its own schedule: until then its queue is still full.
        let count = loop {
            match publisher.numsub(channels.request()).await {
                Err(ConnError::QueueFull { .. } | ConnError::Unavailable(_)) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                other => break other,
            }
        };
        assert_eq!(count, Ok(1));
        // The queue drained (the queued messages may have gone out before the subscriber was
        // back: Redis does not keep them), and publishing works again.
        assert_eq!(publisher.queued(), (0, 0));
        assert_eq!(
            publisher
                .publish_confirmed(&channels.room("r"), b"after".to_vec())
                .await,
            Ok(1)
        );
        loop {
            let (_, channel, payload) = message(&mut events).await;
            if payload == b"after" {
                assert_eq!(channel, channels.room("r"));
                break;
            }
            assert!(payload.starts_with(b"queued"), "{payload:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_stops_answering_is_left_and_rejoined() {
    within_a_minute(async {
        let redis = OwnRedis::start_with(6391, &["--enable-debug-command", "yes"]).await;
        let config = ConnConfig::new(redis.url())
            .ping_interval(Duration::from_millis(200))
            .max_reconnect_delay(Duration::from_millis(200));
        let (_sub, mut events) =
            Subscriber::new(config.clone(), [Subscription::Channel("c".to_owned())])
                .expect("subscriber");
        assert!(!connected(&mut events).await);

        // DEBUG SLEEP blocks the whole server: the connection stays open, nothing answers.
        let client = redis::Client::open(redis.url()).expect("client");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("connection");
        let sleeping = tokio::spawn(async move {
            redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg(2)
                .query_async::<()>(&mut conn)
                .await
        });
        match next(&mut events).await {
            SubEvent::Disconnected { error } => {
                assert!(error.contains("no reply from Redis"), "{error}")
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
        // Once Redis answers again, the subscriber is back with its subscriptions.
        assert!(connected(&mut events).await, "reconnected");
        // (The redis crate's own response timeout may end that call before the sleep does.)
        let _ = sleeping.await.expect("task");
        let publisher = Publisher::new(config).expect("publisher");
        publisher.wait_connected().await;
        assert_eq!(publisher.numsub("c").await, Ok(1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_from_the_url_are_used() {
    within_a_minute(async {
        let _redis = OwnRedis::start_with(6392, &["--requirepass", "s3cret"]).await;
        let config = ConnConfig::new("redis://:s3cret@127.0.0.1:6392/");
        let (_sub, mut events) =
            Subscriber::new(config.clone(), [Subscription::Channel("c".to_owned())])
                .expect("subscriber");
        assert!(!connected(&mut events).await);
        let publisher = Publisher::new(config).expect("publisher");
        publisher.wait_connected().await;
        assert_eq!(publisher.numsub("c").await, Ok(1));

        // A wrong password is reported, not retried silently.
        let wrong = ConnConfig::new("redis://:nope@127.0.0.1:6392/");
        let (_sub, mut events) =
            Subscriber::new(wrong, [Subscription::Channel("c".to_owned())]).expect("subscriber");
        match next(&mut events).await {
            SubEvent::Disconnected { error } => assert!(error.contains("AUTH failed"), "{error}"),
            other => panic!("expected Disconnected, got {other:?}"),
        }
    })
    .await;
}

/// A measurement, not a check: `cargo test -p sio-redis --test redis_conn -- --ignored
/// --nocapture throughput` prints how fast messages go through one publisher and one
/// subscriber.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement"]
async fn throughput() {
    let p = prefix("throughput");
    let channels = PubSubChannels::new(&p, "/");
    let config = ConnConfig::new(REDIS).max_queued(1_000_000);
    let (_sub, mut events) = Subscriber::new(
        config.clone(),
        [Subscription::Pattern(channels.broadcast_pattern())],
    )
    .expect("subscriber");
    assert!(!connected(&mut events).await);
    let publisher = Publisher::new(config).expect("publisher");
    publisher.wait_connected().await;
    let n = 100_000;
    let payload = vec![0x93u8; 100];
    let start = std::time::Instant::now();
    for _ in 0..n {
        publisher
            .publish(channels.broadcast(), payload.clone())
            .expect("queued");
    }
    for _ in 0..n {
        message(&mut events).await;
    }
    let elapsed = start.elapsed();
    println!(
        "{n} messages of {} bytes in {elapsed:?}: {:.0} messages/s",
        payload.len(),
        f64::from(n) / elapsed.as_secs_f64()
    );
}
