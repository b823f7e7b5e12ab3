// The launcher every Node suite shares (tests/*, bench/churn): spawns a server under test on a
// free port, waits until it answers, keeps its output (printed for the tests that fail, or when
// it fails to start or exits early), and stops it.
//
//   import { requireBin, startServer, useServer } from "../harness/server.mjs";
//   const server = useServer(() => startServer({ command: requireBin(…), probe: "/socket.io/…" }));
//   test("…", async () => { server.origin; server.port; server.log(); });
//
// DEBUG (anything non-empty) or SIO_INTEROP_DEBUG=1 forwards the servers' output live, each
// chunk tagged with the server's name.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { before, after, beforeEach, afterEach } from "node:test";
import { sleep } from "./wait.mjs";

export const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 20_000;
const DEBUG = Boolean(process.env.DEBUG) || /^(1|true|yes)$/i.test(process.env.SIO_INTEROP_DEBUG ?? "");

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

/**
 * The path in the environment variable `variable` (a server binary); fails, with `example`
 * (how to build and name it), when it is not set.
 */
export function requireBin(variable, example) {
  const bin = process.env[variable];
  if (!bin) throw new Error(`${variable} is not set: it must name the server binary, e.g.\n  ${example}`);
  return bin;
}

/**
 * Starts `command args` with PORT=<free port> and waits until GET `probe` (a path and query)
 * answers 200.
 * - `env`: added to the server's environment (a `null` value removes a variable);
 * - `name`: how the output and the errors name the server (default: the command);
 * - `live`: forward the output live even without DEBUG;
 * - `cwd`: the server's working directory.
 * Returns { port, origin, child, log(), logLength(), logSince(offset), exited, stop() }.
 */
export async function startServer({
  command,
  args = [],
  env: extraEnv = {},
  probe = "/socket.io/?EIO=4&transport=polling",
  name = command,
  live = false,
  cwd,
}) {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port) };
  for (const [key, value] of Object.entries(extraEnv)) {
    if (value === null) delete env[key];
    else env[key] = value;
  }
  const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  const chunks = [];
  let logLength = 0;
  const onOutput = (data) => {
    chunks.push(data);
    logLength += data.length;
    if (DEBUG || live) process.stderr.write(`[${name}] ${data}`);
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

  const url = `${origin}${probe}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = null;
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${name}: ${spawnError.message}`);
    if (exited) {
      throw new Error(
        `${name} exited before serving (code ${exited.code}, signal ${exited.signal}). Output:\n${server.log()}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (res.status === 200) return server;
      last = `HTTP ${res.status} ${JSON.stringify(body.slice(0, 200))}`;
    } catch (err) {
      last = err?.cause?.code ?? err?.message;
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(
        `${name} did not answer GET ${url} with 200 within ${START_TIMEOUT_MS} ms (last: ${last}). ` +
          `Output:\n${server.log()}`,
      );
    }
    await sleep(50);
  }
}

/**
 * Registers hooks that start one server (`start()`, e.g. a call of `startServer`) for the
 * current test file, print its output for each failing test (and once, should it exit), and
 * stop it at the end. Returns an object filled in with the server's fields before the first
 * test. `name` names the server in what is printed.
 */
export function useServer(start, { name = "server" } = {}) {
  const handle = {};
  let server = null;
  let offset = 0;
  let reportedExit = false;
  before(async () => {
    server = await start();
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
        `\n[${name}] ${name} has exited (code ${server.exited.code}, signal ${server.exited.signal}); ` +
          `noticed after "${t.name}". Last output:\n${server.log().slice(-4000) || "(none)\n"}`,
      );
      return;
    }
    if (!t.passed && !DEBUG && !server.exited) {
      const out = server.logSince(offset);
      process.stderr.write(`\n[${name}] output during failed test "${t.name}":\n${out.length ? out : "(none)\n"}`);
    }
  });
  after(async () => {
    if (server) await server.stop();
  });
  return handle;
}
