// Disconnections as the client sees them: the server disconnects one namespace (disconnect-me),
// the server closes the whole connection (close-me, Node's `socket.disconnect(true)`), and the client
// disconnects a namespace itself. (The server-side disconnect reasons are checked elsewhere.)

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES, ID_RE, GRACE, PING_INTERVAL, PING_TIMEOUT, sleep, once } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

for (const mode of MODES) {
  describe(mode.name, () => {
    test("disconnect-me: 'io server disconnect' on /; /custom and the connection survive; / can be rejoined", async () => {
      const [c, root, custom] = await Client.connect(server, mode, { nsps: ["/", "/custom"] });
      const engineId = c.engine.id;
      const oldId = root.id;
      assert.deepEqual(await root.next("auth"), [{}]);

      root.emit("disconnect-me");
      assert.deepEqual(await root.disconnected(), ["io server disconnect"]);
      assert.equal(root.socket.connected, false);

      // Survives a few heartbeat cycles: the server keeps the Engine.IO session and /custom.
      await sleep(2 * (PING_INTERVAL + PING_TIMEOUT));
      assert.deepEqual(root.disconnects, ["io server disconnect"], "exactly one disconnect event on /");
      assert.deepEqual(custom.disconnects, [], "/custom must stay connected");
      assert.equal(custom.socket.connected, true);
      assert.deepEqual(c.closes, [], "the Engine.IO connection must stay open");
      assert.equal(c.engine.id, engineId);

      // Rejoin / over the same connection: a new socket id, a new auth event, and it works.
      root.socket.connect();
      await root.connected();
      assert.match(root.id, ID_RE);
      assert.notEqual(root.id, oldId, "a rejoined namespace gets a new socket id");
      assert.deepEqual(await root.next("auth"), [{}]);
      await root.roundTrip();
      assert.equal(c.engine.id, engineId);
    });

    test("close-me (disconnect(true)): 'io server disconnect' on every namespace, then the server closes the connection", async () => {
      const [c, root, custom] = await Client.connect(server, mode, { nsps: ["/", "/custom"] });
      // Keep the client from closing the connection itself once its last namespace is gone, so that
      // only the server can close it.
      c.manager._destroy = () => {};
      const engine = c.engine;
      const closed = once(engine, "close", 2000, "the server to close the Engine.IO connection");

      root.emit("close-me");
      await Promise.all([root.disconnected(), custom.disconnected()]);
      const [reason] = await closed;
      await sleep(GRACE);
      assert.deepEqual(root.disconnects, ["io server disconnect"], "disconnect reasons on /");
      assert.deepEqual(custom.disconnects, ["io server disconnect"], "disconnect reasons on /custom");
      assert.equal(reason, "transport close", "the Engine.IO connection was closed by the server");
      assert.equal(root.socket.connected, false);
      assert.equal(custom.socket.connected, false);
    });

    test("client disconnect: 'io client disconnect'; the server drops the socket from its rooms; / can be rejoined", async () => {
      const [a, aRoot, aCustom] = await Client.connect(server, mode, { nsps: ["/", "/custom"] });
      const [, bRoot] = await Client.connect(server, mode);
      const engineId = a.engine.id;
      const r = `dc-${process.pid}-${mode.name}`;
      assert.deepEqual(await aRoot.ack("join", [r]), [r]);
      assert.deepEqual(await bRoot.ack("join", [r]), [r]);
      const oldId = aRoot.id;

      aRoot.socket.disconnect();
      assert.deepEqual(aRoot.disconnects, ["io client disconnect"]);
      await sleep(GRACE); // let the server process the DISCONNECT

      aRoot.socket.connect();
      await aRoot.connected();
      assert.notEqual(aRoot.id, oldId);
      bRoot.emit("to-room", r, "after rejoin");
      assert.deepEqual(await bRoot.next("room-message"), ["after rejoin"]);
      await aRoot.none("room-message", undefined, "the old socket left its rooms when it disconnected");

      assert.deepEqual(aCustom.disconnects, []);
      assert.equal(aCustom.socket.connected, true);
      assert.equal(a.engine.id, engineId, "disconnecting one namespace keeps the connection");
      assert.deepEqual(a.closes, []);
      await aRoot.roundTrip();
      assert.deepEqual(aRoot.disconnects, ["io client disconnect"]);
    });
  });
}
