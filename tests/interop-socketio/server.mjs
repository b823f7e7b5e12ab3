// Spawns the server under test (the `conformance-server` binary) for one test file, with the
// launcher every suite shares (tests/harness).
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

import { startConformanceServer } from "../harness/conformance.mjs";
import * as harness from "../harness/server.mjs";

export { HOST, freePort } from "../harness/server.mjs";
export const SOCKETIO_PATH = "/socket.io/";

/**
 * Starts the server binary and waits until its Socket.IO endpoint answers a handshake with 200.
 * `env` adds variables to the server's environment (a `null` value removes one).
 */
export function startServer({ env = {} } = {}) {
  return startConformanceServer({ path: SOCKETIO_PATH, suite: "tests/interop-socketio", env });
}

/**
 * Registers hooks that start one server for the current test file, print its output for each
 * failing test, and stop it at the end. Returns an object filled in before the first test.
 */
export function useServer(options = {}) {
  return harness.useServer(() => startServer(options), { name: "conformance-server" });
}
