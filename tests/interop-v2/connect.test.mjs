// Connecting with socket.io-client 2.x (Engine.IO v3, Socket.IO protocol v4): the server's
// implicit connection to /, the query of a CONNECT as auth, v4 error packets, the heartbeat
// the client drives, and the refusal of v3 when the server does not allow it.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer, startServer } from "./server.mjs";
import {
  Client,
  MODES,
  ID_RE,
  PING_INTERVAL,
  PING_TIMEOUT,
  ack,
  connected,
  once,
  refused,
  sleep,
} from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

for (const mode of MODES) {
  describe(mode.name, () => {
    test("connects to / with no CONNECT of its own: the server connects it", async () => {
      const c = new Client(server, mode);
      const root = c.open("/");
      const auth = once(root, "auth");
      await connected(root);
      assert.match(c.engine.id, ID_RE, "engine id");
      // A 2.x client names its / socket after the engine id (the v4 CONNECT reply has no sid).
      assert.equal(root.id, c.engine.id);
      // The implicit connection carries no auth payload.
      assert.deepEqual(await auth, [{}]);
      await c.ready();
      assert.deepEqual(await ack(root, "message-with-ack", ["still there"]), ["still there"]);
    });

    test("/custom with a token in its query: connected, the query is the auth payload", async () => {
      const c = new Client(server, mode);
      const root = c.open("/");
      const custom = c.open("/custom", { query: { token: "abc", n: "1" } });
      const auth = once(custom, "auth");
      await Promise.all([connected(root), connected(custom)]);
      assert.equal(custom.id, `/custom#${c.engine.id}`);
      assert.deepEqual(await auth, [{ token: "abc", n: "1" }]);
      await c.ready();
    });

    test("/private without a token: refused with the middleware's error data; / keeps working", async () => {
      const c = new Client(server, mode);
      const root = c.open("/");
      const custom = c.open("/private");
      // The middleware refuses with message "Not authorized" and data {reason: "no token"}:
      // a v4 error packet carries `err.data || err.message` (socket.io 4.8 with allowEIO3,
      // and socket.io 2.x), here the data.
      assert.deepEqual(await refused(custom), { reason: "no token" });
      assert.equal(custom.connected, false);
      await connected(root);
      await c.ready();
      assert.deepEqual(await ack(root, "message-with-ack", [1]), [1]);
    });

    test("an unknown namespace is refused with {message: 'Invalid namespace'}", async () => {
      const c = new Client(server, mode);
      const root = c.open("/");
      const nope = c.open("/nope");
      assert.deepEqual(await refused(nope), { message: "Invalid namespace" });
      await connected(root);
      await c.ready();
    });

    test("the client pings and the server answers: the connection outlives pingInterval + pingTimeout", async () => {
      const c = new Client(server, mode);
      const root = c.open("/");
      await connected(root);
      let pongs = 0;
      c.manager.on("pong", () => pongs++);
      let disconnected = null;
      root.on("disconnect", (reason) => (disconnected = reason));
      await sleep(3 * PING_INTERVAL + PING_TIMEOUT + 200);
      assert.equal(disconnected, null, "disconnected");
      assert.ok(pongs >= 2, `only ${pongs} pongs`);
      assert.deepEqual(await ack(root, "message-with-ack", ["alive"]), ["alive"]);
    });
  });
}

describe("raw", () => {
  test("the v3 handshake is length-prefixed; the server sends the implicit CONNECT `2:40`", async () => {
    const res = await fetch(`${server.endpoint}?EIO=3&transport=polling`);
    assert.equal(res.status, 200);
    const body = await res.text();
    const m = body.match(/^(\d+):(0\{.*\})$/);
    assert.ok(m, body);
    assert.equal(Number(m[1]), m[2].length);
    const open = JSON.parse(m[2].slice(1));
    assert.deepEqual(Object.keys(open), ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
    assert.deepEqual(open.upgrades, ["websocket"]);
    const pollUntil = async (what) => {
      let got = "";
      while (!got.includes(what)) {
        const r = await fetch(`${server.endpoint}?EIO=3&transport=polling&sid=${open.sid}`);
        assert.equal(r.status, 200);
        got += await r.text();
      }
      return got;
    };
    // CONNECT to / with no payload, then the connect hook's `auth` event.
    assert.equal(await pollUntil("auth"), '2:4013:42["auth",{}]');
    // `0/custom?token=x,` connects /custom with the query as auth; the reply has no payload.
    const connect = "40/custom?token=x,";
    const post = await fetch(`${server.endpoint}?EIO=3&transport=polling&sid=${open.sid}`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body: `${connect.length}:${connect}`,
    });
    assert.equal(await post.text(), "ok");
    const reply = "40/custom,";
    const auth = '42/custom,["auth",{"token":"x"}]';
    assert.equal(await pollUntil("auth"), `${reply.length}:${reply}${auth.length}:${auth}`);
  });
});

describe("without SIO_EIO3", () => {
  test("v3 requests get code 5 and a 2.x client cannot connect", async () => {
    const plain = await startServer({ eio3: false });
    try {
      for (const query of ["EIO=3&transport=polling", "transport=polling"]) {
        const res = await fetch(`${plain.endpoint}?${query}`);
        assert.equal(res.status, 400, query);
        assert.deepEqual(await res.json(), { code: 5, message: "Unsupported protocol version" });
      }
      for (const mode of MODES.slice(0, 2)) {
        const c = new Client(plain, mode);
        const root = c.open("/");
        let connectedToo = false;
        root.on("connect", () => (connectedToo = true));
        await once(c.manager, "connect_error", 3000, `connect_error (${mode.name})`);
        assert.equal(connectedToo, false);
        c.close();
      }
    } finally {
      await plain.stop();
    }
  });
});
