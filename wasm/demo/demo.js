// The browser demo: the CLI demo's document (a todo list, notes and a
// counter) kept in IndexedDB, synced between the tabs of this origin and,
// when the page comes from a `converge node --serve` (or names nodes with
// `?peer=MULTIADDR`), with the native nodes over libp2p; presence (who is
// here, where their caret is), an online/offline toggle and a sync-status
// badge. `?doc=NAME` picks the document (default "demo").
import { Doc, TabSync, IndexedDbStore, Cursor } from "../pkg/index.js";

const params = new URLSearchParams(location.search);
const docId = params.get("doc") ?? "demo";
const $ = (id) => document.getElementById(id);

const store = await IndexedDbStore.open("converge-demo");
const doc = await store.load(docId);
const todos = doc.getList("todos");
const notes = doc.getText("notes");
const counter = doc.getCounter("edits seen");

const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];
const NAMES = ["otter", "heron", "lynx", "wren", "ibex", "koala", "marten", "puffin"];
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const me = { name: params.get("name") ?? `${pick(NAMES)}-${doc.replicaId.slice(-4)}`, color: pick(COLORS) };
$("who").innerHTML = `<span class="dot" style="background:${me.color}"></span>${me.name}`;

let tabs = null;
let network = null;
let shared = null; // the document on the network
let online = false;

/** The native nodes to join: `?peer=` or what the serving node says. */
async function nodeAddresses() {
  const given = params.getAll("peer");
  if (given.length > 0) return given;
  try {
    const r = await fetch("/converge.json");
    return r.ok ? (await r.json()).websocket : [];
  } catch {
    return [];
  }
}

async function goOnline() {
  online = true;
  tabs = new TabSync(doc, { channel: `converge-demo:${docId}` });
  tabs.onPresence(renderPeople);
  sharePresence();
  renderStatus();
  const peers = await nodeAddresses();
  if (peers.length === 0 || !online) return;
  const { Network } = await import("../pkg/net.js");
  const net = await Network.start({ peers });
  if (!online) return net.stop();
  network = net;
  shared = network.open(doc, docId, { sync: { summaryIntervalMs: 500, gossipGraceMs: 200 } });
  shared.onPresence(renderPeople);
  network.onChange(renderStatus);
  sharePresence();
}
async function goOffline() {
  online = false;
  tabs?.close();
  tabs = null;
  const net = network;
  network = null;
  shared = null;
  renderPeople();
  renderStatus();
  await net?.stop();
}

// --- todos ---------------------------------------------------------------
function renderTodos() {
  const ul = $("todos");
  ul.replaceChildren();
  const items = todos.toJSON();
  items.forEach((t, i) => {
    const li = document.createElement("li");
    li.className = t.done ? "done" : "";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = t.done === true;
    box.onchange = () => todos.get(i).set("done", box.checked);
    const title = document.createElement("span");
    title.textContent = t.title ?? "(untitled)";
    const tags = document.createElement("small");
    tags.textContent = (t.tags ?? []).join(" ");
    const del = document.createElement("button");
    del.textContent = "delete";
    del.onclick = () => todos.delete(i);
    li.append(box, title, tags, del);
    ul.append(li);
  });
}
$("add-todo").onsubmit = (e) => {
  e.preventDefault();
  const title = $("todo-title").value.trim();
  if (!title) return;
  doc.transact(() => {
    const todo = todos.pushMap();
    todo.set("title", `${title} (${me.name})`);
    todo.set("done", false);
    todo.getSet("tags").add("web");
    counter.increment();
  });
  $("todo-title").value = "";
};

// --- notes: local input becomes one splice; remote steps keep the caret ----
const area = $("notes");
let shown = notes.toString();
area.value = shown;
let caret = notes.cursor(0);
function rememberCaret() {
  caret = notes.cursor(area.selectionStart);
  sharePresence();
}
area.addEventListener("input", () => {
  const next = area.value;
  let start = 0;
  while (start < shown.length && start < next.length && shown[start] === next[start]) start++;
  let endOld = shown.length;
  let endNew = next.length;
  while (endOld > start && endNew > start && shown[endOld - 1] === next[endNew - 1]) {
    endOld--;
    endNew--;
  }
  shown = next;
  notes.splice(start, endOld - start, next.slice(start, endNew));
  rememberCaret();
});
for (const ev of ["keyup", "click", "select"]) area.addEventListener(ev, rememberCaret);
function renderNotes() {
  const text = notes.toString();
  if (text === shown) return;
  const focused = document.activeElement === area;
  shown = text;
  area.value = text;
  if (focused) {
    const at = notes.resolve(caret) ?? 0;
    area.setSelectionRange(at, at);
  }
}

// --- counter -----------------------------------------------------------------
$("increment").onclick = () => counter.increment();
$("decrement").onclick = () => counter.decrement();
function renderCounter() {
  $("count").textContent = String(counter.value);
}

// --- presence ----------------------------------------------------------------
function sharePresence() {
  const state = { ...me, caret: Array.from(caret.encode()) };
  tabs?.setPresence(state);
  shared?.setPresence(state);
}
function renderPeople() {
  const others = [...(tabs?.others ?? new Map()), ...(shared?.presence ?? new Map())];
  const ul = $("people");
  ul.replaceChildren();
  for (const [, p] of others) {
    if (p === null || typeof p !== "object" || typeof p.name !== "string") continue;
    const li = document.createElement("li");
    let where = "";
    try {
      const at = notes.resolve(Cursor.decode(new Uint8Array(p.caret)));
      if (at !== undefined) where = ` — caret at ${at}`;
    } catch {
      // An unreadable caret just is not shown.
    }
    const dot = document.createElement("span");
    dot.className = "dot";
    dot.style.background = String(p.color);
    li.append(dot);
    li.append(`${p.name}${where}`);
    li.dataset.name = p.name;
    ul.append(li);
  }
}

// --- status --------------------------------------------------------------------
function renderStatus() {
  const badge = $("status");
  let state;
  let label;
  const peers = [
    ...(tabs?.peers ?? []).map((p) => tabs.driver.peer.peerVersion(p)),
    ...(shared?.peers ?? []).map((p) => shared.peerVersion(p)),
  ];
  const what = `${tabs?.peers.length ?? 0} tab(s), ${shared?.peers.length ?? 0} node(s)`;
  if (tabs === null) {
    [state, label] = ["offline", "offline: edits wait here"];
  } else if (peers.length === 0) {
    [state, label] = ["alone", "online, no peer yet"];
  } else {
    const ours = JSON.stringify(Object.entries(doc.version()).sort());
    const behind = peers.filter((v) => v === undefined || JSON.stringify(Object.entries(v).sort()) !== ours);
    [state, label] = behind.length === 0 ? ["synced", `synced with ${what}`] : ["syncing", `syncing with ${what}…`];
  }
  badge.dataset.state = state;
  badge.textContent = label;
}

$("online").onchange = (e) => void (e.target.checked ? goOnline() : goOffline());

function render() {
  renderTodos();
  renderNotes();
  renderCounter();
  renderStatus();
}
doc.subscribe(render);
setInterval(renderStatus, 250);
render();
// Leaving says goodbye: others drop this page's presence at once.
addEventListener("pagehide", () => void goOffline());
await goOnline();

// For the browser tests and the curious: the live objects.
window.demo = {
  doc,
  store,
  me,
  goOnline,
  goOffline,
  get tabs() {
    return tabs;
  },
  get network() {
    return network;
  },
  get shared() {
    return shared;
  },
};
