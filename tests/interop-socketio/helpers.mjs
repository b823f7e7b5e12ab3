// Shared helpers: a socket.io-client wrapper (one Manager = one Engine.IO connection, with any
// number of namespace sockets), the transport matrix, and a raw HTTP long-polling session.

import assert from "node:assert/strict";
import { setMaxListeners } from "node:events";
import { Manager } from "socket.io-client";
import { GRACE, ID_RE } from "../harness/conformance.mjs";
import { once, sleep, withTimeout } from "../harness/wait.mjs";

/** With SIO_PARSER=msgpack the whole suite runs over npm's socket.io-msgpack-parser. */
export const MSGPACK = process.env.SIO_PARSER === "msgpack";
const parserOpts = MSGPACK ? { parser: (await import("socket.io-msgpack-parser")).default } : {};

export { Manager };
export { sleep, withTimeout, once } from "../harness/wait.mjs";
export { bytes } from "../harness/bytes.mjs";
export { GRACE, ID_RE, MODES, PING_INTERVAL, PING_TIMEOUT } from "../harness/conformance.mjs";

// Concurrent waits add abort listeners; more than 10 is expected, not a leak.
setMaxListeners(50);

/** Values the conformance server is configured with at /socket.io/ (with tests/harness's). */
export const CONNECT_TIMEOUT = 1000;
export const SERVER_ACK_TIMEOUT = 500;

/** Human-readable description of a value for assertion messages (Buffers shown as hex). */
export function show(v) {
  return JSON.stringify(v, (_k, x) =>
    x && x.type === "Buffer" && Array.isArray(x.data) ? `<Buffer ${x.data.length}B>` : x,
  );
}

/** Fails with a readable message unless every binary value in `v` (recursively) is a Buffer. */
export function assertBuffers(v, path = "value") {
  if (v instanceof ArrayBuffer || (ArrayBuffer.isView(v) && !Buffer.isBuffer(v))) {
    assert.fail(`${path}: expected a Buffer, got ${Object.prototype.toString.call(v)}`);
  }
  if (Buffer.isBuffer(v)) return;
  if (Array.isArray(v)) v.forEach((x, i) => assertBuffers(x, `${path}[${i}]`));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) assertBuffers(x, `${path}.${k}`);
}

// ---------------------------------------------------------------------------------------------
// socket.io-client wrapper

/** A namespace socket with a record of every event it received and every disconnect reason. */
export class Sock {
  constructor(client, nsp, socket) {
    this.client = client;
    this.nsp = nsp;
    this.socket = socket;
    this.events = []; // { name, args, at } not yet consumed by next()
    this.all = []; // every event ever received, in order
    this.waiters = [];
    this.disconnects = []; // [reason, ...]
    this.connectErrors = [];
    socket.onAny((name, ...args) => {
      const ev = { name, args, at: Date.now() };
      this.all.push(ev);
      const i = this.waiters.findIndex((w) => w.name === name);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(args);
      else this.events.push(ev);
    });
    socket.on("disconnect", (reason) => this.disconnects.push(reason));
    socket.on("connect_error", (err) => this.connectErrors.push(err));
  }

  get id() {
    return this.socket.id;
  }

  /** Resolves once connected; rejects with the connect_error otherwise. */
  async connected(ms = 3000) {
    if (this.socket.connected) return this;
    let onConnect, onError;
    const p = new Promise((resolve, reject) => {
      onConnect = () => resolve(this);
      onError = (err) =>
        reject(
          new Error(
            `${this.nsp}: connect_error ${JSON.stringify(err.message)}` +
              (err.data !== undefined ? ` data ${JSON.stringify(err.data)}` : ""),
          ),
        );
      this.socket.once("connect", onConnect);
      this.socket.once("connect_error", onError);
    });
    try {
      return await withTimeout(p, ms, `${this.nsp} to connect (${this.client.mode.name})`);
    } finally {
      this.socket.off("connect", onConnect);
      this.socket.off("connect_error", onError);
    }
  }

  /** Resolves with the connect_error the server answered (fails if the socket connects instead). */
  async refused(ms = 3000) {
    if (this.connectErrors.length) return this.connectErrors[0];
    let onConnect, onError;
    const p = new Promise((resolve, reject) => {
      onConnect = () => reject(new Error(`${this.nsp} connected (id ${this.socket.id}) but was expected to be refused`));
      onError = (err) => resolve(err);
      this.socket.once("connect", onConnect);
      this.socket.once("connect_error", onError);
    });
    try {
      return await withTimeout(p, ms, `connect_error on ${this.nsp}`);
    } finally {
      this.socket.off("connect", onConnect);
      this.socket.off("connect_error", onError);
    }
  }

  /** The argument list of the next (not yet consumed) event called `name`. */
  next(name, ms = 2000) {
    const i = this.events.findIndex((e) => e.name === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0].args);
    let waiter;
    const p = new Promise((resolve) => {
      waiter = { name, resolve };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, `event "${name}" on ${this.nsp} (${this.client.mode.name})`).catch((err) => {
      const j = this.waiters.indexOf(waiter);
      if (j >= 0) this.waiters.splice(j, 1);
      throw err;
    });
  }

  /** Fails if an (unconsumed) event called `name` has arrived or arrives within `ms`. */
  async none(name, ms = GRACE, why = "") {
    await sleep(ms);
    const got = this.events.filter((e) => e.name === name);
    assert.equal(
      got.length,
      0,
      `${this.nsp} (${this.client.mode.name}) must not receive "${name}"${why ? ` (${why})` : ""}, ` +
        `got ${got.length}: ${got.map((e) => show(e.args)).join(", ")}`,
    );
  }

  emit(name, ...args) {
    this.socket.emit(name, ...args);
  }

  /** Emits with an ack and resolves with the full list of ack arguments. */
  ack(name, args = [], ms = 2000) {
    return new Promise((resolve, reject) => {
      this.socket.timeout(ms).emit(name, ...args, (err, ...rest) => {
        if (err) reject(new Error(`no ack for "${name}" on ${this.nsp} within ${ms} ms (${err.message})`));
        else resolve(rest);
      });
    });
  }

  /** message → message-back round trip: proves the namespace socket is alive on the server. */
  async roundTrip(tag = "ping") {
    const token = `${tag}-${Math.random().toString(36).slice(2)}`;
    this.emit("message", token);
    for (;;) {
      const args = await this.next("message-back", 2000);
      if (args[0] === token) return;
    }
  }

  /** Resolves with the list of disconnect reasons once there is at least one. */
  async disconnected(ms = 2000) {
    if (!this.disconnects.length) await once(this.socket, "disconnect", ms, `"disconnect" on ${this.nsp}`);
    return this.disconnects;
  }
}

/** One Manager (= one Engine.IO connection) and the namespace sockets opened over it. */
export class Client {
  constructor(server, mode, opts = {}) {
    this.mode = mode;
    this.manager = new Manager(server.url, {
      ...parserOpts,
      ...mode.opts,
      reconnection: false,
      timeout: 3000,
      ...opts,
    });
    this.socks = [];
    this.upgraded = false;
    this.closes = [];
    this.attachEngine();
    Client.live.add(this);
  }

  /** Subscribes to the engine (created by the Manager when it opens). */
  attachEngine() {
    const engine = this.manager.engine;
    if (!engine || engine === this.engineSeen) return;
    this.engineSeen = engine;
    this.upgradePromise = new Promise((resolve, reject) => {
      engine.on("upgrade", () => {
        this.upgraded = true;
        resolve();
      });
      engine.on("upgradeError", (err) => reject(new Error(`upgradeError: ${err?.message ?? err}`)));
    });
    this.upgradePromise.catch(() => {});
    engine.on("close", (reason) => this.closes.push({ reason, at: Date.now() }));
  }

  get engine() {
    return this.manager.engine;
  }

  /** Opens a namespace socket (does not wait for it). */
  open(nsp = "/", opts = {}) {
    const socket = this.manager.socket(nsp, opts);
    this.attachEngine();
    const s = new Sock(this, nsp, socket);
    this.socks.push(s);
    return s;
  }

  /** Opens a namespace socket and waits until it is connected. */
  async join(nsp = "/", opts = {}) {
    return this.open(nsp, opts).connected();
  }

  /**
   * Waits until the connection is on its final transport: for the upgrade mode, until the
   * `upgrade` event; then asserts the transport name.
   */
  async ready() {
    if (this.mode.upgrade && !this.upgraded) {
      await withTimeout(this.upgradePromise, 3000, `the upgrade to websocket (${this.mode.name})`);
    }
    assert.equal(this.engine.transport.name, this.mode.final, `transport in mode ${this.mode.name}`);
    return this;
  }

  /** Closes every socket and the connection. */
  close() {
    for (const s of this.socks) {
      try {
        s.socket.disconnect();
      } catch {
        // ignore
      }
    }
    try {
      this.manager._close();
    } catch {
      // ignore
    }
    Client.live.delete(this);
  }

  /** Closes every client a test left open (call from afterEach). */
  static closeAll() {
    for (const c of [...Client.live]) c.close();
  }

  /** A connected client on `/` (plus more namespaces), on its final transport. */
  static async connect(server, mode, { nsps = ["/"], auth } = {}) {
    const c = new Client(server, mode);
    const socks = nsps.map((n) => c.open(n, n === "/custom" ? { auth: auth ?? { token: "x" } } : auth ? { auth } : {}));
    await Promise.all(socks.map((s) => s.connected()));
    await c.ready();
    return [c, ...socks];
  }
}
Client.live = new Set();

// ---------------------------------------------------------------------------------------------
// Socket.IO text packets (default parser), for the raw tests

/** Decodes a Socket.IO text packet (without the Engine.IO `4`) into {type, attachments, nsp, id, data}. */
export function decodeSio(str) {
  const m = /^([0-6])(?:(\d+)-)?(\/[^,]*,)?(\d+)?(.*)$/s.exec(str);
  assert.ok(m, `not a Socket.IO packet: ${JSON.stringify(str)}`);
  const [, type, att, nsp, id, rest] = m;
  return {
    type: Number(type),
    ...(att !== undefined ? { attachments: Number(att) } : {}),
    nsp: nsp ? nsp.slice(0, -1) : "/",
    ...(id !== undefined ? { id: Number(id) } : {}),
    ...(rest.length ? { data: JSON.parse(rest) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP long-polling session

/** fetch() with a timeout; returns { status, headers, text }. */
export async function http(url, { method = "GET", headers, body, timeout = 3000 } = {}) {
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeout) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

export function pollingUrl(server, params = {}) {
  const q = new URLSearchParams({ EIO: "4", transport: "polling", ...params });
  return `${server.endpoint}?${q}`;
}

/**
 * A raw Engine.IO polling session: one GET outstanding at a time (answers pings with `3`), POSTs
 * serialized. Server packets other than ping/noop/close are queued as strings (`4...`, `b...`).
 * `closed` records how the session ended: {how: "close-packet"} (the GET got `1`),
 * {how: "http", status, body} (a GET got an error answer), or {how: "network", error}.
 */
export class RawSession {
  constructor(server, handshake, openedAt) {
    this.server = server;
    this.handshake = handshake;
    this.sid = handshake.sid;
    this.openedAt = openedAt;
    this.packets = [];
    this.bodies = []; // every GET response body, split into packets (for diagnostics)
    this.waiters = [];
    this.pings = 0;
    this.closed = null;
    this.postChain = Promise.resolve();
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    RawSession.live.add(this);
    this.loop();
  }

  static async open(server) {
    const openedAt = Date.now();
    const res = await http(pollingUrl(server));
    assert.equal(res.status, 200, `handshake GET answered ${res.status}: ${res.text}`);
    assert.equal(res.text[0], "0", `handshake body must start with the open packet "0": ${res.text}`);
    return new RawSession(server, JSON.parse(res.text.slice(1)), openedAt);
  }

  url() {
    return pollingUrl(this.server, { sid: this.sid });
  }

  setClosed(c) {
    if (this.closed) return;
    this.closed = { ...c, at: Date.now() };
    for (const w of this.waiters.splice(0)) {
      w.reject(new Error(`session closed (${JSON.stringify(this.closed)}) while waiting for a packet`));
    }
    this.resolveClosed(this.closed);
  }

  async loop() {
    while (!this.closed && !this.stopped) {
      let res;
      try {
        res = await http(this.url(), { timeout: 5000 });
      } catch (err) {
        if (!this.stopped) this.setClosed({ how: "network", error: err?.cause?.code ?? err.message });
        return;
      }
      if (res.status !== 200) {
        this.setClosed({ how: "http", status: res.status, body: res.text });
        return;
      }
      const body = res.text.split("\x1e");
      this.bodies.push(body);
      for (const p of body) {
        if (p === "2") {
          this.pings++;
          this.post("3").catch(() => {});
        } else if (p === "1") {
          this.setClosed({ how: "close-packet" });
        } else if (p === "6") {
          // noop
        } else {
          const w = this.waiters.shift();
          if (w) w.resolve(p);
          else this.packets.push(p);
        }
      }
    }
  }

  /** POSTs a payload (packets joined by \x1e); POSTs never overlap. Resolves with {status, text}. */
  post(body) {
    const p = this.postChain.then(() => http(this.url(), { method: "POST", body }));
    this.postChain = p.catch(() => {});
    return p;
  }

  /** The next queued server packet (raw Engine.IO packet string). */
  next(ms = 2000) {
    if (this.packets.length) return Promise.resolve(this.packets.shift());
    if (this.closed) return Promise.reject(new Error(`session is closed (${JSON.stringify(this.closed)})`));
    let waiter;
    const p = new Promise((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, "a server packet").catch((err) => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      throw err;
    });
  }

  /** The next server packet, which must be a text Socket.IO packet; returns it decoded. */
  async nextSio(ms = 2000) {
    const p = await this.next(ms);
    assert.equal(p[0], "4", `expected an Engine.IO message carrying a Socket.IO packet, got ${JSON.stringify(p)}`);
    return decodeSio(p.slice(1));
  }

  /** POST `40` and return the CONNECT reply and the `auth` event that follows it. */
  async connectRoot() {
    const res = await this.post("40");
    assert.deepEqual({ status: res.status, text: res.text }, { status: 200, text: "ok" }, "POST 40");
    const reply = await this.nextSio();
    assert.equal(reply.type, 0, `CONNECT reply expected, got ${JSON.stringify(reply)}`);
    assert.deepEqual(Object.keys(reply.data), ["sid"], `CONNECT reply payload ${JSON.stringify(reply.data)}`);
    assert.match(reply.data.sid, ID_RE);
    const auth = await this.nextSio();
    assert.deepEqual(auth, { type: 2, nsp: "/", data: ["auth", {}] });
    return reply;
  }

  waitClosed(ms, what = "the server to close the session") {
    return withTimeout(this.closedPromise, ms, what);
  }

  stop() {
    this.stopped = true;
    RawSession.live.delete(this);
    if (!this.closed) http(this.url(), { method: "POST", body: "1" }).catch(() => {});
  }

  static stopAll() {
    for (const s of [...RawSession.live]) s.stop();
  }
}
RawSession.live = new Set();

/** Asserts that the server has forgotten `sid`: GET → 400 {"code":1,"message":"Session ID unknown"}. */
export async function assertSidUnknown(server, sid) {
  const res = await http(pollingUrl(server, { sid }), { timeout: 1500 }).catch((err) => {
    throw new Error(`GET with sid ${sid} did not answer (expected 400 Session ID unknown): ${err.message}`);
  });
  assert.deepEqual(
    { status: res.status, body: res.text },
    { status: 400, body: JSON.stringify({ code: 1, message: "Session ID unknown" }) },
    `GET with the closed session's sid ${sid}`,
  );
}
