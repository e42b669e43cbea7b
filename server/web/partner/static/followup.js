// The follow-up page: a map of the streets around the place (named at street zoom), its street
// stronger, and the point; and the status form's small helps (Decline needs a reason; Enter in the
// reason box does not press the first status button).
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  if (holder && dataEl && window.L) {
    var data = JSON.parse(dataEl.textContent);
    var map = StreetMap.create(holder, {tiles: data.tiles});
    if (data.lat !== null && data.lon !== null) {
      // Leaflet draws vectors only once the map has a view: set it first, then add the layers.
      map.setView([data.lat, data.lon], 17);
      StreetMap.streets(map, data.streets, {highlight: data.street_id,
                                            avoid: [{latlng: L.latLng(data.lat, data.lon), radius: 12}]});
      var point = L.circleMarker([data.lat, data.lon], {radius: 9, color: "#b3261e", weight: 3, fillColor: "#f59e0b",
                                                        fillOpacity: 0.95, interactive: false}).addTo(map);
      StreetMap.quiet(point);
    } else {
      holder.textContent = "No place was given for this follow-up.";
    }
  }
  var form = document.getElementById("status-form");
  var reason = document.getElementById("reason");
  if (form && reason) {
    reason.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value === "declined" && !reason.value.trim()) {
        event.preventDefault();
        reason.setCustomValidity("Say why you decline it.");
        reason.reportValidity();
        reason.addEventListener("input", function () { reason.setCustomValidity(""); }, {once: true});
      }
    });
  }
})();
