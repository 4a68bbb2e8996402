// A proposal's support count moves in place as people support it; screen readers hear
// a short summary now and then.
import { on, politely } from "./live.js";

on("proposal.supports", (room, data, section) => {
  const count = section.querySelector("[data-supports]");
  if (count) count.textContent = String(data.supports);
  const summary = section.querySelector("[data-live-summary]");
  if (summary) politely(summary, (summary.dataset.template || "").replace("{supports}", data.supports));
}, { state: true });
