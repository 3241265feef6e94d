// The operator console. It learns everything from the JSON API and the
// event stream (docs/alarm-api.md). Every string that comes from a device,
// the site file or a rule is inserted with textContent, never as HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SEV = { critical: 0, major: 1, minor: 2, warning: 3 };
  const STALE_AFTER_MS = 12000; // two missed 5 s pings
  const SILENCE_MS = 5 * 60 * 1000;

  const S = {
    lang: localStorage.getItem("facmon.lang") || "zh",
    session: null, site: null,
    alarms: new Map(), arrival: 0,
    devices: new Map(), zones: null,
    es: null, lastEventID: "", lastEventAt: 0, connected: false,
    audio: null, osc: null, gain: null, silencedUntil: 0, beepOn: false,
    popupID: null, lastInput: Date.now(), locked: false, tab: "alarms",
  };
  window.facmon = S; // for the browser tests and for a curious operator

  // ---- words ---------------------------------------------------------------
  function t(key, vars) {
    let s = (I18N[S.lang] && I18N[S.lang][key]) || I18N.zh[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace("{" + k + "}", String(v));
    return s;
  }
  function applyLang() {
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
    $("lang").textContent = S.lang === "zh" ? "English" : "中文";
    renderAll();
  }

  // ---- small DOM helpers ---------------------------------------------------
  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) td.className = cls;
    tr.append(td);
    return td;
  }
  function button(label, onClick, cls) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (cls) b.className = cls;
    b.addEventListener("click", onClick);
    return b;
  }
  // Times are shown in the site's time zone (the site file's timezone),
  // whatever the zone of the browser's machine.
  const fmtCache = new Map();
  function formatter(opts) {
    const zone = (S.site && S.site.timezone) || undefined;
    const key = S.lang + "|" + zone + "|" + JSON.stringify(opts);
    let f = fmtCache.get(key);
    if (!f) {
      const locale = S.lang === "zh" ? "zh-CN" : "en-GB";
      try { f = new Intl.DateTimeFormat(locale, Object.assign({ timeZone: zone }, opts)); }
      catch (e) { f = new Intl.DateTimeFormat(locale, opts); } // a zone this browser does not know
      fmtCache.set(key, f);
    }
    return f;
  }
  function fmtTime(s) {
    if (!s) return "";
    const d = new Date(s);
    return isNaN(d) ? "" : formatter({ hour12: false, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(d);
  }
  // siteTimeToISO reads a datetime-local input's "YYYY-MM-DDTHH:MM" as a
  // time in the site's zone.
  function siteTimeToISO(v) {
    const naive = Date.parse(v + "Z");
    if (isNaN(naive)) return "";
    const f = formatter({ hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    const offset = (ms) => {
      const p = {};
      for (const x of f.formatToParts(new Date(ms))) p[x.type] = Number(x.value);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second) - ms;
    };
    let ms = naive - offset(naive);
    ms = naive - offset(ms); // across a change of offset
    return new Date(ms).toISOString();
  }
  function fmtValue(v) {
    if (v === null || v === undefined) return "";
    return typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v);
  }
  function deviceName(id) {
    const d = S.devices.get(id) || (S.site && S.site.devices.find((x) => x.id === id));
    return d && d.name ? d.name : id;
  }
  function areaName(id) {
    const a = S.site && S.site.areas.find((x) => x.id === id);
    return a && a.name ? a.name : id || "";
  }
  function zoneOf(a) {
    if (!S.site) return null;
    const id = a.zone;
    return S.site.zones.find((z) => (id ? z.id === id : (z.devices || []).includes(a.device))) || null;
  }
  function unacked(a) { return a.state === "active-unacknowledged" || a.state === "cleared-unacknowledged"; }
  function loud(a) { return unacked(a) && (a.severity === "critical" || a.severity === "major") && !a.shelved_until && !a.out_of_service; }

  // ---- API -----------------------------------------------------------------
  async function api(method, path, body) {
    const h = { "Accept": "application/json" };
    if (method !== "GET") {
      h["Content-Type"] = "application/json";
      if (S.session && S.session.csrf) h["X-CSRF-Token"] = S.session.csrf;
    }
    let r;
    try {
      r = await fetch(path, { method, headers: h, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      return { ok: false, status: 0, data: { error: String(e) } };
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.status === 401 && path !== "/api/v1/session/login" && path !== "/api/v1/session/unlock") showLogin();
    if (r.status === 423) setLocked(true);
    return { ok: r.ok, status: r.status, data: data || {} };
  }
  function explain(res) {
    if (res.status === 423) return t("err.locked");
    if (res.status === 403) return t("err.forbidden") + " (" + (res.data.error || "") + ")";
    return t("err.failed") + (res.data.error || res.status);
  }
  async function act(method, path, body) {
    const res = await api(method, path, body);
    if (!res.ok) window.alert(explain(res));
    return res;
  }

  // ---- login, session, idle lock ------------------------------------------
  function showLogin() {
    $("app").hidden = true;
    $("login").hidden = false;
    document.body.classList.remove("booting");
    $("login-user").focus();
  }
  async function login(ev) {
    ev.preventDefault();
    startAudio(); // a click: browsers allow sound from here on
    const res = await api("POST", "/api/v1/session/login", { user: $("login-user").value, password: $("login-password").value });
    $("login-password").value = "";
    if (!res.ok) { $("login-error").textContent = res.data.error || String(res.status); return; }
    $("login-error").textContent = "";
    S.session = res.data;
    boot();
  }
  function setLocked(on) {
    S.locked = on;
    $("locked").hidden = !on;
    document.body.classList.toggle("is-locked", on);
  }
  async function unlock(ev) {
    ev.preventDefault();
    const res = await api("POST", "/api/v1/session/unlock", { password: $("unlock-password").value });
    $("unlock-password").value = "";
    if (!res.ok) { $("unlock-error").textContent = res.data.error || String(res.status); return; }
    $("unlock-error").textContent = "";
    S.lastInput = Date.now();
    setLocked(false);
  }
  function watchPresence() {
    for (const ev of ["mousemove", "keydown", "click", "touchstart"]) {
      document.addEventListener(ev, () => { S.lastInput = Date.now(); }, { passive: true });
    }
    let reported = Date.now(), asking = false;
    setInterval(async () => {
      if (!S.session || S.session.via !== "session") return;
      const idle = (S.session.idle_lock_seconds || 0) * 1000, now = Date.now();
      if (idle > 0 && now - S.lastInput >= idle) {
        // The server owns the lock. It counts presence when a request
        // reaches it (the login, the last activity report), which on a busy
        // server is later than the input here: show the lock only once the
        // server has it, so a console showing the lock refuses every action.
        if (S.locked || asking) return;
        asking = true;
        const res = await api("GET", "/api/v1/session");
        asking = false;
        if (res.ok && res.data.locked) setLocked(true);
        return;
      }
      // Tell the server the operator is here, at most every 30 s (or
      // sooner when the lock is short).
      if (!S.locked && S.lastInput > reported && now - reported >= Math.min(30000, idle / 3 || 30000)) {
        reported = now;
        api("POST", "/api/v1/session/activity");
      }
    }, 1000);
  }

  // ---- event stream and the stale-display guard ----------------------------
  function connect() {
    if (S.es) S.es.close();
    const q = S.lastEventID ? "?last_event_id=" + encodeURIComponent(S.lastEventID) : "";
    const es = new EventSource("/api/v1/events" + q);
    S.es = es;
    es.onopen = () => { S.lastEventAt = Date.now(); setConnected(true); };
    es.onerror = () => {
      setConnected(false);
      if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (S.es === es) reconnect(); }, 1000);
    };
    const seen = (e) => { S.lastEventAt = Date.now(); if (e.lastEventId) S.lastEventID = e.lastEventId; setConnected(true); };
    es.addEventListener("ping", seen);
    es.addEventListener("alarm", (e) => { seen(e); onTransition(JSON.parse(e.data)); });
    es.addEventListener("device", (e) => { seen(e); onDevice(JSON.parse(e.data)); });
    es.addEventListener("reset", (e) => { seen(e); loadAlarms(); loadDevices(); });
  }
  async function reconnect() {
    const res = await api("GET", "/api/v1/session");
    if (res.ok) { S.session = res.data; connect(); loadAlarms(); }
    else if (res.status !== 401) setTimeout(reconnect, 1000);
  }
  function setConnected(ok) {
    S.connected = ok;
    $("stale").hidden = ok;
    document.body.classList.toggle("is-stale", !ok);
    $("conn").textContent = t(ok ? "conn.ok" : "conn.lost");
    $("conn").className = "conn " + (ok ? "ok" : "lost");
  }
  function watchStale() {
    setInterval(() => {
      if (S.es && S.connected && Date.now() - S.lastEventAt > STALE_AFTER_MS) {
        setConnected(false);
        reconnect();
      }
    }, 1000);
  }

  // ---- alarms --------------------------------------------------------------
  function onTransition(tr) {
    for (const seen of boardReads) seen.push(tr);
    applyTransition(tr);
    if (tr.to !== "normal" && tr.change === "raise" && (tr.severity === "critical" || tr.severity === "major")) {
      S.silencedUntil = 0; // a new alarm sounds again
      showPopup(S.alarms.get(tr.id));
    }
    if (S.popupID === tr.id && tr.to !== "active-unacknowledged") hidePopup();
    scheduleRender();
  }
  // applyTransition puts a transition into the list, nothing else (no popup).
  // A transition carries the alarm's lifecycle marks as they are now: a
  // mark it leaves out is gone (unshelved, back in service).
  function applyTransition(tr) {
    if (tr.to === "normal") { S.alarms.delete(tr.id); return; }
    const old = S.alarms.get(tr.id);
    const marks = { shelved_until: undefined, out_of_service: false, latched: false, notes: undefined, resolution: undefined };
    const a = Object.assign({}, old || {}, marks, tr, { state: tr.to, _seq: old ? old._seq : ++S.arrival });
    if (tr.change === "ack") { a.acked_by = tr.by; a.acked_at = tr.time; }
    if (tr.change === "raise") a.raise_value = tr.value;
    S.alarms.set(tr.id, a);
  }
  // The transitions that came over the stream while the board was being
  // read, one list per read: the board may be older than them (read before
  // they happened, applied after), so they are applied again on top of it.
  const boardReads = new Set();
  async function loadAlarms() {
    const seen = [];
    boardReads.add(seen);
    const res = await api("GET", "/api/v1/alarms");
    boardReads.delete(seen);
    if (!res.ok) return;
    const next = new Map();
    for (const a of res.data.alarms || []) {
      const old = S.alarms.get(a.id);
      next.set(a.id, Object.assign(a, { _seq: old ? old._seq : ++S.arrival }));
    }
    S.alarms = next;
    for (const tr of seen) applyTransition(tr);
    scheduleRender();
  }
  function sorted() {
    for (const a of S.alarms.values()) if (a._since === undefined) a._since = Date.parse(a.active_since) || 0;
    return [...S.alarms.values()].sort((a, b) =>
      (unacked(b) - unacked(a)) ||
      ((SEV[a.severity] ?? 9) - (SEV[b.severity] ?? 9)) ||
      (b._since - a._since) ||
      (a._seq - b._seq));
  }
  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    queueMicrotask(() => { renderQueued = false; renderAlarms(); updateSound(); });
  }

  // ---- the alarm list ---------------------------------------------------------
  // One <tr> per alarm id, built once and then updated in place, cell by
  // cell, so a re-render never replaces the element under the operator's
  // pointer. While the pointer is over the list (and has moved in the last
  // HOLD_MS, or a button is down) rows also keep their places: new alarms,
  // rows that went back to normal and re-sorting wait until it leaves, and
  // the count says how many are waiting. A row's buttons act on the alarm
  // of their row (one delegated handler), so they stay valid as it changes.
  const HOLD_MS = 4000;
  const hold = { over: false, down: false, at: 0, timer: 0 };
  const rows = new Map(); // alarm id → row (see newRow)
  function holding() { return hold.over && (hold.down || Date.now() - hold.at < HOLD_MS); }
  function pointed(ev) {
    hold.over = ev.type !== "pointerleave";
    if (ev.type === "pointerdown") hold.down = true;
    if (ev.type === "pointerup" || ev.type === "pointerleave") hold.down = false;
    hold.at = Date.now();
    clearTimeout(hold.timer);
    if (hold.over) hold.timer = setTimeout(scheduleRender, HOLD_MS + 50);
    else scheduleRender();
  }
  // At the group centre (S.site.group) the map's areas are the sites:
  // an alarm's place starts with its site, and the site filter narrows
  // the list to one site.
  function placeOf(a, z) {
    const here = z ? z.name : (S.site && S.site.group ? a.area || "" : areaName(a.area));
    return S.site && S.site.group ? [areaName(a.site), here].filter(Boolean).join(" · ") : here;
  }
  function inSiteFilter(a) {
    const f = $("site-filter");
    return !f || !f.value || a.site === f.value;
  }
  function renderAlarms() {
    const list = sorted().filter(inSiteFilter);
    const u = list.filter(unacked).length;
    const shown = grouped(list);
    const on = new Set(shown.map((a) => a.id));
    for (const a of shown) fillRow(rows.get(a.id) || newRow(a.id), a);
    let waiting = 0;
    if (holding()) {
      for (const [id, r] of rows) if (!S.alarms.has(id)) fillGone(r);
      for (const a of shown) if (!rows.get(a.id).tr.isConnected) waiting++;
    } else {
      for (const [id, r] of rows) if (!on.has(id)) { r.tr.remove(); rows.delete(id); }
      placeRows($("alarm-rows"), shown.map((a) => rows.get(a.id).tr));
    }
    $("alarm-count").textContent = t("count", { u, n: list.length }) + (waiting ? " · " + t("waiting", { n: waiting }) : "");
    drawMaps();
  }
  // Repeated occurrences of one rule on one device (a chattering zone) are
  // one row (ISA-18.2, EEMUA 191): the newest occurrence, with a count
  // that opens the list of the others under it. Acknowledging the row
  // acknowledges every occurrence waiting for it.
  const opened = new Set(); // groups the operator opened, by groupKey
  function groupKey(a) { return (a.site || "") + "\u0000" + a.rule + "\u0000" + a.device; } // one site's device, also at the centre
  // grouped returns what the list shows, in list order: one head per
  // group (its newest occurrence; a._group lists all, newest first, when
  // there are several), followed by its other occurrences when opened.
  function grouped(list) {
    const groups = new Map();
    for (const a of list) {
      const g = groups.get(groupKey(a));
      if (g) g.push(a); else groups.set(groupKey(a), [a]);
    }
    const out = [];
    for (const a of list) {
      const g = groups.get(groupKey(a));
      if (!g) continue;
      groups.delete(groupKey(a));
      g.sort((x, y) => y._since - x._since);
      g.forEach((m, i) => { m._group = i === 0 && g.length > 1 ? g : null; m._member = i > 0; });
      out.push(g[0]);
      if (opened.has(groupKey(a))) out.push(...g.slice(1));
    }
    return out;
  }
  // waiting ids: the alarms a row's ack or selection stands for.
  function ackIDs(a) { return a._group ? a._group.filter(unacked).map((m) => m.id) : [a.id]; }
  function anyUnacked(a) { return a._group ? a._group.some(unacked) : unacked(a); }
  // placeRows puts the rows in order, moving only those out of place.
  function placeRows(body, want) {
    const keep = new Set(want);
    for (const tr of [...body.children]) if (!keep.has(tr)) tr.remove();
    want.forEach((tr, i) => { if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null); });
  }
  // newRow builds the empty row of an alarm: its cells are filled by fillRow.
  function newRow(id) {
    const tr = document.createElement("tr");
    tr.dataset.id = id;
    const pick = document.createElement("input");
    pick.type = "checkbox";
    pick.className = "pick";
    const td = document.createElement("td");
    td.append(pick);
    tr.append(td);
    const c = {
      sev: cell(tr, "", "sev"), time: cell(tr, "", "time"), place: cell(tr, ""), device: cell(tr, "", "device"),
      message: cell(tr, "", "message"), value: cell(tr, ""), state: cell(tr, "", "state"),
    };
    c.timeText = document.createElement("span");
    c.count = document.createElement("button");
    c.count.type = "button";
    c.count.className = "count";
    c.count.dataset.action = "open";
    c.count.hidden = true;
    c.time.append(c.timeText, c.count);
    c.stateText = document.createElement("span");
    c.note = document.createElement("div");
    c.note.className = "note";
    c.state.append(c.stateText, c.note);
    c.actions = document.createElement("td");
    c.actions.className = "actions";
    tr.append(c.actions);
    const r = { tr, pick, c, actionsKey: "" };
    rows.set(id, r);
    return r;
  }
  function setText(e, text) {
    text = text == null ? "" : String(text);
    if (e.textContent !== text) e.textContent = text;
  }
  // fillRow shows alarm a in its row, changing only what differs.
  function fillRow(r, a) {
    const cls = "sev-" + a.severity + (anyUnacked(a) ? " unacked" : "") + (a._group ? " group" : "") + (a._member ? " occurrence" : "");
    if (r.tr.className !== cls) r.tr.className = cls;
    r.pick.disabled = !anyUnacked(a);
    if (r.pick.disabled) r.pick.checked = false;
    const z = zoneOf(a);
    setText(r.c.sev, t("sev." + a.severity));
    setText(r.c.timeText, fmtTime(a.active_since));
    r.c.count.hidden = !a._group;
    setText(r.c.count, a._group ? "×" + a._group.length : "");
    r.c.count.title = a._group ? t("occurrences", { n: a._group.length }) : "";
    setText(r.c.place, placeOf(a, z));
    setText(r.c.device, deviceName(a.device));
    setText(r.c.message, a.message);
    setText(r.c.value, fmtValue(a.value));
    setText(r.c.stateText, stateText(a));
    const last = a.notes && a.notes.length ? a.notes[a.notes.length - 1] : null;
    setText(r.c.note, last ? t("notes") + " (" + a.notes.length + "): " + last.by + " — " + last.text : "");
    const key = actionsKey(a);
    if (r.actionsKey !== key) {
      r.actionsKey = key;
      r.c.actions.replaceChildren(...actionButtons(a));
    }
  }
  // fillGone marks the row of an alarm that went back to normal while the
  // list was held.
  function fillGone(r) {
    if (r.tr.classList.contains("gone")) return;
    r.tr.className = "gone";
    r.pick.checked = false;
    r.pick.disabled = true;
    setText(r.c.stateText, t("state.normal"));
    r.actionsKey = "gone";
    r.c.actions.replaceChildren();
  }
  function stateText(a) {
    let st = t("state." + a.state);
    if (a.acked_by) st += " (" + a.acked_by + ")";
    if (a.shelved_until) st += " · " + t("shelved") + " " + fmtTime(a.shelved_until);
    if (a.out_of_service) st += " · " + t("oos");
    if (a.resolution) st += " · " + t("resolved") + ": " + a.resolution;
    return st;
  }
  function alarmPath(a, what) { return "/api/v1/alarms/" + encodeURIComponent(a.id) + "/" + what; }
  function engineer() { return !!S.session && (S.session.role === "engineer" || S.session.role === "admin"); }
  // actionNames are the buttons alarm a's row offers, in order.
  function actionNames(a) {
    const out = [];
    if (anyUnacked(a)) out.push("ack");
    out.push("note", "resolve");
    if (engineer()) out.push(a.shelved_until ? "unshelve" : "shelve");
    if (a.latched) out.push("reset");
    return out;
  }
  function actionsKey(a) { return actionNames(a).join(" ") + "|" + S.lang; }
  function actionButtons(a) {
    return actionNames(a).map((name) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = name;
      b.dataset.action = name;
      b.textContent = t(name);
      return b;
    });
  }
  // ACTIONS run a row's button on the alarm as it is now.
  const ACTIONS = {
    ack: (a) => a._group ? act("POST", "/api/v1/alarms/ack", { ids: ackIDs(a) }) : act("POST", alarmPath(a, "ack"), {}),
    open: (a) => {
      const k = groupKey(a);
      if (!opened.delete(k)) opened.add(k);
      hold.at = 0; // the operator asked: show the occurrences now
      scheduleRender();
    },
    note: async (a) => {
      const v = await ask(t("note"), [{ name: "text", label: t("note.text") }]);
      if (v) act("POST", alarmPath(a, "note"), { text: v.text });
    },
    resolve: async (a) => {
      const v = await ask(t("resolve"), [{ name: "result", label: t("resolve.result") }, { name: "note", label: t("note.text"), optional: true }]);
      if (v) act("POST", alarmPath(a, "resolve"), v);
    },
    shelve: async (a) => {
      const v = await ask(t("shelve"), [{ name: "reason", label: t("shelve.reason") }, { name: "minutes", label: t("shelve.minutes"), type: "number", value: "60" }]);
      if (v) act("POST", alarmPath(a, "shelve"), { reason: v.reason, minutes: Number(v.minutes) });
    },
    unshelve: (a) => act("POST", alarmPath(a, "unshelve"), {}),
    reset: (a) => act("POST", alarmPath(a, "reset"), {}),
  };
  function onRowClick(ev) {
    const b = ev.target.closest("button[data-action]");
    const tr = b && b.closest("tr");
    const a = tr && S.alarms.get(tr.dataset.id);
    if (a && ACTIONS[b.dataset.action]) ACTIONS[b.dataset.action](a);
  }
  async function ackSelected() {
    const ids = [...new Set([...document.querySelectorAll("#alarm-rows input.pick:checked")].flatMap((b) => {
      const a = S.alarms.get(b.closest("tr").dataset.id);
      return a ? ackIDs(a) : [];
    }))];
    if (ids.length) await act("POST", "/api/v1/alarms/ack", { ids });
    $("select-all").checked = false;
  }

  // ---- sound (Web Audio) ----------------------------------------------------
  function startAudio() {
    if (S.audio) { S.audio.resume(); return; }
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    S.audio = new Ctx();
    S.gain = S.audio.createGain();
    S.gain.gain.value = 0;
    S.osc = S.audio.createOscillator();
    S.osc.type = "square";
    S.osc.frequency.value = 880;
    S.osc.connect(S.gain).connect(S.audio.destination);
    S.osc.start();
    setInterval(beep, 400);
  }
  function beep() {
    if (!S.gain) return;
    S.beepOn = !S.beepOn && document.body.dataset.sound === "on";
    S.gain.gain.setValueAtTime(S.beepOn ? 0.15 : 0, S.audio.currentTime);
  }
  function soundWanted() {
    if (Date.now() < S.silencedUntil) return false;
    for (const a of S.alarms.values()) if (loud(a)) return true;
    return false;
  }
  function updateSound() {
    const on = soundWanted();
    document.body.dataset.sound = on ? "on" : "off";
    $("silence").textContent = Date.now() < S.silencedUntil ? t("silenced") : t("silence");
    if (!S.audio) startAudio();
    if (!S.audio) return;
    if (on && S.audio.state !== "running") S.audio.resume();
    if (!on && S.audio.state === "running") S.audio.suspend();
  }

  // ---- popup and map --------------------------------------------------------
  function showPopup(a) {
    S.popupID = a.id;
    const z = zoneOf(a);
    $("p-zone").textContent = z ? z.name : areaName(a.area);
    $("p-type").textContent = a.message || a.rule;
    $("p-device").textContent = deviceName(a.device);
    $("p-value").textContent = fmtValue(a.value);
    $("p-time").textContent = fmtTime(a.time);
    $("p-details").textContent = z ? [z.household, areaName(z.area)].filter(Boolean).join(" · ") : areaName(a.area);
    $("p-action").textContent = a.action || "";
    const cam = $("p-camera");
    const url = z && z.camera && /^https?:\/\//i.test(z.camera) ? z.camera : "";
    cam.textContent = url;
    if (url) cam.setAttribute("href", url); else cam.removeAttribute("href");
    $("popup").hidden = false;
    drawMaps();
  }
  function hidePopup() { S.popupID = null; $("popup").hidden = true; }
  function hotSet(list) {
    const hot = new Set();
    for (const a of list) {
      if (!a || a.state !== "active-unacknowledged") continue;
      const z = zoneOf(a);
      hot.add(S.site.group ? "area:" + a.site : z ? "zone:" + z.id : "area:" + a.area);
    }
    if (S.site.group) {
      // each site's tile takes the colour of its worst alarm not back to normal
      for (const a of S.alarms.values()) if (a && a.state !== "normal") hot.add("sev:" + a.site + ":" + a.severity);
    }
    return hot;
  }
  // drawMaps redraws a map only when what flashes on it changed.
  let drawn = { main: "", popup: "" };
  function drawMaps() {
    if (!S.site) return;
    if (S.site.group) tileNotes();
    const notes = S.site.group ? S.site.areas.map((a) => a.note).join("|") : "";
    const draw = (slot, svg, hot) => {
      const key = [...hot].sort().join(" ") + "|" + S.lang + "|" + S.site.site + "|" + notes;
      if (drawn[slot] === key && svg.firstChild) return;
      drawn[slot] = key;
      SiteMap.draw(svg, S.site, hot);
    };
    draw("main", $("map"), hotSet(S.alarms.values()));
    if (S.popupID) draw("popup", $("popup-map"), hotSet([S.alarms.get(S.popupID)]));
  }

  // ---- zones ------------------------------------------------------------------
  async function loadZones() {
    const res = await api("GET", "/api/v1/zones");
    S.zones = res.ok ? res.data.zones || [] : null;
    renderZones();
  }
  function renderZones() {
    $("zones-note").textContent = S.zones === null ? t("zone.none") : "";
    $("arm-all").disabled = S.zones === null;
    const rows = (S.zones || []).map((z) => {
      const tr = document.createElement("tr");
      tr.dataset.zone = z.id;
      tr.className = "zone-" + z.state + (z.alarm ? " alarm" : "");
      cell(tr, z.name);
      cell(tr, areaName(z.area) + (z.household ? " · " + z.household : ""));
      cell(tr, t("kind." + z.kind));
      cell(tr, t("zone." + z.state) + (z.alarm ? " · " + t("zone.alarm") : "") + (z.always_armed ? " · " + t("zone.always") : ""), "state");
      const td = document.createElement("td");
      td.className = "actions";
      const path = (w) => "/api/v1/zones/" + encodeURIComponent(z.id) + "/" + w;
      td.append(button(t("zone.arm"), () => act("POST", path("arm"), {}).then(loadZones), "arm"));
      if (!z.always_armed) {
        td.append(button(t("zone.disarm"), () => disarm(z), "disarm"));
        td.append(button(t("zone.bypass"), async () => {
          const v = await ask(t("zone.bypass") + " " + z.name, [{ name: "reason", label: t("shelve.reason") },
            { name: "password", label: t("zone.password"), type: "password" }]);
          if (v) act("POST", path("bypass"), { reason: v.reason, password: v.password }).then(loadZones);
        }, "bypass"));
      }
      tr.append(td);
      return tr;
    });
    $("zone-rows").replaceChildren(...rows);
  }
  async function disarm(z) {
    const v = await ask(t("zone.disarm") + " " + z.name, [{ name: "password", label: t("zone.password"), type: "password" }]);
    if (!v) return;
    await act("POST", "/api/v1/zones/" + encodeURIComponent(z.id) + "/disarm", { password: v.password });
    loadZones();
  }

  // ---- devices and live values ---------------------------------------------
  // devKey: a device's key; at the group centre device ids repeat across
  // sites, so the site is part of it.
  function devKey(d) { return S.site && S.site.group ? (d.site || "") + ":" + d.device : d.device; }
  async function loadDevices() {
    const res = await api("GET", "/api/v1/devices");
    if (!res.ok) return;
    S.devices = new Map((res.data.devices || []).map((d) => [devKey(d), d]));
    renderDevices();
    scheduleRender();
  }
  function onDevice(d) {
    const old = S.devices.get(devKey(d)) || { device: d.device, site: d.site, area: d.area };
    old.status = d.status;
    old.since = d.time;
    if (d.name) old.name = d.name;
    if (d.error) old.last_error = d.error;
    S.devices.set(devKey(d), old);
    if (S.tab === "devices") renderDevices();
    if (S.site && S.site.group) drawMaps(); // the tiles count devices down
  }
  // tileNotes: at the group centre, each site's tile says how many of its
  // devices are offline or faulty.
  function tileNotes() {
    const down = new Map();
    for (const d of S.devices.values()) {
      if (d.status !== "offline" && d.status !== "fault") continue;
      const n = down.get(d.site) || { offline: 0, fault: 0 };
      n[d.status]++;
      down.set(d.site, n);
    }
    for (const a of S.site.areas) {
      const n = down.get(a.id);
      a.note = n ? t("tile.devices", n) : "";
    }
  }
  function renderDevices() {
    const rows = [...S.devices.values()].map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.device = devKey(d);
      tr.className = "dev-" + d.status;
      cell(tr, d.name || d.device, "device");
      cell(tr, areaName(d.area));
      cell(tr, t("dev." + (d.status || "unknown")));
      cell(tr, fmtTime(d.last_good));
      cell(tr, d.last_error);
      return tr;
    });
    $("device-rows").replaceChildren(...rows);
  }
  async function loadSignals() {
    const res = await api("GET", "/api/v1/signals?trend=1");
    if (!res.ok) return;
    const rows = (res.data.signals || []).map((s) => {
      const tr = document.createElement("tr");
      cell(tr, deviceName(s.device), "device");
      cell(tr, s.signal);
      cell(tr, fmtValue(s.value));
      cell(tr, fmtTime(s.time));
      const td = document.createElement("td");
      td.append(sparkline(s.trend || []));
      tr.append(td);
      return tr;
    });
    $("signal-rows").replaceChildren(...rows);
  }
  function sparkline(trend) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 120 24");
    svg.setAttribute("class", "spark");
    if (trend.length < 2) return svg;
    const vs = trend.map((p) => p.v), lo = Math.min(...vs), hi = Math.max(...vs);
    const t0 = Date.parse(trend[0].t), t1 = Date.parse(trend[trend.length - 1].t);
    const pts = trend.map((p) => {
      const x = t1 > t0 ? ((Date.parse(p.t) - t0) / (t1 - t0)) * 118 + 1 : 1;
      const y = hi > lo ? 22 - ((p.v - lo) / (hi - lo)) * 20 : 12;
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    const pl = document.createElementNS(NS, "polyline");
    pl.setAttribute("points", pts.join(" "));
    svg.append(pl);
    return svg;
  }

  // ---- history --------------------------------------------------------------
  function historyQuery() {
    const q = new URLSearchParams();
    const iso = (v) => (v ? siteTimeToISO(v) : "");
    const add = (k, v) => { if (v) q.set(k, v); };
    add("from", iso($("h-from").value));
    add("to", iso($("h-to").value));
    add("device", $("h-device").value.trim());
    add("rule", $("h-rule").value.trim());
    add("severity", $("h-severity").value);
    return q;
  }
  async function searchHistory(ev) {
    if (ev) ev.preventDefault();
    const q = historyQuery();
    const csv = new URLSearchParams(q);
    csv.set("format", "csv");
    $("h-csv").setAttribute("href", "/api/v1/alarms/history?" + csv.toString());
    const res = await api("GET", "/api/v1/alarms/history?" + q.toString());
    $("h-error").textContent = res.ok ? "" : res.data.error || String(res.status);
    if (!res.ok) return;
    const rows = (res.data.transitions || []).map((x) => {
      const tr = document.createElement("tr");
      cell(tr, fmtTime(x.time));
      cell(tr, t("change." + x.change));
      cell(tr, t("sev." + x.severity));
      cell(tr, deviceName(x.device), "device");
      cell(tr, x.message, "message");
      cell(tr, fmtValue(x.value));
      cell(tr, x.by);
      return tr;
    });
    $("history-rows").replaceChildren(...rows);
  }

  // ---- the input dialog -----------------------------------------------------
  function ask(title, fields) {
    const dlg = $("ask");
    $("ask-title").textContent = title;
    $("ask-error").textContent = "";
    $("ask-fields").replaceChildren(...fields.map((f) => {
      const l = document.createElement("label");
      const span = document.createElement("span");
      span.textContent = f.label;
      const i = document.createElement("input");
      i.name = f.name;
      i.type = f.type || "text";
      i.required = !f.optional;
      if (f.value) i.value = f.value;
      l.append(span, i);
      return l;
    }));
    return new Promise((resolve) => {
      dlg.onclose = () => {
        if (dlg.returnValue !== "ok") return resolve(null);
        const out = {};
        for (const i of $("ask-fields").querySelectorAll("input")) out[i.name] = i.value;
        resolve(out);
      };
      dlg.returnValue = "";
      dlg.showModal();
    });
  }

  // ---- tabs and start-up -----------------------------------------------------
  function showTab(name) {
    S.tab = name;
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
    for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== "panel-" + name;
    if (name === "zones") loadZones();
    if (name === "devices") { renderDevices(); loadSignals(); }
    if (name === "history") searchHistory();
  }
  function renderAll() {
    if (!S.session) return;
    renderAlarms();
    renderZones();
    renderDevices();
  }
  async function loadSite() {
    const res = await api("GET", "/api/v1/console/site");
    if (!res.ok) return;
    S.site = res.data;
    drawn = { main: "", popup: "" };
    $("site-name").textContent = S.site.name || S.site.site || "";
    const f = $("site-filter");
    if (f && S.site.group) {
      f.hidden = false;
      f.replaceChildren(f.firstElementChild);
      for (const a of S.site.areas) f.append(new Option(a.name || a.id, a.id));
      f.onchange = scheduleRender;
    }
    scheduleRender();
  }
  async function boot() {
    $("login").hidden = true;
    $("app").hidden = false;
    document.body.classList.remove("booting");
    $("user").textContent = S.session.user + " (" + S.session.role + ")";
    document.body.dataset.role = S.session.role;
    setLocked(!!S.session.locked);
    connect(); // stream first, then the board: events are applied idempotently
    await loadSite();
    await Promise.all([loadAlarms(), loadDevices(), loadZones()]);
    startAudio();
    updateSound();
  }
  function wire() {
    $("login-form").addEventListener("submit", login);
    $("unlock-form").addEventListener("submit", unlock);
    $("lang").addEventListener("click", () => {
      S.lang = S.lang === "zh" ? "en" : "zh";
      localStorage.setItem("facmon.lang", S.lang);
      applyLang();
    });
    $("logout").addEventListener("click", async () => {
      await api("POST", "/api/v1/session/logout", {});
      location.reload();
    });
    $("silence").addEventListener("click", () => { S.silencedUntil = Date.now() + SILENCE_MS; updateSound(); });
    $("ack-selected").addEventListener("click", ackSelected);
    const list = $("alarm-rows");
    list.addEventListener("click", onRowClick);
    for (const ev of ["pointerenter", "pointermove", "pointerdown", "pointerup", "pointerleave"]) list.addEventListener(ev, pointed, { passive: true });
    $("select-all").addEventListener("change", (e) => {
      for (const b of document.querySelectorAll("#alarm-rows input.pick:not(:disabled)")) b.checked = e.target.checked;
    });
    $("popup-close").addEventListener("click", hidePopup);
    $("popup-ack").addEventListener("click", () => {
      const a = S.alarms.get(S.popupID);
      if (a) act("POST", alarmPath(a, "ack"), {});
      hidePopup();
    });
    $("arm-all").addEventListener("click", () => act("POST", "/api/v1/zones/arm-all", {}).then(loadZones));
    $("history-form").addEventListener("submit", searchHistory);
    for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
    setInterval(() => {
      if (!S.session) return;
      if (S.tab === "devices") { loadDevices(); loadSignals(); }
      if (S.tab === "zones") loadZones();
      updateSound(); // a silence runs out
    }, 5000);
  }
  async function start() {
    wire();
    applyLang();
    watchPresence();
    watchStale();
    const res = await api("GET", "/api/v1/session");
    if (res.ok) { S.session = res.data; boot(); } else showLogin();
  }
  start();
})();
