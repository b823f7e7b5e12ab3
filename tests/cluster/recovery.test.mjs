// Connection state recovery across nodes with the streams adapter (@socket.io/redis-streams-
// adapter 0.3): a client behind a switchable TCP proxy (a load balancer in miniature) is on
// node A; its transport is cut; broadcasts go out from B and from A meanwhile; it comes back
// through B with the same id, its rooms and data, and every missed packet once, in order.
// Pairs: sio + sio, sio + Node both ways, and Node + Node as the reference. Then the cases
// that must end in a fresh session without a server error: after the window, a tampered
// offset, the session key gone.

import assert from "node:assert/strict";
import { createServer, connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { createClient } from "redis";
import { REDIS_URL, WAIT, ask, client, freshPrefix, next, startMember, withTimeout } from "./helpers.mjs";

/** A TCP proxy to one member at a time; `cut()` drops every connection through it. */
async function proxy() {
  let target = null;
  const open = new Set();
  const server = createServer((inbound) => {
    if (!target) {
      inbound.destroy();
      return;
    }
    const outbound = tcpConnect(Number(target.port), target.hostname);
    const pair = [inbound, outbound];
    open.add(pair);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(pair);
    };
    for (const s of pair) {
      s.on("error", end);
      s.on("close", end);
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    name: "proxy",
    url: `http://127.0.0.1:${server.address().port}`,
    /** New connections go to `member` (none: refused). */
    route(member) {
      target = member ? new URL(member.url) : null;
    },
    cut() {
      for (const [i, o] of open) {
        i.destroy();
        o.destroy();
      }
      open.clear();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const OFFSET = /^\d+-\d+$/;
const redis = createClient({ url: REDIS_URL });
before(() => redis.connect());
after(() => redis.quit());

/** Resolves once `key` exists in Redis. */
async function keyExists(key) {
  const start = Date.now();
  while (!(await redis.exists(key))) {
    if (Date.now() - start > WAIT) throw new Error(`timed out waiting for ${key}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Records the events a socket gets, with their arguments (the offset checked, removed). */
function record(socket, events) {
  const got = [];
  for (const event of events) {
    socket.on(event, (...args) => {
      assert.match(args.at(-1), OFFSET, `${event} carries its offset last`);
      got.push([event, ...args.slice(0, -1)]);
    });
  }
  return got;
}

/** Waits until `list` has `n` entries. */
async function until(list, n, what) {
  const start = Date.now();
  while (list.length < n) {
    if (Date.now() - start > WAIT) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A client through `lb`, reconnecting quickly. */
const viaProxy = (lb) =>
  client(lb, { reconnectionDelay: 50, reconnectionDelayMax: 100, randomizationFactor: 0 });

/** The pair's members, started with recovery on a stream of their own. */
async function pair(kindA, kindB, extra = {}) {
  const prefix = freshPrefix();
  const env = { SIO_ADAPTER: "streams", SIO_RECOVERY: "1", SIO_REDIS_STREAM: prefix, ...extra };
  const a = await startMember(kindA, "A", prefix, env);
  const b = await startMember(kindB, "B", prefix, env);
  return { a, b, prefix };
}

/** No error logged by a member (sio: `ERROR` or a panic; Node: an uncaught exception). */
function noServerError(member) {
  assert.doesNotMatch(member.output(), / ERROR |panicked|Uncaught|UnhandledPromiseRejection/);
}

let rooms = 0;
const freshRoom = (label) => `${label}-${++rooms}`;

for (const [kindA, kindB] of [
  ["sio", "sio"],
  ["sio", "node"],
  ["node", "sio"],
  ["node", "node"],
]) {
  describe(`recovery: client on ${kindA} node A comes back through ${kindB} node B`, () => {
    let a;
    let b;
    let lb;
    const sockets = [];
    const track = (s) => (sockets.push(s), s);

    before(async () => {
      ({ a, b } = await pair(kindA, kindB));
      lb = await proxy();
    });

    after(async () => {
      sockets.forEach((s) => s.disconnect());
      await lb?.close();
      await Promise.all([a?.stop(), b?.stop()]);
    });

    test("same id, recovered, rooms and data intact, every missed packet once and in order", async () => {
      lb.route(a);
      const c = track(await viaProxy(lb));
      assert.deepEqual(c.hello, { node: "A" });
      const sid = c.id;
      const room = freshRoom("news");
      assert.equal(await ask(c, "join", room), room);
      assert.equal(await ask(c, "set-data", { n: 1, s: "x" }), true);
      // Observers: one in the room on each node, one sender on each node.
      const onA = track(await client(a));
      const onB = track(await client(b));
      await ask(onA, "join", room);
      await ask(onB, "join", room);
      const seenA = record(onA, ["room-message", "broadcast"]);
      const got = record(c, ["room-message", "broadcast"]);
      const hellos = [];
      c.on("hello", (...args) => hellos.push(args));

      // The cut: the client is away, new connections refused until it goes to B.
      lb.route(null);
      const away = next(c, "disconnect");
      lb.cut();
      await away;
      await keyExists(`sio:session:${c._pid}`);
      // Kept for the recovery window (120 s by default), as Node keeps it.
      const ttl = await redis.pTTL(`sio:session:${c._pid}`);
      assert.ok(ttl > 100_000 && ttl <= 120_000, `PTTL ${ttl}`);

      // One after the other, each in the stream before the next is sent (A's observer got it:
      // A delivers its own once XADD answered), so that the stream's order is this one.
      onB.emit("to-room", room, "from B", 1);
      await until(seenA, 1, "the observer on A");
      onA.emit("to-room", room, "from A", Buffer.from([1, 2, 3]));
      await until(seenA, 2, "the observer on A");
      onB.emit("broadcast", "to all from B");
      await until(seenA, 3, "the observer on A");
      onA.emit("to-room", freshRoom("elsewhere"), "not for it");
      onB.emit("to-room", room, "from B", 2);
      await until(seenA, 4, "the observer on A");

      lb.route(b);
      const back = withTimeout(
        new Promise((resolve) => c.once("connect", resolve)),
        WAIT,
        "the reconnection through B",
      );
      await back;
      assert.equal(c.id, sid, "same socket id");
      assert.equal(c.recovered, true, "recovered");

      const marker = next(c, "room-message");
      onA.emit("to-room", room, "end");
      await marker;
      await until(got, 5, "the missed packets");
      assert.deepEqual(
        got.map(([event, ...args]) => [event, ...args.map((x) => (Buffer.isBuffer(x) ? [...x] : x))]),
        [
          ["room-message", "from B", 1],
          ["room-message", "from A", [1, 2, 3]],
          ["broadcast", "to all from B"],
          ["room-message", "from B", 2],
          ["room-message", "end"],
        ],
      );
      // Node fires `connection` again: B greets the recovered socket.
      await until(hellos, 1, "hello from B");
      assert.deepEqual(hellos[0][0], { node: "B" });
      assert.match(hellos[0].at(-1), OFFSET);
      assert.deepEqual(await ask(c, "get-data"), { n: 1, s: "x" });
      assert.equal(await ask(c, "count-room", room), 3, "still in the room, seen from B");
      noServerError(a);
      noServerError(b);
    });
  });
}

for (const [kindA, kindB] of [
  ["sio", "sio"],
  ["node", "sio"],
]) {
  describe(`recovery fails cleanly on sio: client on ${kindA} node A, back through ${kindB} node B`, () => {
    let a;
    let b;
    let lb;
    const sockets = [];
    const track = (s) => (sockets.push(s), s);

    before(async () => {
      ({ a, b } = await pair(kindA, kindB, { SIO_RECOVERY_MAX_MS: "3000" }));
      lb = await proxy();
    });

    after(async () => {
      sockets.forEach((s) => s.disconnect());
      await lb?.close();
      await Promise.all([a?.stop(), b?.stop()]);
    });

    /** Connects through A, cuts, runs `meanwhile`, comes back through B: a fresh session. */
    async function freshAfter(meanwhile) {
      lb.route(a);
      const c = track(await viaProxy(lb));
      const room = freshRoom("gone");
      await ask(c, "join", room);
      await ask(c, "set-data", { n: 2 });
      const sid = c.id;
      lb.route(null);
      const away = next(c, "disconnect");
      lb.cut();
      await away;
      await keyExists(`sio:session:${c._pid}`);
      await meanwhile(c);
      const hello = next(c, "hello");
      lb.route(b);
      await withTimeout(new Promise((resolve) => c.once("connect", resolve)), WAIT, "the reconnection");
      assert.equal(c.recovered, false, "not recovered");
      assert.notEqual(c.id, sid, "a new socket id");
      const [greeting] = await hello;
      assert.deepEqual(greeting, { node: "B" });
      assert.deepEqual(await ask(c, "get-data"), {}, "fresh data");
      assert.equal(await ask(c, "count-room", room), 0, "in no room");
      noServerError(a);
      noServerError(b);
    }

    test("after the window", async () => {
      await freshAfter(async (c) => {
        const key = `sio:session:${c._pid}`;
        const start = Date.now();
        while (await redis.exists(key)) {
          if (Date.now() - start > WAIT) throw new Error("the session did not expire");
          await new Promise((r) => setTimeout(r, 50));
        }
      });
    });

    test("with a malformed offset", async () => {
      await freshAfter(async (c) => {
        c._lastOffset = "not-an-offset";
      });
    });

    test("with an offset that is not in the stream", async () => {
      await freshAfter(async (c) => {
        c._lastOffset = "1-0";
      });
    });

    test("with the session key gone", async () => {
      await freshAfter(async (c) => {
        await redis.del(`sio:session:${c._pid}`);
      });
    });
  });
}
