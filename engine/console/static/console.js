// console.js: the wampd web console. It joins the chosen realm with
// wamp.js and reads everything it shows from the realm's meta API, except
// the realm list and the message counters, which come from the admin
// listener that serves this page (api/realms, api/stats). Nothing here
// reaches outside the machine the page was loaded from.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const state = {
    wsURL: "",
    login: null, // {method: "ticket", authid} when the console must log in
    ticket: "", // the ticket typed in, kept in this page only
    realm: "",
    session: null,
    refreshTimer: 0,
    samples: [], // {t, in, published, delivered, calls} per second, last 60
  };
  const series = [
    { key: "in", label: "messages in", color: "#1f77b4" },
    { key: "delivered", label: "events out", color: "#d62728" },
    { key: "published", label: "published", color: "#2ca02c" },
    { key: "calls", label: "calls", color: "#9467bd" },
  ];

  function status(text, isError) {
    const s = $("status");
    s.textContent = text;
    s.classList.toggle("error", !!isError);
  }

  // cell appends a <td> holding text (never markup) to tr.
  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    tr.appendChild(td);
    return td;
  }

  function fill(tbody, rows, columns, empty) {
    tbody.replaceChildren();
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      const td = cell(tr, empty);
      td.colSpan = columns;
      td.className = "empty";
      tbody.appendChild(tr);
    }
    for (const tr of rows) tbody.appendChild(tr);
  }

  // wsURL replaces an unspecified listen host (0.0.0.0, [::]) with the
  // host this page was loaded from.
  function joinURL(u) {
    try {
      const url = new URL(u);
      if (url.hostname === "0.0.0.0" || url.hostname === "[::]") url.hostname = location.hostname;
      return url.toString();
    } catch (e) {
      return u;
    }
  }

  async function getJSON(path) {
    const resp = await fetch(path, { cache: "no-store" });
    if (!resp.ok) throw new Error(path + ": HTTP " + resp.status);
    return resp.json();
  }

  function ids(lists) {
    // registration.list and subscription.list answer {exact, prefix, wildcard}.
    return [].concat(lists.exact || [], lists.prefix || [], lists.wildcard || []);
  }

  async function refreshSessions(s) {
    const list = (await s.call("wamp.session.list")).args[0] || [];
    const details = await Promise.all(list.map((id) =>
      s.call("wamp.session.get", [id]).then((r) => r.args[0], () => null)));
    const rows = [];
    for (const d of details) {
      if (!d) continue; // left between list and get
      const tr = document.createElement("tr");
      tr.dataset.session = d.session;
      const tr0 = d.transport || {};
      cell(tr, d.session);
      cell(tr, d.authid);
      cell(tr, d.authrole);
      cell(tr, d.authmethod);
      cell(tr, tr0.type);
      cell(tr, tr0.serializer);
      cell(tr, tr0.peer);
      queueCells(tr, d.wampd);
      const td = cell(tr, "");
      if (d.session === s.id) {
        tr.className = "self";
        td.textContent = "(this console)";
      } else {
        const b = document.createElement("button");
        b.className = "kill";
        b.dataset.session = d.session;
        b.textContent = "kill";
        b.addEventListener("click", () => kill(d.session));
        td.appendChild(b);
      }
      rows.push(tr);
    }
    rows.sort((a, b) => Number(a.dataset.session) - Number(b.dataset.session));
    fill($("sessions"), rows, 10, "no sessions");
    $("sessions-count").textContent = "(" + rows.length + ")";
  }

  // queueCells adds (or, on a row that has them, updates) the queue
  // columns from wampd's extension of wamp.session.get: bytes queued for
  // the session and not yet handed to the kernel, and EVENTs dropped for
  // it; "" for a router that does not send them.
  function queueCells(tr, q) {
    q = q || {};
    let a = tr.querySelector("td.queued"), b = tr.querySelector("td.dropped");
    if (!a) {
      a = cell(tr, "");
      a.className = "queued num";
      b = cell(tr, "");
      b.className = "dropped num";
    }
    a.textContent = q.queued_bytes === undefined ? "" : String(q.queued_bytes);
    b.textContent = q.dropped === undefined ? "" : String(q.dropped);
  }

  // refreshQueues updates the queue columns of the sessions shown, every
  // second (the rest of the table follows meta events and refresh).
  async function refreshQueues() {
    const s = state.session;
    if (!s || s.closed) return;
    const rows = Array.from($("sessions").querySelectorAll("tr[data-session]"));
    await Promise.all(rows.map((tr) =>
      s.call("wamp.session.get", [Number(tr.dataset.session)]).then(
        (r) => queueCells(tr, (r.args[0] || {}).wampd), () => null)));
  }

  async function refreshRegistrations(s) {
    const list = ids((await s.call("wamp.registration.list")).args[0] || {});
    const rows = await Promise.all(list.map(async (id) => {
      try {
        const [reg, callees] = await Promise.all([
          s.call("wamp.registration.get", [id]),
          s.call("wamp.registration.list_callees", [id]),
        ]);
        const d = reg.args[0];
        const tr = document.createElement("tr");
        tr.dataset.registration = id;
        cell(tr, id);
        cell(tr, d.uri);
        cell(tr, d.match);
        cell(tr, d.invoke);
        cell(tr, (callees.args[0] || []).join(", "));
        return tr;
      } catch (e) {
        return null; // gone between list and get
      }
    }));
    const live = rows.filter(Boolean);
    fill($("registrations"), live, 5, "no registrations");
    $("registrations-count").textContent = "(" + live.length + ")";
  }

  async function refreshSubscriptions(s) {
    const list = ids((await s.call("wamp.subscription.list")).args[0] || {});
    const rows = await Promise.all(list.map(async (id) => {
      try {
        const [sub, count] = await Promise.all([
          s.call("wamp.subscription.get", [id]),
          s.call("wamp.subscription.count_subscribers", [id]),
        ]);
        const d = sub.args[0];
        const tr = document.createElement("tr");
        tr.dataset.subscription = id;
        cell(tr, id);
        cell(tr, d.uri);
        cell(tr, d.match);
        cell(tr, count.args[0]);
        return tr;
      } catch (e) {
        return null;
      }
    }));
    const live = rows.filter(Boolean);
    fill($("subscriptions"), live, 4, "no subscriptions");
    $("subscriptions-count").textContent = "(" + live.length + ")";
  }

  async function refresh() {
    const s = state.session;
    if (!s || s.closed) return;
    try {
      await Promise.all([refreshSessions(s), refreshRegistrations(s), refreshSubscriptions(s)]);
    } catch (e) {
      if (s === state.session && !s.closed) status("meta API: " + e.message, true);
    }
  }

  // soon coalesces the meta events of a burst into one refresh.
  function soon() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(refresh, 150);
  }

  async function kill(id) {
    const s = state.session;
    if (!s) return;
    try {
      await s.call("wamp.session.kill", [id], { message: "killed from the wampd console" });
      status("killed session " + id);
    } catch (e) {
      status("kill " + id + ": " + e.message, true);
    }
    soon();
  }

  async function join(realm) {
    if (state.session) {
      const old = state.session;
      state.session = null;
      old.close();
    }
    state.realm = realm;
    state.samples = [];
    $("rates-realm").textContent = realm;
    status("joining " + realm + " at " + state.wsURL);
    let s;
    try {
      s = await Wamp.Session.connect(state.wsURL, realm,
        state.login ? { authid: state.login.authid, ticket: state.ticket } : {});
    } catch (e) {
      status("join " + realm + ": " + e.message, true);
      if (state.login) askTicket();
      return;
    }
    $("login").hidden = true;
    if (state.realm !== realm) {
      s.close();
      return;
    }
    state.session = s;
    s.onclose = (reason) => {
      if (state.session === s) status("session ended: " + reason, true);
    };
    status("session " + s.id + " on " + realm + " as " + (s.details.authid || "?") + " (" + (s.details.authrole || "?") + ")");
    const topics = [
      "wamp.session.on_join", "wamp.session.on_leave",
      "wamp.registration.on_create", "wamp.registration.on_register",
      "wamp.registration.on_unregister", "wamp.registration.on_delete",
      "wamp.subscription.on_create", "wamp.subscription.on_subscribe",
      "wamp.subscription.on_unsubscribe", "wamp.subscription.on_delete",
    ];
    try {
      await Promise.all(topics.map((t) => s.subscribe(t, soon)));
    } catch (e) {
      status("meta events: " + e.message + " (the lists refresh every 5s)", true);
    }
    await refresh();
  }

  // sample reads the counters once a second; the chart shows the
  // differences of consecutive readings.
  async function sample() {
    try {
      const st = await getJSON("api/stats");
      const c = st.realms[state.realm];
      if (c) {
        state.samples.push(Object.assign({ t: st.time }, c));
        if (state.samples.length > 61) state.samples.shift();
      }
    } catch (e) {
      // the next second tries again; the status line keeps the session's state
    }
    draw();
  }

  function rates() {
    const out = [];
    for (let i = 1; i < state.samples.length; i++) {
      const a = state.samples[i - 1], b = state.samples[i];
      const dt = Math.max((b.t - a.t) / 1000, 0.001);
      const r = {};
      for (const s of series) r[s.key] = Math.max(0, (b[s.key] - a[s.key]) / dt);
      out.push(r);
    }
    return out;
  }

  function draw() {
    const cv = $("rates");
    const g = cv.getContext("2d");
    const w = cv.width, h = cv.height, pad = 30;
    const rs = rates();
    let max = 1;
    for (const r of rs) for (const s of series) max = Math.max(max, r[s.key]);
    g.clearRect(0, 0, w, h);
    g.strokeStyle = "#ccc";
    g.fillStyle = "#666";
    g.font = "11px sans-serif";
    g.beginPath();
    g.moveTo(pad, 5);
    g.lineTo(pad, h - pad + 5);
    g.lineTo(w - 5, h - pad + 5);
    g.stroke();
    g.fillText(max.toFixed(max < 10 ? 1 : 0), 2, 12);
    g.fillText("0", 2, h - pad + 5);
    g.fillText("last 60 s", w - 60, h - 8);
    const step = (w - pad - 10) / 60;
    for (const s of series) {
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.beginPath();
      rs.forEach((r, i) => {
        const x = pad + (60 - rs.length + i) * step;
        const y = h - pad + 5 - (r[s.key] / max) * (h - pad - 10);
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      });
      g.stroke();
      if (rs.length === 1) { // one reading is a point, not yet a line
        const y = h - pad + 5 - (rs[0][s.key] / max) * (h - pad - 10);
        g.fillStyle = s.color;
        g.fillRect(w - 13, y - 2, 4, 4);
      }
    }
    const last = rs.length ? rs[rs.length - 1] : null;
    const legend = $("rates-now");
    legend.replaceChildren();
    for (const s of series) {
      const span = document.createElement("span");
      span.dataset.series = s.key;
      const sw = document.createElement("i");
      sw.style.background = s.color;
      span.appendChild(sw);
      span.appendChild(document.createTextNode(s.label + ": " + (last ? last[s.key].toFixed(1) : "–") + "/s"));
      legend.appendChild(span);
    }
    // For scripts and tests: how many rates are drawn, and the last inbound one.
    cv.dataset.points = rs.length;
    if (last) cv.dataset.in = last.in.toFixed(1);
  }

  // askTicket shows the login form; submitting it joins the chosen realm
  // with the ticket.
  function askTicket() {
    $("login-authid").textContent = state.login.authid;
    $("login").hidden = false;
    $("ticket").focus();
  }

  async function main() {
    let info;
    try {
      info = await getJSON("api/realms");
    } catch (e) {
      status("realms: " + e.message, true);
      return;
    }
    if (!info.websocket) {
      status("the router has no WebSocket listener: the console cannot join", true);
      return;
    }
    state.wsURL = joinURL(info.websocket);
    const sel = $("realm");
    for (const name of info.realms) {
      const o = document.createElement("option");
      o.value = o.textContent = name;
      sel.appendChild(o);
    }
    const wanted = new URLSearchParams(location.search).get("realm");
    if (wanted && info.realms.includes(wanted)) sel.value = wanted;
    sel.addEventListener("change", () => {
      if (!state.login || state.ticket) join(sel.value);
    });
    setInterval(sample, 1000);
    setInterval(refreshQueues, 1000);
    setInterval(refresh, 5000);
    draw();
    if (info.login) {
      state.login = info.login;
      state.realm = sel.value;
      $("rates-realm").textContent = sel.value;
      $("login").addEventListener("submit", (ev) => {
        ev.preventDefault();
        state.ticket = $("ticket").value;
        $("ticket").value = "";
        join(sel.value);
      });
      status("log in as " + info.login.authid);
      askTicket();
      return;
    }
    if (sel.value) await join(sel.value);
  }

  main();
})();
