(function () {
  "use strict";
  var root = document.getElementById("setup");
  var op = root.dataset.operationId;
  var message = document.getElementById("setup-message");
  function say(text, bad) { message.textContent = text; message.className = bad ? "error" : "ok"; }

  document.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      Doorstep.api("POST", "/api/v1/operations/" + op + "/" + b.dataset.action).then(function () {
        window.location.reload();
      }).catch(function (e) { say(e.message, true); });
    });
  });

  document.getElementById("new-team").addEventListener("submit", function (event) {
    event.preventDefault();
    var f = event.target;
    var members = Array.prototype.map.call(f.querySelectorAll("input[name=member]:checked"), function (i) { return +i.value; });
    Doorstep.api("POST", "/api/v1/operations/" + op + "/teams", {name: f.name.value, member_ids: members, street_ids: []})
      .then(function () { window.location.reload(); })
      .catch(function (e) { say(e.message, true); });
  });

  document.querySelectorAll("select.assign").forEach(function (s) {
    var before = s.value;
    s.addEventListener("change", function () {
      var team = s.value ? +s.value : null;
      Doorstep.api("PUT", "/api/v1/operations/" + op + "/streets/" + s.dataset.streetId + "/team", {team_id: team})
        .then(function (street) { before = s.value; say(street.name + " saved.", false); })
        .catch(function (e) { s.value = before; say(e.message, true); });
    });
  });
})();
