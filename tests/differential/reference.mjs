// The reference server: Node's socket.io 4.8 and engine.io 6.6 (versions pinned in
// package-lock.json) serving the same contract as sio's `conformance-server`
// (examples/conformance/src/main.rs and socketio.rs). The differential harness runs every
// scenario against both and compares what the client observes.
//
// Listens on 127.0.0.1:$PORT (default 3000), pingInterval 300 ms, pingTimeout 200 ms,
// maxHttpBufferSize 1,000,000, CORS for any origin:
//
// - /engine.io/: a standalone Engine.IO endpoint that echoes every message back to its sender;
// - /socket.io/: a Socket.IO server (connectTimeout 1 s) with the namespaces `/`, `/custom`
//   (admits every client), `/private` (refuses clients without auth.token) and the dynamic
//   `/dynamic-*` (at most 5 at once, removed when empty), and the hooks of socketio.rs.
//
// Where conformance-server's hooks are sio features with no Node counterpart (the event
// middleware's error ack, the cap on dynamic namespaces), this file writes them by hand so
// that the contract is the same; nothing else is adapted to sio.

import { createServer } from "node:http";
import { attach } from "engine.io";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 3000);
const TIMING = { pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1_000_000 };
const CORS = { origin: "*" };

const http = createServer();

// Engine.IO echo at /engine.io/.
const eio = attach(http, { ...TIMING, path: "/engine.io/", cors: CORS });
eio.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});

// Socket.IO at /socket.io/.
const io = new Server(http, {
  ...TIMING,
  path: "/socket.io/",
  cors: CORS,
  connectTimeout: 1000,
  cleanupEmptyChildNamespaces: true,
});

const greet = (socket) => socket.emit("auth", socket.handshake.auth);

const root = io.of("/");
root.on("connection", (socket) => {
  // sio's outgoing catch-all is a namespace handler: it sees the `auth` greeting too.
  const outgoing = [];
  socket.onAnyOutgoing((event) => outgoing.push(event));
  greet(socket);
  // The event middleware: `forbidden` is refused with an error ack, then `error-seen`.
  socket.use(([event, ...args], next) => {
    if (event !== "forbidden") return next();
    const ack = args[args.length - 1];
    if (typeof ack === "function") ack({ error: "forbidden event" });
    const err = new Error("forbidden event");
    err.fromMiddleware = true;
    next(err);
  });
  // Only the middleware's refusals: parse errors reach this listener too, and sio's on_error
  // hook does not see those.
  socket.on("error", (err) => {
    if (err.fromMiddleware) socket.emit("error-seen", "forbidden", err.message);
  });
  socket.on("message", (...args) => {
    if (typeof args[args.length - 1] === "function") args.pop();
    socket.emit("message-back", ...args);
  });
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.(room);
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack?.(room);
  });
  socket.on("to-room", (room, ...rest) => {
    if (typeof rest[rest.length - 1] === "function") rest.pop();
    root.to(String(room)).emit("room-message", ...rest);
  });
  socket.on("broadcast", (...args) => {
    if (typeof args[args.length - 1] === "function") args.pop();
    socket.broadcast.emit("broadcast", ...args);
  });
  socket.on("except-room", (room, ...rest) => {
    if (typeof rest[rest.length - 1] === "function") rest.pop();
    root.except(String(room)).emit("except-message", ...rest);
  });
  socket.on("typed", (counter, ack) => {
    if (typeof ack !== "function") return;
    if (counter && typeof counter.n === "number") ack({ n: counter.n + 1 });
    else ack({ error: "invalid payload" });
  });
  socket.on("server-ack", async (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    let answer;
    try {
      // Resolves with the first argument of the client's ack.
      answer = await socket.timeout(500).emitWithAck("question", ...args);
    } catch {
      answer = { error: "timeout" };
    }
    ack?.(answer ?? null);
  });
  socket.on("volatile", (...args) => {
    if (typeof args[args.length - 1] === "function") args.pop();
    socket.volatile.emit("volatile-message", ...args);
  });
  socket.on("disconnect-me", () => socket.disconnect());
  socket.on("close-me", () => socket.disconnect(true));
  socket.on("outgoing-seen", (ack) => ack?.([...outgoing]));
  socket.on("server-count", (ack) => ack?.(1));
  socket.onAny((event, ...args) => {
    if (!String(event).startsWith("any:")) return;
    if (typeof args[args.length - 1] === "function") args.pop();
    socket.emit("any-seen", event, ...args);
  });
});

io.of("/custom").on("connection", greet);

const priv = io.of("/private");
priv.use((socket, next) => {
  if (socket.handshake.auth?.token !== undefined) return next();
  const err = new Error("Not authorized");
  err.data = { reason: "no token" };
  next(err);
});
priv.on("connection", greet);

// Dynamic namespaces /dynamic-*, at most 5 at once (sio's max_dynamic_namespaces).
const MAX_DYNAMIC = 5;
const dynamicCount = () => [...io._nsps.keys()].filter((n) => n.startsWith("/dynamic-")).length;
io.of((name, _auth, next) => next(null, name.startsWith("/dynamic-") && dynamicCount() < MAX_DYNAMIC)).on(
  "connection",
  (socket) => {
    greet(socket);
    socket.on("where", (ack) => ack?.(socket.nsp.name));
  },
);

http.listen(port, "127.0.0.1", () => {
  process.stderr.write(`reference (socket.io 4.8) listening on http://127.0.0.1:${port}\n`);
});
