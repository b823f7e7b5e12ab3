// Scenario 3: the session survives several heartbeat cycles (server pings every 300 ms).

import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES, PING_INTERVAL, bytes, sleep } from "./helpers.mjs";

const server = useServer();
after(() => Client.closeAll());

const WINDOW_MS = 1600;

// The three transports run concurrently: each test mostly waits.
describe("heartbeat", { concurrency: true }, () => {
  for (const mode of MODES) {
    test(`${mode.name}: stays open for ${WINDOW_MS} ms, answers >= 3 pings and still echoes`, { timeout: 6000 }, async () => {
      const c = await Client.connect(server, mode);
      const start = c.openedAt;
      c.send("before");
      assert.equal(await c.next(2000), "before");
      await sleep(start + WINDOW_MS - Date.now());

      assert.equal(c.closed, null, `the socket closed: ${JSON.stringify(c.closed?.reason)}`);
      assert.equal(c.socket.readyState, "open");
      assert.equal(c.socket.id, c.id, "sid changed");
      assert.equal(c.transportName, mode.final);

      // at least 3 pings; at most one per ~pingInterval (the next ping is scheduled after the pong)
      const n = c.pings.length;
      assert.ok(n >= 3, `expected >= 3 pings in ${WINDOW_MS} ms, got ${n}`);
      assert.ok(n <= Math.floor(WINDOW_MS / 250), `too many pings: ${n} in ${WINDOW_MS} ms`);
      const first = c.pings[0] - start;
      assert.ok(first >= PING_INTERVAL - 50, `first ping came ${first} ms after open (pingInterval ${PING_INTERVAL})`);
      for (let i = 1; i < n; i++) {
        const gap = c.pings[i] - c.pings[i - 1];
        assert.ok(gap >= PING_INTERVAL - 50, `ping gap #${i} was ${gap} ms (pingInterval ${PING_INTERVAL})`);
      }

      c.send("after");
      assert.equal(await c.next(2000), "after");
      const b = bytes(1000);
      c.send(b);
      const got = await c.next(2000);
      assert.ok(Buffer.isBuffer(got) && got.equals(b), "binary echo after the heartbeats");
      c.close();
    });
  }

  test("polling: a client sending every 50 ms for 1.2 s keeps its session and gets every echo", { timeout: 6000 }, async () => {
    const c = await Client.connect(server, MODES[0]);
    const sent = [];
    const until = Date.now() + 1200;
    while (Date.now() < until) {
      const m = `tick-${sent.length}`;
      sent.push(m);
      c.send(m);
      await sleep(50);
    }
    for (const m of sent) assert.equal(await c.next(2000), m);
    assert.equal(c.closed, null);
    assert.ok(c.pings.length >= 2, `expected >= 2 pings, got ${c.pings.length}`);
    c.close();
  });
});
