//! The scenarios: fan-out (on one server, or spread over a cluster), the ticker (a paced
//! fan-out: latency under light load), echo-ack, connect rate, idle memory and polling
//! echo-ack.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::hist::Hist;
use crate::http::HttpConn;
use crate::net::{self, Result, Target, Ws, ack_id, answer_ping, filler, now_micros, timestamp};
use crate::{Args, Report};

/// How long a receiver waits for more once the sender has stopped.
const DRAIN_IDLE: Duration = Duration::from_secs(3);
/// How long an ack may take before it counts as lost.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// CPU time (user + system, all threads) of a process, from `/proc/PID/stat`, in seconds;
/// `None` when unknown (no `--server-pid`).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some((utime + stime) / 100.0)
}

/// The summed CPU time of some processes, in seconds; `None` when one is unknown.
fn cpu_seconds_of(pids: &[String]) -> Option<f64> {
    pids.iter().map(|pid| cpu_seconds(pid)).sum()
}

/// Measures the CPU the server (all its processes: `--server-pid a,b`), Redis
/// (`--redis-pid`, when given) and the generator use over a scenario's measured phase.
struct CpuMeter {
    servers: Vec<String>,
    redis: Option<String>,
    start: Instant,
    server_cpu: Option<f64>,
    redis_cpu: Option<f64>,
    own_cpu: Option<f64>,
}

impl CpuMeter {
    fn start(args: &Args) -> Self {
        let servers: Vec<String> = args
            .string("server-pid", "0")
            .split(',')
            .map(str::trim)
            .filter(|pid| !pid.is_empty() && *pid != "0")
            .map(str::to_owned)
            .collect();
        let redis = Some(args.string("redis-pid", "0")).filter(|pid| pid != "0");
        CpuMeter {
            server_cpu: (!servers.is_empty())
                .then(|| cpu_seconds_of(&servers))
                .flatten(),
            redis_cpu: redis.as_deref().and_then(cpu_seconds),
            own_cpu: cpu_seconds("self"),
            servers,
            redis,
            start: Instant::now(),
        }
    }

    /// Adds `metric`: the server's CPU time per unit of work (`units` messages, acks or
    /// connections), summed over its processes, and the share of a core each side got over
    /// the phase; with a Redis pid, Redis's CPU per unit and share too.
    fn finish(self, report: &mut Report, units: u64, metric: &'static str) {
        let wall = self.start.elapsed().as_secs_f64().max(1e-3);
        if let Some(before) = self.server_cpu
            && let Some(after) = cpu_seconds_of(&self.servers)
        {
            let used = (after - before).max(0.0);
            if units > 0 {
                report.metric(metric, "µs", used * 1e6 / units as f64);
            }
            report.metric("server_cpu_share", "core", used / wall);
        }
        if let (Some(pid), Some(before)) = (self.redis.as_deref(), self.redis_cpu)
            && let Some(after) = cpu_seconds(pid)
        {
            let used = (after - before).max(0.0);
            if units > 0 {
                report.metric("redis_cpu_us_per_msg", "µs", used * 1e6 / units as f64);
            }
            report.metric("redis_cpu_share", "core", used / wall);
        }
        if let (Some(before), Some(after)) = (self.own_cpu, cpu_seconds("self")) {
            report.metric(
                "generator_cpu_share",
                "core",
                (after - before).max(0.0) / wall,
            );
        }
    }
}

/// Opens `n` Socket.IO clients over WebSocket, at most `concurrency` handshakes at a time,
/// client `i` on `targets[i % targets.len()]`. Returns the clients that connected, by
/// target, and the number that failed.
async fn connect_spread(targets: &[Arc<Target>], n: u64, concurrency: u64) -> (Vec<Vec<Ws>>, u64) {
    let gate = Arc::new(Semaphore::new(concurrency.max(1) as usize));
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        let node = i % targets.len();
        let target = targets[node].clone();
        let gate = gate.clone();
        let task = tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.ok()?;
            match target.socketio().await {
                Ok(ws) => Some(ws),
                Err(e) => {
                    eprintln!("connect to {} failed: {e}", target.addr);
                    None
                }
            }
        });
        tasks.push((node, task));
    }
    let mut clients: Vec<Vec<Ws>> = targets.iter().map(|_| Vec::new()).collect();
    let mut failed = 0;
    for (node, task) in tasks {
        match task.await {
            Ok(Some(ws)) => clients[node].push(ws),
            _ => failed += 1,
        }
    }
    (clients, failed)
}

/// Opens `n` Socket.IO clients over WebSocket to one target, at most `concurrency`
/// handshakes at a time. Returns the clients that connected and the number that failed.
async fn connect_many(target: &Arc<Target>, n: u64, concurrency: u64) -> (Vec<Ws>, u64) {
    let (mut clients, failed) = connect_spread(std::slice::from_ref(target), n, concurrency).await;
    (clients.pop().unwrap_or_default(), failed)
}

/// Shared by the fan-out sender and receivers.
#[derive(Debug)]
struct FanOut {
    /// Broadcasts sent; `u64::MAX` while the sender still runs.
    final_sent: AtomicU64,
    /// Broadcast messages received, by all clients together.
    delivered: AtomicU64,
    /// Clients that received a probe (see [`probe_frame`]).
    probed: AtomicU64,
    /// The sender waits for deliveries (its window is full) or for probes.
    waiting: AtomicBool,
    progress: Notify,
    /// When the run gives up on stragglers, whatever happens.
    hard_deadline: Instant,
}

impl FanOut {
    fn wake_sender(&self) {
        if self.waiting.load(Ordering::Relaxed) {
            self.waiting.store(false, Ordering::Relaxed);
            self.progress.notify_one();
        }
    }
}

/// What one fan-out receiver saw.
#[derive(Debug, Default)]
struct Received {
    /// The server (index into the targets) this client is connected to.
    node: usize,
    count: u64,
    last_micros: u64,
    hist: Hist,
}

/// A fan-out receiver's socket: a whole WebSocket (it answers pings), or the read half of the
/// sender's.
enum Rx {
    Whole(Box<Ws>),
    Half(SplitStream<Ws>),
}

impl Rx {
    async fn next(&mut self) -> Option<std::result::Result<Message, WsError>> {
        match self {
            Rx::Whole(ws) => ws.next().await,
            Rx::Half(stream) => stream.next().await,
        }
    }

    /// Answers a ping; the sender's read half leaves that to nobody: a fan-out lasts far less
    /// than the production ping interval plus timeout.
    async fn pong(&mut self, text: &str) -> Result<()> {
        if let Rx::Whole(ws) = self {
            answer_ping(ws, text).await?;
        }
        Ok(())
    }
}

/// The start of a probe broadcast as every server re-emits it.
const PROBE_PREFIX: &str = r#"42["broadcast",{"probe":"#;

/// Reads broadcasts until the sender is done and this client has them all, or they stop
/// coming for [`DRAIN_IDLE`]. Probes are noted once and not counted.
async fn receive(mut rx: Rx, node: usize, shared: Arc<FanOut>) -> Received {
    let mut seen = Received {
        node,
        ..Received::default()
    };
    let mut probed = false;
    let mut idle_since = Instant::now();
    loop {
        let fin = shared.final_sent.load(Ordering::Acquire);
        if seen.count >= fin {
            break;
        }
        let now = Instant::now();
        if now >= shared.hard_deadline
            || (fin != u64::MAX && now.duration_since(idle_since) >= DRAIN_IDLE)
        {
            break;
        }
        let msg = match tokio::time::timeout(Duration::from_millis(250), rx.next()).await {
            Err(_) => continue,
            Ok(msg) => msg,
        };
        match msg {
            Some(Ok(Message::Text(text))) => {
                if text.starts_with(PROBE_PREFIX) {
                    if !probed {
                        probed = true;
                        shared.probed.fetch_add(1, Ordering::Relaxed);
                        shared.wake_sender();
                    }
                } else if text.starts_with("42[\"broadcast\"") {
                    let at = now_micros();
                    seen.count += 1;
                    seen.last_micros = at;
                    idle_since = Instant::now();
                    if let Some(sent) = timestamp(&text) {
                        seen.hist.record(at.saturating_sub(sent));
                    }
                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                    shared.wake_sender();
                } else if rx.pong(&text).await.is_err() {
                    break;
                }
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            Some(Ok(_)) => {}
        }
    }
    seen
}

/// The broadcast frame: the send time in µs, then the payload.
fn broadcast_frame(payload: &str) -> Message {
    Message::text(format!(
        r#"42["broadcast",{{"t":{},"p":"{payload}"}}]"#,
        now_micros()
    ))
}

/// A probe broadcast: not counted; a client that receives one is reached by what the sender
/// sends from then on.
fn probe_frame(n: u64) -> Message {
    Message::text(format!(r#"42["broadcast",{{"probe":{n}}}]"#))
}

/// How long the probes may take to reach every client before the run fails.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Fan-out: `--clients` WebSocket clients (1,000), one of which sends `broadcast` with a
/// `--payload`-byte payload (100) for `--duration` seconds (10), keeping at most `--window`
/// broadcasts (256) in flight: sent, but not yet received by the average client. The
/// server's queues stay bounded and the run measures sustained delivery, as fast as the
/// server delivers. Every client, the sender included, should receive every broadcast.
pub(crate) async fn fanout(target: &Arc<Target>, args: &Args) -> Result<Report> {
    let window = args.num("window", 256)?.max(1);
    run_fanout(
        std::slice::from_ref(target),
        args,
        Pace::Flood { window },
        false,
    )
    .await
}

/// Ticker: `--clients` WebSocket clients (100), one of which sends `broadcast` with a
/// `--payload`-byte payload (100) every `--interval-us` (5,000 µs) for `--duration` seconds (10): a
/// live dashboard's or a game's stream of small updates. The server is far from saturated;
/// what counts is how late each message arrives (p99 and the worst), which a server that
/// holds small writes back (Nagle's algorithm against the client's delayed acknowledgements)
/// stretches to tens of milliseconds.
pub(crate) async fn ticker(target: &Arc<Target>, args: &Args) -> Result<Report> {
    let every = Duration::from_micros(args.num("interval-us", 5_000)?.max(100));
    let clients = args.num("clients", 100)?;
    let pace = Pace::Every { every, clients };
    run_fanout(std::slice::from_ref(target), args, pace, false).await
}

/// How the fan-out's sender sends.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// As fast as the server delivers, with at most `window` broadcasts in flight.
    Flood { window: u64 },
    /// One broadcast every `every`, to `clients` clients (the ticker).
    Every { every: Duration, clients: u64 },
}

/// Cluster: the fan-out spread over several servers that share one adapter (`--addr` lists
/// them, comma-separated): client `i` connects to server `i % servers`, the sender is the
/// first client of the first server, and every client of every server should receive every
/// broadcast. Before the measured phase the sender emits probes until every client has
/// received one (so every server is subscribed and relays); a client that has not within
/// 10 s fails the run.
pub(crate) async fn cluster(targets: &[Arc<Target>], args: &Args) -> Result<Report> {
    if targets.len() < 2 {
        return Err("cluster needs at least two servers in --addr (a,b)".into());
    }
    let window = args.num("window", 256)?.max(1);
    run_fanout(targets, args, Pace::Flood { window }, true).await
}

async fn run_fanout(
    targets: &[Arc<Target>],
    args: &Args,
    pace: Pace,
    probe: bool,
) -> Result<Report> {
    let n = match pace {
        Pace::Flood { .. } => args.num("clients", 1000)?,
        Pace::Every { clients, .. } => clients,
    }
    .max(1);
    let duration = args.secs("duration", 10.0)?;
    let payload = filler(args.num("payload", 100)? as usize);
    let (by_node, failed) = connect_spread(targets, n, args.num("concurrency", 100)?).await;
    if by_node.first().is_none_or(Vec::is_empty) {
        return Err("no client connected to the first server".into());
    }
    let mut clients: Vec<(usize, Ws)> = by_node
        .into_iter()
        .enumerate()
        .flat_map(|(node, list)| list.into_iter().map(move |ws| (node, ws)))
        .collect();
    for (_, ws) in &mut clients {
        ws.send(Message::text(r#"42["join","fanout"]"#)).await?;
    }
    let connected = clients.len() as u64;
    let mut per_node = vec![0u64; targets.len()];
    for (node, _) in &clients {
        per_node[*node] += 1;
    }
    let shared = Arc::new(FanOut {
        final_sent: AtomicU64::new(u64::MAX),
        delivered: AtomicU64::new(0),
        probed: AtomicU64::new(0),
        waiting: AtomicBool::new(false),
        progress: Notify::new(),
        hard_deadline: Instant::now() + PROBE_TIMEOUT + duration + Duration::from_secs(30),
    });
    // The first client is on the first server: it sends.
    let (_, first) = clients.remove(0);
    let (mut sink, stream) = first.split();
    let mut receivers: Vec<JoinHandle<Received>> = Vec::with_capacity(connected as usize);
    receivers.push(tokio::spawn(receive(Rx::Half(stream), 0, shared.clone())));
    for (node, ws) in clients {
        receivers.push(tokio::spawn(receive(
            Rx::Whole(Box::new(ws)),
            node,
            shared.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut probes = 0u64;
    if probe {
        let deadline = Instant::now() + PROBE_TIMEOUT;
        let mut next_probe = Instant::now();
        while shared.probed.load(Ordering::Relaxed) < connected {
            if Instant::now() >= deadline {
                return Err(format!(
                    "the cluster did not form: {} of {connected} clients received a probe within {} s",
                    shared.probed.load(Ordering::Relaxed),
                    PROBE_TIMEOUT.as_secs()
                )
                .into());
            }
            if Instant::now() >= next_probe {
                probes += 1;
                sink.send(probe_frame(probes)).await?;
                next_probe = Instant::now() + Duration::from_millis(100);
            }
            shared.waiting.store(true, Ordering::Relaxed);
            let _ =
                tokio::time::timeout(Duration::from_millis(20), shared.progress.notified()).await;
        }
    }

    let cpu = CpuMeter::start(args);
    let start = now_micros();
    let end = Instant::now() + duration;
    let mut sent: u64 = 0;
    // Broadcasts the sender gave up waiting for (lost, or stuck in the server).
    let mut written_off: u64 = 0;
    let mut stalled_since = Instant::now();
    let mut last_delivered = 0;
    if let Pace::Every { every, .. } = pace {
        let mut next = tokio::time::Instant::now();
        while Instant::now() < end {
            tokio::time::sleep_until(next).await;
            sink.send(broadcast_frame(&payload)).await?;
            sent += 1;
            next += every;
        }
    }
    let window = match pace {
        Pace::Flood { window } => window,
        Pace::Every { .. } => 0,
    };
    while Instant::now() < end {
        let delivered = shared.delivered.load(Ordering::Relaxed);
        if delivered != last_delivered {
            last_delivered = delivered;
            stalled_since = Instant::now();
        }
        let in_flight = sent.saturating_sub(delivered / connected + written_off);
        if in_flight < window {
            for _ in 0..(window - in_flight).min(64) {
                sink.feed(broadcast_frame(&payload)).await?;
                sent += 1;
            }
            sink.flush().await?;
        } else if stalled_since.elapsed() > Duration::from_secs(1) {
            // Nothing was delivered for a second: count what is in flight as lost, go on.
            written_off += in_flight;
            stalled_since = Instant::now();
        } else {
            shared.waiting.store(true, Ordering::Relaxed);
            let _ =
                tokio::time::timeout(Duration::from_millis(50), shared.progress.notified()).await;
        }
    }
    shared.final_sent.store(sent, Ordering::Release);

    let mut total = 0;
    let mut duplicates = 0;
    let mut last = start;
    let mut hist = Hist::default();
    let mut complete = 0;
    let mut node_delivered = vec![0u64; targets.len()];
    let mut node_complete = vec![0u64; targets.len()];
    for r in receivers {
        let seen = r.await.map_err(|e| format!("a receiver failed: {e}"))?;
        // More than was sent would be a duplicate (a stale server relaying too): not counted.
        let count = seen.count.min(sent);
        duplicates += seen.count - count;
        total += count;
        node_delivered[seen.node] += count;
        last = last.max(seen.last_micros);
        hist.merge(&seen.hist);
        if seen.count >= sent {
            complete += 1;
            node_complete[seen.node] += 1;
        }
    }
    let expected = sent * connected;
    let elapsed = (last.saturating_sub(start)).max(1) as f64 / 1e6;
    let mut report = Report {
        delivered: total,
        ..Report::default()
    };
    report.metric("msg_per_s", "msg/s", total as f64 / elapsed);
    report.metric(
        "delivered_ratio",
        "ratio",
        if expected == 0 {
            0.0
        } else {
            total as f64 / expected as f64
        },
    );
    report.metric("p50_ms", "ms", hist.quantile_ms(0.5));
    report.metric("p99_ms", "ms", hist.quantile_ms(0.99));
    if let Pace::Every { every, .. } = pace {
        report.metric("p999_ms", "ms", hist.quantile_ms(0.999));
        report.metric("max_ms", "ms", hist.quantile_ms(1.0));
        report.info("interval_us", every.as_micros() as u64);
    }
    report.info("clients", connected);
    report.info("connect_failures", failed);
    report.info("broadcasts_sent", sent);
    report.info("expected", expected);
    report.info("delivered", total);
    report.info("clients_complete", complete);
    report.info("elapsed_s", elapsed);
    report.info("window", window);
    report.info("written_off", written_off);
    if targets.len() > 1 {
        report.metric("duplicates", "msg", duplicates as f64);
        report.info("probes", probes);
        report.info("clients_per_server", per_node);
        report.info("delivered_per_server", node_delivered);
        report.info("clients_complete_per_server", node_complete);
    }
    cpu.finish(&mut report, total, "server_cpu_us_per_msg");
    drop(sink);
    Ok(report)
}

/// Echo-ack: `--clients` WebSocket clients (100), each in a closed loop of `echo-ack` with a
/// `--payload`-byte payload for `--duration` seconds (10).
pub(crate) async fn echo_ack(target: &Arc<Target>, args: &Args) -> Result<Report> {
    let n = args.num("clients", 100)?.max(1);
    let duration = args.secs("duration", 10.0)?;
    let payload = filler(args.num("payload", 100)? as usize);
    let (clients, failed) = connect_many(target, n, args.num("concurrency", 100)?).await;
    if clients.is_empty() {
        return Err("no client connected".into());
    }
    let connected = clients.len() as u64;
    let cpu = CpuMeter::start(args);
    let end = Instant::now() + duration;
    let tail: Arc<str> = format!(r#"["echo-ack",{{"p":"{payload}"}}]"#).into();
    let tasks: Vec<JoinHandle<(u64, u64, Hist)>> = clients
        .into_iter()
        .map(|mut ws| {
            let tail = tail.clone();
            tokio::spawn(async move {
                let mut hist = Hist::default();
                let (mut acks, mut lost) = (0u64, 0u64);
                let mut id = 0u64;
                'outer: while Instant::now() < end {
                    id += 1;
                    let t0 = Instant::now();
                    if ws
                        .send(Message::text(format!("42{id}{tail}")))
                        .await
                        .is_err()
                    {
                        break;
                    }
                    loop {
                        match tokio::time::timeout(ACK_TIMEOUT, ws.next()).await {
                            Err(_) => {
                                lost += 1;
                                continue 'outer;
                            }
                            Ok(Some(Ok(Message::Text(text)))) => {
                                if ack_id(&text) == Some(id) {
                                    break;
                                }
                                if answer_ping(&mut ws, &text).await.is_err() {
                                    break 'outer;
                                }
                            }
                            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => {
                                lost += 1;
                                break 'outer;
                            }
                            Ok(Some(Ok(_))) => {}
                        }
                    }
                    acks += 1;
                    hist.record(t0.elapsed().as_micros() as u64);
                }
                (acks, lost, hist)
            })
        })
        .collect();
    let started = Instant::now();
    let mut hist = Hist::default();
    let (mut acks, mut lost) = (0, 0);
    for t in tasks {
        let (a, l, h) = t.await.map_err(|e| format!("a client failed: {e}"))?;
        acks += a;
        lost += l;
        hist.merge(&h);
    }
    let elapsed = started.elapsed().as_secs_f64().max(duration.as_secs_f64());
    let mut report = Report {
        delivered: acks,
        ..Report::default()
    };
    report.metric("acks_per_s", "acks/s", acks as f64 / elapsed);
    report.metric("p50_ms", "ms", hist.quantile_ms(0.5));
    report.metric("p99_ms", "ms", hist.quantile_ms(0.99));
    report.metric("lost", "acks", lost as f64);
    report.info("clients", connected);
    report.info("connect_failures", failed);
    report.info("samples", hist.len());
    report.info("elapsed_s", elapsed);
    cpu.finish(&mut report, acks, "server_cpu_us_per_ack");
    Ok(report)
}

/// One full connect: WebSocket handshake, Engine.IO open, `40` and its answer, then one
/// `echo-ack` round trip; the connection is then dropped.
async fn one_connect(target: &Target) -> Result<()> {
    let mut ws = target.socketio().await?;
    ws.send(Message::text(r#"421["echo-ack","hi"]"#)).await?;
    loop {
        let text = net::next_text(&mut ws).await?;
        if ack_id(&text) == Some(1) {
            return Ok(());
        }
        answer_ping(&mut ws, &text).await?;
    }
}

/// Connect rate: `--concurrency` loops (32) doing full connects for `--duration` seconds (10).
pub(crate) async fn connect(target: &Arc<Target>, args: &Args) -> Result<Report> {
    let duration = args.secs("duration", 10.0)?;
    let loops = args.num("concurrency", 32)?.max(1);
    let cpu = CpuMeter::start(args);
    let end = Instant::now() + duration;
    let started = Instant::now();
    let tasks: Vec<JoinHandle<(u64, u64, Hist)>> = (0..loops)
        .map(|_| {
            let target = target.clone();
            tokio::spawn(async move {
                let mut hist = Hist::default();
                let (mut ok, mut failed) = (0u64, 0u64);
                while Instant::now() < end {
                    let t0 = Instant::now();
                    match one_connect(&target).await {
                        Ok(()) => {
                            ok += 1;
                            hist.record(t0.elapsed().as_micros() as u64);
                        }
                        Err(e) => {
                            if failed == 0 {
                                eprintln!("connect failed: {e}");
                            }
                            failed += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                (ok, failed, hist)
            })
        })
        .collect();
    let mut hist = Hist::default();
    let (mut ok, mut failed) = (0, 0);
    for t in tasks {
        let (o, f, h) = t.await.map_err(|e| format!("a connect loop failed: {e}"))?;
        ok += o;
        failed += f;
        hist.merge(&h);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut report = Report {
        delivered: ok,
        ..Report::default()
    };
    report.metric("connects_per_s", "conn/s", ok as f64 / elapsed);
    report.metric("p50_ms", "ms", hist.quantile_ms(0.5));
    report.metric("p99_ms", "ms", hist.quantile_ms(0.99));
    report.metric("failed", "conn", failed as f64);
    report.info("loops", loops);
    report.info("elapsed_s", elapsed);
    cpu.finish(&mut report, ok, "server_cpu_us_per_connect");
    Ok(report)
}

/// The resident set of a process, in KiB, from `/proc/PID/status`.
fn rss_kb(pid: u64) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status").into())
}

/// Idle memory: opens `--clients` (10,000) Socket.IO clients over WebSocket that only answer
/// pings, and reads the server's RSS (`--server-pid`) before and `--settle` seconds (3)
/// after.
pub(crate) async fn idle(target: &Arc<Target>, args: &Args) -> Result<Report> {
    let n = args.num("clients", 10_000)?.max(1);
    let pid = args.num("server-pid", 0)?;
    if pid == 0 {
        return Err("idle needs --server-pid".into());
    }
    let settle = args.secs("settle", 3.0)?;
    let before = rss_kb(pid)?;
    let started = Instant::now();
    let (clients, failed) = connect_many(target, n, args.num("concurrency", 200)?).await;
    let connect_s = started.elapsed().as_secs_f64();
    let connected = clients.len() as u64;
    let holders: Vec<JoinHandle<()>> = clients
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                while let Some(Ok(msg)) = ws.next().await {
                    if let Message::Text(text) = msg
                        && answer_ping(&mut ws, &text).await.is_err()
                    {
                        break;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(settle).await;
    let after = rss_kb(pid)?;
    let alive = holders.iter().filter(|h| !h.is_finished()).count() as u64;
    for h in &holders {
        h.abort();
    }
    let mut report = Report {
        delivered: alive,
        ..Report::default()
    };
    let per_conn = if alive == 0 {
        0.0
    } else {
        after.saturating_sub(before) as f64 / alive as f64
    };
    report.metric("rss_kb_per_conn", "KB", per_conn);
    report.metric("rss_mb", "MB", after as f64 / 1024.0);
    report.info("connected", connected);
    report.info("still_open", alive);
    report.info("connect_failures", failed);
    report.info("rss_before_kb", before);
    report.info("rss_after_kb", after);
    report.info("connect_s", connect_s);
    Ok(report)
}

/// One polling-only client: handshake, CONNECT, then `echo-ack` in a closed loop on one
/// keep-alive connection (POST the event, then GET until its ack comes).
async fn polling_client(
    target: Arc<Target>,
    end: Instant,
    tail: Arc<str>,
) -> Result<(u64, u64, Hist)> {
    let path = &target.path;
    let mut conn = HttpConn::new(&target);
    let (status, body) = conn
        .request(
            &target,
            "GET",
            &format!("{path}?EIO=4&transport=polling"),
            b"",
        )
        .await?;
    let open = String::from_utf8_lossy(&body).into_owned();
    if status != 200 || !open.starts_with('0') {
        return Err(format!("bad handshake ({status}): {open}").into());
    }
    let handshake: serde_json::Value = serde_json::from_str(&open[1..])?;
    let sid = handshake["sid"].as_str().ok_or("no sid in the handshake")?;
    let url = format!("{path}?EIO=4&transport=polling&sid={sid}");
    post(&mut conn, &target, &url, "40").await?;
    wait_for(&mut conn, &target, &url, |p| p.starts_with("40")).await?;

    let mut hist = Hist::default();
    let (mut acks, mut lost) = (0u64, 0u64);
    let mut id = 0u64;
    while Instant::now() < end {
        id += 1;
        let t0 = Instant::now();
        post(&mut conn, &target, &url, &format!("42{id}{tail}")).await?;
        match tokio::time::timeout(
            ACK_TIMEOUT,
            wait_for(&mut conn, &target, &url, |p| ack_id(p) == Some(id)),
        )
        .await
        {
            Ok(Ok(())) => {
                acks += 1;
                hist.record(t0.elapsed().as_micros() as u64);
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                lost += 1;
                // The connection had a long-poll in flight: start a fresh one.
                conn = HttpConn::new(&target);
            }
        }
    }
    Ok((acks, lost, hist))
}

async fn post(conn: &mut HttpConn, target: &Target, url: &str, body: &str) -> Result<()> {
    let (status, reply) = conn.request(target, "POST", url, body.as_bytes()).await?;
    if status != 200 {
        return Err(format!(
            "POST answered {status}: {}",
            String::from_utf8_lossy(&reply)
        )
        .into());
    }
    Ok(())
}

/// Long-polls until a packet matches, answering pings.
async fn wait_for(
    conn: &mut HttpConn,
    target: &Target,
    url: &str,
    want: impl Fn(&str) -> bool,
) -> Result<()> {
    loop {
        let (status, body) = conn.request(target, "GET", url, b"").await?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if status != 200 {
            return Err(format!("GET answered {status}: {text}").into());
        }
        let mut found = false;
        for packet in text.split('\u{1e}') {
            if want(packet) {
                found = true;
            } else if packet == "2" {
                post(conn, target, url, "3").await?;
            } else if packet == "1" {
                return Err("the server closed the session".into());
            }
        }
        if found {
            return Ok(());
        }
    }
}

/// Polling: `--clients` polling-only clients (100) doing `echo-ack` in a closed loop for
/// `--duration` seconds (10).
pub(crate) async fn polling(target: &Arc<Target>, args: &Args) -> Result<Report> {
    let n = args.num("clients", 100)?.max(1);
    let duration = args.secs("duration", 10.0)?;
    let payload = filler(args.num("payload", 100)? as usize);
    let tail: Arc<str> = format!(r#"["echo-ack",{{"p":"{payload}"}}]"#).into();
    // Handshakes happen inside the measured window; give them a head start.
    let end = Instant::now() + duration + Duration::from_millis(500);
    let cpu = CpuMeter::start(args);
    let started = Instant::now();
    let tasks: Vec<JoinHandle<Result<(u64, u64, Hist)>>> = (0..n)
        .map(|_| tokio::spawn(polling_client(target.clone(), end, tail.clone())))
        .collect();
    let mut hist = Hist::default();
    let (mut acks, mut lost, mut failed) = (0, 0, 0u64);
    for t in tasks {
        match t.await {
            Ok(Ok((a, l, h))) => {
                acks += a;
                lost += l;
                hist.merge(&h);
            }
            Ok(Err(e)) => {
                if failed == 0 {
                    eprintln!("polling client failed: {e}");
                }
                failed += 1;
            }
            Err(e) => return Err(format!("a polling client panicked: {e}").into()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut report = Report {
        delivered: acks,
        ..Report::default()
    };
    report.metric("acks_per_s", "acks/s", acks as f64 / elapsed);
    report.metric("p50_ms", "ms", hist.quantile_ms(0.5));
    report.metric("p99_ms", "ms", hist.quantile_ms(0.99));
    report.metric("lost", "acks", lost as f64);
    report.info("clients", n);
    report.info("client_failures", failed);
    report.info("elapsed_s", elapsed);
    cpu.finish(&mut report, acks, "server_cpu_us_per_ack");
    Ok(report)
}
