// A debate's promises followed live (room debate-promises:<id>): every message is the
// whole list with its version; a promise logged on another console is added at the end
// of the list, a changed status is updated in place. Text goes in as text.
import { on, politely } from "./live.js";

on("debate.promises", (room, data, section) => {
  const version = Number(section.dataset.version || 0);
  if (typeof data.version === "number" && data.version < version) return; // older than the page
  section.dataset.version = String(data.version);
  section.dataset.following = "yes"; // the list came over the socket: the section is live
  const list = section.querySelector("[data-promise-list]");
  const tpl = section.querySelector("[data-promise-template]");
  if (!list || !tpl) return;
  const label = (status) => {
    const li = section.querySelector(`[data-promise-statuses] [data-status="${CSS.escape(status)}"]`);
    return li ? li.textContent : status;
  };
  let added = 0;
  for (const p of data.items || []) {
    let li = list.querySelector(`[data-promise="${p.id}"]`);
    if (!li) {
      li = tpl.content.firstElementChild.cloneNode(true);
      li.dataset.promise = String(p.id);
      li.id = `obietnica-${p.id}`;
      const a = li.querySelector("a");
      a.href = `/obietnice/${p.id}`;
      a.textContent = p.text;
      li.querySelector("[data-promise-who]").textContent = p.speaker || section.dataset.whole || "";
      list.append(li);
      added++;
    }
    const status = li.querySelector("[data-promise-status]");
    if (status) status.textContent = label(p.status);
  }
  if (added) {
    list.querySelector("[data-promise-empty]")?.remove();
    const live = section.querySelector("[data-promise-summary]");
    if (live) politely(live, (live.dataset.template || "").replace("{count}", String((data.items || []).length)));
  }
}, { state: true });

// On the console, O moves to the promise's text (as A does to the announcement).
const form = document.querySelector("[data-console] #promise-form");
if (form) {
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing || ev.key.toLowerCase() !== "o") return;
    if (ev.target.closest && ev.target.closest("input, textarea, select, [contenteditable]")) return;
    ev.preventDefault();
    const details = form.closest("details");
    if (details) details.open = true;
    form.querySelector("#promise_text")?.focus();
  });
}
