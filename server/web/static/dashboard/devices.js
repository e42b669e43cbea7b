// Tablets signed in (GET /api/v1/devices): who, which tablet, when; "End session" revokes one
// (DELETE, with the page's CSRF token through Doorstep.api). Every text goes in as text.
(function () {
  "use strict";
  var body = document.querySelector("#devices tbody");
  var message = document.getElementById("devices-message");
  if (!body) { return; }
  // Short and British ("30 Nov, 22:45"): the table must fit a phone's width beside its button.
  function when(iso) {
    return new Date(iso).toLocaleString("en-GB", {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"});
  }
  function load() {
    return Doorstep.api("GET", "/api/v1/devices?limit=500").then(function (page) {
      body.textContent = "";
      if (!page.items.length) {
        body.appendChild(Doorstep.el("tr", {}, [Doorstep.el("td", {colspan: "6", cls: "muted",
          text: "No tablet is signed in."})]));
      }
      page.items.forEach(function (d) {
        var end = Doorstep.el("button", {type: "button", cls: "secondary", text: "End session"});
        end.addEventListener("click", function () {
          end.disabled = true;
          Doorstep.api("DELETE", "/api/v1/devices/" + encodeURIComponent(d.session_id)).then(function () {
            message.textContent = "Ended the session of " + (d.device_name || "the tablet") + " (" + d.display_name + ").";
            message.className = "ok";
            return load();
          }).catch(function (e) { end.disabled = false; message.textContent = e.message; message.className = "error"; });
        });
        body.appendChild(Doorstep.el("tr", {"data-session-id": d.session_id}, [
          Doorstep.el("td", {text: d.display_name + " (" + d.username + ")"}),
          Doorstep.el("td", {text: d.agency_code}),
          Doorstep.el("td", {text: d.device_name || d.device_id}),
          Doorstep.el("td", {text: when(d.signed_in_at)}),
          Doorstep.el("td", {text: when(d.last_seen_at)}),
          Doorstep.el("td", {}, [end])
        ]));
      });
    }).catch(function (e) { message.textContent = e.message; message.className = "error"; });
  }
  load();
})();
