// Events and acknowledgements in both directions, binary attachments, ordering, and the server's
// handler-behaviour hooks (typed payloads, panicking handlers, volatile packets).

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES, MSGPACK, SERVER_ACK_TIMEOUT, bytes, assertBuffers, show, once, sleep } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

/** Arguments of every JSON type. */
const MIXED = [
  1,
  "two",
  { three: [3, { four: null }], "key with spaces": "ü€😀" },
  null,
  [[1, [2, [3, []]]], {}],
  true,
  false,
  -1.5,
  0,
  "",
  // notepack (the msgpack parser's encoder) wraps integers of 2^64 and more: JSON only.
  ...(MSGPACK ? [] : [1e21]),
];

/** Binary in several positions; `sent` uses several buffer kinds, `expected` is what Node receives. */
function binaryArgs() {
  const big = bytes(70_000);
  const sent = [
    Buffer.from([1, 2, 3]),
    "text between",
    { a: Uint8Array.from([4, 5, 6]), nested: { list: [Buffer.from([7]), "x", big], n: 1 } },
    new Uint8Array([0x1e, 0, 0xff]).buffer,
  ];
  const expected = [
    Buffer.from([1, 2, 3]),
    "text between",
    { a: Buffer.from([4, 5, 6]), nested: { list: [Buffer.from([7]), "x", big], n: 1 } },
    Buffer.from([0x1e, 0, 0xff]),
  ];
  return { sent, expected };
}

for (const mode of MODES) {
  describe(mode.name, () => {
    test("message → message-back with arguments of every JSON type", async () => {
      const [, root] = await Client.connect(server, mode);
      root.emit("message", ...MIXED);
      assert.deepEqual(await root.next("message-back"), MIXED);
      root.emit("message");
      assert.deepEqual(await root.next("message-back"), [], "no arguments");
      root.emit("message", { only: "one" });
      assert.deepEqual(await root.next("message-back"), [{ only: "one" }]);
      await root.none("message-back");
    });

    test("binary both ways: Buffer/Uint8Array/ArrayBuffer in arguments and nested objects", async () => {
      const [, root] = await Client.connect(server, mode);
      const { sent, expected } = binaryArgs();
      root.emit("message", ...sent);
      const got = await root.next("message-back");
      assertBuffers(got, "message-back args");
      assert.deepEqual(got, expected);

      // Only binary, and binary at the top level only.
      root.emit("message", Buffer.from("abc"), Buffer.from([0]));
      const got2 = await root.next("message-back");
      assertBuffers(got2, "message-back args");
      assert.deepEqual(got2, [Buffer.from("abc"), Buffer.from([0])]);
    });

    test("binary: an empty buffer is an attachment too", async () => {
      const [, root] = await Client.connect(server, mode);
      root.emit("message", Buffer.alloc(0), { e: Buffer.alloc(0) }, Buffer.from([9]));
      const got = await root.next("message-back");
      assertBuffers(got, "message-back args");
      assert.deepEqual(got, [Buffer.alloc(0), { e: Buffer.alloc(0) }, Buffer.from([9])]);
    });

    test("acks: message-with-ack is acked with the same arguments (binary included)", async () => {
      const [, root] = await Client.connect(server, mode);
      assert.deepEqual(await root.ack("message-with-ack", [1, "2", { 3: [false] }]), [1, "2", { 3: [false] }]);
      assert.deepEqual(await root.ack("message-with-ack", MIXED), MIXED);
      assert.deepEqual(await root.ack("message-with-ack", []), [], "an ack with no arguments");
      assert.equal(await root.socket.emitWithAck("message-with-ack", "first", "second"), "first");

      const { sent, expected } = binaryArgs();
      const got = await root.ack("message-with-ack", sent);
      assertBuffers(got, "ack args");
      assert.deepEqual(got, expected);
    });

    test("acks: 20 concurrent acks are matched to their events", async () => {
      const [, root] = await Client.connect(server, mode);
      const n = 20;
      const acks = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          root.ack("message-with-ack", i % 3 === 0 ? [i, Buffer.from([i])] : [i, `s${i}`]),
        ),
      );
      acks.forEach((a, i) => assert.deepEqual(a, i % 3 === 0 ? [i, Buffer.from([i])] : [i, `s${i}`]));
    });

    test("acks: timeout(200).emitWithAck rejects when the server does not ack", async () => {
      const [, root] = await Client.connect(server, mode);
      for (const ev of ["no-handler-for-this-event", "message"]) {
        const t0 = Date.now();
        const outcome = await root.socket
          .timeout(200)
          .emitWithAck(ev, 1)
          .then(
            (value) => ({ acked: value }),
            (err) => ({ rejected: err.message }),
          );
        assert.deepEqual(outcome, { rejected: "operation has timed out" }, `timeout(200).emitWithAck("${ev}", 1)`);
        assert.ok(Date.now() - t0 >= 190, `rejected after ${Date.now() - t0} ms`);
      }
      // `message` still produced its message-back (once), and the socket is fine.
      assert.deepEqual(await root.next("message-back"), [1]);
      await root.roundTrip();
      assert.deepEqual(root.disconnects, []);
    });

    test("server → client ack (server-ack): the client's answer comes back, binary included", async () => {
      const [, root] = await Client.connect(server, mode);
      const questions = [];
      root.socket.on("question", (...args) => {
        const cb = args.pop();
        assert.equal(typeof cb, "function", "the server must ask for an ack on `question`");
        questions.push(args);
        const q = args[0];
        if (q === "binary") cb({ bin: Buffer.from([1, 2, 3]) });
        else cb({ answer: q, list: [1, null] });
      });
      assert.deepEqual(await root.ack("server-ack", ["what?"]), [{ answer: "what?", list: [1, null] }]);
      assert.deepEqual(questions, [["what?"]]);
      const got = await root.ack("server-ack", ["binary"]);
      assertBuffers(got);
      assert.deepEqual(got, [{ bin: Buffer.from([1, 2, 3]) }]);
      assert.deepEqual(questions, [["what?"], ["binary"]]);
    });

    test("server → client ack (server-ack): only the first element of the client's reply is used", async () => {
      const [, root] = await Client.connect(server, mode);
      root.socket.on("question", (...args) => {
        const cb = args.pop();
        if (args[0] === "binary") cb(Buffer.from([4, 5]), "ignored", 3);
        else cb("first", "ignored", { x: 1 });
      });
      assert.deepEqual(await root.ack("server-ack", ["text"]), ["first"]);
      const got = await root.ack("server-ack", ["binary"]);
      assertBuffers(got);
      assert.deepEqual(got, [Buffer.from([4, 5])]);
    });

    test("server → client ack (server-ack): no answer → {error: 'timeout'} after 500 ms; a late answer is ignored", async () => {
      const [, root] = await Client.connect(server, mode);
      let late = null;
      root.socket.on("question", (...args) => {
        late = args.pop();
      });
      const t0 = Date.now();
      const got = await root.ack("server-ack", [{ q: 1 }], 3000);
      const elapsed = Date.now() - t0;
      assert.deepEqual(got, [{ error: "timeout" }]);
      assert.equal(typeof late, "function", "`question` was received with an ack request");
      assert.ok(
        elapsed >= SERVER_ACK_TIMEOUT - 50 && elapsed <= SERVER_ACK_TIMEOUT + 700,
        `acked ${elapsed} ms after the emit; expected about ${SERVER_ACK_TIMEOUT} ms`,
      );
      late("too late"); // the server must ignore this ack
      await root.roundTrip();
      assert.deepEqual(await root.ack("message-with-ack", ["still fine"]), ["still fine"]);
      assert.deepEqual(root.disconnects, []);
    });

    test("a burst of 50 events (sent before the upgrade completes, in the upgrade mode) arrives in order", async () => {
      const c = new Client(server, mode);
      const root = await c.join("/");
      const n = 50;
      for (let i = 0; i < n; i++) root.emit("message", i, i % 10 === 0 ? Buffer.from([i]) : `m${i}`);
      const acked = root.ack("message-with-ack", ["last"], 4000);
      for (let i = 0; i < n; i++) {
        assert.deepEqual(await root.next("message-back"), [i, i % 10 === 0 ? Buffer.from([i]) : `m${i}`]);
      }
      assert.deepEqual(await acked, ["last"]);
      const order = root.all.filter((e) => e.name === "message-back").map((e) => e.args[0]);
      assert.deepEqual(order, Array.from({ length: n }, (_, i) => i));
      await c.ready();
    });

    test("typed: {n} is acked with {n: n+1}", async () => {
      const [, root] = await Client.connect(server, mode);
      assert.deepEqual(await root.ack("typed", [{ n: 41 }]), [{ n: 42 }]);
      assert.deepEqual(await root.ack("typed", [{ n: -1 }]), [{ n: 0 }]);
      assert.deepEqual(await root.ack("typed", [{ n: 0 }]), [{ n: 1 }]);
    });

    test("typed: a payload of the wrong shape is acked with [{error: <string>}]; the socket stays usable", async () => {
      const [, root] = await Client.connect(server, mode);
      const wrong = [[{ n: "x" }], ["str"], [{ m: 1 }], [], [null], [[1]], [Buffer.from([1])]];
      const isErrorAck = (got) =>
        got.length === 1 &&
        got[0] !== null &&
        typeof got[0] === "object" &&
        Object.keys(got[0]).length === 1 &&
        typeof got[0].error === "string" &&
        got[0].error.length > 0;
      const results = [];
      for (const args of wrong) {
        const got = await root.ack("typed", args);
        results.push(`typed ${show(args)} → ${isErrorAck(got) ? "[{error: <string>}]" : show(got)}`);
      }
      assert.deepEqual(
        results,
        wrong.map((args) => `typed ${show(args)} → [{error: <string>}]`),
        "every wrong payload is acked with [{error: <string>}]",
      );
      // Without an ack the bad payload is simply dropped.
      root.emit("typed", { n: "no ack" });
      await root.roundTrip();
      assert.deepEqual(await root.ack("typed", [{ n: 1 }]), [{ n: 2 }]);
      assert.deepEqual(root.disconnects, []);
    });

    test("panic: a panicking handler answers an ack with [{error: <string>}]; the connection stays usable", async () => {
      const [c, root, custom] = await Client.connect(server, mode, { nsps: ["/", "/custom"] });
      const id = root.id;
      const engineId = c.engine.id;
      const got = await root.ack("panic", ["boom"]);
      assert.equal(got.length, 1, `panic ack ${show(got)}`);
      assert.deepEqual(Object.keys(got[0] ?? {}), ["error"], `panic ack ${show(got)}`);
      assert.equal(typeof got[0].error, "string");
      assert.ok(got[0].error.length > 0, "error message is not empty");

      root.emit("panic"); // without an ack
      root.emit("panic", Buffer.from([1]));
      await root.roundTrip();
      assert.deepEqual(await root.ack("message-with-ack", ["after panic"]), ["after panic"]);
      assert.deepEqual(await root.ack("panic", []).then((a) => Object.keys(a[0])), ["error"]);
      assert.equal(root.id, id);
      assert.equal(c.engine.id, engineId);
      assert.equal(custom.socket.connected, true);
      assert.deepEqual(root.disconnects, []);
      assert.deepEqual(custom.disconnects, []);
    });

    test("volatile: volatile-message is delivered exactly once", async () => {
      const [c, root] = await Client.connect(server, mode);
      // A volatile packet may be dropped while the transport is not writable (over polling: no GET
      // pending, e.g. just after a response). Emit in a quiet moment: 50 ms after a ping, when the
      // client's next long-poll is surely pending and the next ping is 250 ms away.
      await root.roundTrip();
      await once(c.manager, "ping", 1000, "a ping");
      await sleep(50);
      root.emit("volatile", "v", 1);
      const got = await root.next("volatile-message");
      assert.deepEqual(got, ["v", 1]);
      await root.none("volatile-message");
    });
  });
}
