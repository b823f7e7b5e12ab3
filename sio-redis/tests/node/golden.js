// Prints, one JSON line per message, the exact bytes Node's @socket.io/redis-adapter 8.3 (pub/sub
// and sharded), @socket.io/redis-emitter 5.1 and @socket.io/redis-streams-adapter 0.3.1 (stream
// entries as the JSON of their fields, publishes, sessions) publish, for sio-redis's golden tests
// (tests/golden.rs). Each adapter runs for real against a fake Redis client that records what it
// is asked to publish; random ids are made deterministic by replacing uid2 and
// crypto.randomBytes before the packages load.
"use strict";

const crypto = require("crypto");
const path = require("path");

// uid2(6): "AbC-_1" for the pub/sub adapter's uid, then request ids "req001", "req002", ...
let uidCalls = 0;
const uid2Path = require.resolve("uid2", {
  paths: [path.dirname(require.resolve("@socket.io/redis-adapter"))],
});
require.cache[uid2Path] = {
  id: uid2Path,
  filename: uid2Path,
  loaded: true,
  exports: () => (uidCalls++ === 0 ? "AbC-_1" : "req" + String(uidCalls - 1).padStart(3, "0")),
};
// crypto.randomBytes(8): the sharded adapter's uid, then its request ids.
let randomCalls = 0;
crypto.randomBytes = (n) => {
  const b = Buffer.alloc(n);
  b[n - 1] = randomCalls++;
  b[0] = 0xab;
  return b;
};

const { RedisAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const { Emitter } = require("@socket.io/redis-emitter");
const { createAdapter: createStreamsAdapter } = require("@socket.io/redis-streams-adapter");
const notepack = require("notepack.io");

function out(name, channel, payload) {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  process.stdout.write(JSON.stringify({ name, channel, hex: buf.toString("hex") }) + "\n");
}

let current = "unnamed";
function fakeClient(numsub) {
  return {
    psubscribe() {},
    subscribe() {},
    ssubscribe() {},
    sunsubscribe() {},
    on() {},
    off() {},
    publish(channel, msg) {
      out(current, channel, msg);
      return Promise.resolve(1);
    },
    spublish(channel, msg) {
      out(current, channel, msg);
      return Promise.resolve(1);
    },
    send_command(cmd, args, cb) {
      cb(null, [args[1], numsub]);
    },
  };
}

function fakeNsp(name) {
  return {
    name,
    sockets: new Map(),
    _ids: 0,
    server: { encoder: { encode: (p) => [p] }, opts: {} },
    _onServerSideEmit(args) {
      const last = args[args.length - 1];
      if (typeof last === "function") last("pong");
    },
  };
}

const HANDSHAKE = {
  headers: { host: "localhost:3000", "user-agent": "node" },
  time: "Thu Nov 14 2024 10:00:00 GMT+0000 (Coordinated Universal Time)",
  address: "::1",
  xdomain: false,
  secure: false,
  issued: 1731578400000,
  url: "/socket.io/?EIO=4&transport=websocket",
  query: { EIO: "4", transport: "websocket" },
  auth: { token: "t" },
};

function addSocket(adapter, nsp, id, rooms, data) {
  adapter.addAll(id, new Set([id, ...rooms]));
  nsp.sockets.set(id, {
    id,
    handshake: HANDSHAKE,
    get rooms() {
      return adapter.socketRooms(id) || new Set();
    },
    data,
  });
}

async function pubsub() {
  const nsp = fakeNsp("/");
  const pub = fakeClient(2);
  const adapter = new RedisAdapter(nsp, pub, fakeClient(2), {});
  const all = (rooms, except, flags) => ({ rooms: new Set(rooms), except: new Set(except), flags });

  current = "pubsub.broadcast.plain";
  adapter.broadcast({ type: 2, data: ["hello", 1, "two", { a: true, n: null }, [1.5, -3, 300, -200, 70000, 5000000000]] }, all([], [], {}));
  current = "pubsub.broadcast.room_binary";
  adapter.broadcast(
    { type: 2, data: ["file", Buffer.from([1, 2, 3]), { nested: Buffer.from("xyz") }] },
    all(["room1"], ["x"], { volatile: true, compress: true }),
  );
  current = "pubsub.broadcast.two_rooms_no_flags";
  adapter.broadcast({ type: 2, data: ["ev"] }, all(["a", "b"], [], undefined));
  current = "pubsub.broadcast.undefined";
  adapter.broadcast({ type: 2, data: ["undef", undefined, { u: undefined, k: 1 }] }, all([], [], { timeout: 2000 }));
  // Dates and ArrayBuffers: decoded by Rust only (the ISO string and the bytes a client gets).
  current = "pubsub.broadcast.date";
  adapter.broadcast({ type: 2, data: ["when", new Date(1700000000123), new Date(0)] }, all([], [], {}));
  current = "pubsub.broadcast.arraybuffer";
  adapter.broadcast({ type: 2, data: ["ab", new Uint8Array([9, 8]).buffer] }, all([], [], {}));

  const tick = () => new Promise((r) => setImmediate(r));
  current = "pubsub.request.all_rooms";
  adapter.allRooms();
  await tick();
  current = "pubsub.request.fetch";
  adapter.fetchSockets(all(["r"], ["s"], {}));
  await tick();
  current = "pubsub.request.join";
  adapter.addSockets(all(["a"], ["b"], {}), ["c", "d"]);
  current = "pubsub.request.leave";
  adapter.delSockets(all([], [], {}), ["c"]);
  current = "pubsub.request.disconnect";
  adapter.disconnectSockets(all(["a"], [], {}), true);
  current = "pubsub.request.server_side_emit";
  adapter.serverSideEmit(["ping", 1, { x: "y" }]);
  current = "pubsub.request.server_side_emit_ack";
  adapter.serverSideEmit(["ping", () => {}]);
  await tick();
  current = "pubsub.request.broadcast_ack";
  adapter.broadcastWithAck(
    { type: 2, data: ["question", Buffer.from([7])] },
    all(["room1"], [], { timeout: 2000 }),
    () => {},
    () => {},
  );
  current = "pubsub.request.sockets";
  out(current, adapter.requestChannel, JSON.stringify({ uid: "OtHeR1", requestId: "q00000", type: 0, rooms: ["r"] }));

  // Answers, from requests of another node ("OtHeR1").
  addSocket(adapter, nsp, "sock-id-1", ["r"], { n: 1 });
  const ask = (name, request) => {
    current = name;
    return adapter.onrequest(adapter.requestChannel, Buffer.from(JSON.stringify(request)));
  };
  await ask("pubsub.response.sockets", { uid: "OtHeR1", requestId: "q00000", type: 0, rooms: ["r"] });
  await ask("pubsub.response.all_rooms", { uid: "OtHeR1", requestId: "q00001", type: 1 });
  await ask("pubsub.response.fetch", { uid: "OtHeR1", requestId: "q00005", type: 5, opts: { rooms: ["r"], except: [] } });
  await ask("pubsub.response.server_side_emit", { uid: "OtHeR1", requestId: "q00006", type: 6, data: ["ping"] });
  current = "pubsub.response.broadcast_client_count";
  await adapter.onrequest(
    adapter.requestChannel,
    notepack.encode({ uid: "OtHeR1", requestId: "q00007", type: 7, packet: { type: 2, data: ["q"], nsp: "/" }, opts: { rooms: ["empty"], except: [], flags: { timeout: 2000 } } }),
  );
  // The ack answer is published from inside socket.io's ack callback: the same object, encoded.
  current = "pubsub.response.broadcast_ack";
  adapter.publishResponse({ uid: "OtHeR1" }, notepack.encode({ type: 9, requestId: "q00007", packet: ["yes", Buffer.from([1])] }));

  // publishOnSpecificResponseChannel
  const specific = new RedisAdapter(fakeNsp("/"), fakeClient(2), fakeClient(2), { publishOnSpecificResponseChannel: true, key: "my-app" });
  current = "pubsub.specific.all_rooms";
  await specific.onrequest(specific.requestChannel, Buffer.from(JSON.stringify({ uid: "OtHeR1", requestId: "q00009", type: 1 })));
  current = "pubsub.specific.broadcast_admin_nsp";
  const admin = new RedisAdapter(fakeNsp("/admin"), fakeClient(2), fakeClient(2), { key: "my-app" });
  admin.uid = "AbC-_2";
  admin.broadcast({ type: 2, data: ["x"] }, all([], [], {}));
}

function emitter() {
  const e = new Emitter(fakeClient(0));
  current = "emitter.emit";
  e.emit("hello", "world", 1);
  current = "emitter.room_binary";
  e.to("room1").emit("file", Buffer.from([1, 2]));
  current = "emitter.flags";
  e.volatile.compress(false).except("x").emit("v");
  current = "emitter.admin";
  e.of("admin").to(["a", "b"]).emit("x");
  current = "emitter.join";
  e.in("a").socketsJoin("b");
  current = "emitter.leave";
  e.socketsLeave(["b", "c"]);
  current = "emitter.disconnect";
  e.in("room1").disconnectSockets(true);
  current = "emitter.server_side_emit";
  e.serverSideEmit("ping", 1);
}

async function sharded() {
  const nsp = fakeNsp("/");
  const adapter = createShardedAdapter(fakeClient(2), fakeClient(2), {})(nsp);
  process.stdout.write(JSON.stringify({ name: "sharded.uid", channel: "", hex: Buffer.from(adapter.uid).toString("hex") }) + "\n");
  const opts = (rooms, except, flags) => ({ rooms: new Set(rooms), except: new Set(except), flags });
  current = "sharded.broadcast.room";
  await adapter.broadcast({ type: 2, data: ["hello", 1] }, opts(["room1"], [], {}));
  current = "sharded.broadcast.socket_id";
  await adapter.broadcast({ type: 2, data: ["hello"] }, opts(["abcdefghijklmnopqrst"], [], {}));
  current = "sharded.broadcast.binary";
  await adapter.broadcast({ type: 2, data: ["bin", Buffer.from([1, 2, 3])] }, opts([], ["x"], { volatile: true }));
  current = "sharded.join";
  await adapter.addSockets(opts(["a"], [], {}), ["b"]);
  current = "sharded.leave";
  await adapter.delSockets(opts([], ["a"], {}), ["b"]);
  current = "sharded.disconnect";
  await adapter.disconnectSockets(opts(["a"], [], {}), false);
  current = "sharded.fetch";
  adapter.fetchSockets(opts(["r"], [], {}));
  await new Promise((r) => setImmediate(r));
  current = "sharded.server_side_emit";
  await adapter.serverSideEmit(["ping", 1]);
  current = "sharded.server_side_emit_ack";
  adapter.serverSideEmit(["ping", () => {}]);
  await new Promise((r) => setImmediate(r));
  current = "sharded.broadcast_ack";
  adapter.broadcastWithAck({ type: 2, data: ["question"] }, opts(["room1"], [], { timeout: 2000 }), () => {}, () => {});

  // Answers to another node ("0123456789abcdef").
  addSocket(adapter, nsp, "sock-id-1", ["r"], { n: 1 });
  const other = "0123456789abcdef";
  current = "sharded.response.fetch";
  adapter.onMessage({ uid: other, nsp: "/", type: 7, data: { opts: { rooms: ["r"], except: [] }, requestId: "r1" } });
  await new Promise((r) => setImmediate(r));
  current = "sharded.response.server_side_emit";
  adapter.onMessage({ uid: other, nsp: "/", type: 9, data: { requestId: "r2", packet: ["ping"] } });
  current = "sharded.response.client_count";
  adapter.onMessage({ uid: other, nsp: "/", type: 3, data: { requestId: "r3", packet: { type: 2, data: ["q"] }, opts: { rooms: ["empty"], except: [], flags: { timeout: 2000 } } } });
  current = "sharded.response.broadcast_ack";
  adapter.publishResponse(other, { type: 12, data: { requestId: "r3", packet: "yes" } });
  current = "sharded.response.broadcast_ack_binary";
  adapter.publishResponse(other, { type: 12, data: { requestId: "r3", packet: Buffer.from([5]) } });
}

// A node-redis v4 look-alike for the streams adapter: XADD fields, publishes and SETs recorded;
// its reader's XREAD never answers.
function fakeStreamsClient() {
  const client = {
    duplicate: () => client,
    on() {},
    connect: () => Promise.resolve(),
    sSubscribe() {},
    subscribe() {},
    xRead: () => new Promise(() => {}),
    xAdd(stream, id, fields) {
      out(current, stream, JSON.stringify(fields));
      return Promise.resolve("1700000000000-0");
    },
    publish(channel, msg) {
      out(current, channel, msg);
      return Promise.resolve(1);
    },
    set(key, value) {
      out(current, key, value);
      return Promise.resolve("OK");
    },
    sendCommand: () => Promise.resolve(["socket.io#/#", 2]),
  };
  return client;
}

async function streams() {
  const nsp = fakeNsp("/");
  nsp.server.opts = { connectionStateRecovery: { maxDisconnectionDuration: 120000 } };
  const adapter = createStreamsAdapter(fakeStreamsClient(), {})(nsp);
  process.stdout.write(JSON.stringify({ name: "streams.uid", channel: "", hex: Buffer.from(adapter.uid).toString("hex") }) + "\n");
  const opts = (rooms, except, flags) => ({ rooms: new Set(rooms), except: new Set(except), flags });
  const tick = () => new Promise((r) => setImmediate(r));
  current = "streams.broadcast.plain";
  await adapter.broadcast({ type: 2, data: ["hello", 1, { a: [true, null] }] }, opts([], [], {}));
  current = "streams.broadcast.binary";
  await adapter.broadcast({ type: 2, data: ["bin", Buffer.from([1, 2, 3])] }, opts(["room1"], ["x"], { volatile: true }));
  current = "streams.join";
  await adapter.addSockets(opts(["a"], [], {}), ["b"]);
  current = "streams.leave";
  await adapter.delSockets(opts([], ["a"], {}), ["b"]);
  current = "streams.disconnect";
  await adapter.disconnectSockets(opts(["a"], [], {}), true);
  current = "streams.fetch";
  adapter.fetchSockets(opts(["r"], [], {}));
  await tick();
  current = "streams.server_side_emit";
  await adapter.serverSideEmit(["ping", 1]);
  current = "streams.broadcast_ack";
  adapter.broadcastWithAck({ type: 2, data: ["question"] }, opts(["room1"], [], { timeout: 2000 }), () => {}, () => {});
  await tick();
  addSocket(adapter, nsp, "sock-id-1", ["r"], { n: 1 });
  current = "streams.response.fetch";
  adapter.onMessage({ uid: "0123456789abcdef", nsp: "/", type: 7, data: { opts: { rooms: ["r"], except: [] }, requestId: "r1" } });
  await tick();
  current = "streams.session";
  adapter.persistSession({ sid: "sock-id-1", pid: "pid-1", rooms: ["sock-id-1", "r"], data: { n: 1, bin: Buffer.from([9]) } });
  current = "streams.session_plain";
  adapter.persistSession({ sid: "sock-id-2", pid: "pid-2", rooms: ["sock-id-2"], data: {} });
}

(async () => {
  await pubsub();
  emitter();
  await sharded();
  await streams();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
