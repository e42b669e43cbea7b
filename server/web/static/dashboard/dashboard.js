// The coordinators' dashboard: streets on a map (over the buildings, named at street zoom) coloured by
// coverage or a concern, the street panel (figures, what residents said, doors), a sortable table with a
// column per concern, progress day by day, what residents said overall, pairs and follow-ups. The figures
// follow the page's date range (from/to in its address). Polls a cheap version and refreshes when it changes.
// Lines on the map never take focus: the table is the keyboard's and the screen reader's way in.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var op = root.dataset.operationId;
  var pollMs = +root.dataset.pollMs || 5000;
  var period = root.dataset.period || "";
  var base = "/api/v1/operations/" + op;
  function api(path, extra) {
    var query = [period, extra || ""].filter(Boolean).join("&");
    return Doorstep.api("GET", base + path + (query ? (path.indexOf("?") >= 0 ? "&" : "?") + query : ""));
  }
  var state = {features: [], byId: {}, layers: {}, selected: null, colourBy: "coverage", version: null,
               sortKey: "name", sortDir: 1, showEmpty: false, fitted: false, concerns: [], pairNames: {},
               openHistory: {}};
  var LABELS = JSON.parse(document.getElementById("labels").textContent);
  function concernLabel(code) { return LABELS.concern[code] || Doorstep.label(code); }
  function label(code) { return LABELS.other[code] || Doorstep.label(code); }

  // ---------------------------------------------------------------- map
  var map = StreetMap.create(document.getElementById("map"), {tiles: root.dataset.tileUrl});
  map.setView([54, -2], 6);
  Doorstep.api("GET", base + "/buildings").then(function (fc) {
    if (fc.features.length) { StreetMap.buildings(map, fc).bringToBack(); }
  }).catch(function () { /* outlines are a picture: the map works without them */ });

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
  function shown(p) { return state.showEmpty || p.households > 0; }
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
    var wanted = state.features.filter(function (f) { return shown(f.properties); });
    var ids = wanted.map(function (f) { return f.id; }).sort().join(",");
    var known = Object.keys(state.layers).sort().join(",");
    if (ids !== known) {
      Object.keys(state.layers).forEach(function (id) { map.removeLayer(state.layers[id]); });
      state.layers = {};
      var names = [];
      wanted.forEach(function (f) {
        var p = f.properties;
        var layer = L.geoJSON(f, {style: function () {
          var s = styleOf(p); s.className = "street street-" + p.street_id; return s;
        }});
        layer.on("click", function () { select(p.street_id); });
        layer.addTo(map);
        StreetMap.quiet(layer);
        state.layers[p.street_id] = layer;
        names.push([layer, p.name]);
      });
      if (state.names) { state.names.forget(); }
      state.names = StreetMap.label(map, names);  // names along the streets at street zoom, text nodes only
    } else {
      wanted.forEach(function (f) { state.layers[f.id].setStyle(styleOf(f.properties)); });
    }
    if (!state.fitted && wanted.length) {
      var group = L.featureGroup(Object.keys(state.layers).map(function (id) { return state.layers[id]; }));
      map.fitBounds(group.getBounds(), {padding: [20, 20]});
      state.fitted = true;
    }
    legend();
  }

  // ---------------------------------------------------------------- figures and the streets table
  function totalsOf(totals) {
    document.querySelectorAll("[data-total]").forEach(function (node) {
      var k = node.dataset.total, v = totals[k];
      node.textContent = (k === "coverage" || k === "contact_rate") ? Doorstep.pct(v) : v;
    });
  }
  function sum(obj) { return Object.keys(obj || {}).reduce(function (a, k) { return a + obj[k]; }, 0); }

  function columns() {
    var cols = [["name", "Street"], ["households", "Households"], ["knocked", "Knocked"], ["coverage", "Coverage"],
                ["answered", "Answered"], ["contact_rate", "Contact rate"], ["to_revisit", "To revisit"],
                ["refused", "Refused"], ["vacant", "Vacant"], ["do_not_visit", "Do not visit"]];
    state.concerns.forEach(function (c) { cols.push(["concern:" + c, concernLabel(c)]); });
    return cols.concat([["fixes_total", "Fixes"], ["followups_total", "Follow-ups"]]);
  }
  function value(p, key) {
    if (key.indexOf("concern:") === 0) { return p.concerns[key.slice(8)] || 0; }
    return p[key];
  }
  function drawHead() {
    var head = document.getElementById("streets-head");
    var wanted = columns().map(function (c) { return c[0]; }).join(",");
    if (head.dataset.columns !== wanted) {
      head.textContent = "";
      columns().forEach(function (c) {
        var button = Doorstep.el("button", {type: "button", cls: "sort", "data-key": c[0], text: c[1]});
        button.addEventListener("click", function () { sortBy(c[0]); });
        head.appendChild(Doorstep.el("th", {cls: c[0] === "name" ? "" : "num", scope: "col"}, [button]));
      });
      head.dataset.columns = wanted;
    }
    head.querySelectorAll("th").forEach(function (th) {
      var key = th.querySelector("button").dataset.key;
      th.setAttribute("aria-sort", key === state.sortKey ? (state.sortDir > 0 ? "ascending" : "descending") : "none");
    });
  }
  function sortBy(key) {
    if (state.sortKey === key) { state.sortDir = -state.sortDir; }
    else { state.sortKey = key; state.sortDir = key === "name" ? 1 : -1; }
    drawTable();
    var again = document.querySelector("#streets-head button[data-key='" + key + "']");
    if (again) { again.focus(); }  // the header was redrawn: keep the keyboard where it was
  }

  function drawTable() {
    drawHead();
    var rows = state.features.map(function (f) {
      var p = f.properties;
      return Object.assign({}, p, {fixes_total: sum(p.fixes), followups_total: sum(p.followups)});
    });
    var empty = rows.filter(function (p) { return !p.households; }).length;
    document.getElementById("empty-count").textContent = empty;
    rows = rows.filter(shown);
    var k = state.sortKey, d = state.sortDir;
    rows.sort(function (a, b) {
      var x = value(a, k), y = value(b, k);
      if (x === null) { x = -1; } if (y === null) { y = -1; }
      if (x < y) { return -d; } if (x > y) { return d; }
      return a.name < b.name ? -1 : a.name > b.name ? 1 : a.street_id - b.street_id;
    });
    var body = document.querySelector("#streets-table tbody");
    body.textContent = "";
    rows.forEach(function (p) {
      var cells = columns().map(function (c) {
        var key = c[0];
        if (key === "name") {
          var link = Doorstep.el("a", {href: "#street-panel", text: p.name});
          link.addEventListener("click", function (e) { e.preventDefault(); select(p.street_id, true); });
          return Doorstep.el("th", {scope: "row"}, [link]);
        }
        var v = value(p, key);
        return Doorstep.el("td", {cls: "num", text: (key === "coverage" || key === "contact_rate") ? Doorstep.pct(v) : v});
      });
      body.appendChild(Doorstep.el("tr", {"data-street-id": p.street_id,
                                          cls: state.selected === p.street_id ? "selected" : ""}, cells));
    });
  }
  document.getElementById("show-empty").addEventListener("change", function (e) {
    state.showEmpty = e.target.checked; drawMap(); drawTable();
  });

  // ---------------------------------------------------------------- the street panel
  function counts(title, obj, name) {
    var keys = Object.keys(obj || {}).filter(function (k) { return obj[k]; });
    if (!keys.length) { return null; }
    return Doorstep.el("div", {}, [Doorstep.el("h3", {text: title}), Doorstep.el("ul", {},
      keys.map(function (k) { return Doorstep.el("li", {"data-count": k, text: (name || label)(k) + ": " + obj[k]}); }))]);
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
    [counts("Concerns (doors)", p.concerns, concernLabel), counts("Fixes", p.fixes, label),
     counts("Follow-ups", p.followups, label), counts("Languages met", p.languages, languageName),
     counts("Interpreters", p.interpreters),
     counts("Adjustments", p.adjustments ? {asked_for: p.adjustments} : null)]
      .forEach(function (n) { if (n) { extra.appendChild(n); } });
  }

  // How residents answered: a block per question, a bar per answer (counts of doors, never words).
  function drawAnswers(box, summary, headingLevel) {
    box.textContent = "";
    if (!summary.answered) {
      box.appendChild(Doorstep.el("p", {cls: "muted", text: "No door has answered yet" + (period ? " in these days." : ".")}));
      return;
    }
    summary.questions.forEach(function (q) {
      if (!q.answered) { return; }
      var list = Doorstep.el("ul", {cls: "bars"});
      q.answers.forEach(function (a) {
        var share = q.answered ? a.count / q.answered : 0;
        var bar = Doorstep.el("span", {cls: "bar"});
        bar.style.width = Math.round(share * 100) + "%";  // through the DOM (CSP)
        list.appendChild(Doorstep.el("li", {"data-answer": a.value}, [
          Doorstep.el("span", {cls: "answer", text: a.label}),
          Doorstep.el("span", {cls: "track"}, [bar]),
          Doorstep.el("span", {cls: "num", text: a.count + " (" + Math.round(share * 100) + "%)"})]));
      });
      box.appendChild(Doorstep.el("div", {cls: "question", "data-question": q.id}, [
        Doorstep.el(headingLevel, {text: q.text}),
        Doorstep.el("p", {cls: "muted small", text: q.answered + " door" + (q.answered === 1 ? "" : "s") + " answered"}),
        list]));
    });
  }

  function loadStreetAnswers() {
    var id = state.selected;
    if (!id) { return Promise.resolve(); }
    return api("/answers?street_id=" + id).then(function (summary) {
      if (state.selected !== id) { return; }
      var box = document.getElementById("street-answers");
      box.textContent = "";
      box.appendChild(Doorstep.el("h3", {text: "What residents of this street said"}));
      var inner = Doorstep.el("div", {cls: "answers compact"});
      box.appendChild(inner);
      drawAnswers(inner, summary, "h4");
    });
  }

  function loadDoors() {
    var id = state.selected;
    if (!id) { return Promise.resolve(); }
    return Doorstep.api("GET", base + "/households?limit=1000&street_id=" + id).then(function (page) {
      if (state.selected !== id) { return; }
      var box = document.getElementById("doors");
      box.textContent = "";
      box.appendChild(Doorstep.el("h3", {text: "Doors, in walking order"}));
      var table = Doorstep.el("table", {id: "doors-table"});
      page.items.forEach(function (d) {
        var row = Doorstep.el("tr", {"data-household-id": d.household_id}, [
          Doorstep.el("td", {}, d.source === "generated" ? [d.address, " ", Doorstep.el("span", {cls: "generated",
            title: "Placed along the street where OpenStreetMap has no house numbers: this door may not exist",
            text: "generated"})] : [d.address]),
          Doorstep.el("td", {}, [Doorstep.el("span", {cls: "door-status " + d.status, text: label(d.status)})]),
          Doorstep.el("td", {cls: "num", text: d.attempts ? d.attempts + "×" : ""})
        ]);
        table.appendChild(row);
        if (d.attempts) { history(d, row, table); }
      });
      box.appendChild(table);
    });
  }

  // A door's visits, newest first, corrected ones kept and marked, in a row under the door: loaded when
  // opened, and opened again after a refresh rebuilds the list.
  function history(d, row, table) {
    var toggle = Doorstep.el("button", {type: "button", cls: "door-history", "aria-expanded": "false",
                                        text: "Visits" + (d.corrected ? " (" + d.corrected + " corrected)" : "")});
    row.appendChild(Doorstep.el("td", {}, [toggle]));
    var list = Doorstep.el("ol", {cls: "visit-history"});
    var under = Doorstep.el("tr", {cls: "door-history-row", "data-history-of": d.household_id},
                            [Doorstep.el("td", {colspan: "4"}, [list])]);
    under.hidden = true;
    table.appendChild(under);
    function when(iso) { return new Date(iso).toLocaleString([], {dateStyle: "short", timeStyle: "short"}); }
    function load() {
      return Doorstep.api("GET", base + "/visits?limit=1000&household_id=" + d.household_id).then(function (page) {
        list.textContent = "";
        page.items.sort(function (a, b) {
          return (b.visited_at.localeCompare(a.visited_at)) || (b.received_at || "").localeCompare(a.received_at || "");
        });
        page.items.forEach(function (v) {
          var parts = [Doorstep.el("span", {cls: "outcome", text: Doorstep.label(v.outcome)}),
                       " · " + when(v.visited_at) + " · " + (state.pairNames[v.team_id] || "Pair " + v.team_id)];
          if (v.superseded_by) {
            var fixed = page.items.filter(function (c) { return c.id === v.superseded_by; })[0];
            parts.push(" ", Doorstep.el("span", {cls: "corrected", text: "corrected" +
              (fixed && fixed.received_at ? " " + when(fixed.received_at) : "")}));
          } else if (v.supersedes) {
            parts.push(" ", Doorstep.el("span", {cls: "correction", text: "correction"}));
          }
          list.appendChild(Doorstep.el("li", {"data-visit-id": v.id, cls: v.superseded_by ? "superseded" : ""},
                                       parts));
        });
      });
    }
    function show(open) {
      under.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) { state.openHistory[d.household_id] = true; load(); } else { delete state.openHistory[d.household_id]; }
    }
    toggle.addEventListener("click", function () { show(under.hidden); });
    if (state.openHistory[d.household_id]) { show(true); }
  }

  function select(id, pan) {
    state.selected = id;
    drawMap(); drawTable(); drawPanel();
    if (pan && state.layers[id]) { map.fitBounds(state.layers[id].getBounds(), {maxZoom: 17}); }
    loadStreetAnswers();
    loadDoors();
  }

  // ---------------------------------------------------------------- progress, pairs, follow-ups
  function drawProgress(progress) {
    var img = document.getElementById("progress-chart");
    img.hidden = !progress.days.length;  // an empty chart says less than a sentence
    document.getElementById("progress-empty").hidden = !!progress.days.length;
    img.src = "/dashboard/operations/" + op + "/progress.svg?" + [period, "v=" + encodeURIComponent(state.version || "")]
      .filter(Boolean).join("&");
    var body = document.querySelector("#progress-table tbody");
    body.textContent = "";
    progress.days.slice().reverse().forEach(function (d) {
      body.appendChild(Doorstep.el("tr", {"data-day": d.day}, [
        Doorstep.el("td", {text: Doorstep.day(d.day)}), Doorstep.el("td", {cls: "num", text: d.visits}),
        Doorstep.el("td", {cls: "num", text: d.answered}), Doorstep.el("td", {cls: "num", text: d.first_knocks}),
        Doorstep.el("td", {cls: "num", text: Doorstep.pct(d.coverage)})]));
    });
  }
  function drawPairs(list) {
    var body = document.querySelector("#pairs-table tbody");
    body.textContent = "";
    list.items.forEach(function (t) {
      state.pairNames[t.team_id] = t.name;
      body.appendChild(Doorstep.el("tr", {"data-team-id": t.team_id}, [
        Doorstep.el("th", {scope: "row", text: t.name}), Doorstep.el("td", {text: t.agencies.join(", ")}),
        Doorstep.el("td", {cls: "num", text: t.streets}), Doorstep.el("td", {cls: "num", text: t.households}),
        Doorstep.el("td", {cls: "num", "data-field": "knocked", text: t.knocked}),
        Doorstep.el("td", {cls: "num", text: Doorstep.pct(t.coverage)}),
        Doorstep.el("td", {cls: "num", "data-field": "answered", text: t.answered}),
        Doorstep.el("td", {cls: "num", text: t.to_revisit}), Doorstep.el("td", {cls: "num", text: t.visits}),
        Doorstep.el("td", {cls: "when", text: t.last_visit_at ? Doorstep.when(t.last_visit_at) : "–"})
      ]));
    });
  }
  function drawFollowups(s) {
    var body = document.querySelector("#followups-table tbody");
    body.textContent = "";
    Object.keys(s.by_status).forEach(function (k) {
      body.appendChild(Doorstep.el("tr", {"data-status": k}, [Doorstep.el("td", {text: label(k)}),
        Doorstep.el("td", {cls: "num", text: s.by_status[k]})]));
    });
    body.appendChild(Doorstep.el("tr", {}, [Doorstep.el("th", {text: "All"}), Doorstep.el("th", {cls: "num", text: s.total})]));
    var cats = Object.keys(s.by_category).map(function (k) { return label(k) + " " + s.by_category[k]; });
    document.getElementById("followup-categories").textContent = cats.length ? "By category: " + cats.join(", ") : "";
  }

  // ---------------------------------------------------------------- loading and polling
  function concernOptions(totals) {
    state.concerns = Object.keys(totals.concerns);
    var select = document.getElementById("colour-by");
    if (select.options.length > 1) { return; }
    state.concerns.forEach(function (k) {
      select.appendChild(Doorstep.el("option", {value: "concern:" + k, text: "Concern: " + concernLabel(k)}));
    });
  }
  document.getElementById("colour-by").addEventListener("change", function (e) {
    state.colourBy = e.target.value; drawMap();
  });

  function refresh() {
    return Promise.all([
      api("/streets?format=geojson"), api("/pairs"), Doorstep.api("GET", base + "/followup-summary"),
      api("/progress"), api("/answers")
    ]).then(function (got) {
      var fc = got[0];
      state.features = fc.features;
      state.byId = {};
      fc.features.forEach(function (f) { state.byId[f.id] = f; });
      concernOptions(fc.totals);
      totalsOf(fc.totals);
      drawMap(); drawTable(); drawPanel();
      drawPairs(got[1]); drawFollowups(got[2]); drawProgress(got[3]);
      drawAnswers(document.getElementById("answers"), got[4], "h3");
      var asOf = Doorstep.readAsOf(got);
      document.getElementById("updated-at").textContent = asOf ?
        "as of " + Doorstep.when(asOf) + " (read from a copy of the database a moment behind)" : Doorstep.time();
      root.dataset.loaded = String((+root.dataset.loaded || 0) + 1);
      return Promise.all([loadStreetAnswers(), loadDoors()]);
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
