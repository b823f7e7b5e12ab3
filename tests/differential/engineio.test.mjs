// Engine.IO scenarios: HTTP statuses and error bodies, long-polling, WebSocket frames and close
// codes, on the echo endpoint /engine.io/ and on /socket.io/.

import { differential, frame, http, RawPolling, RawWs, sleep } from "./harness.mjs";

const EIO = "/engine.io/";
const SIO = "/socket.io/";

/** A polling session on /engine.io/ upgraded to WebSocket: returns the session and its socket. */
async function upgraded(rec, server, name = "ws") {
  const s = await RawPolling.open(rec, "poll", server.origin, { path: EIO, loop: false });
  server.cleanup.push(s);
  const ws = await RawWs.open(rec, name, server.origin, { path: EIO, query: `&sid=${s.sid}` });
  server.cleanup.push(ws);
  await ws.send("2probe", 1);
  // The pending poll (none here) would get a noop; then the upgrade completes.
  await ws.send("5");
  return { s, ws };
}

const scenarios = {
  "http: handshake over polling (body, content type, CORS with an Origin)": async (rec, server) => {
    await http(rec, "get", `${server.origin}${SIO}?EIO=4&transport=polling`, {
      headers: { origin: "http://example.com" },
      keep: ["content-type", "access-control-allow-origin"],
    });
  },

  "http: CORS preflight": async (rec, server) => {
    await http(rec, "options", `${server.origin}${SIO}?EIO=4&transport=polling`, {
      method: "OPTIONS",
      headers: { origin: "http://example.com", "access-control-request-method": "POST" },
      keep: ["access-control-allow-origin"],
    });
  },

  "http: Engine.IO errors (transport, protocol version, sid, handshake method)": async (rec, server) => {
    const base = `${server.origin}${SIO}`;
    for (const [what, query, method] of [
      ["unknown transport", "?EIO=4&transport=bogus", "GET"],
      ["no transport", "?EIO=4", "GET"],
      ["no EIO", "?transport=polling", "GET"],
      ["EIO=5", "?EIO=5&transport=polling", "GET"],
      ["EIO=x", "?EIO=x&transport=polling", "GET"],
      ["unknown sid (GET)", "?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", "GET"],
      ["unknown sid (POST)", "?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", "POST"],
      ["handshake by POST", "?EIO=4&transport=polling", "POST"],
      ["handshake by PUT", "?EIO=4&transport=polling", "PUT"],
      ["websocket transport without an upgrade", "?EIO=4&transport=websocket", "GET"],
    ]) {
      await http(rec, what, `${base}${query}`, { method, body: method === "POST" ? "4x" : undefined });
    }
  },

  "http: a polling session's sid with another transport, and with the wrong endpoint": async (rec, server) => {
    const s = await RawPolling.open(rec, "poll", server.origin, { path: EIO, loop: false });
    server.cleanup.push(s);
    await http(rec, "ws-get", `${server.origin}${EIO}?EIO=4&transport=websocket&sid=${s.sid}`);
    await http(rec, "other-endpoint", `${server.origin}${SIO}?EIO=4&transport=polling&sid=${s.sid}`);
  },

  "polling: echo of several packets, text and binary, in one POST": async (rec, server) => {
    const s = await RawPolling.open(rec, "poll", server.origin, { path: EIO });
    server.cleanup.push(s);
    await s.post("4hello\x1ebAQID\x1e4ü€", 3);
  },

  "polling: oversized POST body (1,000,001 bytes)": async (rec, server) => {
    const s = await RawPolling.open(rec, "poll", server.origin, { path: EIO });
    server.cleanup.push(s);
    // Let the long-poll arrive first: the session's close packet goes to it (a server may
    // refuse the body on its Content-Length before the poll would otherwise have arrived).
    await sleep(50);
    await s.post(`4${"x".repeat(1_000_000)}`, 1);
    await sleep(300);
  },

  "polling: undecodable packets in a POST": async (rec, server) => {
    for (const [i, body] of ["9", "", "4a\x1e\x1e4b", "b!!!"].entries()) {
      const s = await RawPolling.open(rec, `poll${i}`, server.origin, { path: EIO });
      server.cleanup.push(s);
      await sleep(50); // the long-poll first, as above
      await s.post(body, 1);
      s.stop();
    }
  },

  "polling: a second concurrent GET closes the session": async (rec, server) => {
    const s = await RawPolling.open(rec, "poll", server.origin, { path: EIO, loop: false });
    server.cleanup.push(s);
    const first = http(rec, "first GET", s.url());
    await sleep(50);
    await http(rec, "second GET", s.url());
    await first;
  },

  "polling: GET poll racing POST 1 (close), 25 times on each endpoint": async (rec, server) => {
    const outcomes = new Map();
    for (let i = 0; i < 50; i++) {
      const path = i % 2 ? SIO : EIO;
      const s = await RawPolling.open(new (rec.constructor)(), "poll", server.origin, { path, loop: false });
      const get = fetch(s.url()).then(async (r) => `GET ${r.status} ${await r.text()}`);
      const post = fetch(s.url(), { method: "POST", body: "1" }).then(async (r) => `POST ${r.status} ${await r.text()}`);
      const outcome = `${await get} / ${await post}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // Which outcomes occur (not how often: that is timing).
    for (const o of [...outcomes.keys()].sort()) rec.note(o);
  },

  "websocket: echo of text and binary on /engine.io/": async (rec, server) => {
    const ws = await RawWs.open(rec, "ws", server.origin, { path: EIO });
    server.cleanup.push(ws);
    await ws.send("4hello ü€", 1);
    await ws.sendBinary([1, 2, 3], 1);
    await ws.send("4", 1);
  },

  "websocket: undecodable Engine.IO packets": async (rec, server) => {
    for (const [i, f] of ["9", "", "x", "6"].entries()) {
      const ws = await RawWs.open(rec, `ws${i}`, server.origin, { path: EIO });
      server.cleanup.push(ws);
      await ws.send(f, 1);
      ws.close();
    }
  },

  "websocket: upgrade from polling (probe, noop for the pending poll, upgrade)": async (rec, server) => {
    const s = await RawPolling.open(rec, "poll", server.origin, { path: EIO, loop: false });
    server.cleanup.push(s);
    const ws = await RawWs.open(rec, "ws", server.origin, { path: EIO, query: `&sid=${s.sid}` });
    server.cleanup.push(ws);
    const pending = fetch(s.url()).then(async (r) => `pending GET → ${r.status} ${await r.text()}`);
    await sleep(50);
    await ws.send("2probe", 1);
    rec.note(await pending);
    await ws.send("5");
    await ws.send("4after upgrade", 1);
    await http(rec, "GET after upgrade", s.url());
  },

  "websocket: a second WebSocket on an upgraded session": async (rec, server) => {
    const { s, ws } = await upgraded(rec, server);
    const second = await RawWs.open(rec, "ws2", server.origin, { path: EIO, query: `&sid=${s.sid}` });
    server.cleanup.push(second);
    await second.waitClosed(500);
    await ws.send("4first still works", 1);
  },

  "websocket: a WebSocket for an unknown sid": async (rec, server) => {
    const ws = await RawWs.open(rec, "ws", server.origin, { path: EIO, query: "&sid=AAAAAAAAAAAAAAAAAAAA" });
    server.cleanup.push(ws);
    await ws.waitClosed(300);
  },

  "websocket: a complete frame above maxPayload (1009)": async (rec, server) => {
    const ws = await RawWs.open(rec, "ws", server.origin, { path: EIO });
    server.cleanup.push(ws);
    await ws.send(`4${"x".repeat(1_000_001)}`, 1);
    await ws.waitClosed();
  },

  "websocket: a frame header declaring 100 MB, then a few bytes (1009)": async (rec, server) => {
    const ws = await RawWs.open(rec, "ws", server.origin, { path: EIO });
    server.cleanup.push(ws);
    await ws.sendRaw(frame(1, "4abc", { declared: 100 * 1024 * 1024 }).subarray(0, 20), 1);
    await ws.waitClosed();
  },

  "websocket: invalid UTF-8 in a text frame (1007)": async (rec, server) => {
    const ws = await RawWs.open(rec, "ws", server.origin, { path: EIO });
    server.cleanup.push(ws);
    await ws.sendRaw(frame(1, Buffer.from([0x34, 0xff, 0xfe, 0x41])), 1);
    await ws.waitClosed();
  },

  "websocket: an unmasked client frame and a reserved opcode (1002)": async (rec, server) => {
    const ws = await RawWs.open(rec, "ws", server.origin, { path: EIO });
    server.cleanup.push(ws);
    await ws.sendRaw(Buffer.from([0x81, 0x02, 0x34, 0x41]), 1);
    await ws.waitClosed();
    const ws2 = await RawWs.open(rec, "ws2", server.origin, { path: EIO });
    server.cleanup.push(ws2);
    await ws2.sendRaw(frame(3, "4abc"), 1);
    await ws2.waitClosed();
  },
};

differential(scenarios);
