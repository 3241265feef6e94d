// The site map: an SVG plan drawn from the site file's areas and zones
// (篇3·二十二·4). Names are set as text nodes only.
//
// Legibility rules: perimeter zones with a place on the plan that are thin
// strips (a wall's sections) are drawn as wall sections, their names
// written along the wall inside the strip; areas without a place are laid
// out in a grid inside the walls, an area whose zones are all wall
// sections being the wall itself; zones without a place stack inside their
// area below its name. Every name is fitted into its own shape (smaller
// type, then cut with "…" and the full name as a tooltip), so no label
// overlaps another or is covered by a shape.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const GAP = 10; // between the walls' strips and the areas, and between areas
  const AREA_FONT = 22, ZONE_FONT = 18, MIN_FONT = 12;
  const WALL_W = 28; // a wall section is drawn at least this thick, growing inwards, to hold its name

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // isWall: a perimeter zone placed on the plan as a thin strip.
  function isWall(z) {
    const m = z.map;
    return !!m && z.kind === "perimeter" && Math.min(m.w, m.h) <= 0.15 * Math.max(m.w, m.h);
  }

  // wallRect is where a wall section is drawn: its place on the plan,
  // made WALL_W thick towards the inside of the plan if it is thinner.
  function wallRect(plan, m) {
    const r = Object.assign({}, m);
    if (m.w >= m.h && m.h < WALL_W) {
      r.h = WALL_W;
      if (m.y + m.h / 2 >= plan.height / 2) r.y = m.y + m.h - WALL_W;
    } else if (m.h > m.w && m.w < WALL_W) {
      r.w = WALL_W;
      if (m.x + m.w / 2 >= plan.width / 2) r.x = m.x + m.w - WALL_W;
    }
    return r;
  }

  // inner is the part of the plan inside the walls (their drawn rectangles).
  function inner(plan, walls) {
    let top = 0, bottom = 0, left = 0, right = 0;
    for (const m of walls) {
      if (m.w >= m.h) {
        if (m.y + m.h / 2 < plan.height / 2) top = Math.max(top, m.y + m.h);
        else bottom = Math.max(bottom, plan.height - m.y);
      } else if (m.x + m.w / 2 < plan.width / 2) left = Math.max(left, m.x + m.w);
      else right = Math.max(right, plan.width - m.x);
    }
    const x = left + GAP, y = top + GAP;
    return { x, y, w: plan.width - right - GAP - x, h: plan.height - bottom - GAP - y };
  }

  // layout gives every drawn area and every zone a rectangle.
  function layout(site) {
    const plan = site.plan || { width: 1000, height: 600 };
    const zones = new Map();
    for (const z of site.zones) if (z.map) zones.set(z.id, isWall(z) ? wallRect(plan, z.map) : z.map);
    const walls = site.zones.filter(isWall).map((z) => zones.get(z.id));
    const wallAreas = new Set(site.areas.filter((a) => {
      const zs = site.zones.filter((z) => z.area === a.id);
      return !a.map && zs.length > 0 && zs.every(isWall);
    }).map((a) => a.id));
    const box = inner(plan, walls);
    const grid = site.areas.filter((a) => !a.map && !wallAreas.has(a.id));
    const n = Math.max(grid.length, 1), cols = Math.min(n, Math.ceil(Math.sqrt(n * box.w / box.h)));
    const rows = Math.ceil(n / cols), cw = (box.w + GAP) / cols, ch = (box.h + GAP) / rows;
    const areas = new Map();
    for (const a of site.areas) if (a.map) areas.set(a.id, a.map);
    grid.forEach((a, i) => {
      areas.set(a.id, { x: box.x + (i % cols) * cw, y: box.y + Math.floor(i / cols) * ch, w: cw - GAP, h: ch - GAP });
    });
    const inArea = new Map();
    for (const z of site.zones) {
      if (z.map) continue;
      const r = areas.get(z.area);
      if (!r) continue;
      const k = inArea.get(z.area) || 0;
      inArea.set(z.area, k + 1);
      const zh = Math.min(30, (r.h - 44) / 4);
      zones.set(z.id, { x: r.x + 6, y: r.y + 40 + k * (zh + 4), w: r.w - 12, h: zh });
    }
    return { plan, areas, zones, wallAreas };
  }

  // measure is the width of text at size px in the page's font.
  let ctx2d = null;
  function measure(text, size) {
    if (!ctx2d) ctx2d = document.createElement("canvas").getContext("2d");
    const fam = getComputedStyle(document.body).fontFamily || "sans-serif";
    ctx2d.font = size + "px " + fam;
    return ctx2d.measureText(text).width;
  }

  // fit sets label's text and size so that it fits maxW × maxH: a smaller
  // type down to MIN_FONT, then the name cut with "…" (and the full name
  // as its tooltip).
  function fit(label, name, maxW, maxH, size) {
    size = Math.max(MIN_FONT, Math.min(size, maxH * 0.8));
    let text = name, w = measure(text, size);
    if (w > maxW) size = Math.max(MIN_FONT, size * maxW / w);
    while (text.length > 1 && measure(text, size) > maxW) text = text.slice(0, -2) + "…";
    label.setAttribute("font-size", size.toFixed(1));
    label.textContent = text;
    if (text !== name) label.append(el("title", {}, name));
  }

  // draw renders the map into svg; hot is a set of "zone:ID" and "area:ID"
  // that flash.
  function draw(svg, site, hot) {
    if (!site) return;
    const L = layout(site);
    svg.setAttribute("viewBox", `0 0 ${L.plan.width} ${L.plan.height}`);
    svg.replaceChildren();
    for (const a of site.areas) {
      const r = L.areas.get(a.id);
      if (!r) continue;
      const worst = ["critical", "major", "minor", "warning"].find((sev) => hot.has("sev:" + a.id + ":" + sev));
      const g = el("g", { "data-area": a.id, class: "area" + (worst ? " worst-" + worst : "") + (hot.has("area:" + a.id) ? " flash" : "") });
      if (a.link) {
        // at the group centre a site's tile leads to the site's own console
        g.classList.add("link");
        g.addEventListener("click", () => window.open(a.link, "_blank", "noopener"));
      }
      g.append(el("rect", { x: r.x, y: r.y, width: r.w, height: r.h, rx: 4 }));
      const label = el("text", { x: r.x + 8, y: r.y + 20, "dominant-baseline": "central", class: "label" });
      fit(label, a.name || a.id, r.w - 16, 32, AREA_FONT);
      g.append(label);
      if (a.note) {
        // at the group centre: the site's devices offline and faulty, on
        // the tile when it has room, as its tooltip always
        g.dataset.note = a.note;
        g.append(el("title", {}, (a.name || a.id) + " · " + a.note));
        if (r.h >= 56) {
          const note = el("text", { x: r.x + 8, y: r.y + 44, "dominant-baseline": "central", class: "note" });
          fit(note, a.note, r.w - 16, 18, MIN_FONT + 2);
          g.append(note);
        }
      }
      svg.append(g);
    }
    for (const z of site.zones) {
      const r = L.zones.get(z.id);
      if (!r) continue;
      const wall = isWall(z);
      const flash = hot.has("zone:" + z.id) || (L.wallAreas.has(z.area) && hot.has("area:" + z.area));
      const g = el("g", { "data-zone": z.id, class: "zone" + (wall ? " wall" : "") + (flash ? " flash" : "") });
      // A wall's sections are drawn a little apart, so they read as sections.
      const inset = wall ? 2 : 0, vertical = wall && r.h > r.w;
      const sx = r.x + (vertical ? 0 : inset), sy = r.y + (vertical ? inset : 0);
      const sw = r.w - (vertical ? 0 : 2 * inset), sh = r.h - (vertical ? 2 * inset : 0);
      g.append(el("rect", { x: sx, y: sy, width: sw, height: sh, rx: wall ? 1 : 2 }));
      const cx = sx + sw / 2, cy = sy + sh / 2;
      const label = el("text", { x: cx, y: cy, "text-anchor": "middle", "dominant-baseline": "central", class: "label" });
      if (vertical) {
        label.setAttribute("transform", `rotate(-90 ${cx} ${cy})`);
        fit(label, z.name || z.id, sh - 8, sw - 2, ZONE_FONT);
      } else {
        fit(label, z.name || z.id, sw - 8, sh - 2, ZONE_FONT);
      }
      g.append(label);
      svg.append(g);
    }
  }

  window.SiteMap = { draw };
})();
