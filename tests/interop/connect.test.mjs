// Scenario 1: engine.io-client connects over each transport and sees the handshake values.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MAX_PAYLOAD, MODES, PING_INTERVAL, PING_TIMEOUT, SID_RE, http, pollingUrl, sleep } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

const TIMEOUT = { timeout: 6000 };

for (const mode of MODES) {
  describe(`connect over ${mode.name}`, () => {
    test("open fires, socket.id is a 20-char URL-safe sid", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      assert.equal(c.socket.readyState, "open");
      assert.equal(typeof c.id, "string");
      assert.match(c.id, SID_RE);
      assert.equal(c.transportName, mode.final);
      if (mode.upgrade) assert.equal(c.upgraded, true, "the client must have emitted `upgrade`");
      assert.equal(c.socket.id, c.id, "the sid must not change (across the upgrade)");
      assert.deepEqual(c.closed, null);
      c.close();
    });

    test("handshake values reach the client", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      assert.deepEqual(c.handshake, {
        sid: c.id,
        upgrades: mode.upgrades,
        pingInterval: PING_INTERVAL,
        pingTimeout: PING_TIMEOUT,
        maxPayload: MAX_PAYLOAD,
      });
      // engine.io-client 6.x stores them on the socket (private fields, see Socket#onHandshake)
      assert.equal(c.socket._pingInterval, PING_INTERVAL);
      assert.equal(c.socket._pingTimeout, PING_TIMEOUT);
      assert.equal(c.socket._maxPayload, MAX_PAYLOAD);
      // the client's own upgrade list: what the server offered, filtered by the client's transports
      assert.deepEqual(c.socket._upgrades, mode.upgrade ? ["websocket"] : []);
      c.close();
    });

    test("several clients get distinct sids", TIMEOUT, async () => {
      const clients = await Promise.all([1, 2, 3, 4, 5].map(() => Client.connect(server, mode)));
      const ids = clients.map((c) => c.id);
      for (const id of ids) assert.match(id, SID_RE);
      assert.equal(new Set(ids).size, ids.length, `duplicate sids: ${ids}`);
      // each one is a separate session: echo goes to its own sender only
      clients.forEach((c, i) => c.send(`client-${i}`));
      for (let i = 0; i < clients.length; i++) assert.equal(await clients[i].next(2000), `client-${i}`);
      await sleep(50);
      for (const c of clients) assert.deepEqual(c.messages, [], "no message may reach another client");
      for (const c of clients) c.close();
    });
  });
}

test("after the upgrade, a polling GET with the session's sid -> 400 code 3 Bad request", TIMEOUT, async () => {
  const mode = MODES.find((m) => m.upgrade);
  const c = await Client.connect(server, mode);
  assert.equal(c.transportName, "websocket");
  const res = await http(pollingUrl(server, { sid: c.id }));
  assert.deepEqual({ status: res.status, body: res.text }, {
    status: 400,
    body: JSON.stringify({ code: 3, message: "Bad request" }),
  });
  // and the session is still fine
  c.send("still here");
  assert.equal(await c.next(2000), "still here");
  c.close();
});
