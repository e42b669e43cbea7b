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

  // Where along a line a name may go. Leaflet alone puts it at the whole line's middle, which for a long
  // street is often off a small map (a follow-up's map on a phone shows a few hundred metres); here it goes
  // along the part of the line in view, which Leaflet keeps as the path's clipped `_parts` (pixel points,
  // Leaflet 1.x): its middle first, then further out.
  var SPOTS = [0.5, 0.3, 0.7, 0.15, 0.85];

  function lengthOf(parts) {
    var total = 0;
    for (var i = 0; i < parts.length; i++) {
      for (var j = 1; j < parts[i].length; j++) { total += parts[i][j - 1].distanceTo(parts[i][j]); }
    }
    return total;
  }

  // The point `distance` pixels along the parts (at most their length).
  function pointAlong(parts, distance) {
    var left = distance, last = null;
    for (var i = 0; i < parts.length; i++) {
      for (var j = 1; j < parts[i].length; j++) {
        var a = parts[i][j - 1], b = parts[i][j], step = a.distanceTo(b);
        if (step > 0 && left <= step) { return a.add(b.subtract(a).multiplyBy(left / step)); }
        left -= step;
        last = b;
      }
    }
    return last;
  }

  function overlaps(r, k) {
    return r.left < k.right + 4 && r.right + 4 > k.left && r.top < k.bottom + 2 && r.bottom + 2 > k.top;
  }

  // Each name goes to the first spot along its line in view where it lies wholly inside the map and
  // overlaps no name already shown (the first drawn wins: the highlighted street's first), no control
  // (zoom buttons, attribution) and no marked place (`avoid`: [{latlng, radius}], radius in pixels, e.g.
  // the follow-up's point); a name with no such spot is hidden. Leaflet places tooltips without looking
  // at each other.
  function declutter(map, entries, avoid) {
    var box = map.getContainer().getBoundingClientRect();
    var kept = (avoid || []).map(function (spot) {
      var p = map.latLngToContainerPoint(spot.latlng), r = spot.radius;
      return {left: box.left + p.x - r, right: box.left + p.x + r, top: box.top + p.y - r, bottom: box.top + p.y + r};
    });
    map.getContainer().querySelectorAll(".leaflet-control").forEach(function (control) {
      kept.push(control.getBoundingClientRect());
    });
    var outside = function (r) {
      return r.left < box.left + 2 || r.right > box.right - 2 || r.top < box.top + 2 || r.bottom > box.bottom - 2;
    };
    entries.forEach(function (entry) {
      var tip = entry.tip, el = tip.getElement && tip.getElement();
      if (!el) { return; }
      el.style.visibility = "";
      if (!el.getBoundingClientRect().width) { return; }  // names hidden at this zoom
      // Each spot is worked out only when the one before it did not fit (the first usually does).
      var parts = entry.line._parts, total = parts ? lengthOf(parts) : 0;
      var fractions = total > 0 ? SPOTS : [null];  // nothing of it in view (or not a line): where Leaflet put it
      for (var i = 0; i < fractions.length; i++) {
        if (fractions[i] !== null) { tip.setLatLng(map.layerPointToLatLng(pointAlong(parts, total * fractions[i]))); }
        var r = el.getBoundingClientRect();
        if (!outside(r) && !kept.some(function (k) { return overlaps(r, k); })) { kept.push(r); return; }
      }
      el.style.visibility = "hidden";
    });
  }

  // Names written along streets at street zoom: [[layer, name], …], one label per name (the first wins),
  // kept from overlapping one another and the places in `avoid` (see declutter).
  function label(map, pairs, avoid) {
    var named = {}, entries = [];
    pairs.forEach(function (pair) {
      var layer = pair[0], name = pair[1];
      if (!name || named[name]) { return; }
      named[name] = true;
      var text = document.createElement("span");
      text.textContent = name;
      var target = layer.getLayers ? layer.getLayers()[0] : layer;
      target.bindTooltip(text, {permanent: true, direction: "center", className: "street-label", interactive: false});
      entries.push({line: target, tip: target.getTooltip()});
    });
    var tidy = function () { declutter(map, entries, avoid); };
    map.on("zoomend moveend", tidy);
    map.whenReady(tidy);  // at once if the map has its view; a map given its view later tidies then
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
    label(map, pairs, options.avoid);
    return layer;
  }

  // Building outlines, faint, under everything, drawn on a canvas (thousands stay cheap; nothing to focus).
  function buildings(map, collection) {
    return L.geoJSON(collection, {renderer: L.canvas({padding: 0.3}), interactive: false,
      style: {color: "#a9b1bb", weight: 0.6, fillColor: "#cfd5dc", fillOpacity: 0.45}}).addTo(map);
  }

  return {create: create, streets: streets, label: label, quiet: quiet, buildings: buildings, LABEL_ZOOM: LABEL_ZOOM};
})();
