// The inbox's overview map: the streets around the follow-ups listed (faint, named at street zoom) and a
// dot per follow-up (red ring when overdue); a click opens it. The table is the keyboard's way in.
(function () {
  "use strict";
  var holder = document.getElementById("overview");
  var dataEl = document.getElementById("places");
  if (!holder || !dataEl || !window.L) { return; }
  var data = JSON.parse(dataEl.textContent);
  if (!data.places.length) { holder.remove(); return; }
  var colours = {open: "#0b5cad", acknowledged: "#6b4fbb", in_progress: "#c27c00", resolved: "#1e7b34",
                 declined: "#777777"};
  var map = StreetMap.create(holder, {tiles: data.tiles});
  var markers = data.places.map(function (p) {
    var m = L.circleMarker([p.lat, p.lon], {radius: 7, weight: p.overdue ? 3 : 1,
      color: p.overdue ? "#b3261e" : "#ffffff", fillColor: colours[p.status] || "#0b5cad", fillOpacity: 0.9});
    var tip = document.createElement("span");
    tip.textContent = p.label + " (" + p.status.replace("_", " ") + ")";  // text, never HTML
    m.bindTooltip(tip);
    m.on("click", function () { window.location.assign("/partner/followups/" + p.id); });
    return m;
  });
  var group = L.featureGroup(markers);
  map.fitBounds(group.getBounds().pad(0.3), {maxZoom: 17});
  StreetMap.streets(map, data.streets);
  group.addTo(map);
  StreetMap.quiet(group);
})();
