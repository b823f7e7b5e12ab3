// Server features beyond plain events: the event middleware (`forbidden` → error ack, then
// `error-seen`), the incoming catch-all (`any:*` → `any-seen`) and the outgoing one
// (`outgoing-seen`), socket data and fetchSockets (`set-data`, `fetch`), the room operators
// sockets-join / sockets-leave / disconnect-room, `server-count`, and dynamic namespaces
// `/dynamic-*` (at most 5 at once, removed when empty).

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { useServer } from "./server.mjs";
import { Client, MODES, ID_RE, GRACE, bytes, assertBuffers, show, sleep, withTimeout } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

let seq = 0;
const room = (name) => `${name}-${process.pid}-${++seq}`;
const dynName = (name) => `/dynamic-${name}-${process.pid}-${++seq}`;

/** The most dynamic namespaces the conformance server allows at once. */
const MAX_DYNAMIC = 5;

/** n connected clients, each its own connection, with `/` and `/custom` open. */
async function clients(mode, n) {
  const all = await Promise.all(
    Array.from({ length: n }, () => Client.connect(server, mode, { nsps: ["/", "/custom"] })),
  );
  return all.map(([c, root, custom]) => ({ c, root, custom }));
}

/** The `fetch` entry expected for a client's `/` socket: its own-id room is always there. */
function entry(client, rooms = [], data = null) {
  const id = client.root.id;
  return { id, rooms: [id, ...rooms].sort(), data };
}

/** Expected `fetch` list: the server sorts it by socket id. */
const sorted = (entries) => [...entries].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

/** A socket's rooms are a set: compare them sorted (everything else as received). */
const normRooms = (list) => list.map((e) => ({ ...e, rooms: Array.isArray(e.rooms) ? [...e.rooms].sort() : e.rooms }));

/** `fetch` with a room filter: the ack is one argument, the list. */
async function fetchRoom(sock, r) {
  const args = await sock.ack("fetch", [r]);
  assert.equal(args.length, 1, `fetch("${r}") must ack with one argument, got ${show(args)}`);
  assert.ok(Array.isArray(args[0]), `fetch("${r}") must ack with a list, got ${show(args)}`);
  return normRooms(args[0]);
}

/**
 * `fetch` without a filter (every socket of `/`). Sockets of earlier tests (closed by afterEach)
 * may still be leaving on the server: wait, up to `ms`, until exactly `ids` are listed.
 */
async function fetchAll(sock, ids, ms = 2000) {
  const want = [...ids].sort();
  const until = Date.now() + ms;
  for (;;) {
    const args = await sock.ack("fetch", []);
    assert.equal(args.length, 1, `fetch() must ack with one argument, got ${show(args)}`);
    assert.ok(Array.isArray(args[0]), `fetch() must ack with a list, got ${show(args)}`);
    const got = args[0].map((e) => e.id).sort();
    if (isDeepStrictEqual(got, want) || Date.now() > until) return normRooms(args[0]);
    await sleep(50);
  }
}

/** Resolves with {connected: true} or {error} for the CONNECT now pending on `sock`. */
function outcome(sock, ms = 3000) {
  let onConnect, onError;
  const p = new Promise((resolve) => {
    onConnect = () => resolve({ connected: true });
    onError = (error) => resolve({ error });
    sock.socket.once("connect", onConnect);
    sock.socket.once("connect_error", onError);
  });
  return withTimeout(p, ms, `the outcome of a CONNECT to ${sock.nsp}`).finally(() => {
    sock.socket.off("connect", onConnect);
    sock.socket.off("connect_error", onError);
  });
}

/**
 * Connects `sock` (already opened: its first CONNECT is pending unless `retryFirst`), sending
 * CONNECT again while it is refused, for up to `ms`: dynamic namespaces are removed
 * asynchronously after their last socket leaves.
 */
async function connectRetrying(sock, ms = 3000, retryFirst = false) {
  const until = Date.now() + ms;
  let first = !retryFirst;
  for (;;) {
    const pending = outcome(sock);
    if (!first) sock.socket.connect();
    first = false;
    const r = await pending;
    if (r.connected) return sock;
    if (Date.now() > until) {
      throw new Error(`${sock.nsp} was still refused after ${ms} ms: connect_error ${JSON.stringify(r.error.message)}`);
    }
    await sleep(50);
  }
}

/** Asserts that a CONNECT to `nsp` over `client` is refused with "Invalid namespace" (no data). */
async function assertInvalid(client, nsp, why) {
  const s = client.open(nsp);
  const err = await s.refused();
  assert.equal(err.message, "Invalid namespace", `CONNECT to ${nsp} (${why})`);
  assert.equal(err.data, undefined, `CONNECT_ERROR for ${nsp} carries no data`);
  assert.equal(s.socket.connected, false);
  return s;
}

/** Emits with an ack and expects none: resolves once `ms` passed without one. */
async function assertNoAck(sock, name, args, ms = 300) {
  const outcome = await sock.socket
    .timeout(ms)
    .emitWithAck(name, ...args)
    .then(
      (value) => ({ acked: value }),
      (err) => ({ rejected: err.message }),
    );
  assert.deepEqual(outcome, { rejected: "operation has timed out" }, `"${name}" on ${sock.nsp} must not be acked`);
}

for (const mode of MODES) {
  describe(mode.name, () => {
    test("forbidden: the event middleware refuses it: error ack, then error-seen; the socket stays usable", async () => {
      const [, root] = await Client.connect(server, mode);
      assert.deepEqual(await root.next("auth"), [{}]);

      // With an ack: the ack is the error, and it comes before error-seen.
      let errorSeenAtAck = null;
      const ackArgs = await new Promise((resolve, reject) => {
        root.socket.timeout(2000).emit("forbidden", 1, { bin: Buffer.from([1, 2]) }, (err, ...args) => {
          if (err) return reject(new Error(`no ack for "forbidden" (${err.message})`));
          errorSeenAtAck = root.all.filter((e) => e.name === "error-seen").length;
          resolve(args);
        });
      });
      assert.deepEqual(ackArgs, [{ error: "forbidden event" }], "ack of a refused event");
      assert.equal(errorSeenAtAck, 0, "the error ack must arrive before error-seen");
      assert.deepEqual(await root.next("error-seen"), ["forbidden", "forbidden event"]);
      await root.none("error-seen", undefined, "one error-seen per refused event");

      // Without an ack: only error-seen.
      root.emit("forbidden");
      assert.deepEqual(await root.next("error-seen"), ["forbidden", "forbidden event"]);
      await root.none("error-seen", undefined, "one error-seen per refused event");

      // Other events pass the middleware; nothing else was sent; the socket is still connected.
      assert.deepEqual(await root.ack("message-with-ack", ["allowed", 2]), ["allowed", 2]);
      await root.roundTrip();
      assert.deepEqual(root.disconnects, []);
      assert.deepEqual(
        root.all.map((e) => e.name),
        ["auth", "error-seen", "error-seen", "message-back"],
        "every event the socket received",
      );
    });

    test("any:* (no handler): the catch-all emits any-seen with the name and arguments (binary as Buffers), no ack", async () => {
      const [, root] = await Client.connect(server, mode);

      root.emit("any:plain", 1, "two", { three: [3, { four: null }] }, null, true, -1.5);
      assert.deepEqual(await root.next("any-seen"), ["any:plain", 1, "two", { three: [3, { four: null }] }, null, true, -1.5]);

      root.emit("any:empty");
      assert.deepEqual(await root.next("any-seen"), ["any:empty"], "no arguments");

      const big = bytes(5000);
      root.emit(
        "any:bin",
        Buffer.from([1, 2, 3]),
        { nested: { b: Uint8Array.from([0, 0x1e, 0xff]), s: "x" } },
        ["text", big],
        new Uint8Array([9]).buffer,
        Buffer.alloc(0),
      );
      const got = await root.next("any-seen");
      assertBuffers(got, "any-seen args");
      assert.deepEqual(got, [
        "any:bin",
        Buffer.from([1, 2, 3]),
        { nested: { b: Buffer.from([0, 0x1e, 0xff]), s: "x" } },
        ["text", big],
        Buffer.from([9]),
        Buffer.alloc(0),
      ]);

      // The catch-all takes the ack and never answers it; any-seen still comes.
      await assertNoAck(root, "any:acked", [5, Buffer.from([7])]);
      const acked = await root.next("any-seen");
      assertBuffers(acked, "any-seen args");
      assert.deepEqual(acked, ["any:acked", 5, Buffer.from([7])]);

      // Unhandled events without the prefix get nothing.
      root.emit("not-any", 1);
      root.emit("any:after");
      assert.deepEqual(await root.next("any-seen"), ["any:after"]);
      await root.none("any-seen", undefined, "exactly one any-seen per any:* event, none for not-any");
      await root.roundTrip();
      assert.deepEqual(root.disconnects, []);
    });

    test("outgoing-seen: the names of every event sent to this socket (emits and broadcasts), not acks", async () => {
      const [a, b] = await clients(mode, 2);
      assert.deepEqual(await a.root.ack("outgoing-seen"), [["auth"]], "a fresh socket was sent `auth` only");

      a.root.emit("message", 1);
      assert.deepEqual(await a.root.next("message-back"), [1]);
      assert.deepEqual(await a.root.ack("message-with-ack", ["acks are not events"]), ["acks are not events"]);
      a.root.emit("any:x");
      assert.deepEqual(await a.root.next("any-seen"), ["any:x"]);
      a.root.emit("forbidden");
      assert.deepEqual(await a.root.next("error-seen"), ["forbidden", "forbidden event"]);
      b.root.emit("broadcast", "to everyone but b");
      assert.deepEqual(await a.root.next("broadcast"), ["to everyone but b"]);
      b.root.emit("to-room", a.root.id, "to a's room");
      assert.deepEqual(await a.root.next("room-message"), ["to a's room"]);

      assert.deepEqual(await a.root.ack("outgoing-seen"), [
        ["auth", "message-back", "any-seen", "error-seen", "broadcast", "room-message"],
      ]);
      // b was sent nothing but `auth` (the broadcast excludes its sender, to-room went to a).
      assert.deepEqual(await b.root.ack("outgoing-seen"), [["auth"]]);
      // Asking twice changes nothing (the ack is not an event).
      assert.deepEqual(await b.root.ack("outgoing-seen"), [["auth"]]);
    });

    test("server-count acks 1", async () => {
      const [, root] = await Client.connect(server, mode);
      assert.deepEqual(await root.ack("server-count"), [1]);
      assert.equal(await root.socket.emitWithAck("server-count"), 1);
    });

    test("set-data + fetch: exact ids, rooms (own id included) and data of the sockets of /, with and without a room filter", async () => {
      const [a, b, c] = await clients(mode, 3);
      for (const x of [a, b, c]) {
        assert.match(x.root.id, ID_RE);
        assert.notEqual(x.root.id, x.custom.id, "/ and /custom sockets have distinct ids");
      }
      const r = room("fetch");
      const r2 = room("fetch-other");

      // Before anything: data is null, every socket is in its own-id room only.
      assert.deepEqual(await fetchRoom(c.root, a.root.id), [entry(a)], "fetch(a's id) before set-data");

      const dataA = { name: "a", list: [1, "two", null, { deep: true }], n: -1.5, empty: {} };
      assert.deepEqual(await a.root.ack("set-data", [dataA]), [], "set-data acks with no arguments");
      assert.deepEqual(await b.root.ack("set-data", ["first"]), []);
      assert.deepEqual(await b.root.ack("set-data", [["replaced", 2]]), [], "set-data replaces the data");
      assert.deepEqual(await a.root.ack("join", [r]), [r]);
      assert.deepEqual(await b.root.ack("join", [r]), [r]);
      assert.deepEqual(await c.root.ack("join", [r2]), [r2]);

      const ea = entry(a, [r], dataA);
      const eb = entry(b, [r], ["replaced", 2]);
      const ec = entry(c, [r2]);
      assert.deepEqual(await fetchRoom(c.root, r), sorted([ea, eb]), `fetch("${r}")`);
      assert.deepEqual(await fetchRoom(a.root, r2), [ec], `fetch("${r2}")`);
      assert.deepEqual(await fetchRoom(a.root, b.root.id), [eb], "fetch(b's id)");
      assert.deepEqual(await fetchRoom(a.root, b.custom.id), [], "a /custom socket id is no room of /");
      assert.deepEqual(await fetchRoom(a.root, room("nobody")), [], "fetch of an empty room");
      assert.deepEqual(await fetchAll(b.root, [a, b, c].map((x) => x.root.id)), sorted([ea, eb, ec]), "fetch()");

      // Leaving changes the rooms listed.
      assert.deepEqual(await a.root.ack("leave", [r]), [r]);
      assert.deepEqual(await fetchRoom(c.root, r), [eb], `fetch("${r}") after a left`);
      assert.deepEqual(await fetchRoom(c.root, a.root.id), [entry(a, [], dataA)], "a's rooms after leaving");
    });

    test("sockets-join / sockets-leave: every socket of one room joins / leaves another (checked with fetch)", async () => {
      const [a, b, c, d] = await clients(mode, 4);
      const src = room("src");
      const dst = room("dst");
      const other = room("other");
      assert.deepEqual(await a.root.ack("join", [src]), [src]);
      assert.deepEqual(await b.root.ack("join", [src]), [src]);
      assert.deepEqual(await c.root.ack("join", [other]), [other]);

      assert.deepEqual(await c.root.ack("sockets-join", [src, dst]), [], "sockets-join acks with no arguments");
      assert.deepEqual(await fetchRoom(d.root, dst), sorted([entry(a, [src, dst]), entry(b, [src, dst])]), `fetch("${dst}")`);
      assert.deepEqual(await fetchRoom(d.root, src), sorted([entry(a, [src, dst]), entry(b, [src, dst])]), `fetch("${src}")`);
      assert.deepEqual(await fetchRoom(d.root, other), [entry(c, [other])], "c is untouched");
      assert.deepEqual(await fetchRoom(a.root, d.root.id), [entry(d)], "d is untouched");

      // The joined room is a real room: to-room reaches exactly a and b.
      d.root.emit("to-room", dst, "via dst");
      assert.deepEqual(await a.root.next("room-message"), ["via dst"]);
      assert.deepEqual(await b.root.next("room-message"), ["via dst"]);
      await Promise.all([
        a.root.none("room-message", undefined, "exactly one copy"),
        b.root.none("room-message", undefined, "exactly one copy"),
        c.root.none("room-message", undefined, "c is not in dst"),
        d.root.none("room-message", undefined, "d is not in dst"),
      ]);

      // A socket's own-id room as the source: that socket only. An empty source: nobody.
      assert.deepEqual(await a.root.ack("sockets-join", [d.root.id, dst]), []);
      assert.deepEqual(await a.root.ack("sockets-join", [room("nobody"), dst]), []);
      assert.deepEqual(
        await fetchRoom(c.root, dst),
        sorted([entry(a, [src, dst]), entry(b, [src, dst]), entry(d, [dst])]),
        `fetch("${dst}") after d's own room joined it`,
      );

      // sockets-leave: the sockets of src leave dst; d (not in src) stays.
      assert.deepEqual(await d.root.ack("sockets-leave", [src, dst]), [], "sockets-leave acks with no arguments");
      assert.deepEqual(await fetchRoom(c.root, dst), [entry(d, [dst])], `fetch("${dst}") after sockets-leave`);
      assert.deepEqual(await fetchRoom(c.root, src), sorted([entry(a, [src]), entry(b, [src])]), `fetch("${src}")`);
      c.root.emit("to-room", dst, "after leave");
      assert.deepEqual(await d.root.next("room-message"), ["after leave"]);
      await Promise.all([
        a.root.none("room-message", undefined, "a left dst"),
        b.root.none("room-message", undefined, "b left dst"),
        c.root.none("room-message", undefined, "c is not in dst"),
        d.root.none("room-message", undefined, "exactly one copy"),
      ]);

      // Leaving the source room itself empties it.
      assert.deepEqual(await a.root.ack("sockets-leave", [other, other]), []);
      assert.deepEqual(await fetchRoom(a.root, other), [], `fetch("${other}") after its sockets left it`);
      assert.deepEqual(await fetchRoom(a.root, c.root.id), [entry(c)], "c is left in its own-id room only");
      assert.deepEqual(
        await fetchAll(b.root, [a, b, c, d].map((x) => x.root.id)),
        sorted([entry(a, [src]), entry(b, [src]), entry(c), entry(d, [dst])]),
        "fetch() at the end",
      );
    });

    test("disconnect-room: exactly the sockets of the room get 'io server disconnect'; the others stay connected", async () => {
      const [a, b, c, d] = await clients(mode, 4);
      const engineIds = [a, b, c, d].map((x) => x.c.engine.id);
      const doomed = room("doomed");
      const safe = room("safe");
      assert.deepEqual(await a.root.ack("join", [doomed]), [doomed]);
      assert.deepEqual(await b.root.ack("join", [doomed]), [doomed]);
      assert.deepEqual(await c.root.ack("join", [safe]), [safe]);

      assert.deepEqual(await c.root.ack("disconnect-room", [doomed]), [], "disconnect-room acks with no arguments");
      assert.deepEqual(await a.root.disconnected(), ["io server disconnect"]);
      assert.deepEqual(await b.root.disconnected(), ["io server disconnect"]);
      assert.deepEqual(await fetchRoom(c.root, doomed), [], `fetch("${doomed}") after disconnect-room`);
      assert.deepEqual(await fetchRoom(d.root, safe), [entry(c, [safe])]);

      await sleep(GRACE);
      assert.deepEqual(a.root.disconnects, ["io server disconnect"], "exactly one disconnect on a's /");
      assert.deepEqual(b.root.disconnects, ["io server disconnect"], "exactly one disconnect on b's /");
      assert.deepEqual(c.root.disconnects, [], "c is not in the room");
      assert.deepEqual(d.root.disconnects, [], "d is not in the room");
      assert.equal(a.root.socket.connected, false);
      assert.equal(b.root.socket.connected, false);
      // Only `/` of those sockets: their /custom sockets and connections stay.
      for (const x of [a, b, c, d]) {
        assert.deepEqual(x.custom.disconnects, [], "/custom sockets are not in the room of /");
        assert.equal(x.custom.socket.connected, true);
        assert.deepEqual(x.c.closes, [], "disconnect-room must not close connections");
      }
      assert.deepEqual([a, b, c, d].map((x) => x.c.engine.id), engineIds);
      await c.root.roundTrip();
      await d.root.roundTrip();
      assert.deepEqual(await fetchAll(d.root, [c.root.id, d.root.id]), sorted([entry(c, [safe]), entry(d)]), "fetch()");

      // An empty room: nobody. A socket's own-id room: that socket only.
      assert.deepEqual(await d.root.ack("disconnect-room", [room("nobody")]), []);
      assert.deepEqual(await d.root.ack("disconnect-room", [c.root.id]), []);
      assert.deepEqual(await c.root.disconnected(), ["io server disconnect"]);
      await sleep(GRACE);
      assert.deepEqual(c.root.disconnects, ["io server disconnect"]);
      assert.deepEqual(d.root.disconnects, []);
      await d.root.roundTrip();
      assert.deepEqual(await fetchRoom(d.root, safe), [], `fetch("${safe}") after c was disconnected`);
    });

    test("dynamic namespaces: auth on connect, where, two clients share one, separate from /; other names refused", async () => {
      const nsp = dynName("shared");
      const a = new Client(server, mode);
      const aRoot = a.open("/");
      const aDyn = a.open(nsp, { auth: { who: "a", n: [1, null] } });
      const b = new Client(server, mode);
      const bRoot = b.open("/");
      const bDyn = b.open(nsp);
      await Promise.all([aRoot.connected(), bRoot.connected(), connectRetrying(aDyn), connectRetrying(bDyn)]);
      await Promise.all([a.ready(), b.ready()]);

      assert.deepEqual(await aDyn.next("auth"), [{ who: "a", n: [1, null] }]);
      assert.deepEqual(await bDyn.next("auth"), [{}]);
      assert.deepEqual(await aDyn.ack("where"), [nsp]);
      assert.deepEqual(await bDyn.ack("where"), [nsp]);
      const ids = [aRoot.id, aDyn.id, bRoot.id, bDyn.id];
      ids.forEach((id) => assert.match(id, ID_RE));
      assert.equal(new Set(ids).size, 4, `socket ids must be distinct: ${show(ids)}`);

      // The handlers of / are not those of the dynamic namespace, and the other way round.
      aDyn.emit("message", 1);
      await assertNoAck(aDyn, "message-with-ack", [1]);
      await assertNoAck(aRoot, "where", []);
      await aDyn.none("message-back", undefined, "/dynamic-* has no `message` handler");

      // Rooms of the dynamic namespace are not rooms of /.
      const r = room("dyn");
      assert.deepEqual(await aRoot.ack("join", [r]), [r]);
      assert.deepEqual(await bRoot.ack("fetch", [aDyn.id]), [[]], "a dynamic socket's id is no room of /");
      assert.deepEqual(await bRoot.ack("sockets-join", [aDyn.id, r]), []);
      assert.deepEqual(await bRoot.ack("sockets-join", [bDyn.id, r]), []);
      assert.deepEqual(await fetchRoom(bRoot, r), [{ id: aRoot.id, rooms: [aRoot.id, r].sort(), data: null }]);
      bRoot.emit("to-room", aDyn.id, "not for /dynamic");
      bRoot.emit("to-room", r, "for a's /");
      assert.deepEqual(await aRoot.next("room-message"), ["for a's /"]);
      bRoot.emit("broadcast", "everyone on /");
      assert.deepEqual(await aRoot.next("broadcast"), ["everyone on /"]);
      assert.deepEqual(await bRoot.ack("disconnect-room", [bDyn.id]), []);
      await Promise.all([
        aRoot.none("room-message", undefined, "exactly one copy"),
        aDyn.none("room-message", undefined, "to-room on / never reaches /dynamic-*"),
        bDyn.none("room-message"),
        aDyn.none("broadcast", undefined, "broadcast on / never reaches /dynamic-*"),
        bDyn.none("broadcast"),
      ]);
      assert.deepEqual(
        await fetchAll(bRoot, [aRoot.id, bRoot.id]),
        sorted([
          { id: aRoot.id, rooms: [aRoot.id, r].sort(), data: null },
          { id: bRoot.id, rooms: [bRoot.id], data: null },
        ]),
        "fetch() lists the sockets of / only",
      );
      assert.deepEqual(bDyn.disconnects, [], "disconnect-room on / must not touch /dynamic-*");
      assert.deepEqual(await bDyn.ack("where"), [nsp]);
      assert.deepEqual(await aDyn.ack("where"), [nsp]);

      // Unknown names are refused; the dynamic sockets stay.
      for (const bad of ["/dynamic", "/dynamicx-1", "/Dynamic-1", "/x/dynamic-1", "/nope"]) {
        await assertInvalid(a, bad, "no static namespace and no dynamic match");
      }
      assert.deepEqual(await aDyn.ack("where"), [nsp]);
      assert.deepEqual([aRoot.disconnects, aDyn.disconnects, bRoot.disconnects, bDyn.disconnects], [[], [], [], []]);
      await Promise.all([aDyn.none("auth"), bDyn.none("auth")]);
    });

    test(`dynamic namespaces: at most ${MAX_DYNAMIC} at once; an emptied one is removed and frees its slot`, async () => {
      const [c, root] = await Client.connect(server, mode);
      // Namespaces of earlier tests are removed asynchronously: retry while refused.
      const names = Array.from({ length: MAX_DYNAMIC }, (_, i) => dynName(`bound${i}`));
      const socks = [];
      for (const n of names) socks.push(await connectRetrying(c.open(n)));
      for (let i = 0; i < MAX_DYNAMIC; i++) {
        assert.deepEqual(await socks[i].next("auth"), [{}]);
        assert.deepEqual(await socks[i].ack("where"), [names[i]]);
      }

      // A 6th distinct name is refused.
      const sixth = dynName("sixth");
      const s6 = await assertInvalid(c, sixth, `${MAX_DYNAMIC} dynamic namespaces exist`);

      // An existing one still takes more sockets, from another connection.
      const [c2, root2] = await Client.connect(server, mode);
      const extra = await connectRetrying(c2.open(names[0]), 0);
      assert.deepEqual(await extra.ack("where"), [names[0]]);
      assert.notEqual(extra.id, socks[0].id);
      // One of its two sockets leaving does not remove it: it still accepts at the limit.
      extra.socket.disconnect();
      await sleep(GRACE);
      const [c3] = await Client.connect(server, mode);
      const again = await connectRetrying(c3.open(names[0]), 0);
      assert.deepEqual(await again.ack("where"), [names[0]]);

      // Its last socket leaving removes names[1]: the 6th name is accepted (after cleanup).
      socks[1].socket.disconnect();
      await connectRetrying(s6, 2000, true);
      assert.deepEqual(await s6.next("auth"), [{}]);
      assert.deepEqual(await s6.ack("where"), [sixth]);

      // Full again: a new name is refused, and so is names[1] (removed, so it would be new).
      await assertInvalid(c, dynName("seventh"), `${MAX_DYNAMIC} dynamic namespaces exist again`);
      await assertInvalid(c2, names[1], "it was removed and the limit is reached");

      // Everything else kept working.
      for (const i of [0, 2, 3, 4]) assert.deepEqual(await socks[i].ack("where"), [names[i]]);
      await root.roundTrip();
      await root2.roundTrip();
      assert.deepEqual(
        [root, ...socks.filter((_, i) => i !== 1), s6, again].map((s) => s.disconnects),
        Array(7).fill([]),
      );

      // Closing the connections empties every namespace: 5 new names are accepted again.
      c.close();
      c2.close();
      c3.close();
      const [c4] = await Client.connect(server, mode);
      const fresh = Array.from({ length: MAX_DYNAMIC }, (_, i) => dynName(`fresh${i}`));
      for (const n of fresh) {
        const s = await connectRetrying(c4.open(n), 2000);
        assert.deepEqual(await s.ack("where"), [n]);
      }
      await assertInvalid(c4, dynName("fresh-extra"), `${MAX_DYNAMIC} dynamic namespaces exist`);
    });
  });
}
