// Connecting to namespaces: multiplexing, ids, auth payloads, refusals (CONNECT_ERROR), connectTimeout.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES, ID_RE, CONNECT_TIMEOUT, GRACE, once } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

for (const mode of MODES) {
  describe(mode.name, () => {
    test("/ and /custom over one Manager: ids are 20 URL-safe chars, distinct, and not the engine id", async () => {
      const c = new Client(server, mode);
      const root = c.open("/");
      const custom = c.open("/custom", { auth: { token: "x" } });
      await Promise.all([root.connected(), custom.connected()]);
      await c.ready();
      const engineId = c.engine.id;
      assert.match(engineId, ID_RE, "engine id");
      assert.match(root.id, ID_RE, "socket id on /");
      assert.match(custom.id, ID_RE, "socket id on /custom");
      assert.notEqual(root.id, engineId, "the socket id on / must differ from the Engine.IO id");
      assert.notEqual(custom.id, engineId, "the socket id on /custom must differ from the Engine.IO id");
      assert.notEqual(root.id, custom.id, "each namespace gets its own socket id");
      // Both namespaces really share the connection and work over it.
      assert.equal(root.socket.io, custom.socket.io);
      await root.roundTrip();
      assert.equal(c.engine.id, engineId, "still the same Engine.IO session");

      // A second connection gets other ids.
      const [c2, root2] = await Client.connect(server, mode);
      assert.notEqual(c2.engine.id, engineId);
      assert.notEqual(root2.id, root.id);
      assert.match(root2.id, ID_RE);
    });

    test("the auth event echoes the CONNECT auth payload ({} without one)", async () => {
      const auth = { token: "abc", n: 42, list: [1, "a", null, true], nested: { deep: { x: "ü€" } } };
      const c = new Client(server, mode);
      const root = c.open("/", { auth });
      await root.connected();
      assert.deepEqual(await root.next("auth"), [auth]);

      const c2 = new Client(server, mode);
      const bare = c2.open("/");
      await bare.connected();
      assert.deepEqual(await bare.next("auth"), [{}]);

      const c3 = new Client(server, mode);
      const custom = c3.open("/custom", { auth: { token: "x", extra: [1, { y: 2 }] } });
      await custom.connected();
      assert.deepEqual(await custom.next("auth"), [{ token: "x", extra: [1, { y: 2 }] }]);

      await Promise.all([c.ready(), c2.ready(), c3.ready()]);
      // Exactly one auth event per connection.
      await Promise.all([root.none("auth"), bare.none("auth"), custom.none("auth")]);
    });

    test("unknown namespace: connect_error 'Invalid namespace'; the other namespaces keep working", async () => {
      const [c, root] = await Client.connect(server, mode);
      const engineId = c.engine.id;
      const nope = c.open("/nope");
      const err = await nope.refused();
      assert.equal(err.message, "Invalid namespace");
      assert.equal(err.data, undefined, "CONNECT_ERROR for an unknown namespace carries no data");
      assert.equal(nope.socket.connected, false);
      assert.equal(nope.socket.id, undefined);

      await root.roundTrip();
      const custom = await c.join("/custom", { auth: { token: "x" } });
      assert.deepEqual(await custom.next("auth"), [{ token: "x" }]);
      assert.equal(c.engine.id, engineId, "the refusal must not close the Engine.IO session");
      assert.deepEqual(root.disconnects, []);
      await nope.none("auth");
    });

    test("/private middleware refusal carries data; a retry with a token succeeds on the same connection", async () => {
      const [c, root] = await Client.connect(server, mode);
      const engineId = c.engine.id;

      const custom = c.open("/private");
      const err = await custom.refused();
      assert.equal(err.message, "Not authorized");
      assert.deepEqual(err.data, { reason: "no token" });
      assert.equal(custom.socket.connected, false);

      // An auth object without `token` is refused too.
      const c2 = new Client(server, mode);
      const other = c2.open("/private", { auth: { other: 1 } });
      const err2 = await other.refused();
      assert.equal(err2.message, "Not authorized");
      assert.deepEqual(err2.data, { reason: "no token" });

      await root.roundTrip();
      // Retry on the same Manager with a token.
      custom.socket.auth = { token: "second-try" };
      custom.socket.connect();
      await custom.connected();
      assert.match(custom.id, ID_RE);
      assert.deepEqual(await custom.next("auth"), [{ token: "second-try" }]);
      assert.equal(c.engine.id, engineId, "refusal and retry happen on one Engine.IO session");
      assert.deepEqual(custom.connectErrors.length, 1);
    });

    test("/custom admits every client: auth is echoed, {} without one, the given object with one", async () => {
      const c = new Client(server, mode);
      const bare = c.open("/custom");
      await bare.connected();
      assert.match(bare.id, ID_RE);
      assert.deepEqual(await bare.next("auth"), [{}]);
      const c2 = new Client(server, mode);
      const other = c2.open("/custom", { auth: { other: 1 } });
      await other.connected();
      assert.deepEqual(await other.next("auth"), [{ other: 1 }]);
      assert.deepEqual(bare.connectErrors.length + other.connectErrors.length, 0);
    });

    test("a connection that joins no namespace is closed after connectTimeout (1 s)", async () => {
      const idle = new Client(server, mode, { autoConnect: false });
      const opened = new Promise((resolve, reject) =>
        idle.manager.open((err) => (err ? reject(err) : resolve(Date.now()))),
      );
      idle.attachEngine();
      // A control connection that joins / at once must survive.
      const [control, root] = await Client.connect(server, mode);
      const openedAt = await opened;
      const [reason] = await once(idle.engine, "close", CONNECT_TIMEOUT + 1500, "the idle connection to be closed");
      const elapsed = Date.now() - openedAt;
      assert.equal(reason, "transport close", "the server closed the connection");
      assert.ok(
        elapsed >= CONNECT_TIMEOUT - 150 && elapsed <= CONNECT_TIMEOUT + 600,
        `closed ${elapsed} ms after open; expected about ${CONNECT_TIMEOUT} ms`,
      );
      await new Promise((r) => setTimeout(r, GRACE));
      assert.equal(root.socket.connected, true, "a connection that joined / must not be closed");
      assert.deepEqual(control.closes, []);
      await root.roundTrip();
    });
  });
}
