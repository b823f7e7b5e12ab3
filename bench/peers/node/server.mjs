// The Node socket.io 4.8 peer of the sio benchmarks: the four events of
// examples/bench-server on "/". PORT (3000) is the port on 127.0.0.1; everything else
// (heartbeat, buffers, transports) is socket.io's default.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT || 3000);
const httpServer = createServer();
const io = new Server(httpServer, { serveClient: false });

io.on("connection", (socket) => {
  socket.on("echo", (...args) => socket.emit("echo", ...args));
  socket.on("echo-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("broadcast", (...args) => io.emit("broadcast", ...args));
  socket.on("join", (room) => socket.join(String(room)));
});

httpServer.listen({ port, host: "127.0.0.1", backlog: 8192 }, () => {
  console.error(`node socket.io peer listening on http://127.0.0.1:${port}/socket.io/`);
});
