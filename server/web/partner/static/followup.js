// The follow-up page: a small map of the place (the street and the point), and a status form
// whose URL is the page's own after a change (the server answers the POST with the page).
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  if (holder && dataEl && window.L) {
    var data = JSON.parse(dataEl.textContent);
    var map = L.map(holder, {zoomControl: true, attributionControl: !!data.tiles});
    if (data.tiles) { L.tileLayer(data.tiles, {maxZoom: 19}).addTo(map); }
    var layers = [];
    if (data.street) {
      layers.push(L.geoJSON(data.street, {style: {color: "#0b5cad", weight: 5, opacity: 0.8}}));
    }
    if (data.lat !== null && data.lon !== null) {
      layers.push(L.circleMarker([data.lat, data.lon], {radius: 8, color: "#b3261e", weight: 3,
        fillColor: "#f59e0b", fillOpacity: 0.9}));
    }
    if (layers.length) {
      // Leaflet draws vectors only once the map has a view: set it first, then add the layers.
      var group = L.featureGroup(layers);
      map.fitBounds(group.getBounds().pad(0.6), {maxZoom: 18});
      group.addTo(map);
    } else {
      holder.textContent = "No place was given for this follow-up.";
    }
  }
  if (window.history && window.history.replaceState && /\/partner\/followups\/[^/]+\/reassign$/.test(location.pathname)) {
    window.history.replaceState(null, "", location.pathname.replace(/\/reassign$/, ""));
  }
  var form = document.getElementById("status-form");
  var reason = document.getElementById("reason");
  if (form && reason) {
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
