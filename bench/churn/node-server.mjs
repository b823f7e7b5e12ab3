// The Node socket.io 4.8 reference for the churn soak: the part of the conformance-server
// contract the churn uses (`/socket.io/`, pingInterval 300 ms, pingTimeout 200 ms,
// connectTimeout 1 s, `message-with-ack` answers with its own arguments). PORT (3000) on
// 127.0.0.1.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT || 3000);
const httpServer = createServer();
const io = new Server(httpServer, {
  serveClient: false,
  pingInterval: 300,
  pingTimeout: 200,
  connectTimeout: 1000,
  maxHttpBufferSize: 1_000_000,
  cors: { origin: "*" },
});

io.on("connection", (socket) => {
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
});

httpServer.listen({ port, host: "127.0.0.1", backlog: 8192 }, () => {
  console.error(`node socket.io churn peer listening on http://127.0.0.1:${port}/socket.io/`);
});
