// The conformance-server (examples/conformance) as the Node suites see it: how to start it,
// what it is configured with, and the transport matrix of the socket.io-client suites.
//
// SIO_CONFORMANCE_BIN  (required) path of the server binary.

import { requireBin, startServer } from "./server.mjs";

/** The heartbeat the conformance-server is configured with, at /engine.io/ and /socket.io/. */
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;

/** Engine.IO sids and Socket.IO socket ids: 20 characters of URL-safe base64. */
export const ID_RE = /^[A-Za-z0-9_-]{20}$/;

/** How long a "nothing more arrives" check waits. */
export const GRACE = 200;

/**
 * The transport matrix every socket.io-client scenario runs over.
 * - `final`: the transport the connection must be on once ready.
 * - `upgrade`: whether the connection must have upgraded from polling to WebSocket.
 */
export const MODES = [
  { name: "websocket", opts: { transports: ["websocket"] }, upgrade: false, final: "websocket" },
  { name: "polling", opts: { transports: ["polling"] }, upgrade: false, final: "polling" },
  { name: "polling+upgrade", opts: { transports: ["polling", "websocket"] }, upgrade: true, final: "websocket" },
];

/** The conformance-server binary; `suite` (e.g. "tests/interop") names the suite in the hint. */
export function conformanceBin(suite) {
  return requireBin(
    "SIO_CONFORMANCE_BIN",
    "cargo build --bin conformance-server &&\n" +
      `  SIO_CONFORMANCE_BIN=$PWD/target/debug/conformance-server npm --prefix ${suite} test`,
  );
}

/**
 * Starts the conformance-server and waits until its endpoint at `path` (e.g. "/socket.io/")
 * answers a polling handshake with 200. `env` adds variables to its environment (a `null`
 * value removes one). The server also has `url`, the base URL for the clients, and `endpoint`,
 * the full URL of the endpoint (with its trailing slash).
 */
export async function startConformanceServer({ path, suite, env = {} }) {
  const server = await startServer({
    command: conformanceBin(suite),
    env,
    probe: `${path}?EIO=4&transport=polling`,
    name: "conformance-server",
  });
  return Object.assign(server, { url: server.origin, endpoint: `${server.origin}${path}` });
}
