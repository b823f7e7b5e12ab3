#!/usr/bin/env node
// The full churn soak (see bench/README.md): starts a server, runs churn.mjs against it and
// reports what the clients saw plus the server's own accounting before and after — resident
// memory, open file descriptors and threads from /proc, and (sio's conformance-server only)
// the engine's sessions and the tokio tasks alive, from its `/__stats` route.
//
//   node soak.mjs [--server sio|node] [--bin PATH] [--port N] [--cycles N]
//                 [--concurrency N] [--abandon-every N] [--stall-ms N] [--stall-every-ms N]
//                 [--json]
//
// --server sio (default) runs the conformance-server at --bin (default
// $CARGO_TARGET_DIR/release/conformance-server); --server node runs node-server.mjs.
// --stall-ms blocks the clients' event loop that long every --stall-every-ms (default 1000),
// as a loaded machine does.
// Exits 1 when any cycle failed.

import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { churn } from "./churn.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const server = opt("server", "sio");
const port = Number(opt("port", 28200));
const cycles = Number(opt("cycles", 100_000));
const concurrency = Number(opt("concurrency", 100));
const abandonEvery = Number(opt("abandon-every", 10));
const stallMs = Number(opt("stall-ms", 0));
const stallEveryMs = Number(opt("stall-every-ms", 1000));
const targetDir = process.env.CARGO_TARGET_DIR || join(here, "..", "..", "target");
const bin = opt("bin", join(targetDir, "release", "conformance-server"));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start() {
  const [cmd, argv] =
    server === "node" ? [process.execPath, [join(here, "node-server.mjs")]] : [bin, []];
  const child = spawn(cmd, argv, {
    env: { ...process.env, PORT: String(port), RUST_LOG: process.env.RUST_LOG ?? "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return child;
}

async function waitReady() {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
      if (res.status === 200) return;
    } catch {}
    await sleep(50);
  }
  throw new Error(`no server on port ${port}`);
}

/** The server's accounting: /proc for every server, /__stats for sio's. */
async function account(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))?.[1]);
  const out = {
    rssMB: +(field("VmRSS") / 1024).toFixed(1),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    threads: field("Threads"),
  };
  if (server === "sio") {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/__stats`);
      if (res.ok) Object.assign(out, await res.json());
    } catch {}
  }
  return out;
}

const child = start();
let code = 1;
try {
  await waitReady();
  // The handshake above opened a session; let it time out before the baseline.
  await sleep(1500);
  const before = await account(child.pid);
  const started = Date.now();
  const stats = await churn({
    url: `http://127.0.0.1:${port}`,
    cycles,
    concurrency,
    abandonEvery,
    stallMs,
    stallEveryMs,
    onProgress: (s) => {
      if (s.cycles % 10_000 === 0)
        console.error(
          `${s.cycles} cycles, ${s.acksLost} acks lost, ${s.unknownSid} unknown sid, ` +
            `${s.unexpectedDisconnects} unexpected disconnects (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const peak = await account(child.pid);
  // Abandoned sessions end by ping timeout (500 ms); leave room for that and the connect timer.
  await sleep(3000);
  const after = await account(child.pid);
  const report = { server, cycles, concurrency, seconds, stats, before, peak, after };
  if (args.includes("--json")) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const { samples, byMode, reasons, ...counts } = stats;
    console.log(`server ${server}: ${cycles} cycles x ${concurrency} clients in ${seconds.toFixed(1)} s`);
    console.log("clients:", JSON.stringify(counts));
    console.log("by mode:", JSON.stringify(byMode));
    if (Object.keys(reasons).length) console.log("reasons:", JSON.stringify(reasons));
    for (const s of samples) console.log("  ", s);
    console.log("server before:", JSON.stringify(before));
    console.log("server at end:", JSON.stringify(peak));
    console.log("server after: ", JSON.stringify(after));
  }
  code = stats.failures === 0 ? 0 : 1;
} finally {
  child.kill("SIGTERM");
}
process.exit(code);
