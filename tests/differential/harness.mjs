// The differential harness: starts sio's conformance-server and the Node reference server
// (reference.mjs), runs each scenario against both, and compares the transcripts: what a raw
// client observed, line by line, as text.
//
// A transcript is a list of lines written by the scenario through its `Recorder`:
//   `c< 42["message-back",{"b":1,"a":2}]`   a text frame / polling packet received by client c,
//                                          exactly as it came off the wire;
//   `c< bin 010203`                        a binary frame / packet (hex);
//   `c: close 1009`                        the WebSocket closed with this code (1005: no status);
//   `c: http 400 {"code":1,…}`             an HTTP answer (status and body, byte for byte);
//   any other note the scenario writes.
// Pings (`2`) are answered with `3` and not recorded: their count depends on timing.
//
// Normalised, because legitimately random: Engine.IO session ids and Socket.IO socket ids (each
// distinct id becomes `<id1>`, `<id2>`, … in order of first appearance, so equal ids stay equal)
// and the timing of packets (a scenario waits for what it expects, then 100 ms more for
// anything extra; lines from different clients are kept in one transcript per client).
// Nothing else is normalised: JSON is compared as the bytes on the wire, key order included.
//
// SIO_CONFORMANCE_BIN (required): the conformance-server binary, started (as the reference is)
// with the launcher every suite shares (tests/harness/server.mjs); SIO_SERVER=takeover is passed
// through to it. DEBUG=1 forwards both servers' output; DIFF_SHOW=1 prints every transcript.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import assert from "node:assert/strict";
import { before, after, test } from "node:test";
import WebSocket from "ws";
import { conformanceBin } from "../harness/conformance.mjs";
import { startServer } from "../harness/server.mjs";
import { sleep } from "../harness/wait.mjs";

export { HOST } from "../harness/server.mjs";
export { sleep } from "../harness/wait.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
/** How long a step waits for what it expects before it records what it has. */
const STEP_TIMEOUT_MS = 2000;
/** How long a step waits after that for anything unexpected. */
const GRACE_MS = 100;

/** The accepted differences: scenario name → reason (accepted-differences.json). */
export const ACCEPTED = Object.fromEntries(
  JSON.parse(readFileSync(join(HERE, "accepted-differences.json"), "utf8")).accepted.map((a) => [a.scenario, a]),
);

/** A server under test: a child process on its own port, started again should it die. */
class ServerProcess {
  constructor(name, command, args) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.process = null;
  }

  async start() {
    this.process = await startServer({
      command: this.command,
      args: this.args,
      env: { RUST_LOG: process.env.RUST_LOG ?? "warn" },
      name: this.name,
      cwd: HERE,
    });
    this.port = this.process.port;
    this.origin = this.process.origin;
    return this;
  }

  get exited() {
    return this.process?.exited ?? null;
  }

  log() {
    return this.process ? this.process.log().slice(-4000) : "";
  }

  async stop() {
    await this.process?.stop();
  }
}

/** Both servers: `node` (the reference) and `sio`. */
export function servers() {
  const bin = conformanceBin("tests/differential");
  return {
    node: new ServerProcess("node", process.execPath, [join(HERE, "reference.mjs")]),
    sio: new ServerProcess(process.env.SIO_SERVER === "takeover" ? "sio (takeover)" : "sio", bin, []),
  };
}

/** Replaces session and socket ids by `<idN>`, numbered in order of first appearance. */
export function normalise(lines) {
  const ids = new Map();
  const idOf = (id) => {
    if (!ids.has(id)) ids.set(id, `<id${ids.size + 1}>`);
    return ids.get(id);
  };
  // Ids are introduced by the handshake (`"sid":"…"`), the CONNECT reply and `fetch`
  // results (`"id":"…"`), or named by the scenario with `rec.id(value)`.
  const found = [];
  for (const line of lines) {
    for (const m of line.matchAll(/"(?:sid|id)":"([A-Za-z0-9_-]{8,})"/g)) found.push(m[1]);
    for (const m of line.matchAll(/<<id:([^>]+)>>/g)) found.push(m[1]);
  }
  for (const id of found) idOf(id);
  return lines.map((line) => {
    let out = line.replace(/<<id:([^>]+)>>/g, (_, id) => idOf(id));
    for (const [id, name] of ids) out = out.split(id).join(name);
    return out;
  });
}

/** Collects the transcript lines of one run. */
export class Recorder {
  constructor() {
    this.streams = new Map();
  }
  /**
   * Adds a line to a stream: one per WebSocket client, two per polling session (its GETs, its
   * POSTs), one per HTTP request name, `~` for the scenario's own notes. Lines keep their
   * order within a stream; streams are listed by name, so that which of two clients or two
   * concurrent requests the server answered first (timing) does not show.
   */
  note(line, stream = "~") {
    if (this.done) return;
    if (!this.streams.has(stream)) this.streams.set(stream, []);
    this.streams.get(stream).push(line);
  }
  get lines() {
    return [...this.streams.keys()].sort().flatMap((k) => this.streams.get(k));
  }
}

/** Shows a text frame: long ones are cut (their length is kept, so a difference still shows). */
function show(text) {
  if (text.length <= 400) return text;
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) >>> 0;
  return `${text.slice(0, 120)}…(${text.length} chars, hash ${hash.toString(16)})…${text.slice(-60)}`;
}

/**
 * A raw WebSocket client (the `ws` package): records every frame it receives and how the
 * connection ended, answers pings.
 */
export class RawWs {
  constructor(rec, name, url, { answerPings = true } = {}) {
    this.rec = rec;
    this.name = name;
    this.events = 0;
    this.waiters = [];
    this.closed = false;
    this.ws = new WebSocket(url, { maxPayload: 200 * 1024 * 1024 });
    this.opened = new Promise((resolve) => {
      this.ws.on("open", () => resolve(true));
      this.ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          this.record(`${name}: http ${res.statusCode} ${body}`);
          this.finish();
          resolve(false);
        });
      });
      this.ws.on("error", (err) => {
        // Client-side errors (a protocol error the server made) carry a code; the message is ws's.
        this.record(`${name}: error ${err.code ?? err.message}`);
        resolve(false);
      });
    });
    this.ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        const text = data.toString("utf8");
        if (text === "2" && answerPings) {
          this.ws.send("3");
          return;
        }
        this.record(`${name}< ${show(text)}`);
      } else {
        this.record(`${name}< bin ${show(Buffer.from(data).toString("hex"))}`);
      }
    });
    this.ws.on("close", (code, reason) => {
      this.record(`${name}: close ${code}${reason.length ? ` ${reason}` : ""}`);
      this.finish();
    });
  }

  static async open(rec, name, origin, { path = "/socket.io/", query = "", ...opts } = {}) {
    const url = `${origin.replace("http", "ws")}${path}?EIO=4&transport=websocket${query}`;
    const c = new RawWs(rec, name, url, opts);
    // The first line is the open packet (none when upgrading a session), or the refusal.
    if ((await c.opened) && !query.includes("sid=")) await c.expect(1, 0);
    return c;
  }

  record(line) {
    this.rec.note(line, this.name);
    this.events++;
    for (const w of this.waiters.splice(0)) w();
  }

  finish() {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `n` more lines were recorded (or the connection ended), then a grace period. */
  async expect(n, sinceEvents = this.events) {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (this.events < sinceEvents + n && !this.closed && Date.now() < deadline) {
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    await sleep(GRACE_MS);
  }

  /** Sends a text frame and waits for `n` lines in answer. */
  async send(text, n = 0) {
    const since = this.events;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.rec.note(`${this.name}: cannot send, the socket is not open`, this.name);
    await this.expect(n, since);
  }

  /** Sends a binary frame and waits for `n` lines in answer. */
  async sendBinary(bytes, n = 0) {
    const since = this.events;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(bytes), { binary: true });
    await this.expect(n, since);
  }

  /** Writes raw bytes to the TCP connection (hand-made frames), then waits for `n` lines. */
  async sendRaw(bytes, n = 0) {
    const since = this.events;
    this.ws._socket.write(bytes);
    await this.expect(n, since);
  }

  /** Waits until the connection ends (at most `ms`). */
  async waitClosed(ms = STEP_TIMEOUT_MS) {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await sleep(20);
    await sleep(GRACE_MS);
  }

  close() {
    if (!this.closed) this.ws.terminate();
    this.closed = true;
  }
}

/** A masked client frame, as RFC 6455 requires from clients; `declared` overrides the length. */
export function frame(opcode, payload, { fin = true, declared } = {}) {
  const data = Buffer.from(payload);
  const len = declared ?? data.length;
  let header;
  if (len < 126) header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]);
  else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(data.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([header, mask, masked]);
}

/** One HTTP request; records `name: http <status> <body>` and returns {status, text, headers}. */
export async function http(rec, name, url, { method = "GET", body, headers = {}, keep = [] } = {}) {
  let res;
  try {
    res = await fetch(url, { method, body, headers, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    rec?.note(`${name}: ${method} failed ${err?.cause?.code ?? err.name}`, name);
    return { status: 0, text: "" };
  }
  const text = await res.text();
  if (rec) {
    const shown = keep.map((h) => ` ${h}=${res.headers.get(h)}`).join("");
    rec.note(`${name}: http ${res.status} ${show(text)}${shown}`, name);
  }
  return { status: res.status, text, headers: res.headers };
}

/**
 * A raw long-polling session: a background GET loop records every packet (pings answered, not
 * recorded), POSTs record their answer.
 */
export class RawPolling {
  constructor(rec, name, origin, path, sid) {
    Object.assign(this, { rec, name, origin, path, sid });
    this.events = 0;
    this.closed = false;
    this.looping = false;
  }

  url() {
    return `${this.origin}${this.path}?EIO=4&transport=polling&sid=${this.sid}`;
  }

  static async open(rec, name, origin, { path = "/socket.io/", loop = true } = {}) {
    const res = await http(null, name, `${origin}${path}?EIO=4&transport=polling`);
    rec.note(`${name}< ${res.text}`, `${name} GET`);
    const sid = JSON.parse(res.text.slice(1)).sid;
    const s = new RawPolling(rec, name, origin, path, sid);
    if (loop) s.loop();
    return s;
  }

  record(line, stream = `${this.name} GET`) {
    this.rec.note(line, stream);
    this.events++;
  }

  async loop() {
    this.looping = true;
    while (!this.closed && !this.stopped) {
      let res;
      try {
        res = await fetch(this.url(), { signal: AbortSignal.timeout(5000) });
      } catch (err) {
        if (!this.stopped) this.record(`${this.name}: GET failed ${err?.cause?.code ?? err.name}`);
        this.closed = true;
        return;
      }
      const text = await res.text();
      if (this.stopped) return;
      if (res.status !== 200) {
        this.record(`${this.name}: GET http ${res.status} ${text}`);
        this.closed = true;
        return;
      }
      for (const p of text.split("\x1e")) {
        if (p === "2") fetch(this.url(), { method: "POST", body: "3" }).catch(() => {});
        else {
          this.record(`${this.name}< ${show(p)}`);
          if (p === "1") this.closed = true;
        }
      }
    }
  }

  /** POSTs a payload and records the answer, then waits for `n` lines. */
  async post(body, n = 0) {
    const since = this.events;
    const res = await http(null, this.name, this.url(), { method: "POST", body });
    this.record(`${this.name}: POST ${show(JSON.stringify(body))} → ${res.status} ${show(res.text)}`, `${this.name} POST`);
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (this.events < since + 1 + n && !this.closed && Date.now() < deadline) await sleep(20);
    await sleep(GRACE_MS);
    return res;
  }

  stop() {
    this.stopped = true;
    if (!this.closed) fetch(this.url(), { method: "POST", body: "1" }).catch(() => {});
  }
}

/** Line-by-line comparison for the failure message. */
function diff(a, b) {
  const out = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) out.push(`   ${a[i]}`);
    else {
      if (a[i] !== undefined) out.push(` node ${a[i]}`);
      if (b[i] !== undefined) out.push(` sio  ${b[i]}`);
    }
  }
  return out.join("\n");
}

/**
 * Registers the scenarios of one test file: both servers start once for the file; each
 * scenario `run(rec, server)` runs against the reference, then against sio; their normalised
 * transcripts must be equal, or the difference must be listed in accepted-differences.json
 * (and then it must still be a difference: a stale entry fails too). A server that died during
 * a scenario is noted in its transcript (`server exited`) and started again.
 */
export function differential(scenarios) {
  const both = servers();
  before(async () => {
    await Promise.all([both.node.start(), both.sio.start()]);
  });
  after(async () => {
    await Promise.all([both.node.stop(), both.sio.stop()]);
  });
  for (const [name, run] of Object.entries(scenarios)) {
    test(name, async (t) => {
      const transcripts = {};
      for (const which of ["node", "sio"]) {
        const server = both[which];
        const rec = new Recorder();
        const cleanup = [];
        try {
          await run(rec, { origin: server.origin, port: server.port, cleanup });
        } catch (err) {
          rec.note(`scenario threw: ${err.message}`);
        } finally {
          // What the clients see when the harness itself closes them is not part of the run.
          rec.done = true;
          for (const c of cleanup) {
            try {
              c.close ? c.close() : c.stop();
            } catch {}
          }
        }
        await sleep(20);
        if (server.exited) {
          rec.note(`server exited (${server.exited.signal ?? `code ${server.exited.code}`})`);
          await server.start();
        }
        transcripts[which] = normalise(rec.lines);
      }
      if (process.env.DIFF_SHOW) {
        for (const which of ["node", "sio"]) for (const l of transcripts[which]) t.diagnostic(`${which} ${l}`);
      }
      const same = JSON.stringify(transcripts.node) === JSON.stringify(transcripts.sio);
      const accepted = ACCEPTED[name];
      if (accepted) {
        t.diagnostic(`accepted difference: ${accepted.reason}`);
        assert.ok(
          !same,
          `"${name}" is listed in accepted-differences.json but both servers now agree; remove the entry.\n` +
            transcripts.sio.join("\n"),
        );
        if (accepted.sio) {
          assert.deepEqual(transcripts.sio, accepted.sio, `sio's side of the accepted difference "${name}" changed`);
        }
        return;
      }
      assert.ok(
        same,
        `sio and Node's socket.io differ in "${name}" (not an accepted difference):\n${diff(transcripts.node, transcripts.sio)}\n` +
          `sio output:\n${both.sio.log()}`,
      );
    });
  }
}
