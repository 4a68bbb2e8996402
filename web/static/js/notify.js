// The unread count in the page header follows the person's notifications live (room
// notifications:<id>); screen readers hear a short summary when it changes, at most
// every few seconds.
import { on, politely } from "./live.js";

let shown = -1; // the version of the count on screen (counts carry one)

on("notify.unread", (room, data, link) => {
  if (typeof data.version === "number") {
    if (data.version < shown) return; // older than the count shown
    shown = data.version;
  }
  const badge = link.querySelector("[data-unread-count]");
  const number = link.querySelector("[data-unread-number]");
  if (!badge || !number) return;
  const text = String(data.unread);
  if (number.textContent === text) return;
  number.textContent = text;
  badge.hidden = data.unread === 0;
  const live = document.querySelector("[data-unread-live]");
  if (live) politely(live, (live.dataset.template || "").replace("{count}", text));
}, { state: true });
