// Comments arrive live, calmly: a new comment waits behind a "N new comments — show"
// button (with a polite announcement) and is put in place only when the reader asks,
// so nothing moves under the text being read and no form being typed in is touched.
// Author names go in as text; body_html was sanitised by the server when it was written.
// Votes are sent without leaving the page (the forms work without this file too).
import { on, politely, watch } from "./live.js";

const section = document.querySelector("[data-comments]");
if (section) enhance(section);

function enhance(section) {
  const room = section.dataset.commentsRoom;
  const lang = section.dataset.lang || "pl";
  const bar = section.querySelector("[data-comments-new]");
  const show = section.querySelector("[data-comments-show]");
  const said = section.querySelector("[data-comments-said]");
  const list = section.querySelector("[data-comment-list]");
  const count = section.querySelector("[data-comments-count]");
  const template = section.querySelector("template[data-comment-template]");
  const plural = new Intl.PluralRules(lang);
  const when = new Intl.DateTimeFormat(lang, { timeZone: "Europe/Warsaw", day: "numeric", month: "long",
    year: "numeric", hour: "2-digit", minute: "2-digit" });
  const maxDepth = Number(section.dataset.maxDepth || 4);
  const seen = new Set();
  let waiting = [];

  let lastID = Number(section.dataset.lastId || 0);
  let catching = false;
  // Comments published while this tab was not listening (the page may be a second old,
  // the socket may have dropped) are asked for and shown like live ones.
  async function catchUp() {
    if (catching || !section.dataset.commentsApi) return;
    catching = true;
    try {
      const res = await fetch(`${section.dataset.commentsApi}?since=${lastID}`, { credentials: "same-origin",
        headers: { Accept: "application/json" } });
      if (!res.ok) return;
      const page = await res.json();
      for (const c of page.items || []) arrived(c);
    } catch { /* the next reconnect tries again */ } finally {
      catching = false;
    }
  }
  watch(room, section, { seq: Number(section.dataset.seq || 0), onMissed: catchUp });

  // The button's words for each plural category ("data-label-few"; not "data-few":
  // html/template takes data-on… attributes for scripts).
  const label = (n) => {
    const cat = plural.select(n);
    const text = show.dataset["label" + cat[0].toUpperCase() + cat.slice(1)] || show.dataset.labelOther || "";
    return text.replace("{n}", String(n));
  };

  on("comment.created", (msgRoom, c) => {
    if (msgRoom === room) arrived(c);
  });

  function arrived(c) {
    if (!c) return;
    if (c.id > lastID) lastID = c.id;
    if (seen.has(c.id) || document.getElementById(`komentarz-${c.id}`)) return;
    seen.add(c.id);
    if (count) count.textContent = String(Number(count.textContent) + 1);
    if (!placeable(c)) return;
    waiting.push(c);
    show.textContent = label(waiting.length);
    bar.hidden = false;
    politely(said, label(waiting.length));
  }

  // placeable: the comment has a place on this page (its parent is here; a new thread
  // belongs on the first page, or at the end of the last one when the oldest come first).
  function placeable(c) {
    if (c.parent_id) return Boolean(document.getElementById(`komentarz-${c.parent_id}`)) || waiting.some((w) => w.id === c.parent_id);
    if (section.hasAttribute("data-later") && section.dataset.sort !== "oldest") return false;
    return !(section.dataset.sort === "oldest" && section.hasAttribute("data-has-more"));
  }

  show.addEventListener("click", () => {
    const batch = waiting;
    waiting = [];
    bar.hidden = true;
    let first = null;
    for (const c of batch) {
      const li = build(c);
      if (c.parent_id) {
        const parent = document.getElementById(`komentarz-${c.parent_id}`);
        if (!parent) continue;
        let replies = parent.querySelector(":scope > ol.comment-replies");
        if (!replies) {
          replies = document.createElement("ol");
          replies.className = "comment-replies";
          const more = parent.querySelector(":scope > .comment-more");
          parent.insertBefore(replies, more);
        }
        replies.append(li);
      } else if (section.dataset.sort === "oldest") {
        list.append(li);
      } else {
        list.prepend(li);
      }
      first = first || li;
    }
    const empty = section.querySelector("[data-comments-empty]");
    if (first && empty) empty.remove();
    list.hidden = false;
    if (first) first.focus();
  });

  function build(c) {
    const li = template.content.firstElementChild.cloneNode(true);
    const slot = (name) => li.querySelector(`[data-slot="${name}"]`);
    li.id = `komentarz-${c.id}`;
    li.dataset.comment = String(c.id);
    const heading = document.createElement(`h${Math.min(3 + (c.depth || 0), 6)}`);
    heading.className = "comment-author";
    heading.id = `komentarz-${c.id}-h`;
    heading.textContent = c.author ? c.author.display_name
      : c.channel === "paper" ? (c.author_name || template.dataset.paperAnonymous) : template.dataset.erased;
    slot("author").replaceWith(heading);
    li.querySelector("article").setAttribute("aria-labelledby", heading.id);
    const stance = section.querySelector(`template[data-stance-template="${CSS.escape(String(c.stance))}"]`);
    if (stance) slot("stance").replaceWith(stance.content.cloneNode(true));
    const time = slot("time");
    time.dateTime = c.created_at;
    time.textContent = when.format(new Date(c.created_at));
    if (c.channel === "paper") slot("paper").hidden = false;
    slot("body").innerHTML = c.body_html; // sanitised Markdown from the server
    const vote = slot("vote");
    if (vote) {
      if (c.author && String(c.author.id) === section.dataset.viewer) vote.remove();
      else vote.action = `/komentarze/${c.id}/ocena`;
    }
    const reply = slot("reply");
    if (reply) {
      if ((c.depth || 0) >= maxDepth) reply.remove();
      else reply.href = `/komentarze/${c.id}/odpowiedz`;
    }
    return li;
  }

  // A vote without leaving the page: the counts and pressed states change in place.
  section.addEventListener("submit", async (ev) => {
    const form = ev.target.closest("[data-vote-form]");
    const button = ev.submitter;
    if (!form || !button || button.name !== "value") return;
    ev.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    body.set("value", button.value);
    let votes = null;
    try {
      const res = await fetch(form.action, { method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json" } });
      if (res.ok) votes = await res.json();
    } catch { /* answered below */ }
    if (!votes) { // let the server explain on its own page
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "value";
      input.value = button.value;
      form.append(input);
      form.submit();
      return;
    }
    for (const b of form.querySelectorAll("[data-vote]")) {
      const up = b.dataset.vote === "up";
      const pressed = votes.my_vote === (up ? 1 : -1);
      b.setAttribute("aria-pressed", String(pressed));
      b.value = pressed ? "0" : (up ? "1" : "-1");
      const n = b.querySelector("[data-count]");
      if (n) n.textContent = String(up ? votes.up : votes.down);
    }
  });
}
