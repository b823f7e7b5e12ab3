// The churn soak: `concurrency` socket.io-client 4.8 clients, each in a loop connecting,
// sending one acked message of about 1 KB and disconnecting, for `cycles` cycles in all. The
// transports rotate websocket / polling / polling-then-upgrade, and one cycle in ten is
// abandoned without a close (no Socket.IO disconnect, no Engine.IO close packet; a WebSocket is
// dropped without a close frame, a polling session just stops polling).
//
// A cycle fails when its ack does not come back, when the session is refused while the client
// still uses it (HTTP 400 `{"code":1,"message":"Session ID unknown"}`), or when the connection
// ends in any way the client did not ask for. Nothing is counted once the client has started
// its own close.
//
// Used by churn.test.mjs (a short run in CI) and by soak.mjs (the full soak with server
// accounting); see bench/README.md.

import { io } from "socket.io-client";

export const MODES = [
  { name: "websocket", transports: ["websocket"], upgrade: false },
  { name: "polling", transports: ["polling"], upgrade: false },
  { name: "polling+upgrade", transports: ["polling", "websocket"], upgrade: true },
];

/** The body of a failed polling request, when the client saw one. */
function responseText(details) {
  try {
    return details?.context?.responseText ?? "";
  } catch {
    return "";
  }
}

/** Drops the connection without any close: no `41`, no `1`, no WebSocket close frame. */
function abandon(socket) {
  const engine = socket.io.engine;
  const transport = engine?.transport;
  if (!transport) return;
  if (transport.name === "websocket") {
    // `ws`'s terminate() destroys the TCP connection without a close frame.
    const ws = transport.ws;
    transport.doClose = () => {};
    engine.close();
    ws?.terminate?.();
  } else {
    // No close packet: the pending long-poll is left to the server's heartbeat.
    transport.doClose = () => {};
    engine.close();
  }
}

/**
 * Runs the churn against `url` (the server's origin, e.g. `http://127.0.0.1:3000`).
 * Returns counts; `failures` is the sum of everything that must be zero.
 */
export async function churn({
  url,
  cycles = 2000,
  concurrency = 100,
  abandonEvery = 10,
  payloadBytes = 1000,
  ackTimeout = 10_000,
  upgradeWait = 3000,
  stallMs = 0,
  stallEveryMs = 1000,
  onProgress = null,
} = {}) {
  const stats = {
    cycles: 0,
    acked: 0,
    acksLost: 0,
    unknownSid: 0,
    connectErrors: 0,
    unexpectedDisconnects: 0,
    upgradesMissed: 0,
    abandoned: 0,
    byMode: Object.fromEntries(MODES.map((m) => [m.name, { cycles: 0, failed: 0 }])),
    reasons: {},
    samples: [],
  };
  const payload = "x".repeat(payloadBytes);
  let next = 0;
  const note = (kind, detail) => {
    stats.reasons[kind] = (stats.reasons[kind] ?? 0) + 1;
    // A few samples of each kind.
    if (stats.reasons[kind] <= 3 && stats.samples.length < 30) stats.samples.push(`${kind}: ${detail}`);
  };

  const cycle = (i) =>
    new Promise((resolve) => {
      const mode = MODES[i % MODES.length];
      const abandoning = abandonEvery > 0 && i % abandonEvery === abandonEvery - 1;
      let closing = false;
      let ackPending = false;
      let failed = false;
      let done = false;
      const fail = () => {
        failed = true;
      };
      const socket = io(url, {
        forceNew: true,
        reconnection: false,
        transports: mode.transports,
        timeout: ackTimeout,
      });
      const finish = () => {
        if (done) return;
        done = true;
        closing = true;
        stats.cycles++;
        stats.byMode[mode.name].cycles++;
        if (failed) stats.byMode[mode.name].failed++;
        socket.removeAllListeners();
        resolve();
      };
      const close = () => {
        closing = true;
        if (abandoning) {
          stats.abandoned++;
          abandon(socket);
        } else {
          socket.disconnect();
        }
        finish();
      };
      socket.on("connect_error", (err) => {
        if (closing) return;
        fail();
        stats.connectErrors++;
        const body = responseText(err);
        if (body.includes("Session ID unknown")) stats.unknownSid++;
        note("connect_error", `${mode.name} ${err.message} ${err.description ?? ""} ${body}`);
        finish();
      });
      socket.on("disconnect", (reason, details) => {
        if (closing) return;
        fail();
        stats.unexpectedDisconnects++;
        const body = responseText(details);
        if (body.includes("Session ID unknown")) stats.unknownSid++;
        note(`disconnect ${reason}`, `${mode.name} ${details?.description ?? ""} ${body}`);
        if (ackPending) {
          stats.acksLost++;
          note("ack lost", `${mode.name} disconnected`);
        }
        finish();
      });
      socket.on("connect", () => {
        ackPending = true;
        socket
          .timeout(ackTimeout)
          .emit("message-with-ack", { i, payload }, (err, echoed) => {
            if (done) return;
            ackPending = false;
            if (err || echoed?.i !== i) {
              fail();
              stats.acksLost++;
              note("ack lost", `${mode.name} ${err?.message ?? "wrong ack"}`);
              finish();
              return;
            }
            stats.acked++;
            const engine = socket.io.engine;
            if (!mode.upgrade || engine.transport.name === "websocket") return close();
            // polling-then-upgrade: leave once the upgrade is done.
            const timer = setTimeout(() => {
              stats.upgradesMissed++;
              note("upgrade missed", mode.name);
              close();
            }, upgradeWait);
            engine.once("upgrade", () => {
              clearTimeout(timer);
              if (!done) close();
            });
          });
      });
    });

  const worker = async () => {
    while (next < cycles) {
      const i = next++;
      await cycle(i);
      if (onProgress && stats.cycles % 1000 === 0) onProgress(stats);
    }
  };
  // Optional client stalls: the clients' event loop blocked for `stallMs` every
  // `stallEveryMs`, as a loaded machine or a garbage collection does; requests and pongs come
  // late, in bursts.
  const stalls =
    stallMs > 0
      ? setInterval(() => {
          const until = Date.now() + stallMs;
          while (Date.now() < until);
        }, stallEveryMs)
      : null;
  await Promise.all(Array.from({ length: Math.min(concurrency, cycles) }, worker));
  if (stalls) clearInterval(stalls);
  stats.failures =
    stats.acksLost + stats.unknownSid + stats.connectErrors + stats.unexpectedDisconnects;
  return stats;
}
