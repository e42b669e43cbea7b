(function () {
  "use strict";
  var form = document.getElementById("new-operation");
  var error = document.getElementById("new-operation-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    var area;
    try { area = JSON.parse(form.area.value); } catch (e) { error.textContent = "The area is not valid JSON: " + e.message; return; }
    var body = {name: form.name.value, questionnaire_id: form.questionnaire_id.value, area: area};
    if (form.starts_on.value) { body.starts_on = form.starts_on.value; }
    if (form.ends_on.value) { body.ends_on = form.ends_on.value; }
    Doorstep.api("POST", "/api/v1/operations", body).then(function (op) {
      window.location.assign("/dashboard/operations/" + op.id + "/setup");
    }).catch(function (e) { error.textContent = e.message; });
  });
})();
