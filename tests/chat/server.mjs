// Spawns the chat example (the `chat` binary) for one test file, with the launcher every suite
// shares (tests/harness/server.mjs), and helpers for its clients.
//
// SIO_CHAT_BIN  (required) path of the chat binary; it is started with PORT=<free port>.
// DEBUG         if set (to anything non-empty), the server's output is forwarded live; otherwise
//               it is printed for failing tests, or when the server fails to start.

import { setMaxListeners } from "node:events";
import { io } from "socket.io-client";
import * as harness from "../harness/server.mjs";
import { withTimeout } from "../harness/wait.mjs";

export { HOST, freePort } from "../harness/server.mjs";
export { sleep, withTimeout } from "../harness/wait.mjs";

/** How long to wait for something that must arrive. */
export const WAIT = 3000;
/** How long a "nothing more arrives" check waits. */
export const GRACE = 250;

// Concurrent waits add abort listeners; more than 10 is expected, not a leak.
setMaxListeners(50);

/** Starts the chat binary and waits until its Socket.IO endpoint answers a handshake. */
export function startServer(env = {}) {
  const command = harness.requireBin(
    "SIO_CHAT_BIN",
    "cargo build --bin chat && SIO_CHAT_BIN=$PWD/target/debug/chat npm --prefix tests/chat test",
  );
  return harness.startServer({
    command,
    env: { RUST_LOG: process.env.RUST_LOG ?? "info", ...env },
    name: "chat",
  });
}

/**
 * Registers hooks that start one server (with `env` added to its environment) for the current
 * test file, print its output for each failing test, and stop it at the end. Returns an object
 * filled in before the first test.
 */
export function useServer(env = {}) {
  return harness.useServer(() => startServer(env), { name: "chat" });
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
