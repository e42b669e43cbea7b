// The open-data page's map: the published units drawn from our own street geometry (no base tiles),
// coloured by a published percentage. Every text goes in as text (DOM nodes), never as HTML.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var RAMP = ["r0", "r1", "r2", "r3", "r4"];
  var COLOURS = {r0: "#c7e9b4", r1: "#7fcdbb", r2: "#41b6c4", r3: "#2c7fb8", r4: "#253494", none: "#b8bec6"};
  var state = {features: [], layers: [], field: "answered_pct"};

  var map = L.map(box, {zoomSnap: 0.25});
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Streets © OpenStreetMap contributors (ODbL)");
  map.setView([54, -2], 6);

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function classOf(value) {
    if (value === null || value === undefined) { return "none"; }
    return RAMP[Math.min(RAMP.length - 1, Math.floor(value / 20))];
  }
  function label(field) {
    var select = document.getElementById("colour-by");
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === field) { return select.options[i].textContent; }
    }
    return field;
  }
  function tip(p) {
    var node = el("div");
    node.appendChild(el("strong", p.unit_name));
    var v = p[state.field];
    node.appendChild(el("div", label(state.field) + ": " + (v === null || v === undefined ? "not published" : v + "%")));
    return node;
  }
  function draw() {
    state.layers.forEach(function (layer) { map.removeLayer(layer); });
    state.layers = state.features.map(function (f) {
      var p = f.properties;
      var layer = L.geoJSON(f, {style: function () {
        var c = classOf(p[state.field]);
        return {color: COLOURS[c], weight: 6, opacity: 0.95, className: "unit unit-" + p.unit_id + " " + c};
      }});
      layer.bindTooltip(function () { return tip(p); }, {sticky: true, className: "unit-tip"});
      layer.addTo(map);
      return layer;
    });
    legend();
  }
  function legend() {
    var out = document.getElementById("legend");
    out.textContent = "";
    out.appendChild(el("span", label(state.field) + ":"));
    function key(cls, text) {
      var span = el("span", undefined, "key");
      span.appendChild(el("i", undefined, cls));
      span.appendChild(document.createTextNode(" " + text));
      out.appendChild(span);
    }
    RAMP.forEach(function (c, i) {
      key(c, (i * 20) + (i === RAMP.length - 1 ? "–100%" : "–" + (i * 20 + 19) + "%"));
    });
    key("none", "not published");
  }
  function options(collection) {
    var select = document.getElementById("colour-by");
    var visited = el("option", "Households visited (%)");
    visited.value = "visited_pct";
    select.appendChild(visited);
    var first = collection.features[0];
    if (!first) { return; }
    Object.keys(first.properties).forEach(function (k) {
      var m = /^concern_(.+)_pct$/.exec(k);
      var any = collection.features.some(function (f) { return f.properties[k] !== null && f.properties[k] > 0; });
      if (m && any) {
        var o = el("option", "Concern: " + m[1].replace(/_/g, " ") + " (% of those who answered)");
        o.value = k;
        select.appendChild(o);
      }
    });
  }
  document.getElementById("colour-by").addEventListener("change", function (e) {
    state.field = e.target.value;
    draw();
  });

  fetch(box.dataset.geojson, {credentials: "same-origin", headers: {"Accept": "application/geo+json"}})
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(function (collection) {
      state.features = collection.features.filter(function (f) { return f.geometry; });
      options(collection);
      draw();
      if (state.layers.length) {
        map.fitBounds(L.featureGroup(state.layers).getBounds(), {padding: [16, 16]});
      }
      box.dataset.loaded = "1";
    })
    .catch(function () {
      var note = el("p", "The map could not be loaded; the figures below and the downloads still work.", "error");
      box.parentNode.insertBefore(note, box.nextSibling);
    });
})();
