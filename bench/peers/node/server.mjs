// The Node socket.io 4.8 peer of the sio benchmarks: the four events of
// examples/bench-server on "/". PORT (3000) is the port on 127.0.0.1; everything else
// (heartbeat, buffers, transports) is socket.io's default.
//
// SIO_ADAPTER=redis installs @socket.io/redis-adapter 8.3 (createAdapter, node-redis 4
// clients) on REDIS_URL (redis://127.0.0.1:6379/) with the key SIO_REDIS_PREFIX (socket.io);
// the server listens only once the adapter's subscriptions are confirmed. Two such processes
// form the cluster of the `cluster` benchmark.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT || 3000);
const httpServer = createServer();
const options = { serveClient: false };
let what = "in-memory adapter";
let subscribed = null;

if (process.env.SIO_ADAPTER === "redis") {
  const { createAdapter } = await import("@socket.io/redis-adapter");
  const { createClient } = await import("redis");
  const url = process.env.REDIS_URL || "redis://127.0.0.1:6379/";
  const key = process.env.SIO_REDIS_PREFIX || "socket.io";
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  options.adapter = createAdapter(pub, sub, { key });
  // The sub client answers in order: once this throwaway subscription is confirmed, the
  // adapter's own (asked for when the namespace below is created) are too.
  subscribed = async () => {
    const barrier = `${key}-bench-barrier-${process.pid}`;
    await sub.subscribe(barrier, () => {});
    await sub.unsubscribe(barrier);
  };
  what = `Redis adapter, key ${key}`;
}

const io = new Server(httpServer, options);

io.on("connection", (socket) => {
  socket.on("echo", (...args) => socket.emit("echo", ...args));
  socket.on("echo-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("broadcast", (...args) => io.emit("broadcast", ...args));
  socket.on("join", (room) => socket.join(String(room)));
});

if (subscribed) await subscribed();

httpServer.listen({ port, host: "127.0.0.1", backlog: 8192 }, () => {
  console.error(`node socket.io peer listening on http://127.0.0.1:${port}/socket.io/ (${what})`);
});
