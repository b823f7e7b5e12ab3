// nginx in front of two sio cluster-nodes sharing one Redis (tests/cluster/nginx/cluster.conf):
// a long-polling socket.io-client through nginx reaches one node, upgrades to WebSocket and gets
// what a client on the other node sends; without stickiness (round-robin), long-polling fails
// with Engine.IO's "Session ID unknown" while WebSocket-only clients work.
// nginx is Debian's package (/usr/sbin/nginx, or $NGINX), run unprivileged on a free port with
// its pid, logs and temporary files in a directory of its own.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { io } from "socket.io-client";
import {
  WAIT,
  ask,
  client,
  freePort,
  freshPrefix,
  next,
  startMember,
  withTimeout,
} from "./helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const NGINX = process.env.NGINX ?? "/usr/sbin/nginx";
const TEMPLATE = path.join(here, "nginx", "cluster.conf");

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
async function accepting(port) {
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = tcpConnect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts nginx with tests/cluster/nginx/cluster.conf in front of `members`; `sticky` false
 * drops its `ip_hash;` (round-robin). Resolves with `{url, stop, logs}`.
 */
async function startNginx(members, { sticky }) {
  assert.ok(
    existsSync(NGINX),
    `${NGINX} is missing: install Debian's nginx (apt-get install nginx; scripts/test does) ` +
      "or set NGINX",
  );
  const dir = await mkdtemp(path.join(tmpdir(), "sio-nginx-"));
  // Run as root, nginx's workers are `nobody`: they must reach their temporary directories.
  await chmod(dir, 0o755);
  const port = await freePort();
  const [a, b] = members.map((m) => new URL(m.url).host);
  let conf = (await readFile(TEMPLATE, "utf8"))
    .replaceAll("@LISTEN@", `127.0.0.1:${port}`)
    .replaceAll("@NODE_A@", a)
    .replaceAll("@NODE_B@", b);
  if (!sticky) {
    assert.match(conf, /^\s*ip_hash;$/m);
    conf = conf.replace(/^\s*ip_hash;$/m, "");
  }
  const confPath = path.join(dir, "nginx.conf");
  await writeFile(confPath, conf);
  const args = ["-e", "stderr", "-c", confPath, "-p", `${dir}/`, "-g", "daemon off;"];
  const child = spawn(NGINX, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await withTimeout(
    Promise.race([
      accepting(port),
      exited.then((code) => {
        throw new Error(`nginx exited (${code}):\n${output}`);
      }),
    ]),
    WAIT,
    "nginx to listen",
  );
  return {
    url: `http://127.0.0.1:${port}`,
    logs: async () =>
      `${output}\n${await readFile(path.join(dir, "error.log"), "utf8").catch(() => "")}`,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A socket.io-client through `url`, not yet connected, with promises for its `hello`, its
 * `connect` (or `connect_error`) and the name of the transport it upgrades to.
 */
function viaProxy(url, opts) {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  const hello = new Promise((resolve) => socket.once("hello", resolve));
  const connected = new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (err) => {
      // The body of a failed request, read now: the client aborts the request right after.
      err.body = err.context?.responseText;
      reject(err);
    });
  });
  // The engine exists from here on; its "open" comes before any probe of the upgrade.
  const firstTransport = new Promise((resolve) =>
    socket.io.once("open", () => resolve(socket.io.engine.transport.name)),
  );
  const upgraded = new Promise((resolve) =>
    socket.io.once("open", () => socket.io.engine.once("upgrade", (t) => resolve(t.name))),
  );
  return { socket, hello, connected, firstTransport, upgraded };
}

describe("nginx in front of two sio nodes", () => {
  let members = [];
  const sockets = [];
  const proxies = [];

  before(async () => {
    const prefix = freshPrefix();
    members = [await startMember("sio", "A", prefix), await startMember("sio", "B", prefix)];
  });

  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(members.map((m) => m.stop()));
  });

  const nginx = async (sticky) => {
    const proxy = await startNginx(members, { sticky });
    proxies.push(proxy);
    return proxy;
  };

  test("sticky (ip_hash): polling connects, upgrades to WebSocket, hears the other node", async () => {
    const proxy = await nginx(true);
    const c = viaProxy(proxy.url, { transports: ["polling", "websocket"] });
    sockets.push(c.socket);
    await withTimeout(c.connected, WAIT, "the client to connect through nginx").catch(async (e) => {
      throw new Error(`${e.message}\nnginx:\n${await proxy.logs()}`);
    });
    assert.equal(await withTimeout(c.firstTransport, WAIT, "the engine to open"), "polling");
    const { node } = await withTimeout(c.hello, WAIT, "hello through nginx");
    assert.ok(["A", "B"].includes(node), `hello names a node: ${node}`);
    assert.equal(await withTimeout(c.upgraded, WAIT, "the upgrade to WebSocket"), "websocket");
    assert.equal(c.socket.io.engine.transport.name, "websocket");

    // A client connected straight to the other node reaches it through the Redis adapter.
    const other = members.find((m) => m.name !== node);
    const direct = await client(other);
    sockets.push(direct);
    const room = "behind-nginx";
    assert.equal(await ask(c.socket, "join", room), room);
    const got = next(c.socket, "room-message");
    direct.emit("to-room", room, "from", other.name, Buffer.from([1, 2, 3]));
    const [text, from, bytes] = await got;
    assert.equal(text, "from");
    assert.equal(from, other.name);
    assert.deepEqual([...Buffer.from(bytes)], [1, 2, 3]);
    assert.equal(c.socket.io.engine.transport.name, "websocket");
  });

  describe("round-robin (no stickiness)", () => {
    let proxy;
    before(async () => {
      proxy = await nginx(false);
    });

    test("WebSocket-only clients work, spread over both nodes", async () => {
      const names = [];
      for (let i = 0; i < 2; i++) {
        const c = viaProxy(proxy.url, { transports: ["websocket"] });
        sockets.push(c.socket);
        await withTimeout(c.connected, WAIT, "a WebSocket-only client to connect through nginx");
        names.push((await withTimeout(c.hello, WAIT, "hello through nginx")).node);
        assert.equal(c.socket.io.engine.transport.name, "websocket");
      }
      // nginx's round-robin alternates between the two servers, one request at a time.
      assert.deepEqual([...names].sort(), ["A", "B"]);
      assert.equal(await ask(sockets.at(-1), "server-count"), 2);
    });

    test("a polling client fails: a request meets the other node's Session ID unknown", async () => {
      const c = viaProxy(proxy.url, { transports: ["polling"] });
      sockets.push(c.socket);
      const err = await withTimeout(
        c.connected.then(
          () => assert.fail("a polling-only client connected without stickiness"),
          (e) => e,
        ),
        WAIT,
        "connect_error",
      );
      // The long-poll (GET) or the packet carrying the CONNECT (POST): whichever nginx sent on.
      assert.match(err.message, /^xhr (poll|post) error$/);
      assert.equal(err.description, 400);
      assert.deepEqual(JSON.parse(err.body), {
        code: 1,
        message: "Session ID unknown",
      });
    });
  });
});
