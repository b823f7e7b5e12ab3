// Shared helpers: a socket.io-client 2.x wrapper (one Manager = one Engine.IO v3 connection,
// with any number of namespace sockets) and the transport matrix.

import assert from "node:assert/strict";
import io from "socket.io-client";

/** Values the conformance server is configured with at /socket.io/. */
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;

/** Engine.IO sids: 20 characters of URL-safe base64. */
export const ID_RE = /^[A-Za-z0-9_-]{20}$/;

/** How long a "nothing more arrives" check waits. */
export const GRACE = 200;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The transport matrix every client scenario runs over.
 * - `final`: the transport the connection must be on once ready.
 * - `upgrade`: whether the connection must have upgraded from polling to WebSocket.
 */
export const MODES = [
  { name: "websocket", opts: { transports: ["websocket"] }, upgrade: false, final: "websocket" },
  { name: "polling", opts: { transports: ["polling"] }, upgrade: false, final: "polling" },
  { name: "polling+upgrade", opts: { transports: ["polling", "websocket"] }, upgrade: true, final: "websocket" },
];

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** Waits for one event of an emitter (resolves with the argument list). */
export function once(emitter, event, ms = 3000, what = `"${event}" event`) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => resolve(args);
    emitter.once(event, handler);
  });
  return withTimeout(p, ms, what).catch((err) => {
    emitter.off(event, handler);
    throw err;
  });
}

/** Deterministic test bytes (every byte value occurs for n >= 256). */
export function bytes(n, seed = 7) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}

/** Binary values as Buffers (the 2.x client may hand out ArrayBuffers), recursively. */
export function buffers(v) {
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(buffers);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, buffers(x)]));
  return v;
}

/** One socket.io-client 2.x Manager (one Engine.IO v3 connection) in a transport mode. */
export class Client {
  static all = new Set();

  constructor(server, mode, opts = {}) {
    this.mode = mode;
    this.manager = new io.Manager(server.url, { reconnection: false, timeout: 3000, ...mode.opts, ...opts });
    this.sockets = [];
    this.upgraded = mode.upgrade ? once(this.manager.engine, "upgrade", 3000, "the upgrade to websocket") : null;
    Client.all.add(this);
  }

  get engine() {
    return this.manager.engine;
  }

  /** A namespace socket; `query` goes into its CONNECT (`0/nsp?query,`). */
  open(nsp, opts = {}) {
    const socket = this.manager.socket(nsp, opts);
    const events = [];
    socket.on("error", (err) => events.push(err));
    socket.errors = events;
    this.sockets.push(socket);
    return socket;
  }

  /** Resolves once the transport is the mode's final one (after the upgrade, if any). */
  async ready() {
    if (this.upgraded) await this.upgraded;
    assert.equal(this.engine.transport.name, this.mode.final, "transport");
  }

  close() {
    for (const s of this.sockets) s.close();
    this.manager.close();
    Client.all.delete(this);
  }

  static closeAll() {
    for (const c of [...Client.all]) c.close();
  }
}

/** Resolves when `socket` connects; rejects with its error packet's data otherwise. */
export function connected(socket, ms = 3000) {
  if (socket.connected) return Promise.resolve(socket);
  let onConnect, onError;
  const p = new Promise((resolve, reject) => {
    onConnect = () => resolve(socket);
    onError = (err) => reject(new Error(`${socket.nsp}: error ${JSON.stringify(err)}`));
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
  return withTimeout(p, ms, `${socket.nsp} to connect`).finally(() => {
    socket.off("connect", onConnect);
    socket.off("error", onError);
  });
}

/** Resolves with the data of the error packet the server answered a CONNECT with. */
export function refused(socket, ms = 3000) {
  if (socket.errors.length) return Promise.resolve(socket.errors[0]);
  let onConnect, onError;
  const p = new Promise((resolve, reject) => {
    onConnect = () => reject(new Error(`${socket.nsp} connected but was expected to be refused`));
    onError = (err) => resolve(err);
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
  return withTimeout(p, ms, `an error packet on ${socket.nsp}`).finally(() => {
    socket.off("connect", onConnect);
    socket.off("error", onError);
  });
}

/** Emits with an ack callback; resolves with the ack's arguments. */
export function ack(socket, name, args = [], ms = 3000) {
  const p = new Promise((resolve) => socket.emit(name, ...args, (...reply) => resolve(reply)));
  return withTimeout(p, ms, `the ack of "${name}"`);
}
