// A poll's results move as votes arrive: bars, numbers and percentages change in
// place; screen readers hear a short summary now and then, not every tick.
import { on, politely } from "./live.js";

on("poll.tally", (room, tally, section) => {
  // Instances publish independently: never replace a newer tally with an older one.
  if (typeof tally.version === "number") {
    if (tally.version < Number(section.dataset.version ?? -1)) return;
    section.dataset.version = String(tally.version);
  }
  const totalChoices = tally.options.reduce((n, o) => n + o.votes, 0);
  const most = Math.max(1, ...tally.options.map((o) => o.votes));
  for (const o of tally.options) {
    const pct = totalChoices ? Math.round((o.votes * 100) / totalChoices) : 0;
    const width = Math.round((o.votes * 400) / most); // as the server draws it (internal/poll/pages.go)
    const bar = section.querySelector(`[data-bar="${o.id}"]`);
    if (bar) bar.setAttribute("width", String(width));
    const label = section.querySelector(`[data-bar-value="${o.id}"]`);
    if (label) {
      label.setAttribute("x", String(8 + width));
      label.textContent = `${o.votes} (${pct}%)`;
    }
    const votes = section.querySelector(`[data-votes="${o.id}"]`);
    if (votes) votes.textContent = String(o.votes);
    const percent = section.querySelector(`[data-percent="${o.id}"]`);
    if (percent) percent.textContent = String(pct);
  }
  const status = section.querySelector("[data-status]");
  const statusLabel = status && status.getAttribute(`data-status-${tally.status}`);
  if (statusLabel) status.textContent = statusLabel;
  for (const [channel, n] of Object.entries(tally.by_channel || {})) {
    const el = section.querySelector(`[data-channel="${channel}"]`);
    if (el) el.textContent = String(n);
  }
  const total = section.querySelector("[data-total]");
  if (total) total.textContent = String(tally.total);
  const summary = section.querySelector("[data-live-summary]");
  if (summary) politely(summary, (summary.dataset.template || "").replace("{total}", tally.total));
}, { state: true });
