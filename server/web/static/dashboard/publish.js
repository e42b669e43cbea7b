// The dashboard's open-data card: publish or withdraw the operation's results, and write the report's
// "what happens next". Every text goes in as text.
(function () {
  "use strict";
  var card = document.getElementById("open-data");
  if (!card) { return; }
  var base = "/api/v1/operations/" + card.dataset.operationId;
  var state = document.getElementById("open-data-state");
  var publish = document.getElementById("publish");
  var withdraw = document.getElementById("withdraw");

  function day(iso) {
    return new Date(iso).toLocaleDateString("en-GB", {timeZone: "Europe/London", day: "numeric", month: "long",
                                                     year: "numeric"});
  }
  function show(p) {
    card.dataset.published = p.published ? "yes" : "no";
    state.textContent = p.published
      ? "Published since " + day(p.published_at) + (p.published_by ? " by " + p.published_by : "") +
        ": anyone can open the public page, the files, the report and the OGC API collection."
      : "Not published: only you and the operation's other coordinators can see the public page and the report.";
    publish.hidden = p.published;
    withdraw.hidden = !p.published;
  }
  function failed(e) { state.textContent = "That did not work: " + e.message; }
  function change(method) {
    publish.disabled = withdraw.disabled = true;
    Doorstep.api(method, base + "/publish").then(show, failed).then(function () {
      publish.disabled = withdraw.disabled = false;
    });
  }
  publish.addEventListener("click", function () { change("POST"); });
  withdraw.addEventListener("click", function () { change("DELETE"); });
  Doorstep.api("GET", base + "/publish").then(show, failed);

  var form = document.getElementById("next-steps");
  var fields = Array.prototype.slice.call(form.querySelectorAll("input.priority"));
  var contact = document.getElementById("public-contact");
  var status = document.getElementById("next-steps-status");
  // What the user types before the saved steps arrive is theirs: the late answer fills only untouched boxes.
  var typed = [];
  fields.concat([contact]).forEach(function (input) {
    input.addEventListener("input", function () { typed.push(input); });
  });
  function untouched(input) { return typed.indexOf(input) < 0; }
  Doorstep.api("GET", base + "/priorities").then(function (steps) {
    fields.forEach(function (input, i) { if (untouched(input)) { input.value = steps.priorities[i] || ""; } });
    if (untouched(contact)) { contact.value = steps.contact || ""; }
  }, function (err) {
    status.className = "error";
    status.textContent = "The saved priorities did not load: " + err.message;
  }).then(function () { form.dataset.loaded = "1"; });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = {priorities: fields.map(function (i) { return i.value.trim(); }).filter(Boolean),
                contact: contact.value.trim() || null};
    status.className = "";
    status.textContent = "Saving…";
    Doorstep.api("PUT", base + "/priorities", body).then(function () {
      status.className = "ok";
      status.textContent = "Saved: the report shows them now.";
    }, function (err) {
      status.className = "error";
      status.textContent = err.message;
    });
  });
})();
