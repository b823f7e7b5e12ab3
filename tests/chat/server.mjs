// Spawns the chat example (the `chat` binary) for one test file, and helpers for its clients.
//
// SIO_CHAT_BIN  (required) path of the chat binary; it is started with PORT=<free port>.
// DEBUG         if set (to anything non-empty), the server's output is forwarded live; otherwise
//               it is printed for failing tests, or when the server fails to start.

import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import { createServer } from "node:net";
import { before, after, beforeEach, afterEach } from "node:test";
import { io } from "socket.io-client";

export const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 20_000;
const DEBUG = Boolean(process.env.DEBUG);

/** How long to wait for something that must arrive. */
export const WAIT = 3000;
/** How long a "nothing more arrives" check waits. */
export const GRACE = 250;

// Concurrent waits add abort listeners; more than 10 is expected, not a leak.
setMaxListeners(50);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Finds a free TCP port by listening on port 0 and closing again. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the chat binary and waits until its Socket.IO endpoint answers a handshake. */
export async function startServer(env = {}) {
  const bin = process.env.SIO_CHAT_BIN;
  if (!bin) {
    throw new Error(
      "SIO_CHAT_BIN is not set: it must name the chat binary, e.g.\n" +
        "  cargo build --bin chat && SIO_CHAT_BIN=$PWD/target/debug/chat npm --prefix tests/chat test",
    );
  }
  const port = await freePort();
  const child = spawn(bin, [], {
    env: { ...process.env, PORT: String(port), RUST_LOG: process.env.RUST_LOG ?? "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks = [];
  let logLength = 0;
  const onOutput = (data) => {
    chunks.push(data);
    logLength += data.length;
    if (DEBUG) process.stderr.write(data);
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  let exited = null;
  let spawnError = null;
  const exitPromise = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    child.on("error", (err) => {
      spawnError = err;
      exited = exited ?? { code: null, signal: null };
      resolve(exited);
    });
  });

  const origin = `http://${HOST}:${port}`;
  const server = {
    port,
    origin,
    child,
    log: () => Buffer.concat(chunks).toString("utf8"),
    logLength: () => logLength,
    logSince: (offset) => Buffer.concat(chunks).subarray(offset).toString("utf8"),
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      const res = await exitPromise;
      clearTimeout(timer);
      return res;
    },
  };

  const probe = `${origin}/socket.io/?EIO=4&transport=polling`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = null;
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    if (exited) {
      throw new Error(`${bin} exited before serving (code ${exited.code}, signal ${exited.signal}). Output:\n${server.log()}`);
    }
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(1000) });
      await res.text();
      if (res.status === 200) return server;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err?.cause?.code ?? err?.message;
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${bin} did not answer GET ${probe} within ${START_TIMEOUT_MS} ms (last: ${last}). Output:\n${server.log()}`);
    }
    await sleep(50);
  }
}

/**
 * Registers hooks that start one server (with `env` added to its environment) for the current
 * test file, print its output for each failing test, and stop it at the end. Returns an object
 * filled in before the first test.
 */
export function useServer(env = {}) {
  const handle = {};
  let server = null;
  let offset = 0;
  before(async () => {
    server = await startServer(env);
    Object.assign(handle, server);
  });
  beforeEach(() => {
    offset = server ? server.logLength() : 0;
  });
  afterEach((t) => {
    if (server && !t.passed && !DEBUG) {
      const out = server.logSince(offset);
      process.stderr.write(`\n[chat] output during failed test "${t.name}":\n${out.length ? out : "(none)\n"}`);
    }
  });
  after(async () => {
    if (server) await server.stop();
  });
  return handle;
}

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

/**
 * A socket.io-client socket on /chat that records every event it receives, so tests can
 * both wait for one and check that none arrived.
 */
export class ChatClient {
  constructor(origin, auth, opts = {}) {
    this.received = [];
    this.waiters = [];
    // forceNew: one Engine.IO connection per client, as separate browsers would have.
    this.socket = io(`${origin}/chat`, { auth, forceNew: true, reconnection: false, ...opts });
    this.socket.onAny((event, ...args) => {
      this.received.push({ event, args });
      for (const w of [...this.waiters]) w();
    });
  }

  /** Connects as `name`; resolves once connected. */
  static async connect(origin, name, opts) {
    const c = new ChatClient(origin, { name }, opts);
    await withTimeout(
      new Promise((resolve, reject) => {
        c.socket.once("connect", resolve);
        c.socket.once("connect_error", reject);
      }),
      WAIT,
      `${name} to connect`,
    );
    return c;
  }

  /** The argument lists of the events named `event` received so far. */
  all(event) {
    return this.received.filter((r) => r.event === event).map((r) => r.args);
  }

  /** Waits for the next event named `event` not yet consumed; resolves with its first argument. */
  next(event, ms = WAIT) {
    this.consumed ??= {};
    const index = this.consumed[event] ?? 0;
    const check = () => {
      const all = this.all(event);
      if (all.length > index) {
        this.consumed[event] = index + 1;
        return all[index][0];
      }
      return undefined;
    };
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    let waiter;
    const p = new Promise((resolve) => {
      waiter = () => {
        const v = check();
        if (v !== undefined) resolve(v);
      };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, `"${event}"`).finally(() => {
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }

  /** Emits with an ack; resolves with the ack's arguments. */
  async request(event, ...args) {
    return this.socket.timeout(WAIT).emitWithAck(event, ...args);
  }

  close() {
    this.socket.disconnect();
  }
}
