// The browser demo: the CLI demo's document (a todo list, notes and a
// counter) kept in IndexedDB and synced between the tabs of this origin,
// with presence (who is here, where their caret is), an online/offline
// toggle and a sync-status badge. `?doc=NAME` picks the document.
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
function goOnline() {
  tabs = new TabSync(doc, { channel: `converge-demo:${docId}` });
  tabs.onPresence(renderPeople);
  sharePresence();
  renderStatus();
}
function goOffline() {
  tabs?.close();
  tabs = null;
  renderPeople(new Map());
  renderStatus();
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
  tabs?.setPresence({ ...me, caret: caret.encode() });
}
function renderPeople(others) {
  const ul = $("people");
  ul.replaceChildren();
  for (const [, p] of others) {
    const li = document.createElement("li");
    let where = "";
    try {
      const at = notes.resolve(Cursor.decode(p.caret));
      if (at !== undefined) where = ` — caret at ${at}`;
    } catch {
      // An unreadable caret just is not shown.
    }
    li.innerHTML = `<span class="dot" style="background:${p.color}"></span>`;
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
  if (tabs === null) {
    [state, label] = ["offline", "offline: edits wait here"];
  } else if (tabs.peers.length === 0) {
    [state, label] = ["alone", "online, no other tab"];
  } else {
    const ours = JSON.stringify(Object.entries(doc.version()).sort());
    const behind = tabs.peers.filter((p) => {
      const v = tabs.driver.peer.peerVersion(p);
      return v === undefined || JSON.stringify(Object.entries(v).sort()) !== ours;
    });
    [state, label] = behind.length === 0
      ? ["synced", `synced with ${tabs.peers.length} tab${tabs.peers.length > 1 ? "s" : ""}`]
      : ["syncing", `syncing with ${tabs.peers.length}…`];
  }
  badge.dataset.state = state;
  badge.textContent = label;
}

$("online").onchange = (e) => (e.target.checked ? goOnline() : goOffline());

function render() {
  renderTodos();
  renderNotes();
  renderCounter();
  renderStatus();
}
doc.subscribe(render);
setInterval(renderStatus, 250);
goOnline();
render();

// For the browser tests and the curious: the live objects.
window.demo = { doc, store, get tabs() { return tabs; }, me, goOnline, goOffline };
