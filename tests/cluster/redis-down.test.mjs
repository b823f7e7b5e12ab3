// Redis going away under two sio nodes, with the pub/sub, the sharded and the streams adapter
// (with and without recovery), on a private
// redis-server (the shared one at 6379 is left alone): local delivery goes on, remote operations fail with an error instead of
// hanging, and once Redis is back the nodes are subscribed and counted again.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { WAIT, ask, client, freshPrefix, next, startMember, withTimeout } from "./helpers.mjs";

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "redis-server";

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** A redis-server on `port`, without persistence; resolves once it accepts connections. */
async function startRedis(port) {
  const child = spawn(
    REDIS_SERVER,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await withTimeout(
    new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) resolve();
      });
      exited.then((code) => reject(new Error(`redis-server exited (${code}):\n${output}`)));
    }),
    WAIT,
    "redis-server to start",
  );
  return {
    async stop() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The next `room-message` on `socket` whose first argument is `text`. */
const message = (socket, text) =>
  withTimeout(
    new Promise((resolve) => {
      const on = (first, ...rest) => {
        if (first !== text) return;
        socket.off("room-message", on);
        resolve([first, ...rest]);
      };
      socket.on("room-message", on);
    }),
    WAIT * 2,
    `room-message ${text} on ${socket.id}`,
  );

for (const [adapter, extra = {}] of [
  ["pubsub"],
  ["sharded"],
  ["streams"],
  ["streams", { SIO_RECOVERY: "1" }],
]) describe(`Redis down and back under two sio nodes (${adapter}${extra.SIO_RECOVERY ? ", recovery" : ""})`, () => {
  let port;
  let redis;
  let a;
  let b;
  const sockets = [];

  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const prefix = freshPrefix();
    const env = { REDIS_URL: `redis://127.0.0.1:${port}/`, SIO_ADAPTER: adapter, SIO_REDIS_STREAM: prefix, ...extra };
    a = await startMember("sio", "A", prefix, env);
    b = await startMember("sio", "B", prefix, env);
  });

  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  test("local delivery goes on, remote operations fail, and the cluster comes back", async () => {
    const ca = await client(a);
    const cb = await client(b);
    sockets.push(ca, cb);
    await ask(ca, "join", "r");
    await ask(cb, "join", "r");
    assert.equal(await ask(ca, "count-room", "r"), 2);

    await redis.stop();

    // This node's own sockets still get its room emits.
    const local = message(ca, "during");
    ca.emit("to-room", "r", "during");
    await local;

    // Remote operations answer with an error (within the requests timeout), not never.
    const count = await ask(ca, "count-room", "r");
    assert.equal(typeof count?.error, "string", `count-room while Redis is down: ${JSON.stringify(count)}`);
    const servers = await ask(cb, "server-count");
    assert.equal(typeof servers?.error, "string");

    redis = await startRedis(port);

    // Both nodes reconnect, subscribe again and count each other.
    for (;;) {
      const n = await ask(ca, "server-count");
      if (n === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (;;) {
      const n = await ask(cb, "server-count");
      if (n === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // With the sharded adapter "r" has a channel of its own: B subscribed to it again.
    const remote = message(cb, "after");
    ca.emit("to-room", "r", "after");
    await remote;
    assert.equal(await ask(cb, "count-room", "r"), 2);
  });
});
