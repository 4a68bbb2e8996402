// A debate followed live: every "debate.state" message is the whole state (item,
// speaker, timers, announcement) with its version; an older one is ignored. Timers tick
// locally from the state's clocks. On the console, forms go to the JSON API with the
// version they were based on, and keyboard shortcuts press the page's own buttons.
import { on, politely, follow } from "./live.js";

const icons = { scheduled: "○", live: "●", paused: "‖", ended: "■" };
const clock = (c, now) => c.ms + (c.since ? Math.max(0, now - Date.parse(c.since)) : 0);

function duration(ms) {
  const s = Math.floor(Math.max(0, ms) / 1000);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(s >= 3600 ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

const text = (root, sel, value) => {
  for (const el of root.querySelectorAll(sel)) el.textContent = value;
};

// tick redraws what moves with time: the speaker's timer, the item's time, the summary.
function tick(root) {
  const st = root._state;
  if (!st) return;
  const now = Date.now();
  const item = st.items.find((i) => i.id === st.current_item_id);
  text(root, "[data-debate-timer]", duration(clock(st.timer, now)));
  text(root, "[data-debate-item-time]", item ? root.dataset.itemTime
    .replace("{used}", duration(clock(st.item_clock, now)))
    .replace("{planned}", duration(item.planned_minutes * 60000)) : "");
  for (const sp of st.speakers) {
    let used = sp.used_ms;
    if (sp.id === st.current_speaker_id && st.timer.since) used += clock(st.timer, now) - st.timer.ms;
    text(root, `[data-used-speaker="${sp.id}"]`, duration(used));
  }
  for (const it of st.items) {
    text(root, `[data-used-item="${it.id}"]`, duration(it.id === st.current_item_id ? clock(st.item_clock, now) : it.used_ms));
  }
}

function apply(root, st) {
  if (st.seq < Number(root.dataset.seq ?? -1) && root._state) return; // never go back
  const before = root._state;
  root._state = st;
  root.dataset.seq = String(st.seq);
  root.dataset.following = "yes"; // the state came over the socket: the page is live
  const item = st.items.find((i) => i.id === st.current_item_id);
  const speaker = st.speakers.find((s) => s.id === st.current_speaker_id);
  const phase = root.getAttribute(`data-phase-${st.phase}`) || st.phase;
  for (const el of root.querySelectorAll("[data-debate-phase]")) {
    el.className = `tag phase-${st.phase}`;
    el.firstElementChild.textContent = icons[st.phase] || "";
    el.lastChild.textContent = ` ${phase}`;
  }
  text(root, "[data-debate-item]", item ? item.topic : root.dataset.none);
  text(root, "[data-debate-speaker]", speaker ? speaker.name : root.dataset.none);
  text(root, "[data-debate-role]", speaker ? speaker.role : "");
  for (const img of root.querySelectorAll("[data-debate-photo]")) {
    if (speaker && speaker.photo_url) img.src = speaker.photo_url;
    img.hidden = !(speaker && speaker.photo_url);
  }
  text(root, "[data-debate-timer-state]", st.timer.since ? root.dataset.running : root.dataset.stopped);
  text(root, "[data-debate-seq]", String(st.seq));
  for (const el of root.querySelectorAll("[data-debate-announcement]")) el.hidden = !st.announcement;
  text(root, "[data-debate-announcement-text]", st.announcement);
  for (const el of root.querySelectorAll("[data-expected-seq]")) el.value = String(st.seq);
  for (const el of root.querySelectorAll("[data-debate-onscreen]")) el.hidden = !st.on_screen;
  for (const el of document.querySelectorAll("[data-clear-screen]")) el.hidden = !st.on_screen; // the console's
  text(root, "[data-debate-onscreen-body]", st.on_screen ? st.on_screen.body : "");
  text(root, "[data-debate-onscreen-author]", st.on_screen ? (st.on_screen.author || root.dataset.anonymous) : "");
  for (const el of root.querySelectorAll("[data-item]")) {
    if (Number(el.dataset.item) === st.current_item_id) el.setAttribute("aria-current", "step");
    else el.removeAttribute("aria-current");
  }
  for (const el of root.querySelectorAll("[data-speaker]")) {
    if (Number(el.dataset.speaker) === st.current_speaker_id) el.setAttribute("aria-current", "true");
    else el.removeAttribute("aria-current");
  }
  pollChanged(st);
  if (before && (before.eligibility !== st.eligibility || before.phase !== st.phase)) askChanged();
  // Screen readers hear what changed that matters (not every tick of the timer).
  const said = root.querySelector("[data-debate-said]");
  if (said && before && (before.phase !== st.phase || before.current_item_id !== st.current_item_id ||
      before.current_speaker_id !== st.current_speaker_id)) {
    politely(said, root.dataset.said.replace("{phase}", phase)
      .replace("{item}", item ? item.topic : root.dataset.none)
      .replace("{speaker}", speaker ? speaker.name : root.dataset.none), 2000);
  }
  tick(root);
}

on("debate.state", (room, st, root) => { if (root) apply(root, st); }, { state: true });

// Parts of a page redrawn from the server's own rendering of it (the same page fetched
// again): the console's question queue and polls, the poll on air on the phone and the
// projector. One fetch at a time; changes meanwhile fetch once more after it.
let fetching = null;
let fetchAgain = false;
const redraws = new Set();
function redraw(fn) {
  redraws.add(fn);
  if (fetching) { fetchAgain = true; return; }
  fetching = (async () => {
    do {
      // What asked before this fetch began is drawn from it; later asks wait for the next.
      fetchAgain = false;
      const todo = [...redraws];
      redraws.clear();
      let doc = null;
      try {
        const res = await fetch(location.pathname + location.search, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (res.ok) doc = new DOMParser().parseFromString(await res.text(), "text/html");
      } catch { /* offline: the next change or reconnection tries again */ }
      if (doc) for (const f of todo) f(doc);
    } while (fetchAgain && redraws.size);
    fetching = null;
  })();
}

// syncSeq gives forms drawn from a fetched page the version the page now follows.
function syncSeq(el) {
  const root = document.querySelector('[data-live-room^="debate:"]');
  if (!root || !root._state) return;
  for (const input of el.querySelectorAll("[data-expected-seq]")) input.value = String(root._state.seq);
}

// Focus stays where it was across a redraw: the element is found again by the id of
// its nearest holder and its name and value (an approve button of question 7, say).
function focusKey() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const holder = el.closest("[id]");
  let sel = el.tagName.toLowerCase();
  if (el.name) sel += `[name="${CSS.escape(el.name)}"]`;
  if (el.tagName === "BUTTON" && el.value) sel += `[value="${CSS.escape(el.value)}"]`;
  else if (el.type === "radio" || el.type === "checkbox") sel += `[value="${CSS.escape(el.value)}"]`;
  return { el, id: holder ? holder.id : "", sel };
}
function restoreFocus(k, fallback) {
  if (!k || document.activeElement === k.el) return;
  if (k.el.isConnected) { k.el.focus({ preventScroll: true }); return; }
  const holder = k.id ? document.getElementById(k.id) : null;
  const el = holder && (holder.matches(k.sel) ? holder : holder.querySelector(k.sel));
  if (el) el.focus({ preventScroll: true });
  else if (fallback) fallback.focus({ preventScroll: true });
}

// swapQueue redraws the console's question lists from doc: unchanged questions keep
// their nodes; one being worked on (focus or an open "more" inside) keeps its forms and
// gets the new text, as long as its status is the same.
function swapQueue(doc) {
  const root = document.querySelector("[data-live-room^='debate-queue:']");
  const fresh = doc.querySelector("[data-live-room^='debate-queue:']");
  if (!root || !fresh) return;
  const k = focusKey();
  const lists = root.querySelectorAll("ol.console-questions");
  const freshLists = fresh.querySelectorAll("ol.console-questions");
  lists.forEach((list, i) => {
    const next = freshLists[i];
    if (!next) return;
    const old = new Map([...list.children].map((li) => [li.id, li]));
    const kids = [...next.children].map((li) => {
      const was = old.get(li.id);
      if (!was) return li;
      if (was.outerHTML === li.outerHTML) return was;
      if (was.contains(document.activeElement) || was.querySelector("details[open]")) {
        const ps = was.querySelectorAll(":scope > p");
        li.querySelectorAll(":scope > p").forEach((p, j) => { if (ps[j]) ps[j].replaceWith(p); });
        return was;
      }
      return li;
    });
    list.replaceChildren(...kids);
  });
  root.dataset.version = fresh.dataset.version;
  syncSeq(root);
  restoreFocus(k, root.querySelector("h2"));
}
on("debate.queue", (room, data, root) => {
  if (root && data.version > Number(root.dataset.version ?? 0)) redraw(swapQueue);
}, { state: true });

// The poll on air: its slot says which poll it draws and in which status ("id:status");
// a state naming another is drawn again from the server, and its tally followed. The
// projector shows no poll while a question is on screen (the question comes first).
function pollKey(st) {
  if (!st.poll || (st.on_screen && document.body.classList.contains("projector"))) return "";
  return `${st.poll.id}:${st.poll.status}`;
}
function pollChanged(st) {
  const slot = document.querySelector("[data-debate-poll-slot]");
  if (!slot || slot.dataset.debatePollSlot === pollKey(st)) return;
  spread(() => redraw((doc) => {
    const k = focusKey();
    const now = document.querySelector("[data-debate-poll-slot]");
    const fresh = doc.querySelector("[data-debate-poll-slot]");
    const list = doc.querySelector("[data-console-polls-list]");
    const mine = document.querySelector("[data-console-polls-list]");
    let drawn = null;
    if (list && mine) mine.replaceWith(drawn = list); // the console: the poll with its list
    else if (now && fresh) now.replaceWith(drawn = fresh);
    if (!drawn) return;
    syncSeq(drawn);
    for (const el of drawn.querySelectorAll("[data-live-room]")) follow(el);
    restoreFocus(k, null);
  }));
}

// spread runs fn at once on the console, and within a second and a half elsewhere: a
// hall of phones told of a new poll at the same moment does not fetch the page at once.
function spread(fn) {
  if (document.querySelector("[data-console]")) fn();
  else setTimeout(fn, Math.random() * 1500);
}

// askChanged redraws the phone's question form (or what is missing to ask) and the
// upvote buttons when who may take part, or the phase, changed.
function askChanged() {
  const root = document.querySelector("[data-live-room^='debate-questions:']");
  if (!root) return;
  spread(() => redraw((doc) => {
    const area = document.querySelector("[data-ask-area]");
    const fresh = doc.querySelector("[data-ask-area]");
    const froot = doc.querySelector("[data-live-room^='debate-questions:']");
    if (area && fresh && !area.contains(document.activeElement)) {
      // A question typed and left unsent survives the redraw.
      const typed = area.querySelector("textarea[name=body]"), box = fresh.querySelector("textarea[name=body]");
      if (typed && box && typed.value) box.value = typed.value;
      area.replaceWith(fresh);
    }
    if (froot) root.toggleAttribute("data-ended", froot.hasAttribute("data-ended"));
    if (root._board) renderBoard(root, root._board);
  }));
}

// The phone's ballot: through the API, the answer shown in place (the form posts
// plainly without JavaScript or when the network fails).
document.addEventListener("submit", async (ev) => {
  const form = ev.target.closest && ev.target.closest("[data-debate-poll-form]");
  if (!form) return;
  ev.preventDefault();
  const data = new FormData(form);
  const said = form.querySelector("[data-poll-voted]");
  const problem = document.querySelector("[data-poll-problem]");
  const body = await send(form.dataset.api, "POST", data, { option_ids: data.getAll("option_ids").map(Number) });
  if (!body) { form.submit(); return; }
  problem.replaceChildren();
  if (body.ok) said.textContent = said.dataset.text;
  else { said.textContent = ""; notice(problem, body.message); }
});

// send posts JSON with the form's CSRF token; null when the network failed.
async function send(url, method, data, payload) {
  try {
    const res = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": String(data.get("_csrf")) },
      body: JSON.stringify(payload),
    });
    const body = await res.json().catch(() => ({}));
    return { ok: res.ok, body, message: body.error ? body.error.message : String(res.status) };
  } catch {
    return null;
  }
}

function notice(box, message) {
  const div = document.createElement("div");
  div.className = "notice";
  const p = document.createElement("p");
  p.textContent = message;
  div.append(p);
  box.append(div);
}

on("debate.questions", (room, data, root) => {
  if (root && data.version > Number(root.dataset.version ?? 0)) renderBoard(root, data);
}, { state: true });

// The phone's upvotes: through the API, the board redrawn in place with focus kept on
// the question's button.
document.addEventListener("submit", async (ev) => {
  const root = ev.target.closest && ev.target.closest("[data-live-room^='debate-questions:']");
  const li = ev.target.closest && ev.target.closest("[data-question]");
  if (!root || !li || !root._board) return;
  ev.preventDefault();
  const form = ev.target;
  const data = new FormData(form);
  if (ev.submitter && ev.submitter.name) data.set(ev.submitter.name, ev.submitter.value);
  const id = Number(li.dataset.question);
  const undo = data.get("undo") === "yes";
  const res = await send(`${root.dataset.api}/${id}/vote`, undo ? "DELETE" : "POST", data, {});
  if (!res) { form.submit(); return; }
  const problem = root.querySelector("[data-questions-problem]");
  problem.replaceChildren();
  if (!res.ok) { notice(problem, res.message); return; }
  const voted = new Set((root.dataset.voted || "").split(/\s+/).filter(Boolean));
  if (res.body.voted) voted.add(String(id)); else voted.delete(String(id));
  root.dataset.voted = [...voted].join(" ");
  const q = root._board.items.find((x) => x.id === id);
  if (q) q.votes = res.body.votes;
  renderBoard(root, root._board);
  root.querySelector(`#pytanie-${id} form button`)?.focus({ preventScroll: true });
});

// renderBoard redraws the phone's approved questions from the template the server drew
// in the page's language; user text goes in as text. Upvotes stay plain forms.
function renderBoard(root, data) {
  const list = root.querySelector("[data-question-list]");
  const tpl = root.querySelector("template[data-question-template]");
  if (!list || !tpl) return;
  const ids = (s) => new Set((s || "").split(/\s+/).filter(Boolean).map(Number));
  const voted = ids(root.dataset.voted);
  const own = ids(root.dataset.own);
  const items = [...data.items];
  if (root.dataset.order === "czas") items.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  const plural = new Intl.PluralRules(document.documentElement.lang || "pl");
  const out = items.map((q) => {
    const li = tpl.content.firstElementChild.cloneNode(true);
    li.id = `pytanie-${q.id}`;
    li.dataset.question = String(q.id);
    li.classList.toggle("starred", q.starred);
    li.querySelector("[data-q-star]").hidden = !q.starred;
    li.querySelector("[data-q-body]").textContent = q.body;
    li.querySelector("[data-q-edited]").hidden = !q.edited;
    li.querySelector("[data-q-author]").textContent = q.author || root.dataset.anonymous;
    const cat = plural.select(q.votes);
    const words = root.dataset[`votes${cat[0].toUpperCase()}${cat.slice(1)}`] || root.dataset.votesOther;
    li.querySelector("[data-q-votes]").textContent = words.replace(/\d+/, String(q.votes));
    for (const el of li.querySelectorAll("[data-q-label]")) el.textContent = `: ${q.body}`;
    const form = li.querySelector("form");
    if (own.has(q.id) || root.hasAttribute("data-ended")) form.remove();
    else {
      form.action = `${root.dataset.votePath}/${q.id}/glos`;
      li.querySelector(voted.has(q.id) ? "[data-q-up]" : "[data-q-undo]").remove();
    }
    if (!own.has(q.id)) li.querySelector("[data-q-own]").remove();
    return li;
  });
  if (!out.length) {
    const li = document.createElement("li");
    li.className = "meta";
    li.textContent = root.dataset.empty;
    out.push(li);
  }
  const k = focusKey();
  list.replaceChildren(...out);
  root.dataset.version = String(data.version);
  root._board = data;
  if (k && k.el !== document.activeElement && k.id.startsWith("pytanie-")) {
    root.querySelector(`#${CSS.escape(k.id)} form button`)?.focus({ preventScroll: true });
  }
}

setInterval(() => {
  for (const root of document.querySelectorAll('[data-live-room^="debate:"]')) tick(root);
}, 500);

// The console: actions through the API (the page's forms still work without this).
const console_ = document.querySelector("[data-console]");
if (console_) {
  const problem = console_.querySelector("[data-console-problem]");
  const show = (message) => {
    problem.replaceChildren();
    if (message) notice(problem, message);
  };
  console_.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (form.hasAttribute("data-plain")) return; // question moderation: a plain form
    const data = new FormData(form);
    if (ev.submitter && ev.submitter.name) data.set(ev.submitter.name, ev.submitter.value);
    const confirmText = ev.submitter && ev.submitter.dataset.confirm;
    if (confirmText && !window.confirm(confirmText)) { ev.preventDefault(); return; }
    ev.preventDefault();
    const cmd = { action: data.get("action"), expected_seq: Number(data.get("expected_seq")) };
    if (data.get("item_id")) cmd.item_id = Number(data.get("item_id"));
    if (data.get("speaker_id")) cmd.speaker_id = Number(data.get("speaker_id"));
    if (data.get("question_id")) cmd.question_id = Number(data.get("question_id"));
    if (data.get("poll_id")) cmd.poll_id = Number(data.get("poll_id"));
    if (data.has("text")) cmd.text = String(data.get("text") || "");
    let res;
    try {
      res = await fetch(console_.dataset.console, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": String(data.get("_csrf")) },
        body: JSON.stringify(cmd),
      });
    } catch {
      // The network failed: let the plain form try (with the pressed button's value).
      if (ev.submitter && ev.submitter.name) {
        const hidden = Object.assign(document.createElement("input"), { type: "hidden", name: ev.submitter.name, value: ev.submitter.value });
        form.append(hidden);
      }
      form.submit();
      return;
    }
    const body = await res.json().catch(() => ({}));
    if (res.ok && body.state) {
      show("");
      apply(console_, body.state);
    } else {
      show(body.error ? body.error.message : String(res.status));
    }
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    const t = ev.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    const key = ev.key.toLowerCase();
    if (key === "a") {
      ev.preventDefault();
      console_.querySelector("#text")?.focus();
      return;
    }
    if (key === "w") {
      ev.preventDefault();
      const more = console_.querySelector(".console-new-poll");
      if (more) more.open = true;
      console_.querySelector("#question")?.focus();
      return;
    }
    const button = console_.querySelector(`button[data-key="${CSS.escape(key)}"]`);
    if (button) {
      ev.preventDefault();
      button.click();
    }
  });
}
