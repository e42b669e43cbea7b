// A map to draw or edit an operation's area (Leaflet + leaflet-geoman), shared by the new-operation form
// and the set-up page. The area is one polygon layer (or several, for a MultiPolygon); context layers
// (other operations' areas, the operation's streets) are drawn faint and cannot be edited.
var AreaMap = (function () {
  "use strict";
  var AREA_STYLE = {color: "#0b5cad", weight: 3, fillOpacity: 0.08};

  function create(elementId, options) {
    options = options || {};
    var map = L.map(elementId, {zoomSnap: 0.25});
    map.attributionControl.setPrefix(false);
    if (options.tileUrl) {
      L.tileLayer(options.tileUrl, {maxZoom: 19, attribution: "© OpenStreetMap contributors"}).addTo(map);
    }
    map.setView([54.0, -2.0], 6);
    var area = L.featureGroup().addTo(map);
    var context = L.featureGroup().addTo(map);
    var editable = options.editable !== false;
    var changed = options.onChange || function () {};

    if (editable) {
      map.pm.addControls({position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
                          drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false,
                          dragMode: false, drawRectangle: true, drawPolygon: true, editMode: true, removalMode: true});
      map.pm.setGlobalOptions({allowSelfIntersection: false, pathOptions: AREA_STYLE, snappable: true,
                               layerGroup: area});
      map.on("pm:create", function (e) {
        // A new outline replaces the one before (one drawn area; a MultiPolygon comes from a file).
        area.getLayers().forEach(function (layer) { if (layer !== e.layer) { area.removeLayer(layer); } });
        e.layer.setStyle(AREA_STYLE);
        area.addLayer(e.layer);
        e.layer.on("pm:edit", function () { changed(geoJSON()); });
        changed(geoJSON());
      });
      map.on("pm:remove", function () { changed(geoJSON()); });
    }

    function polygons(g) {
      if (!g) { return []; }
      if (g.type === "FeatureCollection") { return g.features.reduce(function (a, f) { return a.concat(polygons(f)); }, []); }
      if (g.type === "Feature") { return polygons(g.geometry); }
      if (g.type === "Polygon") { return [g.coordinates]; }
      if (g.type === "MultiPolygon") { return g.coordinates; }
      return [];
    }

    function setArea(g, fit) {
      area.clearLayers();
      polygons(g).forEach(function (rings) {
        var layer = L.polygon(rings.map(function (ring) {
          return ring.map(function (p) { return [p[1], p[0]]; });
        }), AREA_STYLE);
        area.addLayer(layer);
        if (editable) { layer.on("pm:edit", function () { changed(geoJSON()); }); }
      });
      if (fit !== false) { fitAll(); }
    }

    function geoJSON() {
      var rings = [];
      area.eachLayer(function (layer) {
        var g = layer.toGeoJSON().geometry;
        if (g.type === "Polygon") { rings.push(g.coordinates); }
        if (g.type === "MultiPolygon") { rings = rings.concat(g.coordinates); }
      });
      if (!rings.length) { return null; }
      return rings.length === 1 ? {type: "Polygon", coordinates: rings[0]} : {type: "MultiPolygon", coordinates: rings};
    }

    function addContext(g, style) {
      L.geoJSON(g, {style: function () { return style || {color: "#8a94a3", weight: 1.5, fillOpacity: 0.02}; },
                    pmIgnore: true, interactive: false}).addTo(context);
    }

    function clearContext() { context.clearLayers(); }

    function fitAll() {
      var bounds = area.getLayers().length ? area.getBounds() : context.getBounds();
      // No animation: a fit asked for while an earlier one still animates would be undone by its end.
      if (bounds.isValid()) { map.fitBounds(bounds, {padding: [20, 20], maxZoom: 17, animate: false}); }
    }

    function draw() { map.pm.enableDraw("Polygon"); }

    return {map: map, setArea: setArea, geoJSON: geoJSON, addContext: addContext, clearContext: clearContext,
            fitAll: fitAll, draw: draw};
  }

  // A GeoJSON file the person picked, read as text and parsed; rejects with a message to show.
  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        try { resolve(JSON.parse(reader.result)); }
        catch (e) { reject(new Error(file.name + " is not a GeoJSON file: it is not JSON text.")); }
      };
      reader.onerror = function () { reject(new Error("Could not read " + file.name + ".")); };
      reader.readAsText(file);
    });
  }

  return {create: create, readFile: readFile};
})();
