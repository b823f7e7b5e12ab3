// sio_actix::Server (SIO_SERVER=takeover) stops on its signals: SIGTERM gracefully (no new
// connection; every session closed, long-polls answered at once with `Connection: close`; the
// HTTP connections in progress may finish, up to the shutdown timeout, 2 s in
// conformance-server), SIGINT and SIGQUIT at once. It exits 0, and every client (polling,
// WebSocket, upgraded) sees its connection end.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./server.mjs";
import { Client, MODES, withTimeout } from "./helpers.mjs";

after(() => Client.closeAll());

const takeover = process.env.SIO_SERVER === "takeover";

for (const signal of ["SIGTERM", "SIGINT", "SIGQUIT"]) {
  test(
    `${signal} stops the server with clients connected over every transport`,
    { skip: !takeover && "sio_actix::Server only (SIO_SERVER=takeover)", timeout: 30000 },
    async () => {
      const server = await startServer();
      const clients = [];
      for (const mode of MODES) clients.push(await Client.connect(server, mode));
      const started = Date.now();
      server.child.kill(signal);
      const exited = await withTimeout(
        new Promise((resolve) => server.child.once("exit", (code, sig) => resolve({ code, sig }))),
        12000,
        `the server to exit on ${signal}`,
      );
      assert.deepEqual(exited, { code: 0, sig: null }, `exit on ${signal}:\n${server.log()}`);
      // At once: well within a second. Gracefully: within the shutdown timeout of 2 s (plus
      // the time to start stopping and to exit).
      const limit = signal === "SIGTERM" ? 5000 : 3000;
      assert.ok(Date.now() - started < limit, `took ${Date.now() - started} ms to stop`);
      for (const client of clients) await client.waitClosed(5000, "the client to see the server go");
    },
  );
}
