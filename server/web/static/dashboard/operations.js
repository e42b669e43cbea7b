(function () {
  "use strict";
  var form = document.getElementById("new-operation");
  var error = document.getElementById("new-operation-error");
  var text = document.getElementById("op-area");
  var mapEl = document.getElementById("area-map");
  var areaMap = AreaMap.create("area-map", {tileUrl: mapEl.dataset.tileUrl, onChange: function (g) {
    text.value = g ? JSON.stringify(g) : "";
  }});
  var context = JSON.parse(document.getElementById("context-areas").textContent);
  if (context.features.length) {
    areaMap.addContext(context);
    areaMap.fitAll();
  }
  document.getElementById("draw-area").addEventListener("click", function () { areaMap.draw(); });
  document.getElementById("op-area-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    error.textContent = "";
    AreaMap.readFile(file).then(function (g) {
      areaMap.setArea(g);
      text.value = JSON.stringify(g);
    }).catch(function (e) { error.textContent = e.message; });
  });
  text.addEventListener("change", function () {
    try { areaMap.setArea(JSON.parse(text.value)); } catch (e) { /* said on submit */ }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    var area;
    if (!text.value.trim()) { error.textContent = "Draw the area on the map, or load a GeoJSON file of it."; return; }
    try { area = JSON.parse(text.value); } catch (e) { error.textContent = "The area is not valid JSON: " + e.message; return; }
    var body = {name: form.name.value, questionnaire_id: form.questionnaire_id.value, area: area};
    if (form.starts_on.value) { body.starts_on = form.starts_on.value; }
    if (form.ends_on.value) { body.ends_on = form.ends_on.value; }
    Doorstep.api("POST", "/api/v1/operations", body).then(function (op) {
      window.location.assign("/dashboard/operations/" + op.id + "/setup");
    }).catch(function (e) { error.textContent = e.message; });
  });
})();
