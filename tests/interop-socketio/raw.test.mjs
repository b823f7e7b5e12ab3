// Raw HTTP long-polling sessions (fetch): exact Socket.IO packets on the wire, and the protocol
// errors that close the whole connection (connectTimeout, packet for a namespace not joined,
// undecodable packets, invalid state). The raw client answers pings, so the heartbeat never
// closes these sessions.

import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { MSGPACK, RawSession, assertSidUnknown, decodeSio, ID_RE, CONNECT_TIMEOUT, sleep, PING_INTERVAL } from "./helpers.mjs";

const server = useServer();
// These tests read the JSON text encoding on the wire; the msgpack run skips them.
const wireTest = MSGPACK ? test.skip : test;
afterEach(() => RawSession.stopAll());

const PH = (num) => ({ _placeholder: true, num });

/** POSTs and asserts the reference answer `200 ok`. */
async function post(s, body) {
  const res = await s.post(body);
  assert.deepEqual({ status: res.status, text: res.text }, { status: 200, text: "ok" }, `POST ${JSON.stringify(body)}`);
}

/** Asserts that the server closes the session within `ms` of now, then forgets its sid. */
async function assertClosedSoon(s, ms, what, { allowPackets = false } = {}) {
  const t0 = Date.now();
  const closed = await s.waitClosed(ms, `the server to close the session after ${what}`);
  const ok =
    closed.how === "close-packet" ||
    (closed.how === "http" &&
      closed.status === 400 &&
      closed.body === JSON.stringify({ code: 1, message: "Session ID unknown" }));
  assert.ok(ok, `after ${what} the session must end with a close packet or 400 code 1, got ${JSON.stringify(closed)}`);
  await sleep(50);
  await assertSidUnknown(server, s.sid);
  if (!allowPackets) {
    assert.deepEqual(
      s.packets,
      [],
      `the session was closed after ${what}, but the server first sent other packets; ` +
        "the reference closes the connection without sending anything",
    );
  }
  return closed.at - t0;
}

wireTest("wire: handshake, CONNECT and auth, EVENT and ACK", async () => {
  const s = await RawSession.open(server);
  assert.match(s.sid, ID_RE);
  assert.deepEqual(s.handshake.upgrades, ["websocket"]);
  assert.equal(s.handshake.pingInterval, 300);
  assert.equal(s.handshake.pingTimeout, 200);
  assert.equal(s.handshake.maxPayload, 1000000);

  const connect = await s.connectRoot(); // `40` → `40{"sid":…}`, then `42["auth",{}]`
  assert.notEqual(connect.data.sid, s.sid, "socket id differs from the Engine.IO sid");

  await post(s, '42["message",1,"2",{"3":[false]}]');
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/", data: ["message-back", 1, "2", { 3: [false] }] });

  await post(s, '42456["message-with-ack",1,"2",{"3":[false]}]');
  assert.deepEqual(await s.nextSio(), { type: 3, nsp: "/", id: 456, data: [1, "2", { 3: [false] }] });

  await post(s, '421["message-with-ack"]');
  assert.deepEqual(await s.nextSio(), { type: 3, nsp: "/", id: 1, data: [] });
  assert.equal(s.closed, null);
});

wireTest("wire: an event whose handler does not ack gets no ACK, even when the client asked for one", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  await post(s, '427["message","x"]');
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/", data: ["message-back", "x"] });
  await post(s, '428["no-handler-for-this-event","x"]');
  await sleep(200);
  assert.deepEqual(s.packets, [], "no ACK for 7 (message) or 8 (no handler)");
});

wireTest("wire: binary attachments in events and acks", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  await post(s, '451-["message",{"_placeholder":true,"num":0}]\x1ebAQID');
  assert.deepEqual(await s.nextSio(), { type: 5, attachments: 1, nsp: "/", data: ["message-back", PH(0)] });
  assert.equal(await s.next(), "bAQID");
  await post(s, '452-3["message-with-ack",{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]\x1ebAQID\x1ebBAUG');
  assert.deepEqual(await s.nextSio(), { type: 6, attachments: 2, nsp: "/", id: 3, data: [PH(0), { x: PH(1) }] });
  assert.equal(await s.next(), "bAQID");
  assert.equal(await s.next(), "bBAUG");
  // The attachments may also come in separate POSTs.
  await post(s, '451-["message",{"_placeholder":true,"num":0}]');
  await post(s, "bBAUG");
  assert.deepEqual(await s.nextSio(), { type: 5, attachments: 1, nsp: "/", data: ["message-back", PH(0)] });
  assert.equal(await s.next(), "bBAUG");
});

wireTest("wire: server → client ack (ids chosen by the server), answered with text and with binary", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  await post(s, '425["server-ack","q"]');
  const q = await s.nextSio();
  assert.equal(q.type, 2);
  assert.equal(q.nsp, "/");
  assert.deepEqual(q.data, ["question", "q"]);
  assert.ok(Number.isInteger(q.id), `the server must ask for an ack: ${JSON.stringify(q)}`);
  await post(s, `43${q.id}["yes"]`);
  assert.deepEqual(await s.nextSio(), { type: 3, nsp: "/", id: 5, data: ["yes"] });
  await post(s, '426["server-ack","binary please"]');
  const q2 = await s.nextSio();
  assert.deepEqual(q2.data, ["question", "binary please"]);
  assert.notEqual(q2.id, q.id, "ack ids are not reused on one socket");
  await post(s, `461-${q2.id}[{"_placeholder":true,"num":0}]\x1ebAQID`);
  assert.deepEqual(await s.nextSio(), { type: 6, attachments: 1, nsp: "/", id: 6, data: [PH(0)] });
  assert.equal(await s.next(), "bAQID");
  // An ACK with an id the server never used is ignored.
  await post(s, '4399999["stray"]');
  await post(s, '42["message","still here"]');
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/", data: ["message-back", "still here"] });
  assert.equal(s.closed, null);
});

wireTest("wire: CONNECT_ERROR packets, and a second namespace on the session", async () => {
  const s = await RawSession.open(server);
  const connect = await s.connectRoot();
  await post(s, "40/nope,");
  assert.deepEqual(await s.nextSio(), { type: 4, nsp: "/nope", data: { message: "Invalid namespace" } });
  await post(s, "40/private,");
  assert.deepEqual(await s.nextSio(), {
    type: 4,
    nsp: "/private",
    data: { message: "Not authorized", data: { reason: "no token" } },
  });
  await post(s, '40/custom,{"token":"t"}');
  const c2 = await s.nextSio();
  assert.equal(c2.type, 0);
  assert.equal(c2.nsp, "/custom");
  assert.deepEqual(Object.keys(c2.data), ["sid"]);
  assert.match(c2.data.sid, ID_RE);
  assert.notEqual(c2.data.sid, connect.data.sid);
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/custom", data: ["auth", { token: "t" }] });
  assert.equal(s.closed, null);
});

wireTest("wire: /custom admits a client without auth (`40/custom,`) and greets it with auth {}", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  await post(s, "40/custom,");
  const c = await s.nextSio();
  assert.equal(c.type, 0, `CONNECT expected, got ${JSON.stringify(c)}`);
  assert.equal(c.nsp, "/custom");
  assert.match(c.data.sid, ID_RE);
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/custom", data: ["auth", {}] });
  assert.equal(s.closed, null);
});

wireTest("wire: client DISCONNECT gets no reply; the session survives; / can be joined again", async () => {
  const s = await RawSession.open(server);
  const connect = await s.connectRoot();
  await post(s, '40/custom,{"token":"t"}');
  assert.equal((await s.nextSio()).type, 0);
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/custom", data: ["auth", { token: "t" }] });
  await post(s, "41");
  const pingsBefore = s.pings;
  await sleep(PING_INTERVAL + 100);
  assert.ok(s.pings > pingsBefore, "a heartbeat cycle passed");
  assert.deepEqual(s.packets, [], "DISCONNECT gets no reply");
  assert.equal(s.closed, null, "the session survives a namespace DISCONNECT");
  const again = await s.connectRoot();
  assert.notEqual(again.data.sid, connect.data.sid);
  await post(s, '42["message","back again"]');
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/", data: ["message-back", "back again"] });
  assert.equal(s.closed, null);
});

wireTest("close-me over polling: DISCONNECT for every namespace, then the session is closed", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  await post(s, '40/custom,{"token":"x"}');
  assert.equal((await s.nextSio()).type, 0);
  assert.deepEqual(await s.nextSio(), { type: 2, nsp: "/custom", data: ["auth", { token: "x" }] });
  const before = s.bodies.length;
  await post(s, '42["close-me"]');
  const ms = await assertClosedSoon(s, 1000, "close-me", { allowPackets: true });
  assert.ok(ms < 500, `closed ${ms} ms after close-me`);
  assert.deepEqual([...s.packets].sort(), ["41", "41/custom,"], "a DISCONNECT packet for each namespace");
  // The reference flushes the DISCONNECT packets before it closes the transport, so the close packet
  // comes in a later response. socket.io-client handles a close packet in the same payload before
  // the DISCONNECTs (those are dispatched on the next tick) and reports "transport close" instead of
  // "io server disconnect".
  const bodies = s.bodies.slice(before).filter((b) => b.some((p) => p !== "2"));
  const mixed = bodies.filter((b) => b.includes("1") && b.some((p) => p.startsWith("41")));
  assert.deepEqual(
    mixed,
    [],
    `the close packet must not share a response with the DISCONNECT packets; responses: ${JSON.stringify(bodies)}`,
  );
});

wireTest("a connection that joins no namespace within connectTimeout (1 s) is closed", async () => {
  const s = await RawSession.open(server);
  const control = await RawSession.open(server);
  await control.connectRoot();
  const closed = await s.waitClosed(CONNECT_TIMEOUT + 1500, "the server to close the idle session");
  const elapsed = closed.at - s.openedAt;
  assert.ok(
    elapsed >= CONNECT_TIMEOUT - 100 && elapsed <= CONNECT_TIMEOUT + 500,
    `closed ${elapsed} ms after the handshake; expected about ${CONNECT_TIMEOUT} ms (${JSON.stringify(closed)})`,
  );
  assert.ok(s.pings >= 2, `the idle client answered ${s.pings} pings, so the heartbeat did not close it`);
  assert.ok(
    closed.how === "close-packet" ||
      (closed.how === "http" && closed.status === 400 && closed.body === '{"code":1,"message":"Session ID unknown"}'),
    `the idle session must end with a close packet or 400 code 1, got ${JSON.stringify(closed)}`,
  );
  assert.deepEqual(s.packets, [], "the idle session got no Socket.IO packets");
  await assertSidUnknown(server, s.sid);
  // The control session joined / and is still alive.
  assert.equal(control.closed, null);
  await post(control, '42["message","alive"]');
  assert.deepEqual(await control.nextSio(), { type: 2, nsp: "/", data: ["message-back", "alive"] });
});

wireTest("a packet for a namespace the client has not joined closes the connection", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  await post(s, '42/custom,["x"]');
  const ms = await assertClosedSoon(s, 1000, 'POST 42/custom,["x"] (namespace not joined)');
  assert.ok(ms < 500, `closed after ${ms} ms`);
});

wireTest("an event before any CONNECT closes the connection", async () => {
  const s = await RawSession.open(server);
  await post(s, '42["message","x"]');
  await assertClosedSoon(s, 500, 'POST 42["message","x"] before CONNECT');
});

wireTest("a second CONNECT for a namespace already joined closes the connection", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  await post(s, "40");
  await assertClosedSoon(s, 500, "a second POST 40");
});

for (const [what, body] of [
  ["undecodable packet 4{oops", "4{oops"],
  ["unknown packet type 9", "49"],
  ["EVENT payload that is not an array", '42{"a":1}'],
  ["EVENT payload that is not valid JSON", '42["message",'],
  ["EVENT with a reserved event name", '42["connect"]'],
  ["BINARY_EVENT with a bad attachment count", '45x-["message",{"_placeholder":true,"num":0}]'],
  ["binary data where none is expected", "bAQID"],
  // The server's default max_depth is 1,000 levels per argument.
  ["EVENT argument nested 1,001 levels deep", `42["message",${"[".repeat(1001)}${"]".repeat(1001)}]`],
  // A packet only servers send (Node: "invalid state", the connection closes).
  ["CONNECT_ERROR from the client on a joined namespace", '44{"message":"x"}'],
  ["CONNECT_ERROR without data on a joined namespace", "44"],
]) {
  wireTest(`${what} closes the connection`, async () => {
    const s = await RawSession.open(server);
    await s.connectRoot();
    await post(s, body);
    const ms = await assertClosedSoon(s, 1000, `POST ${JSON.stringify(body)}`);
    assert.ok(ms < 500, `closed after ${ms} ms`);
  });
}

wireTest("decodeSio (test helper) parses the spec's examples", () => {
  assert.deepEqual(decodeSio('2/admin,456["project:delete",123]'), {
    type: 2,
    nsp: "/admin",
    id: 456,
    data: ["project:delete", 123],
  });
  assert.deepEqual(decodeSio("1/admin,"), { type: 1, nsp: "/admin" });
  assert.deepEqual(decodeSio('62-789[1]'), { type: 6, attachments: 2, nsp: "/", id: 789, data: [1] });
});
