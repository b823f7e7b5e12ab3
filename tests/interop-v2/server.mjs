// Spawns the server under test (the `conformance-server` binary) for one test file, with
// SIO_EIO3=1 so that it serves Engine.IO v3 clients (socket.io-client 2.x). The spawning,
// readiness check and log handling are the shared launcher's (tests/harness/server.mjs),
// configured as in tests/interop-socketio/server.mjs.
//
// SIO_CONFORMANCE_BIN  (required) path of the server binary; it is started with PORT=<free port>
//                      and SIO_EIO3=1 (startServer({ eio3: false }) leaves SIO_EIO3 out).

import {
  startServer as startConformanceServer,
  useServer as useConformanceServer,
} from "../interop-socketio/server.mjs";

export { HOST, SOCKETIO_PATH, freePort } from "../interop-socketio/server.mjs";

/** Starts the server, with SIO_EIO3=1 unless `eio3` is false. */
export function startServer({ eio3 = true } = {}) {
  return startConformanceServer({ env: { SIO_EIO3: eio3 ? "1" : null } });
}

/** One server with SIO_EIO3=1 for the current test file (see tests/interop-socketio/server.mjs). */
export function useServer() {
  return useConformanceServer({ env: { SIO_EIO3: "1" } });
}
