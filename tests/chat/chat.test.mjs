// The chat example's protocol, driven by real socket.io-client instances (one Engine.IO
// connection each), over WebSocket and over HTTP long-polling.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChatClient, GRACE, WAIT, sleep, useServer, withTimeout } from "./server.mjs";

const server = useServer();

const MODES = [
  { name: "websocket", opts: { transports: ["websocket"] } },
  { name: "polling", opts: { transports: ["polling"] } },
];

let counter = 0;
/** A room name no other test uses. */
const freshRoom = (label) => `${label}-${++counter}`;

/** Opens clients named `names` and closes them when the test ends. */
async function clients(t, mode, ...names) {
  const cs = [];
  t.after(() => cs.forEach((c) => c.close()));
  for (const name of names) cs.push(await ChatClient.connect(server.origin, name, mode.opts));
  return cs;
}

/** Resolves with the CONNECT_ERROR of a client connecting with `auth`. */
function refusal(auth, mode) {
  const c = new ChatClient(server.origin, auth, mode.opts);
  return withTimeout(
    new Promise((resolve, reject) => {
      c.socket.once("connect", () => reject(new Error(`connected with auth ${JSON.stringify(auth)}`)));
      c.socket.once("connect_error", resolve);
    }),
    WAIT,
    `the refusal of ${JSON.stringify(auth)}`,
  ).finally(() => c.close());
}

for (const mode of MODES) {
  describe(`chat over ${mode.name}`, () => {
    test("a connection without a non-empty name is refused with 'unauthorized'", async () => {
      for (const auth of [undefined, {}, { name: "" }, { name: "   " }, { name: 5 }, { nom: "ana" }]) {
        const err = await refusal(auth, mode);
        assert.equal(err.message, "unauthorized", `auth ${JSON.stringify(auth)}`);
      }
      const c = await ChatClient.connect(server.origin, "ana", mode.opts);
      assert.ok(c.socket.connected);
      c.close();
    });

    test("join: the ack counts the members after joining; the others get 'joined'", async (t) => {
      const room = freshRoom("join");
      const [ana, bob, carl, dave] = await clients(t, mode, "ana", "bob", "carl", "dave");

      // Compared as JSON text too: the structs' field order (`Joined { room, members }`,
      // `Presence { name, room }`) must reach the client as declared, as in Node.
      const joined = await ana.request("join", room);
      assert.deepEqual(joined, { room, members: 1 });
      assert.equal(JSON.stringify(joined), JSON.stringify({ room, members: 1 }));
      assert.deepEqual(await bob.request("join", room), { room, members: 2 });
      const presence = await ana.next("joined");
      assert.deepEqual(presence, { name: "bob", room });
      assert.equal(JSON.stringify(presence), JSON.stringify({ name: "bob", room }));

      // A socket in another room hears nothing.
      const elsewhere = freshRoom("elsewhere");
      assert.deepEqual(await dave.request("join", elsewhere), { room: elsewhere, members: 1 });

      assert.deepEqual(await carl.request("join", room), { room, members: 3 });
      assert.deepEqual(await ana.next("joined"), { name: "carl", room });
      assert.deepEqual(await bob.next("joined"), { name: "carl", room });

      await sleep(GRACE);
      assert.deepEqual(bob.all("joined"), [[{ name: "carl", room }]], "bob hears of carl only, not of himself");
      assert.deepEqual(carl.all("joined"), [], "carl is not told of his own join");
      assert.deepEqual(dave.all("joined"), [], "another room hears nothing");
    });

    test("message: everyone else in the room gets it, the sender gets {ok: true}", async (t) => {
      const room = freshRoom("msg");
      const [ana, bob, carl, dave] = await clients(t, mode, "ana", "bob", "carl", "dave");
      for (const c of [ana, bob, carl]) await c.request("join", room);
      await dave.request("join", freshRoom("other"));

      assert.deepEqual(await ana.request("message", { room, text: "hello, rust" }), { ok: true });
      const expected = { name: "ana", room, text: "hello, rust" };
      assert.deepEqual(await bob.next("message"), expected);
      assert.deepEqual(await carl.next("message"), expected);

      assert.deepEqual(await bob.request("message", { room, text: "hi ana" }), { ok: true });
      assert.deepEqual(await ana.next("message"), { name: "bob", room, text: "hi ana" });

      await sleep(GRACE);
      assert.deepEqual(ana.all("message"), [[{ name: "bob", room, text: "hi ana" }]], "the sender does not get its own message");
      assert.deepEqual(dave.all("message"), [], "another room gets nothing");
    });

    test("message of the wrong shape: an error ack, and nobody receives anything", async (t) => {
      const room = freshRoom("shape");
      const [ana, bob] = await clients(t, mode, "ana", "bob");
      await ana.request("join", room);
      await bob.request("join", room);

      for (const bad of [["just a string"], [{ room }], [{ room: 5, text: "x" }], [{ text: "x" }], []]) {
        const ack = await ana.request("message", ...bad);
        assert.equal(typeof ack?.error, "string", `error ack for ${JSON.stringify(bad)}: ${JSON.stringify(ack)}`);
        assert.match(ack.error, /invalid payload/);
      }
      await sleep(GRACE);
      assert.deepEqual(bob.all("message"), [], "nothing was broadcast");
      assert.deepEqual(ana.all("message"), []);
      // The socket is still usable.
      assert.deepEqual(await ana.request("message", { room, text: "ok now" }), { ok: true });
      assert.deepEqual(await bob.next("message"), { name: "ana", room, text: "ok now" });
    });

    test("leave: the ack names the room, and the room's messages stop", async (t) => {
      const room = freshRoom("leave");
      const [ana, bob] = await clients(t, mode, "ana", "bob");
      await ana.request("join", room);
      await bob.request("join", room);

      assert.deepEqual(await bob.request("leave", room), { room });
      assert.deepEqual(await ana.next("left"), { name: "bob", room });
      assert.deepEqual(await ana.request("message", { room, text: "anyone?" }), { ok: true });
      await sleep(GRACE);
      assert.deepEqual(bob.all("message"), [], "bob left before the message");
      // Members are counted again.
      assert.deepEqual(await bob.request("join", room), { room, members: 2 });
    });

    test("disconnect: every room the socket was in gets 'left'", async (t) => {
      const [r1, r2] = [freshRoom("gone-a"), freshRoom("gone-b")];
      const [ana, bob, carl, dave] = await clients(t, mode, "ana", "bob", "carl", "dave");
      await ana.request("join", r1);
      await ana.request("join", r2);
      await bob.request("join", r1);
      await carl.request("join", r2);
      await dave.request("join", freshRoom("gone-c"));

      ana.close();
      assert.deepEqual(await bob.next("left"), { name: "ana", room: r1 });
      assert.deepEqual(await carl.next("left"), { name: "ana", room: r2 });
      await sleep(GRACE);
      assert.deepEqual(bob.all("left"), [[{ name: "ana", room: r1 }]], "one 'left' per shared room");
      assert.deepEqual(carl.all("left"), [[{ name: "ana", room: r2 }]]);
      assert.deepEqual(dave.all("left"), [], "rooms ana was not in hear nothing");
      // ana is gone from the room: bob is alone.
      assert.deepEqual(await bob.request("join", r1), { room: r1, members: 1 });
    });
  });
}
