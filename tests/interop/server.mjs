// Spawns the server under test (the `conformance-server` binary) for one test file, with the
// launcher every suite shares (tests/harness).
//
// SIO_CONFORMANCE_BIN  (required) path of the server binary; it is started with PORT=<free port>.
// SIO_INTEROP_DEBUG=1  forward the server's stdout/stderr live (otherwise it is printed only
//                      for tests that fail, or when the server fails to start).
//
// Usage in a test file:
//   import { useServer } from "./server.mjs";
//   const server = useServer();          // registers before/after/beforeEach/afterEach hooks
//   test("...", async () => { server.url; server.port; server.origin; server.endpoint; });

import { startConformanceServer } from "../harness/conformance.mjs";
import * as harness from "../harness/server.mjs";

export { HOST, freePort } from "../harness/server.mjs";
export const ENGINE_PATH = "/engine.io/";

/** Starts the server binary and waits until its Engine.IO endpoint answers. */
export function startServer() {
  return startConformanceServer({ path: ENGINE_PATH, suite: "tests/interop" });
}

/**
 * Registers hooks that start one server for the current test file, print its output for each
 * failing test, and stop it at the end. Returns an object filled in before the first test.
 */
export function useServer() {
  return harness.useServer(startServer, { name: "conformance-server" });
}
