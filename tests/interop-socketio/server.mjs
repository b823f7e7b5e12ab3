// Spawns the server under test (the `conformance-server` binary) for one test file.
//
// SIO_CONFORMANCE_BIN  (required) path of the server binary; it is started with PORT=<free port>.
// DEBUG                if set (to anything non-empty), the server's stdout/stderr is forwarded live.
//                      Otherwise it is printed only for failing tests, or when the server fails to
//                      start or exits early.
//
// Usage in a test file:
//   import { useServer } from "./server.mjs";
//   const server = useServer();          // registers before/after/beforeEach/afterEach hooks
//   test("...", async () => { server.url; server.port; server.endpoint; });

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { before, after, beforeEach, afterEach } from "node:test";

export const HOST = "127.0.0.1";
export const SOCKETIO_PATH = "/socket.io/";
const START_TIMEOUT_MS = 20_000;
const DEBUG = Boolean(process.env.DEBUG);

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function serverEnv(port, extraEnv) {
  const env = { ...process.env, PORT: String(port) };
  for (const [key, value] of Object.entries(extraEnv)) {
    if (value === null) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts the server binary and waits until its Socket.IO endpoint answers a handshake with 200. */
/**
 * `env` adds variables to the server's environment (a `null` value removes one).
 */
export async function startServer({ env: extraEnv = {} } = {}) {
  const bin = process.env.SIO_CONFORMANCE_BIN;
  if (!bin) {
    throw new Error(
      "SIO_CONFORMANCE_BIN is not set: it must name the conformance-server binary, e.g.\n" +
        "  cargo build --bin conformance-server &&\n" +
        "  SIO_CONFORMANCE_BIN=$PWD/target/debug/conformance-server npm --prefix tests/interop-socketio test",
    );
  }
  const port = await freePort();
  const child = spawn(bin, [], {
    env: serverEnv(port, extraEnv),
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
    /** Base URL for socket.io-client: `new Manager(server.url, opts)` (path defaults to /socket.io). */
    url: origin,
    /** Full URL of the Socket.IO endpoint (with trailing slash). */
    endpoint: `${origin}${SOCKETIO_PATH}`,
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

  const probe = `${server.endpoint}?EIO=4&transport=polling`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = null;
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    if (exited) {
      throw new Error(
        `${bin} exited before serving (code ${exited.code}, signal ${exited.signal}). Output:\n${server.log()}`,
      );
    }
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (res.status === 200) return server;
      last = `HTTP ${res.status} ${JSON.stringify(body.slice(0, 200))}`;
    } catch (err) {
      last = err?.cause?.code ?? err?.message;
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(
        `${bin} did not answer GET ${probe} with 200 within ${START_TIMEOUT_MS} ms (last: ${last}). ` +
          `Output:\n${server.log()}`,
      );
    }
    await sleep(50);
  }
}

/**
 * Registers hooks that start one server for the current test file, print its output for each
 * failing test, and stop it at the end. Returns an object filled in before the first test.
 */
export function useServer(options = {}) {
  const handle = {};
  let server = null;
  let offset = 0;
  let reportedExit = false;
  before(async () => {
    server = await startServer(options);
    Object.assign(handle, server);
    Object.defineProperty(handle, "exited", { get: () => server.exited });
  });
  beforeEach(() => {
    offset = server ? server.logLength() : 0;
  });
  afterEach((t) => {
    if (!server) return;
    if (server.exited && !reportedExit) {
      reportedExit = true;
      process.stderr.write(
        `\n[server] conformance-server has exited (code ${server.exited.code}, signal ${server.exited.signal}); ` +
          `noticed after "${t.name}". Last output:\n${server.log().slice(-4000) || "(none)\n"}`,
      );
      return;
    }
    if (!t.passed && !DEBUG && !server.exited) {
      const out = server.logSince(offset);
      process.stderr.write(`\n[server] output during failed test "${t.name}":\n${out.length ? out : "(none)\n"}`);
    }
  });
  after(async () => {
    if (server) await server.stop();
  });
  return handle;
}
