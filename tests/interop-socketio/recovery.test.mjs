// Connection state recovery with socket.io-client's own reconnection: the server runs with
// SIO_RECOVERY=1 (this file starts its own server process).

process.env.SIO_RECOVERY = "1";
// A 1.5 s window, so that "too late" can be tested.
process.env.SIO_RECOVERY_MAX_MS = "1500";

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { useServer } from "./server.mjs";
import { MODES, MSGPACK, once, sleep } from "./helpers.mjs";

const server = useServer();
const parserOpts = MSGPACK ? { parser: (await import("socket.io-msgpack-parser")).default } : {};

function client(mode, extra = {}) {
  return io(server.url, {
    ...parserOpts,
    ...mode.opts,
    forceNew: true,
    reconnectionDelay: 50,
    reconnectionDelayMax: 100,
    timeout: 3000,
    ...extra,
  });
}

async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const mode of MODES) {
  describe(mode.name, () => {
    test("a dropped client comes back with its id, rooms and every packet it missed", async () => {
      const a = client(mode);
      const b = client(mode, { reconnection: false });
      try {
        await Promise.all([once(a, "connect", 3000), once(b, "connect", 3000)]);
        assert.equal(a.recovered, false);
        const id = a.id;
        assert.equal(await a.timeout(2000).emitWithAck("join", "r"), "r");

        // A first packet gives the client an offset (the last argument).
        b.emit("to-room", "r", "m1");
        const [m1, offset] = await once(a, "room-message", 2000);
        assert.equal(m1, "m1");
        assert.equal(typeof offset, "string");

        const received = [];
        a.on("room-message", (text) => received.push(text));
        const reasons = [];
        a.on("disconnect", (reason) => reasons.push(reason));

        // The transport drops; while the client is away, packets go to its room and to it.
        const reconnected = new Promise((resolve) => a.once("disconnect", () => resolve(once(a, "connect", 5000))));
        a.io.engine.transport.close();
        await until(() => reasons.length > 0, 2000, "the disconnect");
        assert.equal(reasons[0], "transport close");
        b.emit("to-room", "r", "m2");
        b.emit("to-room", "r", "m3");
        b.emit("to-room", id, "m4");
        b.emit("to-room", "elsewhere", "not for a");

        await reconnected;
        assert.equal(a.recovered, true);
        assert.equal(a.id, id);
        await until(() => received.length >= 3, 2000, "the missed packets");
        await sleep(100);
        assert.deepEqual(received, ["m2", "m3", "m4"]);

        // Its rooms came back: a new packet to "r" arrives live.
        b.emit("to-room", "r", "m5");
        await until(() => received.length === 4, 2000, "m5");
        assert.equal(received[3], "m5");
      } finally {
        a.close();
        b.close();
      }
    });

    test("a client that comes back after the window gets a fresh session", async () => {
      const a = client(mode, { reconnectionDelay: 2000, reconnectionDelayMax: 2000, randomizationFactor: 0 });
      const b = client(mode, { reconnection: false });
      try {
        await Promise.all([once(a, "connect", 3000), once(b, "connect", 3000)]);
        const id = a.id;
        assert.equal(await a.timeout(2000).emitWithAck("join", "r"), "r");
        b.emit("to-room", "r", "m1");
        await once(a, "room-message", 2000);
        const received = [];
        a.on("room-message", (text) => received.push(text));
        const back = new Promise((resolve) => a.once("disconnect", () => resolve(once(a, "connect", 6000))));
        a.io.engine.transport.close();
        await sleep(100);
        b.emit("to-room", "r", "missed");
        await back;
        assert.equal(a.recovered, false);
        assert.notEqual(a.id, id);
        await sleep(100);
        assert.deepEqual(received, []);
      } finally {
        a.close();
        b.close();
      }
    });

    test("an unknown or stale session is not recovered: the client gets a fresh one", async () => {
      const a = client(mode, { reconnection: false, auth: { pid: "not-a-session", offset: "nope" } });
      try {
        const authSeen = once(a, "auth", 3000);
        await once(a, "connect", 3000);
        assert.equal(a.recovered, false);
        assert.match(a.id, /^[A-Za-z0-9_-]{20}$/);
        // The auth payload reached the server as sent.
        const [auth] = await authSeen;
        assert.equal(auth.pid, "not-a-session");
      } finally {
        a.close();
      }
    });
  });
}
