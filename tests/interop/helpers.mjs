// Shared helpers: the engine.io-client wrapper, the transport matrix, and raw protocol access
// (fetch for HTTP long-polling, `ws` for raw WebSocket).

import assert from "node:assert/strict";
import { setMaxListeners } from "node:events";
import { request as httpRequest } from "node:http";
import { Socket } from "engine.io-client";
import WebSocket from "ws";
import { ID_RE } from "../harness/conformance.mjs";
import { once, withTimeout } from "../harness/wait.mjs";

export { Socket, WebSocket };
export { sleep, withTimeout, once } from "../harness/wait.mjs";
export { bytes } from "../harness/bytes.mjs";
export { PING_INTERVAL, PING_TIMEOUT } from "../harness/conformance.mjs";

// Concurrent tests each add an abort listener to their suite's signal; >10 is expected, not a leak.
setMaxListeners(50);

/** Values the conformance server is configured with (with tests/harness's). */
export const MAX_PAYLOAD = 1_000_000;

/** Engine.IO sids: 20 characters of URL-safe base64 (PROTOCOL.md A.4). */
export const SID_RE = ID_RE;

/**
 * The transport matrix every client scenario runs over.
 * - `final`: the transport the session must be on once connected.
 * - `upgrades`: the `upgrades` the handshake must announce.
 */
export const MODES = [
  { name: "polling", opts: { transports: ["polling"] }, upgrade: false, final: "polling", upgrades: ["websocket"] },
  { name: "websocket", opts: { transports: ["websocket"] }, upgrade: false, final: "websocket", upgrades: [] },
  {
    name: "polling+upgrade",
    opts: { transports: ["polling", "websocket"] },
    upgrade: true,
    final: "websocket",
    upgrades: ["websocket"],
  },
];

/**
 * An engine.io-client socket with a record of what it saw: messages (in order, via `next()`),
 * handshake data, ping timestamps, close reason.
 */
export class Client {
  constructor(server, mode, extraOpts = {}) {
    this.mode = mode;
    this.messages = [];
    this.waiters = [];
    this.pings = [];
    this.handshake = null;
    this.closed = null; // { reason, description, at }
    this.errors = [];
    this.upgraded = false;
    this.socket = new Socket(server.url, { ...mode.opts, ...extraOpts });
    const s = this.socket;
    s.on("handshake", (data) => {
      this.handshake = data;
    });
    s.on("message", (data) => {
      const w = this.waiters.shift();
      if (w) w.resolve(data);
      else this.messages.push(data);
    });
    s.on("ping", () => this.pings.push(Date.now()));
    s.on("upgrade", () => {
      this.upgraded = true;
    });
    s.on("error", (err) => this.errors.push(err));
    s.on("close", (reason, description) => {
      this.closed = { reason, description, at: Date.now() };
      for (const w of this.waiters.splice(0)) {
        w.reject(new Error(`socket closed (${reason}) while waiting for a message`));
      }
    });
    Client.live.add(this);
  }

  /** Opens the client; for the upgrade mode also waits until the upgrade to WebSocket is done. */
  static async connect(server, mode, extraOpts = {}) {
    const c = new Client(server, mode, extraOpts);
    const failed = new Promise((_, reject) => {
      c.socket.once("close", (reason, desc) =>
        reject(new Error(`socket closed before it was ready: ${reason} ${fmtDesc(desc)}`)),
      );
      c.socket.once("upgradeError", (err) => reject(new Error(`upgradeError: ${err?.message ?? err}`)));
    });
    failed.catch(() => {});
    await Promise.race([once(c.socket, "open", 3000, `"open" (${mode.name})`), failed]);
    c.id = c.socket.id;
    c.openedAt = Date.now();
    if (mode.upgrade && !c.upgraded) {
      await Promise.race([once(c.socket, "upgrade", 3000, `"upgrade" (${mode.name})`), failed]);
    }
    return c;
  }

  get transportName() {
    return this.socket.transport?.name;
  }

  send(data) {
    this.socket.send(data);
  }

  /** The next message received (in order), or a rejection after `ms`. */
  next(ms = 2000) {
    if (this.messages.length) return Promise.resolve(this.messages.shift());
    if (this.closed) return Promise.reject(new Error(`socket is closed (${this.closed.reason})`));
    let waiter;
    const p = new Promise((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, "an echoed message").catch((err) => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      throw err;
    });
  }

  /** Resolves with {reason, description} once the socket has closed. */
  async waitClosed(ms, what = "the socket to close") {
    if (!this.closed) await once(this.socket, "close", ms, what);
    return this.closed;
  }

  /** Stops answering server pings: the client silently drops its own pong packets. */
  stopPonging() {
    const s = this.socket;
    const orig = s._sendPacket;
    assert.equal(typeof orig, "function", "engine.io-client internals changed: Socket#_sendPacket missing");
    s._sendPacket = function (type, ...rest) {
      if (type === "pong") return;
      return orig.call(this, type, ...rest);
    };
  }

  close() {
    this.socket.close();
    Client.live.delete(this);
  }

  /** Closes every client a test left open (call from afterEach). */
  static closeAll() {
    for (const c of Client.live) {
      try {
        c.socket.close();
      } catch {
        // ignore
      }
    }
    Client.live.clear();
  }
}
Client.live = new Set();

export function fmtDesc(desc) {
  if (desc == null) return "";
  if (desc instanceof Error) return `${desc.message} (description: ${fmtDesc(desc.description)})`;
  if (typeof desc === "object") {
    try {
      return JSON.stringify({ description: desc.description, code: desc.context?.code });
    } catch {
      return String(desc);
    }
  }
  return String(desc);
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP long-polling

export function pollingUrl(server, params = {}) {
  const q = new URLSearchParams({ EIO: "4", transport: "polling", ...params });
  return `${server.endpoint}?${q}`;
}

/** fetch() with a timeout; returns { status, headers, text }. */
export async function http(url, { method = "GET", headers, body, timeout = 3000 } = {}) {
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeout) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

/**
 * A request through node:http (used for large bodies: the server may answer 413 before it has
 * read the whole body, which fetch reports as a network error instead of the response).
 */
export function rawRequest(url, { method = "GET", headers = {}, body, timeout = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    let settled = false;
    const req = httpRequest(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (err) => {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            // the status line arrived; the body was cut off
            resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
          }
        });
      },
    );
    const timer = setTimeout(() => {
      if (!settled) {
        settled = true;
        req.destroy();
        reject(new Error(`${method} ${url}: no response within ${timeout} ms`));
      }
    }, timeout);
    req.on("error", (err) => {
      // An EPIPE/ECONNRESET while the body is still being written can precede the response
      // (the server answered early and closed). Give the response a moment to arrive.
      setTimeout(() => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(`${method} ${url}: ${err.code ?? err.message} before any response`));
        }
      }, 200);
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Opens a raw polling session: GET handshake; returns the parsed handshake object. */
export async function openPollingSession(server) {
  const res = await http(pollingUrl(server));
  assert.equal(res.status, 200, `handshake GET answered ${res.status}: ${res.text}`);
  assert.equal(res.text[0], "0", `handshake body must start with the open packet "0": ${res.text}`);
  return JSON.parse(res.text.slice(1));
}

/** Asserts an Engine.IO JSON error answer: status 400 and the exact {code, message} body. */
export function assertError(res, code, message, status = 400) {
  assert.deepEqual(
    { status: res.status, body: res.text },
    { status, body: JSON.stringify({ code, message }) },
    "wrong error answer",
  );
  const ct = res.headers.get ? res.headers.get("content-type") : res.headers["content-type"];
  assert.equal((ct ?? "").split(";")[0].trim().toLowerCase(), "application/json", `Content-Type was ${ct}`);
}

/** GET with a sid that the server is expected to have forgotten. */
export async function assertSidUnknown(server, sid, transport = "polling") {
  const res = await http(pollingUrl(server, { transport, sid }), { timeout: 1500 }).catch((err) => {
    throw new Error(`GET with sid ${sid} did not answer (expected 400 Session ID unknown): ${err.message}`);
  });
  assertError(res, 1, "Session ID unknown");
}

// ---------------------------------------------------------------------------------------------
// Raw WebSocket

/**
 * The sid in a raw open packet. Deliberately lenient about the rest of the packet (the exact
 * format is checked in raw-protocol.test.mjs), so that tests about other behaviour still run.
 */
export function sidOfOpenPacket(text) {
  assert.equal(typeof text, "string", "the open packet must be a text frame");
  assert.equal(text[0], "0", `not an open packet: ${JSON.stringify(text)}`);
  const sid = /"sid":"([^"]*)"/.exec(text)?.[1];
  assert.match(sid ?? "", SID_RE, `no valid sid in the open packet ${JSON.stringify(text)}`);
  return sid;
}

export function wsUrl(server, params = {}) {
  const q = new URLSearchParams({ EIO: "4", transport: "websocket", ...params });
  return `ws://${new URL(server.origin).host}${new URL(server.endpoint).pathname}?${q}`;
}

/** A raw WebSocket with an in-order frame queue. Frames are {text} or {binary: Buffer}. */
export class RawWs {
  constructor(url) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.frames = [];
    this.waiters = [];
    this.closed = null;
    this.ws.on("message", (data, isBinary) => {
      const f = isBinary ? { binary: Buffer.from(data) } : { text: data.toString("utf8") };
      const w = this.waiters.shift();
      if (w) w.resolve(f);
      else this.frames.push(f);
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString(), at: Date.now() };
      for (const w of this.waiters.splice(0)) w.reject(new Error(`websocket closed (${code}) while waiting for a frame`));
    });
    this.ws.on("error", (err) => {
      this.error = err;
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("unexpected-response", (_req, res) =>
        reject(new Error(`websocket handshake answered HTTP ${res.statusCode}`)),
      );
      this.ws.once("error", reject);
    });
    this.opened.catch(() => {});
    this.closedPromise = new Promise((resolve) => this.ws.once("close", () => resolve(this.closed)));
  }

  next(ms = 2000) {
    if (this.frames.length) return Promise.resolve(this.frames.shift());
    if (this.closed) return Promise.reject(new Error(`websocket is closed (${this.closed.code})`));
    let waiter;
    const p = new Promise((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, "a websocket frame").catch((err) => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      throw err;
    });
  }

  send(data) {
    this.ws.send(data);
  }

  waitClosed(ms) {
    return withTimeout(this.closedPromise, ms, "the websocket to close");
  }

  terminate() {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}
