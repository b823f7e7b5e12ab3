// Events, acks and binary with socket.io-client 2.x over every transport mode.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES, ack, buffers, bytes, connected, once } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

async function open(mode) {
  const c = new Client(server, mode);
  const root = c.open("/");
  await connected(root);
  await c.ready();
  return [c, root];
}

for (const mode of MODES) {
  describe(mode.name, () => {
    test("emit: arguments of every JSON type come back (message → message-back)", async () => {
      const [, root] = await open(mode);
      const args = [1, -2.5, "two €", true, null, [1, [2, "x"]], { a: { b: [null, false] } }];
      const back = once(root, "message-back");
      root.emit("message", ...args);
      assert.deepEqual(await back, args);
    });

    test("binary both ways: a Buffer in, the same bytes out", async () => {
      const [, root] = await open(mode);
      const blob = bytes(1000);
      const back = once(root, "message-back");
      root.emit("message", "file", blob, { nested: bytes(3, 1) });
      assert.deepEqual(buffers(await back), ["file", blob, { nested: bytes(3, 1) }]);
    });

    test("acks: the server acks the client's event, binary included", async () => {
      const [, root] = await open(mode);
      assert.deepEqual(await ack(root, "message-with-ack", [1, "2", { 3: [false] }]), [1, "2", { 3: [false] }]);
      assert.deepEqual(buffers(await ack(root, "message-with-ack", [bytes(5)])), [bytes(5)]);
      assert.deepEqual(await ack(root, "typed", [{ n: 41 }]), [{ n: 42 }]);
    });

    test("the server asks and the client acks (server-ack → question)", async () => {
      const [, root] = await open(mode);
      root.on("question", (q, cb) => cb(`answer to ${q}`));
      assert.deepEqual(await ack(root, "server-ack", ["q?"]), ["answer to q?"]);
    });

    test("rooms: join, then to-room reaches the client", async () => {
      const [, root] = await open(mode);
      assert.deepEqual(await ack(root, "join", ["r1"]), ["r1"]);
      const msg = once(root, "room-message");
      root.emit("to-room", "r1", "hi", bytes(4));
      assert.deepEqual(buffers(await msg), ["hi", bytes(4)]);
    });

    test("disconnect-me: the client sees 'io server disconnect'", async () => {
      const [, root] = await open(mode);
      const gone = once(root, "disconnect");
      root.emit("disconnect-me");
      assert.deepEqual(await gone, ["io server disconnect"]);
    });
  });
}
