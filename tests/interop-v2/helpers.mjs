// Shared helpers: a socket.io-client 2.x wrapper (one Manager = one Engine.IO v3 connection,
// with any number of namespace sockets) and the transport matrix.

import assert from "node:assert/strict";
import io from "socket.io-client";
import { once, withTimeout } from "../harness/wait.mjs";

export { sleep, withTimeout, once } from "../harness/wait.mjs";
export { bytes } from "../harness/bytes.mjs";
export { GRACE, ID_RE, MODES, PING_INTERVAL, PING_TIMEOUT } from "../harness/conformance.mjs";

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
