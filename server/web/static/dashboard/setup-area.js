// The set-up page's area and uploads: the map of the area (editable while planned) with the streets,
// uploads of the OSM extract and the address list with their progress and summary, closing with a
// confirmation, reopening.
(function () {
  "use strict";
  var root = document.getElementById("setup");
  var op = root.dataset.operationId;
  var status = root.dataset.status;
  var message = document.getElementById("setup-message");
  function say(text, bad) { message.textContent = text; message.className = bad ? "error" : "ok"; }
  var base = "/api/v1/operations/" + op;

  // ------------------------------------------------------------ the area
  var mapEl = document.getElementById("area-map");
  var planned = status === "planned";
  var saveArea = document.getElementById("save-area");
  var areaMap = AreaMap.create("area-map", {tileUrl: mapEl.dataset.tileUrl, editable: planned, onChange: function () {
    if (saveArea) { saveArea.disabled = false; }
  }});
  var area = JSON.parse(document.getElementById("operation-area").textContent);
  if (area) { areaMap.setArea(area); }
  function loadStreets() {
    return Doorstep.api("GET", base + "/streets?format=geojson").then(function (fc) {
      areaMap.clearContext();
      if (fc.features.length) { areaMap.addContext(fc, {color: "#5b6776", weight: 2}); }
      if (!area) { areaMap.fitAll(); }
    }).catch(function () { /* the streets are context only */ });
  }
  loadStreets();
  if (saveArea) {
    saveArea.disabled = true;
    saveArea.addEventListener("click", function () {
      var g = areaMap.geoJSON();
      if (!g) { say("Draw the area first.", true); return; }
      Doorstep.api("PUT", base + "/area", {area: g}).then(function (detail) {
        saveArea.disabled = true;
        say("Area saved." + (detail.households_outside_area ? " " + detail.households_outside_area +
            " doors imported earlier now lie outside it." : ""), false);
      }).catch(function (e) { say(e.message, true); });
    });
    document.getElementById("draw-area").addEventListener("click", function () { areaMap.draw(); });
    document.getElementById("area-file").addEventListener("change", function (event) {
      var file = event.target.files[0];
      if (!file) { return; }
      AreaMap.readFile(file).then(function (g) { areaMap.setArea(g); saveArea.disabled = false; })
        .catch(function (e) { say(e.message, true); });
    });
  }

  // ------------------------------------------------------------ uploads
  var progress = document.getElementById("upload-progress");
  var stepText = document.getElementById("upload-step");
  var summary = document.getElementById("upload-summary");

  function showJob(job) {
    var label = job.kind === "osm" ? "OpenStreetMap extract" : "Address list";
    summary.textContent = "";
    if (job.status === "queued" || job.status === "running") {
      progress.hidden = false;
      if (job.total > 0) { progress.max = job.total; progress.value = job.done; } else { progress.removeAttribute("value"); }
      stepText.textContent = label + " " + job.filename + ": " + (job.status === "queued" ? "waiting to start" : job.step) +
        (job.total > 0 ? " (" + job.done + " of " + job.total + ")" : "");
      return false;
    }
    progress.hidden = true;
    if (job.status === "failed") {
      stepText.textContent = "";
      summary.appendChild(Doorstep.el("p", {cls: "error", role: "alert", text: label + " " + job.filename + ": " + job.error}));
      return true;
    }
    stepText.textContent = label + " " + job.filename + " imported.";
    var rows = (job.summary_lines || []).map(function (line) {
      return Doorstep.el("tr", {}, [Doorstep.el("th", {text: line[0]}), Doorstep.el("td", {text: line[1]})]);
    });
    summary.appendChild(Doorstep.el("table", {cls: "summary", id: "summary-" + job.id}, [Doorstep.el("tbody", {}, rows)]));
    var refused = (job.summary && job.summary.refusals) || [];
    if (refused.length) {
      summary.appendChild(Doorstep.el("h3", {text: "Rows refused (fix them in the file and upload it again)"}));
      summary.appendChild(Doorstep.el("table", {cls: "refused"}, [
        Doorstep.el("thead", {}, [Doorstep.el("tr", {}, [Doorstep.el("th", {cls: "num", text: "Line"}),
          Doorstep.el("th", {text: "UPRN"}), Doorstep.el("th", {text: "Why"})])]),
        Doorstep.el("tbody", {}, refused.slice(0, 100).map(function (r) {
          return Doorstep.el("tr", {}, [Doorstep.el("td", {cls: "num", text: String(r.line)}),
            Doorstep.el("td", {text: r.uprn || ""}), Doorstep.el("td", {text: r.reason})]);
        }))]));
    }
    return true;
  }

  function follow(job) {
    if (showJob(job)) {
      if (job.status === "done") {
        document.getElementById("reload-note").hidden = false;
        loadStreets();
        Doorstep.api("GET", base + "/setup").then(function (view) {
          var o = view.operation;
          document.getElementById("op-counts").textContent = o.streets + " streets, " + o.households + " households" +
            (o.generated_households ? ", of which " + o.generated_households + " generated (placed along streets where " +
             "OpenStreetMap has no house numbers: they may not exist; an address list replaces them)." : ".");
        }).catch(function () { /* the counts catch up on reload */ });
      }
      return;
    }
    setTimeout(function () {
      Doorstep.api("GET", base + "/imports/" + job.id).then(follow).catch(function (e) { say(e.message, true); });
    }, 500);
  }

  document.querySelectorAll("form.upload").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.querySelector("input[type=file]");
      var file = input.files[0];
      if (!file) { say("Choose a file first.", true); return; }
      say("", false);
      Doorstep.upload(base + "/imports/" + form.dataset.kind + "?filename=" + encodeURIComponent(file.name), file)
        .then(follow).catch(function (e) { say(e.message, true); });
    });
  });

  Doorstep.api("GET", base + "/imports").then(function (list) {
    var latest = list.items[0];
    if (latest) { follow(latest); }
  }).catch(function () { /* nothing to show yet */ });

  // ------------------------------------------------------------ closing and reopening
  var dialog = document.getElementById("close-dialog");
  var closeButton = document.getElementById("close-operation");
  if (closeButton) {
    closeButton.addEventListener("click", function () { dialog.showModal(); });
    document.getElementById("close-cancel").addEventListener("click", function () { dialog.close(); });
    document.getElementById("close-confirm").addEventListener("click", function () {
      dialog.close();
      Doorstep.api("POST", base + "/close").then(function () { window.location.reload(); })
        .catch(function (e) { say(e.message, true); });
    });
  }
  var reopen = document.getElementById("reopen-operation");
  if (reopen) {
    reopen.addEventListener("click", function () {
      Doorstep.api("POST", base + "/reopen").then(function () { window.location.reload(); })
        .catch(function (e) { say(e.message, true); });
    });
  }
})();
