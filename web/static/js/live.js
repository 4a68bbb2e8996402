// Live updates over one websocket per tab. Pages mark what they show with
// data-live-room="poll:42"; this module subscribes, applies snapshots and messages,
// reconnects with jittered backoff and resubscribes (a gap in seq means resync, except
// before a whole-state message: the server skips states a slow tab no longer needs).
const handlers = new Map(); // message type → function(room, data, element)
const states = new Set(); // message types that carry a room's whole state (tallies, counts)
const rooms = new Map(); // room → { el, seq, last }: seq of this subscription, last seen ever
const missed = new Map(); // room → function(): the page may have missed events (see watch)
let socket = null;
let attempt = 0;

// on handles a message type; state: true when each message replaces the last one
// (a tally), so a gap before it loses nothing.
export function on(type, fn, { state = false } = {}) {
  handlers.set(type, fn);
  if (state) states.add(type);
}

function subscribe(names) {
  if (socket && socket.readyState === WebSocket.OPEN && names.length) {
    socket.send(JSON.stringify({ type: "subscribe", rooms: names }));
  }
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${proto}//${location.host}/ws`);
  socket.addEventListener("open", () => {
    attempt = 0;
    for (const r of rooms.values()) r.seq = -1;
    subscribe([...rooms.keys()]);
  });
  socket.addEventListener("message", (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    const r = rooms.get(msg.room);
    if (r && msg.type === "error" && msg.code === "unavailable") { retry(msg.room, r); return; }
    if (r && msg.type === "subscribed") r.retries = 0;
    if (!r || !msg.type || msg.type === "subscribed" || msg.type === "error") return;
    if (r.seq >= 0 && msg.seq && msg.seq <= r.seq) return; // already seen
    if (r.seq >= 0 && msg.seq && msg.seq > r.seq + 1 && !states.has(msg.type)) { // missed some: resync
      r.seq = -1;
      subscribe([msg.room]);
      return;
    }
    // A snapshot newer than anything seen (or than the page itself): events came in
    // while this tab was not listening, so features that show events catch up.
    const behind = r.seq < 0 && msg.seq > r.last;
    if (msg.seq || r.seq < 0) r.seq = msg.seq || 0;
    if (msg.seq > r.last) r.last = msg.seq;
    if (behind && missed.has(msg.room)) missed.get(msg.room)();
    const fn = handlers.get(msg.type);
    if (fn) fn(msg.room, msg.data, r.el);
  });
  socket.addEventListener("close", () => {
    // Jittered exponential backoff: 0.5 s … 30 s, so a restarted server is not stormed.
    const wait = Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random());
    attempt++;
    setTimeout(connect, wait);
  });
}

// retry subscribes again after the server could not check or read the room (a busy
// database after a restart, when every tab subscribes at once): later each time, and
// spread, so the tabs do not come back together.
function retry(name, r) {
  r.retries = (r.retries || 0) + 1;
  const wait = Math.min(30000, 1000 * 2 ** Math.min(r.retries, 5)) * (0.5 + Math.random());
  setTimeout(() => { if (rooms.get(name) === r) subscribe([name]); }, wait);
}

// watch subscribes to a room without marking an element: a feature that shares a room
// with the page's own data-live-room (comments on a proposal) finds its elements itself.
// seq is the room's number when the page was rendered; onMissed runs whenever the tab
// learns that events were published which it did not receive (after the page was
// rendered, or while it was reconnecting). Call it before start().
export function watch(room, el = null, { seq = 0, onMissed = null } = {}) {
  if (!room) return;
  const r = rooms.get(room);
  if (r) r.last = Math.max(r.last, seq);
  else rooms.set(room, { el, seq: -1, last: seq });
  if (onMissed) missed.set(room, onMissed);
}

export function start() {
  for (const el of document.querySelectorAll("[data-live-room]")) {
    const r = rooms.get(el.dataset.liveRoom);
    rooms.set(el.dataset.liveRoom, { el, seq: -1, last: r ? r.last : 0 });
  }
  if (rooms.size && "WebSocket" in window) connect();
}

// politely tells screen readers a summary, at most once every few seconds.
export function politely(el, text, every = 5000) {
  const now = Date.now();
  const last = Number(el.dataset.lastSaid || 0);
  clearTimeout(el._pending);
  const say = () => { el.textContent = text; el.dataset.lastSaid = String(Date.now()); };
  if (now - last >= every) say();
  else el._pending = setTimeout(say, every - (now - last));
}

// follow starts following the room of an element drawn after start() (a poll launched
// while the page is open): it gets the room's snapshot, then its messages.
export function follow(el) {
  const room = el && el.dataset.liveRoom;
  if (!room) return;
  const r = rooms.get(room);
  rooms.set(room, { el, seq: -1, last: r ? r.last : 0 });
  if (!socket && "WebSocket" in window) connect();
  else subscribe([room]);
}
