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

function connect(name) {
  if (socket) socket.disconnect();
  room = null;
  setStatus("connecting…");
  socket = io("/chat", { auth: { name } });
  socket.on("connect", () => setStatus(`connected as ${name}`, "online"));
  socket.on("connect_error", (err) => setStatus(`refused: ${err.message}`, "error"));
  socket.on("disconnect", (reason) => setStatus(`disconnected (${reason})`));
  socket.on("message", (msg) => showMessage(msg));
  socket.on("joined", ({ name, room }) => notice(`${name} joined #${room}`));
  socket.on("left", ({ name, room }) => notice(`${name} left #${room}`));
}

function requireSocket() {
  if (socket && socket.connected) return true;
  notice("connect first");
  return false;
}

$("connect-form").addEventListener("submit", (e) => {
  e.preventDefault();
  connect($("name").value.trim());
});

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!requireSocket()) return;
  socket.emit("join", $("room").value.trim(), (ack) => {
    if (ack.error) return notice(`cannot join: ${ack.error}`);
    room = ack.room;
    document.body.dataset.room = room;
    notice(`you joined #${ack.room} (${ack.members} ${ack.members === 1 ? "member" : "members"})`);
  });
});

$("leave").addEventListener("click", () => {
  if (!requireSocket() || !room) return;
  socket.emit("leave", room, (ack) => {
    notice(`you left #${ack.room}`);
    room = null;
    delete document.body.dataset.room;
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
}
