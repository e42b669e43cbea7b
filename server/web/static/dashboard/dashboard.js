// The coordinators' dashboard: streets on a map coloured by coverage or a concern, the street panel,
// a sortable table, pair progress and follow-ups. Polls a cheap version and refreshes when it changes.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var op = root.dataset.operationId;
  var pollMs = +root.dataset.pollMs || 5000;
  var base = "/api/v1/operations/" + op;
  var state = {features: [], byId: {}, layers: {}, selected: null, colourBy: "coverage", version: null,
               sortKey: "name", sortDir: 1, fitted: false};

  // ---------------------------------------------------------------- map
  var map = L.map("map", {preferCanvas: false, zoomSnap: 0.25});
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("© OpenStreetMap contributors");
  if (root.dataset.tileUrl) {
    L.tileLayer(root.dataset.tileUrl, {maxZoom: 19, attribution: "© OpenStreetMap contributors"}).addTo(map);
  }
  map.setView([54, -2], 6);

  var RAMP = ["#d7301f", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850"];
  var PURPLES = ["#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#4a1486"];
  function pick(ramp, x) { return ramp[Math.min(ramp.length - 1, Math.floor(x * ramp.length))]; }
  function measure(p) {
    if (state.colourBy === "coverage") { return p.coverage; }
    var code = state.colourBy.slice("concern:".length);
    return p.households ? (p.concerns[code] || 0) / p.households : null;
  }
  function colour(p) {
    var x = measure(p);
    if (x === null || x === undefined) { return "#9aa3ad"; }
    return state.colourBy === "coverage" ? pick(RAMP, x) : (x === 0 ? "#c9ced6" : pick(PURPLES, x));
  }
  function styleOf(p) {
    var selected = state.selected === p.street_id;
    return {color: colour(p), weight: selected ? 10 : 6, opacity: 0.95, dashArray: p.households ? null : "4 6"};
  }
  function legend() {
    var box = document.getElementById("legend");
    box.textContent = "";
    var ramp = state.colourBy === "coverage" ? RAMP : PURPLES;
    box.appendChild(document.createTextNode(state.colourBy === "coverage" ? "0%" : "none"));
    ramp.forEach(function (c) {
      var swatch = Doorstep.el("i");
      swatch.style.backgroundColor = c;  // through the DOM: the page's CSP allows no style attributes
      box.appendChild(swatch);
    });
    box.appendChild(document.createTextNode(state.colourBy === "coverage" ? "100% knocked" : "every household"));
  }

  function drawMap() {
    var ids = state.features.map(function (f) { return f.id; }).sort().join(",");
    var known = Object.keys(state.layers).sort().join(",");
    if (ids !== known) {
      Object.keys(state.layers).forEach(function (id) { map.removeLayer(state.layers[id]); });
      state.layers = {};
      state.features.forEach(function (f) {
        var p = f.properties;
        var layer = L.geoJSON(f, {style: function () {
          var s = styleOf(p); s.className = "street street-" + p.street_id; return s;
        }});
        layer.on("click", function () { select(p.street_id); });
        // A street's name comes from a map file: a text node, never HTML (Leaflet puts a string in as HTML).
        layer.bindTooltip(Doorstep.el("span", {text: p.name}), {sticky: true});
        layer.addTo(map);
        state.layers[p.street_id] = layer;
      });
    } else {
      state.features.forEach(function (f) { state.layers[f.id].setStyle(styleOf(f.properties)); });
    }
    if (!state.fitted && state.features.length) {
      var group = L.featureGroup(Object.keys(state.layers).map(function (id) { return state.layers[id]; }));
      map.fitBounds(group.getBounds(), {padding: [20, 20]});
      state.fitted = true;
    }
    legend();
  }

  // ---------------------------------------------------------------- figures, table, panel
  function totalsOf(totals) {
    document.querySelectorAll("[data-total]").forEach(function (node) {
      var k = node.dataset.total, v = totals[k];
      node.textContent = (k === "coverage" || k === "contact_rate") ? Doorstep.pct(v) : v;
    });
  }
  function sum(obj) { return Object.keys(obj || {}).reduce(function (a, k) { return a + obj[k]; }, 0); }

  function drawTable() {
    var rows = state.features.map(function (f) {
      var p = f.properties;
      return Object.assign({}, p, {concerns_total: sum(p.concerns), fixes_total: sum(p.fixes),
                                   followups_total: sum(p.followups)});
    });
    var k = state.sortKey, d = state.sortDir;
    rows.sort(function (a, b) {
      var x = a[k], y = b[k];
      if (x === null) { x = -1; } if (y === null) { y = -1; }
      if (x < y) { return -d; } if (x > y) { return d; }
      return a.name < b.name ? -1 : a.name > b.name ? 1 : a.street_id - b.street_id;
    });
    var body = document.querySelector("#streets-table tbody");
    body.textContent = "";
    rows.forEach(function (p) {
      var tr = Doorstep.el("tr", {"data-street-id": p.street_id, cls: state.selected === p.street_id ? "selected" : ""}, [
        Doorstep.el("td", {}, [Doorstep.el("a", {href: "#", text: p.name})]),
        Doorstep.el("td", {cls: "num", text: p.households}),
        Doorstep.el("td", {cls: "num", text: p.knocked}),
        Doorstep.el("td", {cls: "num", text: Doorstep.pct(p.coverage)}),
        Doorstep.el("td", {cls: "num", text: p.answered}),
        Doorstep.el("td", {cls: "num", text: Doorstep.pct(p.contact_rate)}),
        Doorstep.el("td", {cls: "num", text: p.to_revisit}),
        Doorstep.el("td", {cls: "num", text: p.refused}),
        Doorstep.el("td", {cls: "num", text: p.vacant}),
        Doorstep.el("td", {cls: "num", text: p.do_not_visit}),
        Doorstep.el("td", {cls: "num", text: p.concerns_total}),
        Doorstep.el("td", {cls: "num", text: p.fixes_total}),
        Doorstep.el("td", {cls: "num", text: p.followups_total})
      ]);
      tr.querySelector("a").addEventListener("click", function (e) { e.preventDefault(); select(p.street_id, true); });
      body.appendChild(tr);
    });
    document.querySelectorAll("#streets-table th.sortable").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.key === k ? (d > 0 ? "ascending" : "descending") : "none");
    });
  }
  document.querySelectorAll("#streets-table th.sortable").forEach(function (th) {
    th.addEventListener("click", function () {
      if (state.sortKey === th.dataset.key) { state.sortDir = -state.sortDir; }
      else { state.sortKey = th.dataset.key; state.sortDir = th.dataset.key === "name" ? 1 : -1; }
      drawTable();
    });
  });

  function counts(title, obj, name) {
    var keys = Object.keys(obj || {}).filter(function (k) { return obj[k]; });
    if (!keys.length) { return null; }
    return Doorstep.el("div", {}, [Doorstep.el("h3", {text: title}), Doorstep.el("ul", {},
      keys.map(function (k) { return Doorstep.el("li", {"data-count": k, text: (name || Doorstep.label)(k) + ": " + obj[k]}); }))]);
  }
  // A language code's name in English ("pl" -> "Polish", "bfi" -> "British Sign Language"), by the browser.
  var languageNames = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames(["en"], {type: "language"}) : null;
  function languageName(code) {
    try { return languageNames ? languageNames.of(code) : code; } catch (e) { return code; }
  }

  function drawPanel() {
    var f = state.byId[state.selected];
    if (!f) { return; }
    var p = f.properties;
    document.getElementById("street-name").textContent = p.name;
    document.getElementById("street-hint").hidden = true;
    var dl = document.getElementById("street-figures");
    dl.hidden = false;
    dl.querySelectorAll("[data-field]").forEach(function (dd) {
      var k = dd.dataset.field;
      dd.textContent = (k === "coverage" || k === "contact_rate") ? Doorstep.pct(p[k]) : p[k];
    });
    var extra = document.getElementById("street-extra");
    extra.textContent = "";
    [counts("Concerns", p.concerns), counts("Fixes", p.fixes), counts("Follow-ups", p.followups),
     counts("Languages met", p.languages, languageName), counts("Interpreters", p.interpreters),
     counts("Adjustments", p.adjustments ? {asked_for: p.adjustments} : null)]
      .forEach(function (n) { if (n) { extra.appendChild(n); } });
  }

  function loadDoors() {
    var id = state.selected;
    if (!id) { return Promise.resolve(); }
    return Doorstep.api("GET", base + "/households?limit=1000&street_id=" + id).then(function (page) {
      if (state.selected !== id) { return; }
      var box = document.getElementById("doors");
      box.textContent = "";
      box.appendChild(Doorstep.el("h3", {text: "Doors"}));
      var table = Doorstep.el("table", {id: "doors-table"});
      page.items.forEach(function (d) {
        table.appendChild(Doorstep.el("tr", {"data-household-id": d.household_id}, [
          Doorstep.el("td", {}, d.source === "generated" ? [d.address, " ", Doorstep.el("span", {cls: "generated",
            title: "Placed along the street where OpenStreetMap has no house numbers: this door may not exist",
            text: "generated"})] : [d.address]),
          Doorstep.el("td", {}, [Doorstep.el("span", {cls: "door-status " + d.status, text: Doorstep.label(d.status)})]),
          Doorstep.el("td", {cls: "num", text: d.attempts ? d.attempts + "×" : ""})
        ]));
      });
      box.appendChild(table);
    });
  }

  function select(id, pan) {
    state.selected = id;
    drawMap(); drawTable(); drawPanel();
    if (pan && state.layers[id]) { map.fitBounds(state.layers[id].getBounds(), {maxZoom: 17}); }
    loadDoors();
  }

  // ---------------------------------------------------------------- pairs and follow-ups
  function drawPairs(list) {
    var body = document.querySelector("#pairs-table tbody");
    body.textContent = "";
    list.items.forEach(function (t) {
      body.appendChild(Doorstep.el("tr", {"data-team-id": t.team_id}, [
        Doorstep.el("td", {text: t.name}), Doorstep.el("td", {text: t.agencies.join(", ")}),
        Doorstep.el("td", {cls: "num", text: t.streets}), Doorstep.el("td", {cls: "num", text: t.households}),
        Doorstep.el("td", {cls: "num", "data-field": "knocked", text: t.knocked}),
        Doorstep.el("td", {cls: "num", text: Doorstep.pct(t.coverage)}),
        Doorstep.el("td", {cls: "num", text: t.to_revisit}), Doorstep.el("td", {cls: "num", text: t.visits}),
        Doorstep.el("td", {text: t.last_visit_at ? new Date(t.last_visit_at).toLocaleString() : "–"})
      ]));
    });
  }
  function drawFollowups(s) {
    var body = document.querySelector("#followups-table tbody");
    body.textContent = "";
    Object.keys(s.by_status).forEach(function (k) {
      body.appendChild(Doorstep.el("tr", {"data-status": k}, [Doorstep.el("td", {text: Doorstep.label(k)}),
        Doorstep.el("td", {cls: "num", text: s.by_status[k]})]));
    });
    body.appendChild(Doorstep.el("tr", {}, [Doorstep.el("th", {text: "All"}), Doorstep.el("th", {cls: "num", text: s.total})]));
    var cats = Object.keys(s.by_category).map(function (k) { return Doorstep.label(k) + " " + s.by_category[k]; });
    document.getElementById("followup-categories").textContent = cats.length ? "By category: " + cats.join(", ") : "";
  }

  // ---------------------------------------------------------------- loading and polling
  function concernOptions(totals) {
    var select = document.getElementById("colour-by");
    if (select.options.length > 1) { return; }
    Object.keys(totals.concerns).forEach(function (k) {
      select.appendChild(Doorstep.el("option", {value: "concern:" + k, text: "Concern: " + Doorstep.label(k)}));
    });
  }
  document.getElementById("colour-by").addEventListener("change", function (e) {
    state.colourBy = e.target.value; drawMap();
  });

  function refresh() {
    return Promise.all([
      Doorstep.api("GET", base + "/streets?format=geojson"),
      Doorstep.api("GET", base + "/pairs"),
      Doorstep.api("GET", base + "/followup-summary")
    ]).then(function (got) {
      var fc = got[0];
      state.features = fc.features;
      state.byId = {};
      fc.features.forEach(function (f) { state.byId[f.id] = f; });
      concernOptions(fc.totals);
      totalsOf(fc.totals);
      drawMap(); drawTable(); drawPanel();
      drawPairs(got[1]); drawFollowups(got[2]);
      var asOf = Doorstep.readAsOf(got);
      document.getElementById("updated-at").textContent = asOf ?
        "as of " + new Date(asOf).toLocaleTimeString() + " (read from a copy of the database a moment behind)" :
        new Date().toLocaleTimeString();
      root.dataset.loaded = String((+root.dataset.loaded || 0) + 1);
      return loadDoors();
    });
  }

  function poll() {
    Doorstep.api("GET", base + "/results/version").then(function (v) {
      if (v.version !== state.version) {
        state.version = v.version;
        return refresh();
      }
    }).catch(function () { /* offline for a moment: try again at the next tick */ })
      .then(function () { window.setTimeout(poll, pollMs); });
  }
  poll();
})();
