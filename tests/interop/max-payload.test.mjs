// Scenario 5: maxPayload (1,000,000 bytes) is enforced: WebSocket frames over it close the
// connection (close code 1009), polling POST bodies over it get HTTP 413 and end the session.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import {
  Client,
  MAX_PAYLOAD,
  MODES,
  assertSidUnknown,
  bytes,
  fmtDesc,
  http,
  openPollingSession,
  pollingUrl,
  rawRequest,
} from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

const TIMEOUT = { timeout: 8000 };

for (const mode of MODES.filter((m) => m.final === "websocket")) {
  describe(`maxPayload over ${mode.name}`, () => {
    test("a binary frame of exactly maxPayload bytes is accepted and echoed", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      const b = bytes(MAX_PAYLOAD, 1);
      c.send(b);
      const got = await c.next(5000);
      assert.ok(Buffer.isBuffer(got), "expected a Buffer");
      assert.equal(got.length, MAX_PAYLOAD);
      assert.ok(got.equals(b), "bytes differ");
      assert.equal(c.closed, null);
      c.close();
    });

    test("a binary frame of maxPayload + 1 bytes closes the connection (1009)", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      const sid = c.id;
      c.send(bytes(MAX_PAYLOAD + 1, 2));
      const closed = await c.waitClosed(3000, "the server to close the connection");
      assert.equal(closed.reason, "transport close", `close: ${closed.reason} ${fmtDesc(closed.description)}`);
      assert.equal(closed.description?.context?.code, 1009, `WebSocket close code: ${fmtDesc(closed.description)}`);
      assert.deepEqual(c.messages, [], "nothing may be echoed");
      await assertSidUnknown(server, sid);
    });

    test("a text frame over maxPayload (\"4\" + 1,000,000 chars) closes the connection (1009)", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      c.send("x".repeat(MAX_PAYLOAD));
      const closed = await c.waitClosed(3000, "the server to close the connection");
      assert.equal(closed.reason, "transport close", `close: ${closed.reason} ${fmtDesc(closed.description)}`);
      assert.equal(closed.description?.context?.code, 1009, `WebSocket close code: ${fmtDesc(closed.description)}`);
      assert.deepEqual(c.messages, []);
    });
  });
}

describe("maxPayload over polling", () => {
  const mode = MODES.find((m) => m.name === "polling");

  test("engine.io-client: a message making a POST body of exactly maxPayload bytes is echoed", TIMEOUT, async () => {
    const c = await Client.connect(server, mode);
    const text = "y".repeat(MAX_PAYLOAD - 1); // POST body "4" + text = 1,000,000 bytes
    c.send(text);
    const got = await c.next(5000);
    assert.equal(got.length, text.length);
    assert.equal(got, text);
    c.close();
  });

  test("engine.io-client: a message over maxPayload ends the session (413)", TIMEOUT, async () => {
    const c = await Client.connect(server, mode);
    c.send("z".repeat(MAX_PAYLOAD)); // POST body 1,000,001 bytes
    const closed = await c.waitClosed(3000, "the client to give up after the failed POST");
    // The 413 ends the session, as Node's does. The client reports what reaches it first: the
    // close packet on its pending poll (Node's usual: it reads the body before refusing it),
    // the 413 of its POST, or the 400 of a poll that arrives once the session is gone.
    const seen =
      closed.reason === "transport close"
        ? closed.reason
        : `${closed.reason}: ${closed.description?.message} ${closed.description?.description}`;
    assert.ok(
      ["transport close", "transport error: xhr post error 413", "transport error: xhr poll error 400"].includes(seen),
      `close: ${closed.reason} ${fmtDesc(closed.description)}`,
    );
  });

  test("raw: POST body of exactly 1,000,000 bytes -> 200 ok", TIMEOUT, async () => {
    const { sid } = await openPollingSession(server);
    const body = "4" + "a".repeat(MAX_PAYLOAD - 1);
    assert.equal(Buffer.byteLength(body), MAX_PAYLOAD);
    const res = await rawRequest(pollingUrl(server, { sid }), {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", "content-length": String(MAX_PAYLOAD) },
      body,
    });
    assert.deepEqual({ status: res.status, text: res.text }, { status: 200, text: "ok" });
    const get = await http(pollingUrl(server, { sid }), { timeout: 3000 });
    assert.equal(get.status, 200);
    assert.deepEqual(
      get.text.split("\x1e").filter((p) => p !== "2").map((p) => p.length),
      [MAX_PAYLOAD],
      "the echo of the 999,999-char message",
    );
  });

  test("raw: POST body of 1,000,001 bytes -> 413", TIMEOUT, async () => {
    const { sid } = await openPollingSession(server);
    const body = "4" + "b".repeat(MAX_PAYLOAD);
    const res = await rawRequest(pollingUrl(server, { sid }), {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", "content-length": String(MAX_PAYLOAD + 1) },
      body,
    });
    assert.equal(res.status, 413, `answered ${res.status} ${res.text.slice(0, 200)}`);
  });

  test("raw: multi-byte body of 1,000,004 bytes (333,338 chars) -> 413 (the limit counts bytes)", TIMEOUT, async () => {
    const { sid } = await openPollingSession(server);
    const body = "4" + "€".repeat(333_333) + "xxxx"; // 1 + 999,999 + 4 = 1,000,004 bytes
    assert.equal(Buffer.byteLength(body), 1_000_004);
    const res = await rawRequest(pollingUrl(server, { sid }), {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body,
    });
    assert.equal(res.status, 413, `answered ${res.status} ${res.text.slice(0, 200)}`);
  });

  test("raw [ref]: a 413 has an empty body and closes the session, as Node's engine.io does", TIMEOUT, async () => {
    const { sid } = await openPollingSession(server);
    const res = await rawRequest(pollingUrl(server, { sid }), {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body: "4" + "c".repeat(MAX_PAYLOAD),
    });
    assert.deepEqual({ status: res.status, text: res.text }, { status: 413, text: "" });
    await assertSidUnknown(server, sid);
  });
});
