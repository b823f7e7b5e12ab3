// The short churn run of CI: 2,000 cycles of socket.io-client 4.8 clients (50 at a time)
// connecting to the conformance-server, sending one acked message of about 1 KB and leaving,
// over websocket / polling / polling-then-upgrade, one in ten abandoned without a close. No ack
// may be lost, and no live session refused (HTTP 400 "Session ID unknown"), as with Node's
// socket.io. The server's sessions and tasks must all be gone afterwards.
//
//   SIO_CONFORMANCE_BIN=target/debug/conformance-server npm test
// CHURN_CYCLES and CHURN_CONCURRENCY change the size (the full soak is soak.mjs).

import assert from "node:assert/strict";
import { test } from "node:test";
import { conformanceBin } from "../../tests/harness/conformance.mjs";
import { startServer } from "../../tests/harness/server.mjs";
import { sleep } from "../../tests/harness/wait.mjs";
import { churn } from "./churn.mjs";

const CYCLES = Number(process.env.CHURN_CYCLES || 2000);
const CONCURRENCY = Number(process.env.CHURN_CONCURRENCY || 50);

async function stats(port) {
  const res = await fetch(`http://127.0.0.1:${port}/__stats`);
  assert.equal(res.status, 200);
  return res.json();
}

test(`churn: ${CYCLES} cycles, ${CONCURRENCY} clients at a time, no ack lost, no live session refused`, { timeout: 600_000 }, async () => {
  const server = await startServer({
    command: conformanceBin("bench/churn"),
    env: { RUST_LOG: "warn" },
    probe: "/__stats",
    name: "conformance-server",
    live: true,
  });
  const { port } = server;
  try {
    const before = await stats(port);
    const result = await churn({ url: server.origin, cycles: CYCLES, concurrency: CONCURRENCY });
    const { samples, ...counts } = result;
    const what = `${JSON.stringify(counts)}\n${samples.join("\n")}`;
    assert.equal(result.cycles, CYCLES, what);
    assert.equal(result.acksLost, 0, `acks lost:\n${what}`);
    assert.equal(result.unknownSid, 0, `live sessions refused (400 Session ID unknown):\n${what}`);
    assert.equal(result.failures, 0, `unexpected ends of connections:\n${what}`);
    // Abandoned sessions end by ping timeout (300 + 200 ms), idle keep-alive connections
    // within seconds. One task stays: the connect timer, started by the first connection.
    const tasksAllowed = before.tokioTasks + 1;
    let after;
    for (let i = 0; i < 100; i++) {
      after = await stats(port);
      if (after.engineSessions === 0 && after.socketioSessions === 0 && after.tokioTasks <= tasksAllowed) break;
      await sleep(100);
    }
    assert.deepEqual(
      { engine: after.engineSessions, socketio: after.socketioSessions },
      { engine: 0, socketio: 0 },
      "sessions left over",
    );
    assert.ok(after.tokioTasks <= tasksAllowed, `tokio tasks: ${before.tokioTasks} before, ${after.tokioTasks} after`);
  } finally {
    await server.stop();
  }
});
