// Two cluster members behind one Redis, official socket.io-client on each: two sio nodes, and
// a sio node with a Node member (socket.io 4.8 + @socket.io/redis-adapter 8.3) in both
// directions. Each pair uses channels of its own (SIO_REDIS_PREFIX).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ask, client, freshPrefix, next, startMember } from "./helpers.mjs";

const PAIRS = [
  ["sio", "sio"],
  ["sio", "node"],
  ["node", "sio"],
  // Both answering on the requester's own channel (publishOnSpecificResponseChannel).
  ["sio", "node", { SIO_REDIS_SPECIFIC_RESPONSE: "1" }],
  // The sharded adapter (createShardedAdapter; SSUBSCRIBE, Redis 7), its three subscription
  // modes.
  ["sio", "sio", { SIO_ADAPTER: "sharded" }],
  ["sio", "node", { SIO_ADAPTER: "sharded" }],
  ["node", "sio", { SIO_ADAPTER: "sharded" }],
  ["sio", "node", { SIO_ADAPTER: "sharded", SIO_SUBSCRIPTION_MODE: "dynamic-private" }],
  ["node", "sio", { SIO_ADAPTER: "sharded", SIO_SUBSCRIPTION_MODE: "static" }],
  // The streams adapter (@socket.io/redis-streams-adapter 0.3), without and with connection
  // state recovery (every event then carries its offset as one more argument).
  ["sio", "sio", { SIO_ADAPTER: "streams" }],
  ["sio", "node", { SIO_ADAPTER: "streams" }],
  ["node", "sio", { SIO_ADAPTER: "streams" }],
  ["sio", "sio", { SIO_ADAPTER: "streams", SIO_RECOVERY: "1" }],
  ["sio", "node", { SIO_ADAPTER: "streams", SIO_RECOVERY: "1" }],
  ["node", "sio", { SIO_ADAPTER: "streams", SIO_RECOVERY: "1" }],
];

let rooms = 0;
const freshRoom = (label) => `${label}-${++rooms}`;

for (const [kindA, kindB, env = {}] of PAIRS) {
  const variant = Object.keys(env).length
    ? ` (${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")})`
    : "";
  describe(`${kindA} node A + ${kindB} node B${variant}`, () => {
    let a;
    let b;
    const sockets = [];
    /** An event's arguments, its offset (last argument, with recovery) checked and removed. */
    const payload = (args) => {
      if (env.SIO_RECOVERY !== "1") return args;
      assert.match(args.at(-1), /^\d+-\d+$/, "the offset comes last");
      return args.slice(0, -1);
    };
    /** A client on `member`, disconnected when the pair's tests end. */
    const on = async (member) => {
      const s = await client(member);
      sockets.push(s);
      return s;
    };

    before(async () => {
      const prefix = freshPrefix();
      // A stream of the pair's own (streams adapter).
      const own = { SIO_REDIS_STREAM: prefix, ...env };
      a = await startMember(kindA, "A", prefix, own);
      b = await startMember(kindB, "B", prefix, own);
    });

    after(async () => {
      sockets.forEach((s) => s.disconnect());
      await Promise.all([a?.stop(), b?.stop()]);
    });

    test("each node greets with its name and counts two servers", async () => {
      const ca = await on(a);
      const cb = await on(b);
      assert.deepEqual(ca.hello, { node: "A" });
      assert.deepEqual(cb.hello, { node: "B" });
      assert.equal(await ask(ca, "server-count"), 2);
      assert.equal(await ask(cb, "server-count"), 2);
    });

    for (const [from, to] of [
      ["A", "B"],
      ["B", "A"],
    ]) {
      test(`to-room through ${from} reaches a socket on ${to}, binary intact`, async () => {
        const sender = await on(from === "A" ? a : b);
        const receiver = await on(to === "A" ? a : b);
        const room = freshRoom("binary");
        assert.equal(await ask(receiver, "join", room), room);
        const got = next(receiver, "room-message");
        sender.emit("to-room", room, "file", Buffer.from([0, 1, 2, 255]), { nested: [1, "two"] });
        const [name, bytes, extra] = payload(await got);
        assert.equal(name, "file");
        assert.ok(Buffer.isBuffer(bytes), "binary arrives as a Buffer");
        assert.deepEqual([...bytes], [0, 1, 2, 255]);
        assert.deepEqual(extra, { nested: [1, "two"] });
      });

      test(`broadcast through ${from} reaches ${to} and skips the sender`, async () => {
        const sender = await on(from === "A" ? a : b);
        const receiver = await on(to === "A" ? a : b);
        let echoed = false;
        sender.on("broadcast", () => {
          echoed = true;
        });
        const got = next(receiver, "broadcast");
        sender.emit("broadcast", "hi", Buffer.from("bin"));
        const [text, bytes] = payload(await got);
        assert.equal(text, "hi");
        assert.equal(Buffer.from(bytes).toString(), "bin");
        // A message sent to the sender itself after the broadcast arrives after it would have.
        const room = freshRoom("self");
        await ask(sender, "join", room);
        const mine = next(sender, "room-message");
        sender.emit("to-room", room, "after");
        await mine;
        assert.equal(echoed, false, "the sender got its own broadcast");
      });

      test(`server-side emit with ack from ${from} gets ${to}'s name`, async () => {
        const asker = await on(from === "A" ? a : b);
        assert.deepEqual(await ask(asker, "ping-servers"), [to]);
      });

      test(`make-join through ${from} moves a socket on ${to}; to-room through ${to} right after the ack reaches it`, async () => {
        const mover = await on(from === "A" ? a : b);
        const moved = await on(to === "A" ? a : b);
        // Sent through the moved socket's own node, which delivers locally at once: only the
        // barrier behind the ack makes sure the join landed there first.
        const sender = await on(to === "A" ? a : b);
        const src = freshRoom("from");
        const dst = freshRoom("to");
        await ask(moved, "join", src);
        assert.equal(await ask(mover, "make-join", src, dst), true);
        const got = next(moved, "room-message");
        sender.emit("to-room", dst, "moved");
        assert.deepEqual(payload(await got), ["moved"]);
      });

      test(`kick-room through ${from} disconnects the room's sockets on ${to}`, async () => {
        const kicker = await on(from === "A" ? a : b);
        const victim = await on(to === "A" ? a : b);
        const room = freshRoom("kick");
        await ask(victim, "join", room);
        const gone = next(victim, "disconnect");
        assert.equal(await ask(kicker, "kick-room", room), true);
        assert.deepEqual(await gone, ["io server disconnect", undefined]);
      });
    }

    test("count-room and rooms-of-all see both nodes' sockets", async () => {
      const ca = await on(a);
      const cb = await on(b);
      const room = freshRoom("count");
      await ask(ca, "join", room);
      await ask(cb, "join", room);
      assert.equal(await ask(ca, "count-room", room), 2);
      assert.equal(await ask(cb, "count-room", room), 2);
      assert.equal(await ask(ca, "count-room", freshRoom("empty")), 0);
      const all = await ask(ca, "rooms-of-all");
      const connected = sockets.filter((s) => s.connected).map((s) => s.id);
      assert.deepEqual(all, [...connected].sort());
      assert.deepEqual(await ask(cb, "rooms-of-all"), all);
    });

    test("set-data / get-data: {} by default", async () => {
      const ca = await on(a);
      assert.deepEqual(await ask(ca, "get-data"), {});
      assert.equal(await ask(ca, "set-data", { n: 1 }), true);
      assert.deepEqual(await ask(ca, "get-data"), { n: 1 });
    });

    test("broadcast-with-ack to an empty room acks 0", async () => {
      const ca = await on(a);
      assert.equal(await ask(ca, "broadcast-with-ack", freshRoom("nobody")), 0);
    });

    {
      // A broadcast with acks (request type 7) from A: B reports its client count and acks.
      test("broadcast-with-ack through A counts the answers of clients on both nodes", async () => {
        const asker = await on(a);
        const local = await on(a);
        const remote = await on(b);
        const room = freshRoom("question");
        await ask(local, "join", room);
        await ask(remote, "join", room);
        for (const s of [local, remote]) s.on("question", (cb) => cb("yes"));
        assert.equal(await ask(asker, "broadcast-with-ack", room), 2);
      });
    }
  });
}

test("cluster-node refuses an unknown SIO_ADAPTER at startup with a clear error", async () => {
  await assert.rejects(
    startMember("sio", "S", freshPrefix(), { SIO_ADAPTER: "sharded-typo" }),
    /exited \(1\)[\s\S]*SIO_ADAPTER must be pubsub, sharded or streams, not sharded-typo/,
  );
});
