// The chat page in headless Chromium (Debian's `chromium`, driven by playwright-core), talking
// with a Node socket.io-client in the same room: a message from the page reaches Node, and a
// message from Node shows up in the page; a refused connect is shown, and the buttons are
// enabled only when they can work (Join once connected, Leave and Send once in a room).
//
// CHROMIUM            the browser executable (default /usr/bin/chromium; scripts/test installs it).
// CHAT_SCREENSHOT     where to save a screenshot of the page at the end (default: none).
// CHAT_SKIP_BROWSER   if set, these tests are skipped (for machines without Chromium).

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { ChatClient, WAIT, useServer } from "./server.mjs";

const EXECUTABLE = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SKIP = process.env.CHAT_SKIP_BROWSER ? "CHAT_SKIP_BROWSER is set" : false;

const server = useServer();

describe("the chat page in headless Chromium", { skip: SKIP }, () => {
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    assert.ok(
      existsSync(EXECUTABLE),
      `${EXECUTABLE} is missing: install it (apt-get install -y chromium), set CHROMIUM, or set CHAT_SKIP_BROWSER=1`,
    );
    browser = await chromium.launch({ executablePath: EXECUTABLE, headless: true, args: ARGS });
    page = await browser.newPage();
    page.on("pageerror", (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(`console: ${msg.text()}`);
    });
    page.on("response", (res) => {
      if (res.status() >= 400) pageErrors.push(`HTTP ${res.status()} for ${res.url()}`);
    });
  });

  after(async () => {
    if (page && process.env.CHAT_SCREENSHOT) await page.screenshot({ path: process.env.CHAT_SCREENSHOT, fullPage: true });
    await browser?.close();
  });

  const room = "browsers";
  let node;

  /** Each button's state: the first one's label, and whether the others are enabled. */
  const buttons = () =>
    page.evaluate(() => ({
      connect: document.getElementById("connect").textContent,
      join: !document.getElementById("join").disabled,
      leave: !document.getElementById("leave").disabled,
      send: !document.getElementById("send").disabled,
    }));

  test("a refused connection says so, and leaves the page ready to connect again", async () => {
    await page.goto(`${server.origin}/`);
    // A blank name passes the input's `required` but not the server's middleware.
    await page.fill("#name", "   ");
    await page.click("#connect");
    await page.locator("#status.error", { hasText: "refused: unauthorized" }).waitFor({ timeout: WAIT });
    assert.deepEqual(await buttons(), { connect: "Connect", join: false, leave: false, send: false });
    assert.equal(await page.isDisabled("#name"), false);
  });

  test("the page loads the socket.io-client bundle and connects with its name", async () => {
    await page.goto(`${server.origin}/`);
    assert.equal(await page.evaluate(() => typeof io), "function", "the bundle defines io()");
    assert.equal(await page.evaluate(() => typeof io.Manager), "function", "the official client's API");
    assert.equal(await page.locator("#missing").isHidden(), true);

    // One line says what to do; nothing but Connect works before connecting.
    assert.match(await page.textContent("#help"), /Type your name and press Connect/);
    assert.deepEqual(await buttons(), { connect: "Connect", join: false, leave: false, send: false });

    await page.fill("#name", "chromium");
    await page.click("#connect");
    await page.locator("#status", { hasText: "connected as chromium" }).waitFor({ timeout: WAIT });
    // Connected: the first button disconnects, Join works, Leave and Send wait for a room.
    assert.deepEqual(await buttons(), { connect: "Disconnect", join: true, leave: false, send: false });
    assert.equal(await page.isDisabled("#name"), true);
    assert.deepEqual(pageErrors, []);
  });

  test("the page joins a room that a Node client is in", async () => {
    node = await ChatClient.connect(server.origin, "node");
    assert.deepEqual(await node.request("join", room), { room, members: 1 });

    await page.fill("#room", room);
    await page.click("#join");
    await page.locator("#messages li.notice", { hasText: `you joined #${room} (2 members)` }).waitFor({ timeout: WAIT });
    assert.deepEqual(await node.next("joined"), { name: "chromium", room });
  });

  test("in a room, Leave and Send are enabled", async () => {
    assert.deepEqual(await buttons(), { connect: "Disconnect", join: true, leave: true, send: true });
  });

  test("a message sent from the page reaches the Node client", async () => {
    await page.fill("#text", "hello from chromium");
    await page.click("#send");
    assert.deepEqual(await node.next("message"), { name: "chromium", room, text: "hello from chromium" });
    // Acked: the page lists its own message and clears the field.
    await page.locator("#messages li.message.mine", { hasText: "hello from chromium" }).waitFor({ timeout: WAIT });
    assert.equal(await page.inputValue("#text"), "");
  });

  test("a message sent from Node shows up in the page", async () => {
    assert.deepEqual(await node.request("message", { room, text: "hello from node" }), { ok: true });
    const li = page.locator('#messages li.message[data-name="node"]');
    await li.waitFor({ timeout: WAIT });
    assert.equal(await li.getAttribute("data-room"), room);
    assert.equal(await li.getAttribute("data-text"), "hello from node");
    assert.equal(await li.textContent(), `#${room} node: hello from node`);
  });

  test("when the Node client leaves, the page says so", async () => {
    node.close();
    await page.locator("#messages li.notice", { hasText: `node left #${room}` }).waitFor({ timeout: WAIT });
    assert.deepEqual(pageErrors, []);
  });

  test("Disconnect disconnects, and the page is back to Connect", async () => {
    await page.click("#connect");
    await page.locator("#status", { hasText: "disconnected" }).waitFor({ timeout: WAIT });
    assert.deepEqual(await buttons(), { connect: "Connect", join: false, leave: false, send: false });
    assert.equal(await page.isDisabled("#name"), false);
    assert.deepEqual(pageErrors, []);
  });
});
