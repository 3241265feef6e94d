// The site map: an SVG plan drawn from the site file's areas and zones
// (篇3·二十二·4). Without a plan in the site file, areas are laid out in a
// grid and their zones inside them. Names are set as text nodes only.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // layout gives every area and zone a rectangle.
  function layout(site) {
    const plan = site.plan || { width: 1000, height: 600 };
    const areas = new Map(), zones = new Map();
    const n = Math.max(site.areas.length, 1), cols = Math.ceil(Math.sqrt(n * 1.6));
    const rows = Math.ceil(n / cols), cw = plan.width / cols, ch = plan.height / rows;
    site.areas.forEach((a, i) => {
      areas.set(a.id, a.map || { x: (i % cols) * cw + 6, y: Math.floor(i / cols) * ch + 6, w: cw - 12, h: ch - 12 });
    });
    const inArea = new Map();
    for (const z of site.zones) {
      if (z.map) { zones.set(z.id, z.map); continue; }
      const r = areas.get(z.area);
      if (!r) continue;
      const k = inArea.get(z.area) || 0;
      inArea.set(z.area, k + 1);
      const zh = Math.min(30, (r.h - 36) / 4);
      zones.set(z.id, { x: r.x + 6, y: r.y + 32 + k * (zh + 4), w: r.w - 12, h: zh });
    }
    return { plan, areas, zones };
  }

  // draw renders the map into svg; hot is a set of zone and area ids that
  // flash.
  function draw(svg, site, hot) {
    if (!site) return;
    const L = layout(site);
    svg.setAttribute("viewBox", `0 0 ${L.plan.width} ${L.plan.height}`);
    svg.replaceChildren();
    for (const a of site.areas) {
      const r = L.areas.get(a.id);
      const g = el("g", { "data-area": a.id, class: "area" + (hot.has("area:" + a.id) ? " flash" : "") });
      g.append(el("rect", { x: r.x, y: r.y, width: r.w, height: r.h, rx: 4 }));
      g.append(el("text", { x: r.x + 8, y: r.y + 24 }, a.name || a.id));
      svg.append(g);
    }
    for (const z of site.zones) {
      const r = L.zones.get(z.id);
      if (!r) continue;
      const g = el("g", { "data-zone": z.id, class: "zone" + (hot.has("zone:" + z.id) ? " flash" : "") });
      g.append(el("rect", { x: r.x, y: r.y, width: r.w, height: r.h, rx: 2 }));
      g.append(el("text", { x: r.x + 6, y: r.y + Math.min(r.h - 4, r.h / 2 + 7) }, z.name || z.id));
      svg.append(g);
    }
  }

  window.SiteMap = { draw };
})();
