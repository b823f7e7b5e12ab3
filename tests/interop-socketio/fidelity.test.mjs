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

/** An argument nested `levels` deep: arrays and objects in turn, around a string. */
function nested(levels) {
  let value = "leaf";
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

/** The server's default `max_depth`: how deeply one argument may nest. */
const MAX_DEPTH = 1000;

for (const mode of MODES) {
  describe(`${mode.name}: nesting depth`, () => {
    test(`an argument nested ${MAX_DEPTH} levels deep is echoed, event and ack`, async () => {
      const [, root] = await Client.connect(server, mode);
      const deep = nested(MAX_DEPTH);
      root.emit("message", deep, "after");
      const back = await root.next("message-back");
      assert.equal(JSON.stringify(back), JSON.stringify([deep, "after"]));
      const acked = await root.ack("message-with-ack", [deep]);
      assert.equal(JSON.stringify(acked), JSON.stringify([deep]));
      await root.roundTrip("still alive");
    });

    test(`an argument nested ${MAX_DEPTH + 1} levels deep closes the connection (parse error)`, async () => {
      const [c, root] = await Client.connect(server, mode);
      root.emit("message", nested(MAX_DEPTH + 1));
      const reasons = await root.disconnected(3000);
      // The server closes the Engine.IO connection, as for any undecodable packet: the client
      // sees its transport close (over long-polling, the next request may fail first).
      assert.ok(
        ["transport close", "transport error"].includes(reasons[0]),
        `disconnect reason: ${JSON.stringify(reasons)}`,
      );
      assert.equal(root.events.filter((e) => e.name === "message-back").length, 0, "no echo");
      c.close();
    });
  });
}
