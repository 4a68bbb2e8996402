// Coalition response documents: who is on the document and which section they edit
// (reported over HTTP, pushed in the room response:<id>), a notice when someone saves a
// section, the comment form filled from a selection, and the editor's text kept in
// this browser until it is saved. Every page works without this file.
import { on, politely } from "./live.js";

const el = document.querySelector("[data-response]");
const token = () => {
  const input = document.querySelector('input[name="_csrf"]');
  return input ? input.value : "";
};

// Presence: report every 20 s (a report counts for 45 s), and leaving when the page goes.
if (el) {
  const url = `/api/v1/responses/${el.dataset.response}/presence`;
  const report = (leaving = false) => fetch(url, {
    method: "POST", credentials: "same-origin", keepalive: leaving,
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token() },
    body: JSON.stringify({ section_id: Number(el.dataset.editing || 0), leaving }),
  }).catch(() => {});
  report();
  setInterval(report, 20000);
  addEventListener("pagehide", () => report(true));
}

let said = "";
on("response.presence", (room, data, root) => {
  const me = Number(root.dataset.me || 0);
  const others = (data.present || []).filter((p) => p.user_id !== me);
  const box = root.querySelector("[data-presence]");
  const list = root.querySelector("[data-presence-list]");
  for (const tag of root.querySelectorAll("[data-section-editing]")) { tag.hidden = true; tag.textContent = ""; }
  if (!box || !list) return;
  box.hidden = others.length === 0;
  const parts = others.map((p) => {
    if (!p.section_id) return p.name;
    const section = root.querySelector(`[data-section="${p.section_id}"]`);
    const tag = section && section.querySelector("[data-section-editing]");
    if (tag) {
      tag.hidden = false;
      tag.textContent = `✎ ${tag.textContent ? tag.textContent + ", " : ""}${p.name}`;
    }
    const title = section ? section.dataset.sectionTitle : "";
    return `${p.name} (${list.dataset.labelEditing} „${title}”)`;
  });
  const text = parts.length ? `${list.dataset.labelViewing} ${parts.join(", ")}` : "";
  list.textContent = text;
  const live = root.querySelector("[data-presence-said]");
  if (live && text !== said) { said = text; politely(live, text); }
}, { state: true });

// A section saved by someone: say so (the text on screen stays until the reader reloads).
on("response.section", (room, data, root) => {
  const notice = root.querySelector("[data-changed]");
  if (!notice) return;
  if (root.dataset.editing) {
    const base = root.querySelector('input[name="base_version"]');
    if (Number(root.dataset.editing) !== data.section_id || (base && Number(base.value) >= data.version)) return;
  } else {
    const section = root.querySelector(`[data-section="${data.section_id}"]`);
    if (section && Number(section.dataset.version) >= data.version) return;
  }
  notice.textContent = (notice.dataset.label || "").replace("{title}", data.title || "");
  notice.hidden = false;
});
// Mark each open comment's passage in its section's text (when it sits in one run of
// text), linked to the comment; the comment list stays the way to reach them.
for (const li of document.querySelectorAll(".anchored-comment:not(.is-outdated):not(.is-resolved)")) {
  const quote = li.querySelector("[data-quote]");
  const text = li.closest("[data-section]")?.querySelector("[data-section-text]");
  if (!quote || !text) continue;
  const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(quote.dataset.quote);
    if (at < 0 || node.parentElement.closest("mark")) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + quote.dataset.quote.length);
    const mark = document.createElement("mark");
    mark.className = "passage";
    mark.id = `fragment-${li.id}`;
    range.surroundContents(mark);
    break;
  }
}

// Comment on a selection: the button under a section fills the comment form's section
// and passage fields and moves focus to the comment (the fields also work typed by hand).
const form = document.querySelector("[data-comment-form]");
if (form) {
  let picked = null;
  document.addEventListener("selectionchange", () => {
    const sel = document.getSelection();
    const text = sel ? sel.toString().trim() : "";
    const node = sel && sel.anchorNode;
    const section = node && (node.nodeType === 1 ? node : node.parentElement).closest("[data-section]");
    for (const b of document.querySelectorAll("[data-comment-selection]")) {
      const mine = section && section.contains(b);
      if (text && mine) { picked = { section: section.dataset.section, text }; b.hidden = false; }
    }
  });
  for (const b of document.querySelectorAll("[data-comment-selection]")) {
    b.addEventListener("click", () => {
      const section = b.closest("[data-section]");
      if (!picked || picked.section !== section.dataset.section) return;
      form.querySelector('[name="comment_section"]').value = picked.section;
      form.querySelector('[name="quote"]').value = picked.text;
      form.querySelector('[name="comment"]').focus();
    });
  }
}

// The editor's draft: kept in localStorage as they type, offered back when the page
// opens with a different text; dropped once the saved text is the draft.
const editor = document.querySelector("form[data-section-form]");
if (editor && window.localStorage) {
  const key = editor.dataset.draftKey;
  const title = editor.querySelector('[name="title"]');
  const body = editor.querySelector('[name="body"]');
  const base = editor.querySelector('[name="base_version"]');
  const savedNote = editor.querySelector("[data-draft-saved]");
  const when = (ms) => new Date(ms).toLocaleString(document.documentElement.lang || undefined,
    { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(key) || "null"); } catch { draft = null; }
  if (draft && draft.body === body.value && draft.title === title.value) {
    if (!editor.hasAttribute("data-merging")) localStorage.removeItem(key);
  } else if (draft && draft.body) {
    const notice = editor.querySelector("[data-draft-notice]");
    const text = editor.querySelector("[data-draft-text]");
    text.textContent = (text.dataset.label || "").replace("{when}", when(draft.at));
    notice.hidden = false;
    editor.querySelector("[data-draft-restore]").addEventListener("click", () => {
      title.value = draft.title;
      body.value = draft.body;
      // Based on the version it was written on: a newer save gives the merge view.
      if (draft.base) base.value = String(draft.base);
      notice.hidden = true;
      body.focus();
    });
    editor.querySelector("[data-draft-discard]").addEventListener("click", () => {
      localStorage.removeItem(key);
      notice.hidden = true;
      body.focus();
    });
  }
  let timer = 0;
  editor.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const at = Date.now();
      try {
        localStorage.setItem(key, JSON.stringify({ title: title.value, body: body.value, base: Number(base.value), at }));
        if (savedNote) savedNote.textContent = (savedNote.dataset.label || "").replace("{when}", when(at));
      } catch { /* storage full or off: the form still saves */ }
    }, 800);
  });
}
