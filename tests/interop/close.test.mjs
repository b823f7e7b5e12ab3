// Scenario 4: the server closes silent clients (heartbeat timeout) and forgets closed sessions.

import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import {
  Client,
  MODES,
  PING_INTERVAL,
  PING_TIMEOUT,
  RawWs,
  assertSidUnknown,
  http,
  once,
  openPollingSession,
  pollingUrl,
  sleep,
  wsUrl,
  fmtDesc,
  sidOfOpenPacket,
} from "./helpers.mjs";

const server = useServer();
after(() => Client.closeAll());

const TIMEOUT = { timeout: 6000 };

// Every test here mostly waits for timers, so they run concurrently.
describe("server-side close", { concurrency: true }, () => {
  for (const mode of MODES) {
    test(`${mode.name}: a client that stops answering pings is closed by the server`, TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      const sid = c.id;
      c.stopPonging();
      const stoppedAt = Date.now();
      const closed = await c.waitClosed(2000, "the server to close the silent client");
      // "transport close" = the server ended the transport (the GET got "1" / the WebSocket was
      // closed). "ping timeout" would be the client's own timer (pingInterval + pingTimeout after
      // the last ping), i.e. the server did not close the session in time.
      assert.equal(closed.reason, "transport close", `close reason ${closed.reason} ${fmtDesc(closed.description)}`);
      const elapsed = closed.at - stoppedAt;
      assert.ok(
        elapsed <= PING_INTERVAL + PING_TIMEOUT + 150,
        `closed ${elapsed} ms after the client stopped answering (pingInterval ${PING_INTERVAL} + pingTimeout ${PING_TIMEOUT})`,
      );
      assert.ok(c.pings.length >= 1, "the server must have sent at least one ping");
      assert.ok(
        closed.at - c.pings.at(-1) >= PING_TIMEOUT - 50,
        `the server closed ${closed.at - c.pings.at(-1)} ms after its unanswered ping (pingTimeout ${PING_TIMEOUT})`,
      );
      await assertSidUnknown(server, sid);
    });

    test(`${mode.name}: socket.close() makes the server forget the sid`, TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      const sid = c.id;
      // close right after a ping, so the heartbeat alone would keep the session for > 300 ms more
      await once(c.socket, "ping", 1500);
      c.close();
      const closed = await c.waitClosed(1000);
      assert.equal(closed.reason, "forced close");
      await sleep(150);
      await assertSidUnknown(server, sid);
    });
  }

  test("raw polling: a session that is never polled is gone after ~700 ms", TIMEOUT, async () => {
    const { sid } = await openPollingSession(server);
    await sleep(700);
    await assertSidUnknown(server, sid);
  });

  test("raw polling (control): a session that answers its pings is still alive after 1 s", TIMEOUT, async () => {
    const { sid } = await openPollingSession(server);
    const until = Date.now() + 1000;
    let pings = 0;
    while (Date.now() < until) {
      const get = await http(pollingUrl(server, { sid }), { timeout: 1500 });
      assert.equal(get.status, 200, `GET answered ${get.status} ${get.text}`);
      assert.equal(get.text, "2", "the only packet the server sends an idle session is a ping");
      pings++;
      const post = await http(pollingUrl(server, { sid }), { method: "POST", body: "3" });
      assert.deepEqual({ status: post.status, text: post.text }, { status: 200, text: "ok" });
    }
    assert.ok(pings >= 3, `expected >= 3 pings in 1 s, got ${pings}`);
    const post = await http(pollingUrl(server, { sid }), { method: "POST", body: "4alive" });
    assert.deepEqual({ status: post.status, text: post.text }, { status: 200, text: "ok" });
    const get = await http(pollingUrl(server, { sid }), { timeout: 1500 });
    assert.equal(get.status, 200);
    assert.deepEqual(get.text.split("\x1e").filter((p) => p !== "2"), ["4alive"]);
    // close it: POST "1"
    const bye = await http(pollingUrl(server, { sid }), { method: "POST", body: "1" });
    assert.deepEqual({ status: bye.status, text: bye.text }, { status: 200, text: "ok" });
    // A long-poll right after the close may have been sent with it: it gets a noop (the
    // server cannot tell which the client sent first); a moment later the sid is unknown.
    const racing = await http(pollingUrl(server, { sid }), { timeout: 1500 });
    assert.deepEqual({ status: racing.status, text: racing.text }, { status: 200, text: "6" });
    await sleep(150);
    await assertSidUnknown(server, sid);
  });

  test('raw polling: POST "1" ends a pending GET with "6" (noop) and forgets the sid', TIMEOUT, async () => {
    const { sid } = await openPollingSession(server);
    const pending = http(pollingUrl(server, { sid }), { timeout: 2000 });
    await sleep(50); // let the GET reach the server
    const bye = await http(pollingUrl(server, { sid }), { method: "POST", body: "1" });
    assert.deepEqual({ status: bye.status, text: bye.text }, { status: 200, text: "ok" });
    const get = await pending;
    assert.deepEqual({ status: get.status, text: get.text }, { status: 200, text: "6" });
    await assertSidUnknown(server, sid);
  });

  test("raw websocket: a client that never answers pings is disconnected", TIMEOUT, async () => {
    const ws = new RawWs(wsUrl(server));
    try {
      await ws.opened;
      const openedAt = Date.now();
      const open = await ws.next(1000);
      assert.equal(open.text?.[0], "0", `first frame must be the open packet: ${JSON.stringify(open)}`);
      const sid = sidOfOpenPacket(open.text);
      const ping = await ws.next(1000);
      assert.deepEqual(ping, { text: "2" });
      const pingAt = Date.now();
      assert.ok(pingAt - openedAt >= PING_INTERVAL - 50, `first ping after ${pingAt - openedAt} ms`);
      const closed = await ws.waitClosed(1500);
      const waited = closed.at - pingAt;
      assert.ok(
        waited >= PING_TIMEOUT - 50 && waited <= PING_TIMEOUT + 300,
        `the server closed the websocket ${waited} ms after its unanswered ping (pingTimeout ${PING_TIMEOUT})`,
      );
      assert.deepEqual(ws.frames, [], "no further frames expected after the ping");
      await assertSidUnknown(server, sid);
    } finally {
      ws.terminate();
    }
  });

  test("raw websocket: closing the websocket makes the server forget the sid", TIMEOUT, async () => {
    const ws = new RawWs(wsUrl(server));
    await ws.opened;
    const open = await ws.next(1000);
    const sid = sidOfOpenPacket(open.text);
    // while the session is alive a polling request on it is a transport mismatch
    const mismatch = await http(pollingUrl(server, { sid }), { timeout: 1500 });
    assert.deepEqual(
      { status: mismatch.status, body: mismatch.text },
      { status: 400, body: JSON.stringify({ code: 3, message: "Bad request" }) },
    );
    ws.ws.close(1000);
    await ws.waitClosed(1000);
    await sleep(100);
    await assertSidUnknown(server, sid);
  });
});
