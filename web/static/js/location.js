// The proposal form's place: "use my location" and, when the site has map tiles, a small
// map picker: a grid of tiles and a marker, no library (a whole map library would be
// several times this page's script budget for one click). The latitude and longitude
// fields stay the truth: the map writes them and follows them, and without this file
// they are the form. Tiles load only once the person opens the map.
//
// Keyboard: the arrow keys move the marker (Shift: further), + and − zoom; a polite live
// region says where the marker is. Mouse and touch: click or tap to mark, drag to move.

const TILE = 256;
const MIN_ZOOM = 11;
const MAX_ZOOM = 18;
const CENTRE = { lat: 50.0617, lon: 19.9373 }; // Rynek Główny

for (const picker of document.querySelectorAll("[data-map-picker]")) setUp(picker);

// parseCoord reads a coordinate as people type it ("50,044" too); null if none.
function parseCoord(text) {
  const s = text.trim().replace(",", ".").replace(/°$/, "");
  if (s === "") return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function setUp(picker) {
  const fields = picker.closest("[data-location-fields]");
  const latField = fields.querySelector('[data-coord="latitude"]');
  const lonField = fields.querySelector('[data-coord="longitude"]');
  const status = picker.querySelector("[data-map-status]");
  const [south, north, west, east] = picker.dataset.box.split(",").map(Number);
  const box = { south, north, west, east };
  const inside = (p) => p.lat >= south && p.lat <= north && p.lon >= west && p.lon <= east;
  let map = null; // made when the map is first opened

  picker.hidden = false;

  let timer;
  const announce = (text) => {
    clearTimeout(timer);
    timer = setTimeout(() => { status.textContent = text; }, 400);
  };

  // read is the point in the fields, or null.
  const read = () => {
    const p = { lat: parseCoord(latField.value), lon: parseCoord(lonField.value) };
    return p.lat !== null && p.lon !== null && inside(p) ? p : null;
  };

  // set writes a point into the fields and onto the map; a point outside Kraków is refused.
  const set = (p) => {
    if (!inside(p)) {
      announce(status.dataset.outside);
      return false;
    }
    latField.value = p.lat.toFixed(5);
    lonField.value = p.lon.toFixed(5);
    if (map) map.mark(read());
    announce(status.dataset.set.replace("{lat}", latField.value).replace("{lon}", lonField.value));
    return true;
  };

  picker.querySelector("[data-map-clear]").addEventListener("click", () => {
    latField.value = "";
    lonField.value = "";
    if (map) map.mark(null);
    announce(status.dataset.cleared);
  });

  for (const f of [latField, lonField]) {
    f.addEventListener("change", () => { if (map) map.mark(read(), true); });
  }

  const locate = picker.querySelector("[data-map-locate]");
  if ("geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", () => {
      navigator.geolocation.getCurrentPosition(
        (pos) => { if (set({ lat: pos.coords.latitude, lon: pos.coords.longitude }) && map) map.mark(read(), true); },
        () => announce(status.dataset.failed),
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  const open = picker.querySelector("[data-map-open]");
  if (!open) return;
  const panel = picker.querySelector("[data-map-panel]");
  open.addEventListener("click", () => {
    const show = panel.hidden;
    panel.hidden = !show;
    open.setAttribute("aria-expanded", String(show));
    if (!show) return;
    if (!map) map = makeMap(panel, picker.dataset.tiles, box, read(), set);
    else map.draw();
  });
}

// world is a point's position in pixels on the whole Web Mercator map at zoom z.
function world(p, z) {
  const n = TILE * 2 ** z;
  const sin = Math.sin(p.lat * Math.PI / 180);
  return { x: (p.lon + 180) / 360 * n, y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * n };
}

// geo is the point at world pixel (x, y) at zoom z.
function geo(x, y, z) {
  const n = TILE * 2 ** z;
  return { lat: Math.atan(Math.sinh(Math.PI * (1 - 2 * y / n))) * 180 / Math.PI, lon: x / n * 360 - 180 };
}

function makeMap(panel, url, box, start, pick) {
  const el = panel.querySelector("[data-map]");
  const layer = el.querySelector("[data-map-tiles]");
  const marker = el.querySelector("[data-map-marker]");
  const tiles = new Map();
  let point = start;
  let zoom = point ? 16 : 12;
  let { x: cx, y: cy } = world(point || CENTRE, zoom); // the view's centre, in world pixels

  // clamp keeps the view's centre over Kraków.
  const clamp = () => {
    const nw = world({ lat: box.north, lon: box.west }, zoom);
    const se = world({ lat: box.south, lon: box.east }, zoom);
    cx = Math.min(Math.max(cx, nw.x), se.x);
    cy = Math.min(Math.max(cy, nw.y), se.y);
  };

  const draw = () => {
    const w = el.clientWidth;
    const h = el.clientHeight;
    const left = cx - w / 2;
    const top = cy - h / 2;
    const wanted = new Set();
    for (let ty = Math.floor(top / TILE); ty <= Math.floor((top + h) / TILE); ty++) {
      for (let tx = Math.floor(left / TILE); tx <= Math.floor((left + w) / TILE); tx++) {
        const key = `${zoom}/${tx}/${ty}`;
        wanted.add(key);
        let img = tiles.get(key);
        if (!img) {
          img = new Image(TILE, TILE);
          img.alt = "";
          img.draggable = false;
          img.src = url.replace("{z}", zoom).replace("{x}", tx).replace("{y}", ty);
          layer.append(img);
          tiles.set(key, img);
        }
        img.style.transform = `translate(${Math.round(tx * TILE - left)}px, ${Math.round(ty * TILE - top)}px)`;
      }
    }
    for (const [key, img] of tiles) {
      if (!wanted.has(key)) {
        img.remove();
        tiles.delete(key);
      }
    }
    marker.hidden = !point;
    if (point) {
      const p = world(point, zoom);
      marker.style.transform = `translate(${Math.round(p.x - left - 12)}px, ${Math.round(p.y - top - 36)}px)`;
    }
  };

  // follow pans the view so the marker stays well inside it.
  const follow = () => {
    if (!point) return;
    const p = world(point, zoom);
    const mx = Math.max(el.clientWidth / 2 - 48, 0);
    const my = Math.max(el.clientHeight / 2 - 48, 0);
    cx = Math.min(Math.max(cx, p.x - mx), p.x + mx);
    cy = Math.min(Math.max(cy, p.y - my), p.y + my);
    clamp();
  };

  const zoomBy = (d) => {
    const z = Math.min(Math.max(zoom + d, MIN_ZOOM), MAX_ZOOM);
    cx *= 2 ** (z - zoom);
    cy *= 2 ** (z - zoom);
    zoom = z;
    clamp();
    draw();
  };

  const at = (clientX, clientY) => {
    const r = el.getBoundingClientRect();
    return geo(cx - el.clientWidth / 2 + clientX - r.left - el.clientLeft, cy - el.clientHeight / 2 + clientY - r.top - el.clientTop, zoom);
  };

  let drag = null;
  el.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    el.setPointerCapture(e.pointerId);
    drag = { x: e.clientX, y: e.clientY, cx, cy, moved: false };
  });
  el.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    if (!drag.moved) return;
    cx = drag.cx - dx;
    cy = drag.cy - dy;
    clamp();
    draw();
  });
  el.addEventListener("pointerup", (e) => {
    if (drag && !drag.moved) pick(at(e.clientX, e.clientY));
    drag = null;
  });
  el.addEventListener("pointercancel", () => { drag = null; });

  const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  el.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "+" || e.key === "=") zoomBy(1);
    else if (e.key === "-" || e.key === "_") zoomBy(-1);
    else if (steps[e.key]) {
      const [sx, sy] = steps[e.key];
      const step = e.shiftKey ? 50 : 10;
      // The first arrow puts the marker in the middle of the view; the next move it.
      const p = point ? world(point, zoom) : { x: cx - sx * step, y: cy - sy * step };
      if (pick(geo(p.x + sx * step, p.y + sy * step, zoom))) {
        follow();
        draw();
      }
    } else return;
    e.preventDefault();
  });

  for (const b of panel.querySelectorAll("[data-map-zoom]")) {
    b.addEventListener("click", () => zoomBy(Number(b.dataset.mapZoom)));
  }
  addEventListener("resize", () => { if (!panel.hidden) draw(); });

  clamp();
  draw();
  return {
    draw,
    // mark shows p (null: none); recentre moves the view to it.
    mark(p, recentre = false) {
      point = p;
      if (p && recentre) ({ x: cx, y: cy } = world(p, zoom));
      clamp();
      draw();
    },
  };
}
