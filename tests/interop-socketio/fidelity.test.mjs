// Fidelity of the data itself: objects keep their key order (compared as JSON text, since
// deepEqual ignores order) in auth payloads, echoed events and acks, over every transport and
// with both parsers.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

/** Objects whose keys are not in sorted order, at several depths. */
const AUTH = { token: "abc", n: 1 };
const NESTED = { nested: { b: 1, a: 2 }, k: "v" };
const DEEPER = { z: [{ y: { d: 1, c: [{ f: null, e: true }] } }], a: {}, m: "ü€" };

for (const mode of MODES) {
  describe(mode.name, () => {
    test("key order: the auth payload comes back as sent", async () => {
      const [, root] = await Client.connect(server, mode, { auth: AUTH });
      const [auth] = await root.next("auth");
      assert.equal(JSON.stringify(auth), '{"token":"abc","n":1}');
    });

    test("key order: echoed events and acks keep every object's key order", async () => {
      const [, root] = await Client.connect(server, mode);
      root.emit("message", NESTED, DEEPER);
      const back = await root.next("message-back");
      assert.equal(JSON.stringify(back), JSON.stringify([NESTED, DEEPER]));
      assert.equal(JSON.stringify(back[0]), '{"nested":{"b":1,"a":2},"k":"v"}');

      const acked = await root.ack("message-with-ack", [NESTED, DEEPER]);
      assert.equal(JSON.stringify(acked), JSON.stringify([NESTED, DEEPER]));
    });
  });
}
