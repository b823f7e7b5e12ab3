// The chat page: connects to the /chat namespace with the user's name as auth, joins rooms,
// sends messages to the current room and lists what arrives.
"use strict";

const $ = (id) => document.getElementById(id);
const status = $("status");
const list = $("messages");

let socket = null;
let room = null;

function setStatus(text, kind = "") {
  status.textContent = text;
  status.className = kind;
}

/** Appends a line to the list; `parts` are [className, text] pairs (text only, never HTML). */
function add(kind, parts, data = {}) {
  const li = document.createElement("li");
  li.className = kind;
  for (const [cls, text] of parts) {
    const span = document.createElement("span");
    if (cls) span.className = cls;
    span.textContent = text;
    li.append(span);
  }
  Object.assign(li.dataset, data);
  list.append(li);
  li.scrollIntoView({ block: "nearest" });
}

const notice = (text) => add("notice", [["", text]]);

function showMessage({ name, room, text }, mine = false) {
  add(mine ? "message mine" : "message", [
    ["room", `#${room} `],
    ["name", name],
    ["", `: ${text}`],
  ], { name, room, text });
}

/**
 * Enables what can be done now: Join once connected, Leave and Send once in a room; the first
 * button connects, or disconnects a socket that is connected or trying to (re)connect.
 */
function render() {
  const connected = Boolean(socket && socket.connected);
  const active = Boolean(socket && (socket.active || socket.connected));
  $("connect").textContent = active ? "Disconnect" : "Connect";
  $("name").disabled = active;
  $("join").disabled = !connected;
  $("leave").disabled = !connected || !room;
  $("send").disabled = !connected || !room;
}

function setRoom(name) {
  room = name;
  if (room) document.body.dataset.room = room;
  else delete document.body.dataset.room;
  render();
}

function connect(name) {
  setRoom(null);
  setStatus("connecting…");
  const s = io("/chat", { auth: { name } });
  socket = s;
  // Events of a socket this page has since dropped (Disconnect) are ignored.
  const current = (f) => (...args) => { if (s === socket) f(...args); };
  s.on("connect", current(() => {
    setStatus(`connected as ${name}`, "online");
    render();
  }));
  s.on("connect_error", current((err) => {
    // A refusal by the server (its middleware) is final; a network error is retried.
    if (s.active) setStatus(`cannot reach the server (${err.message}), retrying…`, "error");
    else setStatus(`refused: ${err.message}`, "error");
    render();
  }));
  s.on("disconnect", current((reason) => {
    setRoom(null);
    setStatus(s.active ? `disconnected (${reason}), reconnecting…` : `disconnected (${reason})`);
    render();
  }));
  s.on("message", current((msg) => showMessage(msg)));
  s.on("joined", current(({ name, room }) => notice(`${name} joined #${room}`)));
  s.on("left", current(({ name, room }) => notice(`${name} left #${room}`)));
  render();
}

function disconnect() {
  const s = socket;
  socket = null;
  s.disconnect();
  setRoom(null);
  setStatus("disconnected");
}

function requireSocket() {
  if (socket && socket.connected) return true;
  notice("connect first");
  return false;
}

$("connect-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (socket && (socket.active || socket.connected)) disconnect();
  else connect($("name").value.trim());
});

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!requireSocket()) return;
  socket.emit("join", $("room").value.trim(), (ack) => {
    if (ack.error) return notice(`cannot join: ${ack.error}`);
    setRoom(ack.room);
    notice(`you joined #${ack.room} (${ack.members} ${ack.members === 1 ? "member" : "members"})`);
  });
});

$("leave").addEventListener("click", () => {
  if (!requireSocket() || !room) return;
  socket.emit("leave", room, (ack) => {
    notice(`you left #${ack.room}`);
    setRoom(null);
  });
});

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!requireSocket()) return;
  if (!room) return notice("join a room first");
  const msg = { room, text: $("text").value };
  socket.emit("message", msg, (ack) => {
    if (ack.ok) {
      showMessage({ name: $("name").value.trim(), ...msg }, true);
      $("text").value = "";
    } else {
      notice(`not sent: ${ack.error}`);
    }
  });
});

if (typeof io === "undefined") {
  $("missing").hidden = false;
  setStatus("the socket.io-client bundle is missing", "error");
  for (const b of document.querySelectorAll("button")) b.disabled = true;
} else {
  render();
}
