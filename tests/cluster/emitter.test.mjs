// @socket.io/redis-emitter 5.1 publishing into a cluster of a sio node and a Node member:
// room emits (binary intact), socketsJoin then emit, socketsLeave, disconnectSockets; and a
// sharded cluster, which the emitter does not reach.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { REDIS_URL, ask, client, freshPrefix, next, startMember } from "./helpers.mjs";

let rooms = 0;
const freshRoom = (label) => `${label}-${++rooms}`;

describe("the emitter publishing into a sio + Node cluster", () => {
  let members = [];
  let redis;
  let emitter;
  const sockets = [];
  /** One client on each member. */
  const pair = async () => {
    const s = await Promise.all(members.map((m) => client(m)));
    sockets.push(...s);
    return s;
  };

  before(async () => {
    const prefix = freshPrefix();
    members = [await startMember("sio", "rust", prefix), await startMember("node", "js", prefix)];
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
    emitter = new Emitter(redis, { key: prefix });
  });

  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await redis?.quit();
    await Promise.all(members.map((m) => m.stop()));
  });

  test("a room emit reaches the room's sockets on both nodes, binary intact", async () => {
    const [onSio, onNode] = await pair();
    const room = freshRoom("emit");
    await ask(onSio, "join", room);
    await ask(onNode, "join", room);
    const got = [next(onSio, "room-message"), next(onNode, "room-message")];
    emitter.to(room).emit("room-message", "from-emitter", Buffer.from([7, 8, 9]));
    for (const [text, bytes] of await Promise.all(got)) {
      assert.equal(text, "from-emitter");
      assert.deepEqual([...Buffer.from(bytes)], [7, 8, 9]);
    }
  });

  test("socketsJoin then a room emit: the moved sockets get it", async () => {
    const [onSio, onNode] = await pair();
    const src = freshRoom("src");
    const dst = freshRoom("dst");
    await ask(onSio, "join", src);
    await ask(onNode, "join", src);
    const got = [next(onSio, "room-message"), next(onNode, "room-message")];
    emitter.in(src).socketsJoin(dst);
    emitter.to(dst).emit("room-message", "joined");
    assert.deepEqual(await Promise.all(got), [["joined"], ["joined"]]);
  });

  test("socketsLeave: a later emit to the room left does not arrive", async () => {
    const [onSio, onNode] = await pair();
    const left = freshRoom("left");
    const kept = freshRoom("kept");
    for (const s of [onSio, onNode]) {
      await ask(s, "join", left);
      await ask(s, "join", kept);
    }
    const got = [next(onSio, "room-message"), next(onNode, "room-message")];
    emitter.in(left).socketsLeave(left);
    emitter.to(left).emit("room-message", "should not arrive");
    emitter.to(kept).emit("room-message", "kept");
    // Published in this order on one connection: the first message each socket gets is "kept".
    assert.deepEqual(await Promise.all(got), [["kept"], ["kept"]]);
  });

  test("disconnectSockets disconnects the room's sockets on both nodes", async () => {
    const [onSio, onNode] = await pair();
    const room = freshRoom("bye");
    await ask(onSio, "join", room);
    await ask(onNode, "join", room);
    const gone = [next(onSio, "disconnect"), next(onNode, "disconnect")];
    emitter.in(room).disconnectSockets();
    for (const [reason] of await Promise.all(gone)) assert.equal(reason, "io server disconnect");
  });
});

// @socket.io/redis-emitter 5.1 has no sharded mode: it PUBLISHes on the pub/sub adapter's
// channels (`P#N#`, `P#N#<room>#`, `P-request#N#`), which members with the sharded adapter
// (SSUBSCRIBE on `P#N#...`, a separate namespace of channels in Redis) never read, sio and
// Node alike. What is true is checked here: the emitter's publishes reach no member.
describe("the emitter and a sharded sio + Node cluster", () => {
  let members = [];
  let redis;
  let prefix;
  const sockets = [];

  before(async () => {
    prefix = freshPrefix();
    const env = { SIO_ADAPTER: "sharded" };
    members = [
      await startMember("sio", "rust", prefix, env),
      await startMember("node", "js", prefix, env),
    ];
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
  });

  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await redis?.quit();
    await Promise.all(members.map((m) => m.stop()));
  });

  test("the emitter's channels have no subscriber, while both members count on the sharded one", async () => {
    const [onSio, onNode] = await Promise.all(members.map((m) => client(m)));
    sockets.push(onSio, onNode);
    const room = freshRoom("sharded");
    await ask(onSio, "join", room);
    await ask(onNode, "join", room);
    const [, counted] = await redis.sendCommand(["PUBSUB", "SHARDNUMSUB", `${prefix}#/#`]);
    assert.equal(Number(counted), 2);
    const [, roomChannel] = await redis.sendCommand(["PUBSUB", "SHARDNUMSUB", `${prefix}#/#${room}#`]);
    assert.equal(Number(roomChannel), 2, "both members subscribe to the room's sharded channel");
    // PUBLISH answers how many subscribers (patterns included) got the message.
    for (const channel of [`${prefix}#/#`, `${prefix}#/#${room}#`, `${prefix}-request#/#`]) {
      assert.equal(await redis.publish(channel, "{}"), 0, `${channel} reaches nobody`);
    }
  });
});
