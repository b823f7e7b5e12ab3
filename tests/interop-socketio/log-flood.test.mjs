// Log flooding: refusals a client can trigger at will are logged rate-limited (a few lines per
// call site and 10 s, with a `suppressed` count), so that one connection cannot write a line
// per packet into the server's log.

import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { useServer } from "./server.mjs";
import { MSGPACK, RawSession, sleep } from "./helpers.mjs";

// The server logs at its default level (info), so WARN lines are written.
const server = useServer({ env: { RUST_LOG: null } });
const wireTest = MSGPACK ? test.skip : test;
afterEach(() => RawSession.stopAll());

const FLOOD = 1000;
/** Lines of the server's log since `offset` that contain `what`. */
const linesWith = (offset, what) =>
  server
    .logSince(offset)
    .split("\n")
    .filter((l) => l.includes(what));

/** Waits until `count` packets starting with `prefix` have come (or 5 s have passed). */
async function drain(s, prefix, count) {
  let seen = 0;
  const deadline = Date.now() + 5000;
  while (seen < count && Date.now() < deadline) {
    const p = await s.next(5000).catch(() => null);
    if (p === null) break;
    if (p.startsWith(prefix)) seen++;
  }
  return seen;
}

wireTest("1,000 dynamic namespaces past the bound: refused each time, a bounded number of WARN lines", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  // Fill the bound (5): these may already be taken by nothing else, as each test file has its server.
  for (let i = 0; i < 5; i++) {
    await s.post(`40/dynamic-fill-${i},`);
  }
  await sleep(200);
  s.packets.length = 0;
  const offset = server.logLength();
  const body = Array.from({ length: FLOOD }, (_, i) => `40/dynamic-flood-${i},`).join("\x1e");
  const res = await s.post(body);
  assert.equal(res.status, 200, res.text);
  const refused = await drain(s, "44/dynamic-flood-", FLOOD);
  assert.equal(refused, FLOOD, "every namespace past the bound is refused with CONNECT_ERROR");
  await sleep(200);
  const lines = linesWith(offset, "too many dynamic namespaces");
  assert.ok(lines.length >= 1, "the refusal is still logged");
  assert.ok(lines.length <= 10, `${lines.length} log lines for ${FLOOD} refusals:\n${lines.slice(0, 3).join("\n")}`);
  assert.equal(s.closed, null);
});

wireTest("1,000 events refused by their extractor (no ack): a bounded number of WARN lines", async () => {
  const s = await RawSession.open(server);
  await s.connectRoot();
  const offset = server.logLength();
  const body = Array.from({ length: FLOOD }, () => '42["typed","not an object"]').join("\x1e");
  const res = await s.post(body);
  assert.equal(res.status, 200, res.text);
  // A round trip after the flood: every refused event has been handled by then.
  await s.post('421["message-with-ack","done"]');
  assert.equal(await drain(s, '431["done"]', 1), 1);
  await sleep(200);
  const lines = linesWith(offset, "event refused");
  assert.ok(lines.length >= 1, "the refusal is still logged");
  assert.ok(lines.length <= 10, `${lines.length} log lines for ${FLOOD} refused events:\n${lines.slice(0, 3).join("\n")}`);
});
