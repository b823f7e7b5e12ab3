// Raw Engine.IO v4 protocol checks with fetch (PROTOCOL.md A.3, A.10, A.11).

import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import {
  MAX_PAYLOAD,
  PING_INTERVAL,
  PING_TIMEOUT,
  SID_RE,
  RawWs,
  assertError,
  http,
  openPollingSession,
  pollingUrl,
  sidOfOpenPacket,
  wsUrl,
} from "./helpers.mjs";

const server = useServer();
const sockets = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.terminate();
});

const TIMEOUT = { timeout: 5000 };

test("polling handshake: status, content type and exact open packet", TIMEOUT, async () => {
  const res = await http(pollingUrl(server));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type")?.toLowerCase(), "text/plain; charset=utf-8");
  assert.match(res.text, /^0\{/, `body must be one open packet: ${JSON.stringify(res.text)}`);
  assert.ok(!res.text.includes("\x1e"), `handshake body must hold exactly one packet: ${JSON.stringify(res.text)}`);
  const hs = JSON.parse(res.text.slice(1));
  assert.deepEqual(Object.keys(hs).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.match(hs.sid, SID_RE);
  // Exact serialization, in the reference's key order.
  assert.equal(
    res.text,
    `0{"sid":"${hs.sid}","upgrades":["websocket"],"pingInterval":${PING_INTERVAL},"pingTimeout":${PING_TIMEOUT},"maxPayload":${MAX_PAYLOAD}}`,
  );
});

test("handshake sids are unique", TIMEOUT, async () => {
  const sids = new Set();
  for (let i = 0; i < 20; i++) {
    const hs = await openPollingSession(server);
    assert.match(hs.sid, SID_RE);
    sids.add(hs.sid);
  }
  assert.equal(sids.size, 20);
});

test("websocket handshake: first frame is the open packet with upgrades []", TIMEOUT, async () => {
  const ws = new RawWs(wsUrl(server));
  sockets.push(ws);
  await ws.opened;
  const f = await ws.next(2000);
  assert.equal(typeof f.text, "string", "the open packet must be a text frame");
  const sid = /"sid":"([^"]*)"/.exec(f.text)?.[1];
  assert.match(sid ?? "", SID_RE, `no valid sid in the first frame ${JSON.stringify(f.text)}`);
  const hs = { sid };
  assert.equal(
    f.text,
    `0{"sid":"${hs.sid}","upgrades":[],"pingInterval":${PING_INTERVAL},"pingTimeout":${PING_TIMEOUT},"maxPayload":${MAX_PAYLOAD}}`,
  );
});

test("raw websocket: text and binary frames echo unchanged", TIMEOUT, async () => {
  const ws = new RawWs(wsUrl(server));
  sockets.push(ws);
  await ws.opened;
  sidOfOpenPacket((await ws.next(2000)).text);
  ws.send("4héllo €");
  assert.deepEqual(await ws.next(2000), { text: "4héllo €" });
  ws.send(Buffer.from([1, 2, 3, 0x1e, 0xff]));
  assert.deepEqual(await ws.next(2000), { binary: Buffer.from([1, 2, 3, 0x1e, 0xff]) });
});

test("raw polling: POST a batch, GET the echoes in one payload", TIMEOUT, async () => {
  const { sid } = await openPollingSession(server);
  const post = await http(pollingUrl(server, { sid }), {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8" },
    body: "4hello\x1ebAQIDBA==\x1e4€",
  });
  assert.deepEqual({ status: post.status, text: post.text }, { status: 200, text: "ok" });
  const get = await http(pollingUrl(server, { sid }));
  assert.equal(get.status, 200);
  assert.equal(get.headers.get("content-type")?.toLowerCase(), "text/plain; charset=utf-8");
  // The echoes may be split across GETs; collect until all three arrived.
  let body = get.text;
  for (let i = 0; i < 3 && body.split("\x1e").filter((p) => p !== "2").length < 3; i++) {
    const more = await http(pollingUrl(server, { sid }));
    assert.equal(more.status, 200);
    body += "\x1e" + more.text;
  }
  const packets = body.split("\x1e").filter((p) => p !== "2"); // drop heartbeat pings
  assert.deepEqual(packets, ["4hello", "bAQIDBA==", "4€"]);
});

test('GET ?EIO=4 (no transport) -> 400 {"code":0,"message":"Transport unknown"}', TIMEOUT, async () => {
  assertError(await http(`${server.endpoint}?EIO=4`), 0, "Transport unknown");
});

test("GET &transport=abc -> 400 code 0 Transport unknown", TIMEOUT, async () => {
  assertError(await http(`${server.endpoint}?EIO=4&transport=abc`), 0, "Transport unknown");
});

test("GET without EIO -> 400 code 5 Unsupported protocol version", TIMEOUT, async () => {
  assertError(await http(`${server.endpoint}?transport=polling`), 5, "Unsupported protocol version");
});

test("GET EIO=3 -> 400 code 5 Unsupported protocol version", TIMEOUT, async () => {
  assertError(await http(`${server.endpoint}?EIO=3&transport=polling`), 5, "Unsupported protocol version");
});

test("GET EIO=abc -> 400 code 5 Unsupported protocol version", TIMEOUT, async () => {
  assertError(await http(`${server.endpoint}?EIO=abc&transport=polling`), 5, "Unsupported protocol version");
});

test("POST without sid -> 400 code 2 Bad handshake method", TIMEOUT, async () => {
  assertError(
    await http(pollingUrl(server), { method: "POST", body: "4hello" }),
    2,
    "Bad handshake method",
  );
});

test("GET with an unknown sid -> 400 code 1 Session ID unknown", TIMEOUT, async () => {
  assertError(await http(pollingUrl(server, { sid: "xyz" })), 1, "Session ID unknown");
  assertError(
    await http(pollingUrl(server, { sid: "AAAAAAAAAAAAAAAAAAAA" }), { method: "POST", body: "4x" }),
    1,
    "Session ID unknown",
  );
});

test("GET transport=websocket without Upgrade header -> 400 code 3 Bad request", TIMEOUT, async () => {
  assertError(await http(`${server.endpoint}?EIO=4&transport=websocket`), 3, "Bad request");
});

test("CORS: polling responses carry Access-Control-Allow-Origin for a foreign Origin", TIMEOUT, async () => {
  const origin = "http://example.com";
  const res = await http(pollingUrl(server), { headers: { origin } });
  assert.equal(res.status, 200);
  const acao = res.headers.get("access-control-allow-origin");
  // "any origin": the wildcard (the reference with cors {origin:"*"}) or the request's origin echoed back.
  assert.ok(acao === "*" || acao === origin, `Access-Control-Allow-Origin was ${JSON.stringify(acao)}`);

  const { sid } = JSON.parse(res.text.slice(1));
  const post = await http(pollingUrl(server, { sid }), { method: "POST", headers: { origin }, body: "4cors" });
  assert.equal(post.status, 200);
  const acao2 = post.headers.get("access-control-allow-origin");
  assert.ok(acao2 === "*" || acao2 === origin, `POST Access-Control-Allow-Origin was ${JSON.stringify(acao2)}`);
});

test("CORS: OPTIONS preflight -> 204 with Access-Control-Allow-Methods", TIMEOUT, async () => {
  const origin = "http://example.com";
  const res = await http(pollingUrl(server), {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  assert.equal(res.status, 204);
  const methods = (res.headers.get("access-control-allow-methods") ?? "")
    .split(",")
    .map((m) => m.trim().toUpperCase());
  for (const m of ["GET", "POST"]) {
    assert.ok(methods.includes(m), `Access-Control-Allow-Methods must include ${m}: ${JSON.stringify(methods)}`);
  }
  const acao = res.headers.get("access-control-allow-origin");
  assert.ok(acao === "*" || acao === origin, `preflight Access-Control-Allow-Origin was ${JSON.stringify(acao)}`);
});

test("a second websocket on an upgraded session: 101, then closed at once (close 1005, no error); the first goes on", TIMEOUT, async () => {
  const { sid } = await openPollingSession(server);
  const first = new RawWs(wsUrl(server, { sid }));
  sockets.push(first);
  await first.opened;
  // Heartbeats go on during the test: answer them, and skip them when reading.
  first.ws.on("message", (data, isBinary) => {
    if (!isBinary && data.toString() === "2") first.send("3");
  });
  const nextData = async () => {
    for (;;) {
      const f = await first.next(2000);
      if (f.text !== "2") return f;
    }
  };
  first.send("2probe");
  assert.deepEqual(await nextData(), { text: "3probe" });
  first.send("5");
  for (let i = 0; i < 3; i++) {
    const second = new RawWs(wsUrl(server, { sid }));
    sockets.push(second);
    await second.opened;
    const closed = await second.waitClosed(3000);
    assert.equal(closed.code, 1005, "a close frame without a status");
    assert.equal(second.error, undefined, `no error event: ${second.error}`);
    first.send(`4still here ${i}`);
    assert.deepEqual(await nextData(), { text: `4still here ${i}` });
  }
});
