// Socket.IO scenarios over raw WebSockets: every frame both servers send, byte for byte.

import { differential, RawPolling, RawWs } from "./harness.mjs";

/** A raw WebSocket on /socket.io/ that has read the open packet (and joined `/` if asked). */
async function client(rec, server, name = "c", { join = true } = {}) {
  const c = await RawWs.open(rec, name, server.origin);
  server.cleanup.push(c);
  if (join) await c.send("40", 2); // CONNECT reply, then the `auth` event
  return c;
}

/** `[[[…"x"…]]]`, `depth` arrays deep. */
const nested = (depth) => `${"[".repeat(depth)}"x"${"]".repeat(depth)}`;
/** `{"a":{"a":…1…}}`, `depth` objects deep. */
const nestedObjects = (depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const manyArgs = (n) => Array.from({ length: n }, (_, i) => i % 2 ? `{"z":${i},"a":"${i}"}` : String(i)).join(",");

const PH = (num) => `{"_placeholder":true,"num":${num}}`;

const scenarios = {
  "connect: auth echoed with its key order": async (rec, server) => {
    const c = await client(rec, server, "c", { join: false });
    await c.send('40{"token":"abc","n":1,"z":{"b":[1,{"y":2,"x":1}],"a":null},"e":"ü€\\u0000"}', 2);
  },

  "polling: CONNECT with auth, echo, binary, ack, then a client CONNECT_ERROR closes the session": async (rec, server) => {
    const s = await RawPolling.open(rec, "poll", server.origin);
    server.cleanup.push(s);
    await s.post('40{"z":1,"a":2}', 2);
    await s.post('42["message",{"y":1,"b":[true]}]\x1e421["message-with-ack","x"]', 2);
    await s.post(`451-["message",${PH(0)}]\x1ebAQID`, 2);
    await s.post('44{"message":"x"}', 1);
  },

  "connect: no auth → auth {}; a second CONNECT for / closes the connection": async (rec, server) => {
    const c = await client(rec, server);
    await c.send("40", 1);
  },

  "event: nested objects echoed with their key order (message and message-with-ack)": async (rec, server) => {
    const c = await client(rec, server);
    const payload = '{"nested":{"z":1,"a":[{"y":1,"b":2},{"b":true,"a":false}]},"k":"v","_":{}}';
    await c.send(`42["message",${payload},"s",1.5,1e21,null,true]`, 1);
    await c.send(`4212["message-with-ack",${payload}]`, 1);
    await c.send(`4213["message-with-ack"]`, 1);
  },

  "event: integer-like object keys (JavaScript lists them first, ascending)": async (rec, server) => {
    const c = await client(rec, server);
    await c.send('42["message",{"b":1,"10":2,"2":3,"a":4,"01":5}]', 1);
  },

  "event: numbers, strings and escapes echoed as Node writes them": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(String.raw`42["message",100,0.1,-1.5e-7,1e+21,"\u00e9\ud83d\ude00","\/","\b\f\n\r\t\u001f"]`, 1);
  },

  "event: numbers that JavaScript writes differently (1.0, 1e2, -0, integers past 2^53)": async (rec, server) => {
    const c = await client(rec, server);
    await c.send("42[\"message\",1.0,1e2,-0,12345678901234567890]", 1);
  },

  "typed: a Rust struct with an f64 field in an ack": async (rec, server) => {
    const c = await client(rec, server);
    await c.send('421["typed",{"n":41}]', 1);
    await c.send('422["typed",{"n":0.5}]', 1);
  },

  "binary: events and acks with attachments, both ways": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(`451-["message",${PH(0)}]`);
    await c.sendBinary([1, 2, 3], 2);
    await c.send(`452-7["message-with-ack",${PH(1)},{"x":${PH(0)}}]`);
    await c.sendBinary([4, 5]);
    await c.sendBinary([6], 3);
  },

  "acks: server → client answered in text, in binary, and unanswered (timeout)": async (rec, server) => {
    const c = await client(rec, server);
    await c.send('425["server-ack","q",{"b":1,"a":2}]', 1);
    await c.send('430["yes",{"b":1,"a":2}]', 1);
    await c.send('426["server-ack","binary please"]', 1);
    await c.send(`461-1[${PH(0)}]`);
    await c.sendBinary([9, 9], 2);
    await c.send('4399["stray ack"]');
    await c.send('427["server-ack","no answer"]', 1);
    await c.expect(1); // the timeout ack after 500 ms
  },

  "rooms: join, to-room, broadcast, except-room, leave": async (rec, server) => {
    const a = await client(rec, server, "a");
    const b = await client(rec, server, "b");
    await a.send('421["join","r1"]', 1);
    let mark = a.events;
    await b.send('42["to-room","r1",{"y":1,"x":2}]');
    await a.expect(1, mark);
    mark = a.events;
    await b.send('42["broadcast","hi",{"y":1,"x":2}]');
    await a.expect(1, mark);
    await b.send('42["except-room","r1","not for r1"]', 1);
    await a.send('422["leave","r1"]', 1);
    await b.send('42["to-room","r1","nobody"]');
    await a.send('42["outgoing-seen"]');
    await a.send('423["outgoing-seen"]', 1);
  },

  "hooks: forbidden (event middleware), any:* catch-all, volatile, server-count": async (rec, server) => {
    const c = await client(rec, server);
    await c.send('421["forbidden",1]', 2);
    await c.send('42["forbidden"]', 1);
    await c.send('42["any:thing",{"b":1,"a":2}]', 1);
    await c.send('42["volatile",{"b":1,"a":2}]', 1);
    await c.send('422["server-count"]', 1);
  },

  "disconnect-me and close-me": async (rec, server) => {
    const c = await client(rec, server);
    await c.send("40/custom,", 2);
    await c.send('42["disconnect-me"]', 1);
    await c.send('42/custom,["x"]');
    await c.send("40", 2);
    await c.send('42["close-me"]', 3);
    await c.waitClosed();
  },

  "namespaces: unknown namespace refused; the connection stays usable": async (rec, server) => {
    const c = await client(rec, server);
    await c.send("40/nope,", 1);
    await c.send('40/nope,{"token":"x"}', 1);
    await c.send('42["message","still here"]', 1);
  },

  "namespaces: /custom without auth and with auth": async (rec, server) => {
    const c = await client(rec, server, "c", { join: false });
    await c.send("40/custom,", 2);
    const d = await client(rec, server, "d", { join: false });
    await d.send('40/custom,{"token":"abc","n":1}', 2);
  },

  "namespaces: /private refuses a client without a token, admits one with": async (rec, server) => {
    const c = await client(rec, server, "c", { join: false });
    await c.send("40/private,", 1);
    await c.send('40/private,{"other":1}', 1);
    await c.send('40/private,{"token":"t"}', 2);
  },

  "namespaces: dynamic /dynamic-*, at most 5 at once": async (rec, server) => {
    const c = await client(rec, server);
    for (let i = 1; i <= 6; i++) await c.send(`40/dynamic-${i},`, i <= 5 ? 2 : 1);
    await c.send('421/dynamic-1,["where"]', 1);
    await c.send("41/dynamic-1,");
    await c.send("40/dynamic-7,", 2);
  },

  "client CONNECT_ERROR (44) on a joined namespace closes the connection": async (rec, server) => {
    const c = await client(rec, server);
    await c.send('44{"message":"x"}', 1);
    await c.waitClosed();
  },

  "client CONNECT_ERROR (44) on a namespace not joined closes the connection": async (rec, server) => {
    const c = await client(rec, server);
    await c.send('44/custom,{"message":"x"}', 1);
    await c.waitClosed();
  },

  "connectTimeout: a connection that joins no namespace is closed after 1 s": async (rec, server) => {
    const c = await client(rec, server, "c", { join: false });
    await c.waitClosed(2500);
  },

  "many arguments: 1,000 arguments echoed": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(`42["message",${manyArgs(1000)}]`, 1);
    await c.send(`421["message-with-ack",${manyArgs(1000)}]`, 1);
  },

  "many arguments: 30,000 arguments": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(`42["message",${manyArgs(30_000)}]`, 1);
    await c.waitClosed(500);
  },

  "nesting: 100 levels echoed": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(`42["message",${nested(100)},${nestedObjects(100)}]`, 1);
  },

  "nesting: 500 levels echoed": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(`42["message",${nested(500)},${nestedObjects(500)}]`, 1);
  },

  "nesting: 2,000 levels": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(`42["message",${nested(2000)}]`, 1);
    await c.waitClosed(300);
  },

  "nesting: 5,000 levels": async (rec, server) => {
    const c = await client(rec, server);
    await c.send(`42["message",${nested(5000)}]`, 1);
    await c.waitClosed(300);
  },
};

// Hostile or malformed packets on a joined `/`: each closes the connection (or is ignored) the
// same way on both servers.
for (const [what, frames] of [
  ["undecodable packet 4{oops", ["4{oops"]],
  ["unknown Socket.IO packet type 9", ["49"]],
  ["unknown Socket.IO packet type 7", ['47["x"]']],
  ["empty Socket.IO packet", ["4"]],
  ["unknown Engine.IO packet type 9", ["9"]],
  ["empty frame", [""]],
  ["EVENT payload that is not an array", ['42{"a":1}']],
  ["EVENT with an empty array", ["42[]"]],
  ["EVENT payload that is not valid JSON", ['42["message",']],
  ["EVENT with trailing garbage", ['42["message",1]x']],
  ["EVENT whose name is a number", ["42[1,2]"]],
  ["EVENT with a reserved event name", ['42["connect"]']],
  ["EVENT with a bad ack id", ['42x["message",1]']],
  ["ACK that is not an array", ['431{"a":1}']],
  ["BINARY_EVENT with a bad attachment count", [`45x-["message",${PH(0)}]`]],
  ["BINARY_EVENT with a negative attachment count", [`45-1-["message",${PH(0)}]`]],
  ["BINARY_EVENT placeholder past its attachments", [`451-["message",${PH(3)}]`, Buffer.from([1])]],
  ["BINARY_EVENT placeholder that is not an integer", [`451-["message",{"_placeholder":true,"num":"0"}]`, Buffer.from([1])]],
  ["binary frame where none is expected", [Buffer.from([1, 2, 3])]],
  ["packet for a namespace not joined", ['42/custom,["x"]']],
  ["namespace without a leading slash", ['42custom,["x"]']],
]) {
  scenarios[`malformed: ${what}`] = async (rec, server) => {
    const c = await client(rec, server);
    for (const f of frames) {
      if (typeof f === "string") await c.send(f);
      else await c.sendBinary(f);
    }
    await c.send('42["message","alive?"]', 1);
  };
}

differential(scenarios);
