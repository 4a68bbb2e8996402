// A debate followed live: every "debate.state" message is the whole state (item,
// speaker, timers, announcement) with its version; an older one is ignored. Timers tick
// locally from the state's clocks. On the console, forms go to the JSON API with the
// version they were based on, and keyboard shortcuts press the page's own buttons.
import { on, politely } from "./live.js";

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

// The questions (the phone's board, the console's queue): a newer version than the page
// shows offers a fresh look (the page itself stays as the server drew it).
const questionsChanged = (room, data, root) => {
  if (!root || data.version <= Number(root.dataset.version ?? 0)) return;
  for (const el of root.querySelectorAll("[data-questions-changed]")) el.hidden = false;
};
on("debate.questions", (room, data, root) => {
  if (root && data.version > Number(root.dataset.version ?? 0)) renderBoard(root, data);
}, { state: true });

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
  list.replaceChildren(...out);
  root.dataset.version = String(data.version);
}
on("debate.queue", questionsChanged, { state: true });

setInterval(() => {
  for (const root of document.querySelectorAll('[data-live-room^="debate:"]')) tick(root);
}, 500);

// The console: actions through the API (the page's forms still work without this).
const console_ = document.querySelector("[data-console]");
if (console_) {
  const problem = console_.querySelector("[data-console-problem]");
  const show = (message) => {
    problem.replaceChildren();
    if (!message) return;
    const box = document.createElement("div");
    box.className = "notice";
    const p = document.createElement("p");
    p.textContent = message;
    box.append(p);
    problem.append(box);
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
    if (cmd.action === "announce") cmd.text = String(data.get("text") || "");
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
    const button = console_.querySelector(`button[data-key="${CSS.escape(key)}"]`);
    if (button) {
      ev.preventDefault();
      button.click();
    }
  });
}
