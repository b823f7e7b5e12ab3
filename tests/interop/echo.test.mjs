// Scenario 2: text and binary messages echo back to their sender, in order, over each transport.

import { describe, test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { Client, MODES, bytes } from "./helpers.mjs";

const server = useServer();
afterEach(() => Client.closeAll());

const TIMEOUT = { timeout: 8000 };

/** Received binary must be a Node Buffer (binaryType "nodebuffer", the client's default in Node). */
function assertBytes(got, expected, label) {
  assert.ok(Buffer.isBuffer(got), `${label}: expected a Buffer, got ${Object.prototype.toString.call(got)} ${typeof got === "string" ? JSON.stringify(got.slice(0, 40)) : ""}`);
  assert.equal(got.length, expected.length, `${label}: length`);
  assert.ok(got.equals(expected), `${label}: bytes differ`);
}

for (const mode of MODES) {
  describe(`echo over ${mode.name}`, () => {
    test("text, including non-ASCII and emoji", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      const texts = [
        "hello",
        "€",
        "😀",
        "mixed: ü € 😀 🇫🇷 \u2028 \u0000 end",
        'json-ish {"a":[1,2]}',
        "4starts-with-a-digit",
        "€".repeat(1000),
      ];
      for (const t of texts) {
        c.send(t);
        const got = await c.next(2000);
        assert.equal(got, t);
      }
      assert.equal(c.transportName, mode.final);
      c.close();
    });

    test("empty string", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      c.send("");
      c.send("after-empty");
      // On the wire the empty message is the bare packet "4" both ways; engine.io-parser decodes a
      // bare "4" as a message packet without data, so the client emits `message` with undefined.
      assert.equal(await c.next(2000), undefined);
      assert.equal(await c.next(2000), "after-empty");
      c.close();
    });

    test("large text (~100 KB, multi-byte)", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      const big = "ab€😀".repeat(100 * 1024 / 9);
      c.send(big);
      const got = await c.next(4000);
      assert.equal(typeof got, "string");
      assert.equal(got.length, big.length);
      assert.equal(got, big);
      c.close();
    });

    test("binary: Buffer, Uint8Array, ArrayBuffer and a Uint8Array view, several sizes", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      for (const size of [1, 3, 4, 255, 1024, 100 * 1024]) {
        const b = bytes(size, size);
        c.send(b);
        assertBytes(await c.next(4000), b, `Buffer(${size})`);

        const u8 = new Uint8Array(b);
        c.send(u8);
        assertBytes(await c.next(4000), b, `Uint8Array(${size})`);

        const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
        c.send(ab);
        assertBytes(await c.next(4000), b, `ArrayBuffer(${size})`);
      }
      // a view into the middle of a larger buffer: only the view's bytes go on the wire
      const backing = bytes(64, 3);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 10, 20);
      c.send(view);
      assertBytes(await c.next(2000), backing.subarray(10, 30), "Uint8Array view");
      c.close();
    });

    test("binary: empty (0 bytes)", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      c.send(Buffer.alloc(0));
      c.send("after-empty-binary");
      assertBytes(await c.next(2000), Buffer.alloc(0), "Buffer(0)");
      assert.equal(await c.next(2000), "after-empty-binary");
      c.close();
    });

    test("100 messages sent back-to-back (text and binary mixed) arrive in order", TIMEOUT, async () => {
      const c = await Client.connect(server, mode);
      const sent = [];
      for (let i = 0; i < 100; i++) {
        const m = i % 3 === 2 ? bytes(1 + (i % 17), i) : `msg-${i}-${"é".repeat(i % 5)}`;
        sent.push(m);
        c.send(m);
      }
      for (let i = 0; i < sent.length; i++) {
        const got = await c.next(4000);
        if (typeof sent[i] === "string") assert.equal(got, sent[i], `message #${i}`);
        else assertBytes(got, sent[i], `message #${i}`);
      }
      assert.equal(c.transportName, mode.final);
      c.close();
    });
  });
}

test("polling+upgrade: messages sent while the upgrade is in progress are neither lost nor reordered", TIMEOUT, async () => {
  const mode = MODES.find((m) => m.upgrade);
  const c = new Client(server, mode);
  const sent = [];
  let i = 0;
  // send on open (still polling), then keep sending every 10 ms until the upgrade is done and a bit after
  await new Promise((resolve, reject) => {
    c.socket.once("open", resolve);
    c.socket.once("close", (reason) => reject(new Error(`closed before open: ${reason}`)));
  });
  const pump = setInterval(() => {
    const m = i % 4 === 3 ? bytes(5, i) : `during-upgrade-${i}`;
    i++;
    sent.push(m);
    c.send(m);
  }, 10);
  try {
    const deadline = Date.now() + 3000;
    while (!c.upgraded && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(c.upgraded, true, "the upgrade did not happen within 3 s");
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    clearInterval(pump);
  }
  assert.ok(sent.length >= 5, `only ${sent.length} messages were sent`);
  for (let k = 0; k < sent.length; k++) {
    const got = await c.next(3000);
    if (typeof sent[k] === "string") assert.equal(got, sent[k], `message #${k}`);
    else assertBytes(got, sent[k], `message #${k}`);
  }
  assert.equal(c.transportName, "websocket");
  c.close();
});
