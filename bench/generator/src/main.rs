//! `sio-bench`: the load generator of `bench/`.
//!
//! Speaks Engine.IO v4 / Socket.IO v5 itself (WebSocket through tokio-tungstenite, polling
//! through a minimal HTTP/1.1 client), so every server under test faces the same client. It
//! runs one scenario against one server and prints one JSON object on stdout:
//!
//! ```text
//! sio-bench <fanout|ticker|cluster|echo-ack|connect|idle|polling> [--addr 127.0.0.1:3000]
//!     [--path /socket.io/] [--clients N] [--duration SECONDS] [--concurrency N] [--window N]
//!     [--payload BYTES] [--sources N] [--server-pid PID[,PID]] [--redis-pid PID]
//!     [--settle SECONDS] [--server NAME] [--round N]
//! ```
//!
//! `cluster` is the fan-out spread over the servers of a cluster: `--addr a,b` names them,
//! clients alternate between them, the sender is on the first, and `--server-pid a,b` sums
//! their CPU time.
//!
//! It runs on one thread (pin it with `taskset`), only ever connects to 127.0.0.0/8, spreads
//! its connections over `--sources` local addresses (127.0.0.1, 127.0.0.2, …), raises its
//! open-file limit to the hard limit, and every scenario ends by itself. The exit status is
//! 2 when the scenario delivered nothing (the smoke test's check), 1 on a usage error.

mod hist;
mod http;
mod net;
mod scenarios;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::net::{Result, Target};

/// What a scenario measured.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// `(metric, unit, value)`: what the harness aggregates.
    metrics: Vec<(&'static str, &'static str, f64)>,
    /// Details for the raw record.
    info: serde_json::Map<String, Value>,
    /// How many messages, acks or connections went through; 0 fails the run.
    pub(crate) delivered: u64,
}

impl Report {
    /// Adds a metric.
    pub(crate) fn metric(&mut self, name: &'static str, unit: &'static str, value: f64) {
        self.metrics.push((name, unit, value));
    }

    /// Adds a detail.
    pub(crate) fn info(&mut self, name: &str, value: impl Into<Value>) {
        self.info.insert(name.to_owned(), value.into());
    }
}

/// The command line, as `--name value` pairs.
#[derive(Debug)]
pub(crate) struct Args {
    scenario: String,
    opts: HashMap<String, String>,
}

impl Args {
    fn parse() -> std::result::Result<Self, String> {
        let mut it = std::env::args().skip(1);
        let scenario = it.next().ok_or("missing the scenario")?;
        let mut opts = HashMap::new();
        while let Some(name) = it.next() {
            let key = name
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {name}"))?;
            let value = it.next().ok_or_else(|| format!("{name} needs a value"))?;
            opts.insert(key.to_owned(), value);
        }
        Ok(Args { scenario, opts })
    }

    /// A string option.
    pub(crate) fn string(&self, name: &str, default: &str) -> String {
        self.opts
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    /// A numeric option.
    pub(crate) fn num(&self, name: &str, default: u64) -> Result<u64> {
        match self.opts.get(name) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name} is not a number: {v}").into()),
            None => Ok(default),
        }
    }

    /// A duration option in (fractional) seconds.
    pub(crate) fn secs(&self, name: &str, default: f64) -> Result<Duration> {
        let secs = match self.opts.get(name) {
            Some(v) => v
                .parse::<f64>()
                .map_err(|_| format!("--{name} is not a number of seconds: {v}"))?,
            None => default,
        };
        Ok(Duration::from_secs_f64(secs.clamp(0.0, 3600.0)))
    }
}

const USAGE: &str = "usage: sio-bench <fanout|ticker|cluster|echo-ack|connect|idle|polling> [--addr 127.0.0.1:3000[,127.0.0.1:3001]] [--path /socket.io/] [--clients N] [--duration S] [--concurrency N] [--window N] [--interval-us N] [--payload BYTES] [--sources N] [--server-pid PID[,PID]] [--redis-pid PID] [--settle S] [--server NAME] [--round N]";

async fn run(args: &Args) -> Result<Report> {
    let mut targets = Vec::new();
    for addr in args.string("addr", "127.0.0.1:3000").split(',') {
        let addr: SocketAddr = addr
            .trim()
            .parse()
            .map_err(|e| format!("--addr {addr}: {e}"))?;
        targets.push(Arc::new(Target::new(
            addr,
            args.string("path", "/socket.io/"),
            args.num("sources", 16)? as usize,
        )?));
    }
    if args.scenario == "cluster" {
        return scenarios::cluster(&targets, args).await;
    }
    let [target] = targets.as_slice() else {
        return Err(format!("{} takes one address in --addr", args.scenario).into());
    };
    match args.scenario.as_str() {
        "fanout" => scenarios::fanout(target, args).await,
        "ticker" => scenarios::ticker(target, args).await,
        "echo-ack" => scenarios::echo_ack(target, args).await,
        "connect" => scenarios::connect(target, args).await,
        "idle" => scenarios::idle(target, args).await,
        "polling" => scenarios::polling(target, args).await,
        other => Err(format!("unknown scenario {other}\n{USAGE}").into()),
    }
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    // Many connections need many descriptors: take the hard limit.
    let nofile = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    net::now_micros();
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let result = runtime.block_on(run(&args));
    // Connections still open in spawned tasks are dropped here, without waiting for them.
    runtime.shutdown_background();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!("sio-bench {}: {e}", args.scenario);
            return ExitCode::from(2);
        }
    };
    let metrics: Vec<Value> = report
        .metrics
        .iter()
        .map(|(m, u, v)| json!({ "metric": m, "unit": u, "value": v }))
        .collect();
    let mut info = report.info.clone();
    info.insert("nofile_limit".into(), nofile.into());
    info.insert("loadavg_before".into(), loadavg.trim().into());
    let out = json!({
        "scenario": args.scenario,
        "server": args.string("server", ""),
        "round": args.num("round", 0).unwrap_or(0),
        "delivered": report.delivered,
        "metrics": metrics,
        "info": info,
    });
    println!("{out}");
    if report.delivered == 0 {
        eprintln!("sio-bench {}: nothing was delivered", args.scenario);
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
