// Starting cluster members (sio's cluster-node, or the Node member) and clients.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { io as connect } from "socket.io-client";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");

/** The cluster-node binary (built by `cargo build --bin cluster-node`). */
export const SIO_BIN =
  process.env.SIO_CLUSTER_BIN ??
  path.join(process.env.CARGO_TARGET_DIR ?? path.join(repo, "target"), "debug", "cluster-node");

/** How long one step may take before the test fails with a message (not a timed assertion). */
export const WAIT = 10_000;

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379/";

let prefixes = 0;
/** A channel prefix no other run or test uses. */
export const freshPrefix = () => `sio-test-${process.pid}-${Date.now()}-${++prefixes}`;

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A TCP port on 127.0.0.1 that nothing listens on (now). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * Starts a member: `kind` "sio" (cluster-node) or "node" (node-member.mjs), named `name`, on
 * channels under `prefix`. Resolves once it listens, with `{name, kind, url, stop}`.
 */
export async function startMember(kind, name, prefix, extraEnv = {}) {
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    NODE_NAME: name,
    REDIS_URL,
    SIO_REDIS_PREFIX: prefix,
    RUST_LOG: process.env.RUST_LOG ?? "warn,cluster_node=info",
    ...extraEnv,
  };
  const child =
    kind === "sio"
      ? spawn(SIO_BIN, [], { env, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(process.execPath, [path.join(here, "node-member.mjs")], {
          env,
          stdio: ["ignore", "pipe", "pipe"],
        });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      if (/listening/.test(output)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then((code) => reject(new Error(`${kind} member ${name} exited (${code}):\n${output}`)));
  });
  await withTimeout(listening, WAIT, `${kind} member ${name} to listen`);
  return {
    name,
    kind,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A connected socket.io-client on `member`, with its `hello` received. */
export async function client(member, opts = {}) {
  const socket = connect(member.url, { transports: ["websocket"], forceNew: true, ...opts });
  const hello = new Promise((resolve) => socket.once("hello", resolve));
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    }),
    WAIT,
    `a client to connect to ${member.name}`,
  );
  socket.hello = await withTimeout(hello, WAIT, `hello from ${member.name}`);
  return socket;
}

/** `emitWithAck`, failing the test rather than hanging. */
export const ask = (socket, event, ...args) =>
  withTimeout(socket.emitWithAck(event, ...args), WAIT, `the ack of ${event}`);

/** The next `event` on `socket`, as its arguments. */
export const next = (socket, event) =>
  withTimeout(
    new Promise((resolve) => socket.once(event, (...args) => resolve(args))),
    WAIT,
    `${event} on ${socket.id}`,
  );
