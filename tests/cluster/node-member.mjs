// A Node member of the cluster: socket.io 4.8 with @socket.io/redis-adapter 8.3 (pub/sub, or
// sharded with SIO_ADAPTER=sharded) or @socket.io/redis-streams-adapter 0.3
// (SIO_ADAPTER=streams), implementing on namespace `/` the same contract as sio's
// examples/cluster (cluster-node).
// Env: PORT, REDIS_URL, NODE_NAME, SIO_REDIS_PREFIX, SIO_REDIS_SPECIFIC_RESPONSE, SIO_ADAPTER
// (pubsub | sharded | streams), SIO_SUBSCRIPTION_MODE (sharded: dynamic | dynamic-private |
// static), SIO_REDIS_STREAM (streams: the stream's name), SIO_RECOVERY=1 (connection state
// recovery, window SIO_RECOVERY_MAX_MS).
// Prints "listening" once subscribed and counted by the other members.

import { createServer } from "node:http";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";

const PORT = Number(process.env.PORT ?? 3000);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379/";
const NODE_NAME = process.env.NODE_NAME ?? `node-${PORT}`;
const PREFIX = process.env.SIO_REDIS_PREFIX ?? "socket.io";
const SHARDED = (process.env.SIO_ADAPTER ?? "pubsub") === "sharded";
const STREAMS = process.env.SIO_ADAPTER === "streams";
const STREAM = process.env.SIO_REDIS_STREAM ?? "socket.io";
const RECOVERY = process.env.SIO_RECOVERY === "1";
const RECOVERY_MAX_MS = Number(process.env.SIO_RECOVERY_MAX_MS ?? 120000);
const SUBSCRIPTION_MODE = process.env.SIO_SUBSCRIPTION_MODE ?? "dynamic";
// The channel each member subscribes to once, counted as the adapter counts servers.
const COUNTED_CHANNEL = SHARDED || STREAMS ? `${PREFIX}#/#` : `${PREFIX}-request#/#`;
// Answers on the requester's own channel (`P-response#N#<uid>#`) when "1".
const SPECIFIC = process.env.SIO_REDIS_SPECIFIC_RESPONSE === "1";

const pub = createClient({ url: REDIS_URL });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const numsub = async () => {
  const [, n] = await pub.sendCommand(["PUBSUB", SHARDED ? "SHARDNUMSUB" : "NUMSUB", COUNTED_CHANNEL]);
  return Number(n);
};

const before = await numsub();
const xreadsBefore = STREAMS
  ? (await pub.sendCommand(["CLIENT", "LIST"])).split("\n").filter((l) => / cmd=xread /.test(l)).length
  : 0;
const httpServer = createServer();
const adapter = STREAMS
  ? createStreamsAdapter(pub, { streamName: STREAM, channelPrefix: PREFIX })
  : SHARDED
    ? createShardedAdapter(pub, sub, { channelPrefix: PREFIX, subscriptionMode: SUBSCRIPTION_MODE })
    : createAdapter(pub, sub, { key: PREFIX, publishOnSpecificResponseChannel: SPECIFIC });
const io = new Server(httpServer, {
  adapter,
  ...(RECOVERY
    ? { connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_MAX_MS, skipMiddlewares: true } }
    : {}),
});

// Sharded: resolves once every subscription the sub client was asked for so far is confirmed
// (its commands are answered in order; a join asks for its room's channel synchronously).
let barriers = 0;
const subscribed = async () => {
  if (!SHARDED) return;
  const channel = `${PREFIX}-join-barrier-${NODE_NAME}-${++barriers}`;
  await sub.sSubscribe(channel, () => {});
  await sub.sUnsubscribe(channel);
};

const fail = (cb) => (e) => cb({ error: e?.message ?? String(e) });

io.on("ping", (cb) => cb(NODE_NAME));

io.on("connection", (socket) => {
  socket.emit("hello", { node: NODE_NAME });
  socket.on("join", (room, cb) => {
    socket.join(room);
    subscribed().then(() => cb(room), fail(cb));
  });
  socket.on("leave", (room, cb) => {
    socket.leave(room);
    cb(room);
  });
  socket.on("to-room", (room, ...args) => {
    io.to(room).emit("room-message", ...args);
  });
  socket.on("broadcast", (...args) => {
    socket.broadcast.emit("broadcast", ...args);
  });
  socket.on("count-room", (room, cb) => {
    io.in(room).fetchSockets().then((s) => cb(s.length), fail(cb));
  });
  socket.on("rooms-of-all", (cb) => {
    io.fetchSockets().then((s) => cb(s.map((x) => x.id).sort()), fail(cb));
  });
  socket.on("make-join", (from, to, cb) => {
    io.in(from).socketsJoin(to);
    // Barrier: a fetch published after the join is answered by each node once it applied it.
    io.in(from).fetchSockets().then(() => cb(true), fail(cb));
  });
  socket.on("kick-room", (room, cb) => {
    io.in(room).disconnectSockets();
    io.fetchSockets().then(() => cb(true), fail(cb));
  });
  socket.on("server-count", (cb) => {
    io.of("/").adapter.serverCount().then(cb, fail(cb));
  });
  socket.on("ping-servers", (cb) => {
    io.serverSideEmit("ping", (err, responses) => {
      if (err) return cb({ error: err.message });
      cb([...responses].sort());
    });
  });
  socket.on("broadcast-with-ack", (room, cb) => {
    io.to(room)
      .timeout(2000)
      .emit("question", (_err, responses) => cb(responses.length));
  });
  socket.on("set-data", (value, cb) => {
    socket.data = value;
    cb(true);
  });
  socket.on("get-data", (cb) => cb(socket.data ?? {}));
});

// Listen only once this member's subscription counts.
while ((await numsub()) <= before) await new Promise((r) => setTimeout(r, 10));
// Streams: and once its XREAD of the stream waits (an entry added before its first read from
// `$` never reaches it). The adapter reads on a client of its own and CLIENT LIST does not name
// the stream: wait until one more client runs XREAD than before.
if (STREAMS) {
  const xreads = async () =>
    (await pub.sendCommand(["CLIENT", "LIST"])).split("\n").filter((l) => / cmd=xread /.test(l)).length;
  const start = Date.now();
  while ((await xreads()) <= xreadsBefore && Date.now() - start < 5000) {
    await new Promise((r) => setTimeout(r, 10));
  }
}
httpServer.listen(PORT, "127.0.0.1", () => console.log(`listening ${NODE_NAME} on ${PORT}`));

const stop = async () => {
  io.close();
  await Promise.allSettled([pub.quit(), sub.quit()]);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
