// Without the socket.io-client browser bundle the chat server still starts, says how to
// install it, and serves Socket.IO clients as usual.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ChatClient, useServer } from "./server.mjs";

const server = useServer({ CHAT_CLIENT_BUNDLE: "/nonexistent/socket.io.min.js" });

test("the server starts and logs how to install the bundle", () => {
  assert.match(server.log(), /npm ci.*examples\/chat\/static/);
});

test("/socket.io.min.js answers 404 with the install hint; the page still loads", async () => {
  const res = await fetch(`${server.origin}/socket.io.min.js`);
  assert.equal(res.status, 404);
  assert.match(await res.text(), /npm ci.*examples\/chat\/static/);

  const page = await fetch(`${server.origin}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /text\/html/);
  assert.match(await page.text(), /id="missing"/);
});

test("Socket.IO clients connect and chat as usual", async (t) => {
  const ana = await ChatClient.connect(server.origin, "ana");
  const bob = await ChatClient.connect(server.origin, "bob");
  t.after(() => [ana, bob].forEach((c) => c.close()));
  await ana.request("join", "r");
  await bob.request("join", "r");
  assert.deepEqual(await ana.request("message", { room: "r", text: "hi" }), { ok: true });
  assert.deepEqual(await bob.next("message"), { name: "ana", room: "r", text: "hi" });
});
