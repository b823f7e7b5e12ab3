// Rooms and broadcasts among several clients: join/leave (acked with the room name), to-room with
// and without the sender being a member, except-room, broadcast to everyone but the sender.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

let roomSeq = 0;
const room = (name) => `${name}-${process.pid}-${++roomSeq}`;

/** n connected clients on `/` (each its own connection); each also has /custom open. */
async function clients(mode, n) {
  const all = await Promise.all(
    Array.from({ length: n }, () => Client.connect(server, mode, { nsps: ["/", "/custom"] })),
  );
  return all.map(([c, root, custom]) => ({ c, root, custom }));
}

for (const mode of MODES) {
  describe(mode.name, () => {
    test("join/leave are acked with the room name; to-room reaches exactly the members", async () => {
      const [a, b, c] = await clients(mode, 3);
      const r = room("r");
      assert.deepEqual(await a.root.ack("join", [r]), [r]);
      assert.deepEqual(await b.root.ack("join", [r]), [r]);

      // Sender is a member: A and B get it, C does not.
      a.root.emit("to-room", r, "from a", { n: 1 }, Buffer.from([1, 2]));
      assert.deepEqual(await a.root.next("room-message"), ["from a", { n: 1 }, Buffer.from([1, 2])]);
      assert.deepEqual(await b.root.next("room-message"), ["from a", { n: 1 }, Buffer.from([1, 2])]);
      await Promise.all([
        c.root.none("room-message", undefined, "C is not in the room"),
        a.root.none("room-message", undefined, "exactly one copy"),
        b.root.none("room-message", undefined, "exactly one copy"),
      ]);

      // Sender is not a member: the members get it, the sender does not.
      c.root.emit("to-room", r, "from c");
      assert.deepEqual(await a.root.next("room-message"), ["from c"]);
      assert.deepEqual(await b.root.next("room-message"), ["from c"]);
      await c.root.none("room-message", undefined, "C is not in the room");

      // B leaves: only A is left.
      assert.deepEqual(await b.root.ack("leave", [r]), [r]);
      c.root.emit("to-room", r, "after leave");
      assert.deepEqual(await a.root.next("room-message"), ["after leave"]);
      await Promise.all([
        b.root.none("room-message", undefined, "B left the room"),
        c.root.none("room-message", undefined, "C is not in the room"),
      ]);

      // A room nobody is in: nobody gets anything; no arguments after the room.
      a.root.emit("to-room", room("empty"));
      a.root.emit("to-room", r);
      assert.deepEqual(await a.root.next("room-message"), []);
      await Promise.all([
        a.root.none("room-message"),
        b.root.none("room-message"),
        c.root.none("room-message"),
        // Nothing of this leaks into the other namespace.
        a.custom.none("room-message"),
        b.custom.none("room-message"),
      ]);
    });

    test("a socket can be in several rooms; leaving one keeps the others", async () => {
      const [a, b] = await clients(mode, 2);
      const r1 = room("multi1");
      const r2 = room("multi2");
      assert.deepEqual(await a.root.ack("join", [r1]), [r1]);
      assert.deepEqual(await a.root.ack("join", [r2]), [r2]);
      assert.deepEqual(await a.root.ack("join", [r2]), [r2], "joining twice is harmless");
      b.root.emit("to-room", r2, 2);
      assert.deepEqual(await a.root.next("room-message"), [2]);
      await a.root.none("room-message", undefined, "joined twice, but one copy");
      assert.deepEqual(await a.root.ack("leave", [r1]), [r1]);
      b.root.emit("to-room", r1, 1);
      b.root.emit("to-room", r2, 22);
      assert.deepEqual(await a.root.next("room-message"), [22]);
      await a.root.none("room-message", undefined, "A left r1");
      const never = room("never-joined");
      assert.deepEqual(await a.root.ack("leave", [never]), [never], "leaving a room one is not in is acked too");
    });

    test("broadcast reaches every other socket of / but not the sender", async () => {
      const [a, b, c] = await clients(mode, 3);
      const payload = ["hello all", 2, { nested: [Buffer.from([9, 8, 7])] }];
      a.root.emit("broadcast", ...payload);
      assert.deepEqual(await b.root.next("broadcast"), payload);
      assert.deepEqual(await c.root.next("broadcast"), payload);
      await Promise.all([
        a.root.none("broadcast", undefined, "the sender is excluded"),
        b.root.none("broadcast", undefined, "exactly one copy"),
        c.root.none("broadcast", undefined, "exactly one copy"),
        a.custom.none("broadcast", undefined, "other namespace"),
        b.custom.none("broadcast", undefined, "other namespace"),
        c.custom.none("broadcast", undefined, "other namespace"),
      ]);
    });

    test("except-room reaches every socket of / except the members of the room", async () => {
      const [a, b, c] = await clients(mode, 3);
      const r = room("except");
      assert.deepEqual(await b.root.ack("join", [r]), [r]);
      // Sender not in the room: it receives the message itself.
      a.root.emit("except-room", r, "not for b", [1]);
      assert.deepEqual(await a.root.next("except-message"), ["not for b", [1]]);
      assert.deepEqual(await c.root.next("except-message"), ["not for b", [1]]);
      await b.root.none("except-message", undefined, "B is in the excluded room");

      // Sender in the room: it is excluded too.
      assert.deepEqual(await a.root.ack("join", [r]), [r]);
      a.root.emit("except-room", r, "only c");
      assert.deepEqual(await c.root.next("except-message"), ["only c"]);
      await Promise.all([
        a.root.none("except-message", undefined, "A is in the excluded room"),
        b.root.none("except-message", undefined, "B is in the excluded room"),
        c.root.none("except-message", undefined, "exactly one copy"),
        c.custom.none("except-message", undefined, "other namespace"),
      ]);
    });
  });
}
