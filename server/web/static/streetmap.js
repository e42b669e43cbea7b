// Streets drawn from the operation's own geometry (no base tiles needed), shared by the pages' maps.
// Lines are pictures for the eye: they never take keyboard focus (the table beside each map is what a
// keyboard or a screen reader uses); the map itself is one Tab stop, for panning and zooming. Street
// names are written along the map at street zoom (16 and closer) and hidden when zoomed out, where they
// would only pile up. Names come from map files: text nodes, never HTML.
var StreetMap = (function () {
  "use strict";
  var LABEL_ZOOM = 16;

  function create(holder, options) {
    options = options || {};
    var map = L.map(holder, {zoomSnap: 0.25, attributionControl: true, keyboard: true});
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("© OpenStreetMap contributors");
    if (options.tiles) { L.tileLayer(options.tiles, {maxZoom: 19}).addTo(map); }
    function labels() {
      holder.classList.toggle("street-names", map.getZoom() >= LABEL_ZOOM);
    }
    map.on("zoomend", labels);
    map.whenReady(labels);
    return map;
  }

  // Keep a layer's SVG out of the Tab order and away from screen readers.
  function quiet(layer) {
    var each = layer.eachLayer ? function (f) { layer.eachLayer(f); } : function (f) { f(layer); };
    each(function (l) {
      var el = l.getElement && l.getElement();
      if (el) { el.setAttribute("tabindex", "-1"); el.setAttribute("aria-hidden", "true"); el.setAttribute("focusable", "false"); }
    });
  }

  // Names that would overlap one already shown are hidden (the first drawn wins: the highlighted street's
  // first). Leaflet places tooltips without looking at each other.
  function declutter(labels) {
    var kept = [];
    labels.forEach(function (tip) {
      var el = tip.getElement && tip.getElement();
      if (!el) { return; }
      el.style.visibility = "";
      var r = el.getBoundingClientRect();
      if (!r.width) { return; }  // names hidden at this zoom
      var clash = kept.some(function (k) {
        return r.left < k.right + 4 && r.right + 4 > k.left && r.top < k.bottom + 2 && r.bottom + 2 > k.top;
      });
      if (clash) { el.style.visibility = "hidden"; } else { kept.push(r); }
    });
  }

  // Names written along streets at street zoom: [[layer, name], …], one label per name (the first wins),
  // kept from overlapping one another.
  function label(map, pairs) {
    var named = {}, labels = [];
    pairs.forEach(function (pair) {
      var layer = pair[0], name = pair[1];
      if (!name || named[name]) { return; }
      named[name] = true;
      var text = document.createElement("span");
      text.textContent = name;
      var target = layer.getLayers ? layer.getLayers()[0] : layer;
      target.bindTooltip(text, {permanent: true, direction: "center", className: "street-label", interactive: false});
      labels.push(target.getTooltip());
    });
    var tidy = function () { declutter(labels); };
    map.on("zoomend moveend", tidy);
    tidy();
    return {forget: function () { map.off("zoomend moveend", tidy); }};
  }

  // Streets as faint lines with their names (a FeatureCollection whose features have properties.name).
  function streets(map, collection, options) {
    options = options || {};
    var pairs = [];
    if (options.highlight !== undefined && collection.features) {  // its name is placed first
      collection = {type: "FeatureCollection", features: collection.features.slice().sort(function (a, b) {
        return (b.id === options.highlight) - (a.id === options.highlight);
      })};
    }
    var layer = L.geoJSON(collection, {
      interactive: false,
      style: function (f) {
        var mine = options.highlight !== undefined && f.id === options.highlight;
        return mine ? {color: "#0b5cad", weight: 6, opacity: 0.9} : {color: "#8c96a3", weight: 3, opacity: 0.7};
      },
      onEachFeature: function (f, l) { pairs.push([l, f.properties && f.properties.name]); }
    }).addTo(map);
    quiet(layer);
    label(map, pairs);
    return layer;
  }

  // Building outlines, faint, under everything, drawn on a canvas (thousands stay cheap; nothing to focus).
  function buildings(map, collection) {
    return L.geoJSON(collection, {renderer: L.canvas({padding: 0.3}), interactive: false,
      style: {color: "#a9b1bb", weight: 0.6, fillColor: "#cfd5dc", fillOpacity: 0.45}}).addTo(map);
  }

  return {create: create, streets: streets, label: label, quiet: quiet, buildings: buildings, LABEL_ZOOM: LABEL_ZOOM};
})();
