// Tablets signed in (GET /api/v1/devices): who, which tablet, when; "End session" revokes one
// (DELETE), "Lost" and "Retire" mark it (POST …/order), each with the page's CSRF token through
// Doorstep.api. Below, the tablets marked and when each reported that it had erased itself.
// Every text goes in as text.
(function () {
  "use strict";
  var body = document.querySelector("#devices tbody");
  var orders = document.querySelector("#device-orders tbody");
  var message = document.getElementById("devices-message");
  if (!body) { return; }
  // Short and British ("30 Nov, 22:45").
  function when(iso) {
    return new Date(iso).toLocaleString("en-GB", {timeZone: "Europe/London", day: "numeric", month: "short",
                                                  hour: "2-digit", minute: "2-digit", hour12: false});
  }
  function say(text, kind) { message.textContent = text; message.className = kind; }
  // Marking is asked twice (the button turns into "Confirm …" and the line above says what follows),
  // in the page itself: a phone's browser may suppress window.confirm.
  var ASK = {
    lost: "Marking it lost signs it out at once; it erases everything it holds (records not yet sent " +
          "included) the next time it reaches the server. Tap Confirm lost to go ahead.",
    retired: "Retiring it lets it send what it still holds, then it erases itself at its next sync. " +
             "Tap Confirm retire to go ahead."
  };
  var DONE = {lost: "Marked lost: ", retired: "Retired: "};
  function action(label, d, run, confirmWith) {
    var button = Doorstep.el("button", {type: "button", cls: "secondary", text: label});
    var armed = false;
    button.addEventListener("click", function () {
      if (confirmWith && !armed) {
        armed = true;
        button.textContent = "Confirm " + label.toLowerCase();
        button.className = "danger";
        say((d.device_name || "This tablet") + ": " + confirmWith, "warning");
        return;
      }
      button.disabled = true;
      run().catch(function (e) { button.disabled = false; say(e.message, "error"); });
    });
    return button;
  }
  function order(d, kind) {
    return function () {
      return Doorstep.api("POST", "/api/v1/devices/" + encodeURIComponent(d.session_id) + "/order", {kind: kind})
        .then(function () {
          say(DONE[kind] + (d.device_name || "the tablet") + " (" + d.display_name + ").", "ok");
          return load();
        });
    };
  }
  function loadOrders() {
    if (!orders) { return Promise.resolve(); }
    return Doorstep.api("GET", "/api/v1/devices/orders").then(function (page) {
      orders.textContent = "";
      if (!page.items.length) {
        orders.appendChild(Doorstep.el("tr", {}, [Doorstep.el("td", {colspan: "4", cls: "muted",
          text: "No tablet has been marked lost or retired."})]));
      }
      page.items.forEach(function (o) {
        orders.appendChild(Doorstep.el("tr", {"data-order-id": o.id, "data-device-id": o.device_id}, [
          Doorstep.el("td", {text: o.device_name || o.device_id}),
          Doorstep.el("td", {text: o.display_name + " (" + o.username + ")"}),
          Doorstep.el("td", {text: (o.kind === "lost" ? "Lost" : "Retired") + ", " + when(o.ordered_at) +
                                   " by " + o.ordered_by}),
          Doorstep.el("td", {cls: o.done_at ? "" : "muted",
                             text: o.done_at ? "Erased " + when(o.done_at) : "Not yet: at its next contact"})
        ]));
      });
    });
  }
  function load() {
    return Doorstep.api("GET", "/api/v1/devices?limit=500").then(function (page) {
      body.textContent = "";
      if (!page.items.length) {
        body.appendChild(Doorstep.el("tr", {}, [Doorstep.el("td", {colspan: "6", cls: "muted",
          text: "No tablet is signed in."})]));
      }
      page.items.forEach(function (d) {
        var end = action("End session", d, function () {
          return Doorstep.api("DELETE", "/api/v1/devices/" + encodeURIComponent(d.session_id)).then(function () {
            say("Ended the session of " + (d.device_name || "the tablet") + " (" + d.display_name + ").", "ok");
            return load();
          });
        });
        // data-label: on a phone each row becomes a card whose lines say what they are (dashboard.css).
        body.appendChild(Doorstep.el("tr", {"data-session-id": d.session_id}, [
          Doorstep.el("td", {"data-label": "Person", text: d.display_name + " (" + d.username + ")"}),
          Doorstep.el("td", {"data-label": "Agency", text: d.agency_code}),
          Doorstep.el("td", {"data-label": "Tablet", text: d.device_name || d.device_id}),
          Doorstep.el("td", {"data-label": "Signed in", text: when(d.signed_in_at)}),
          Doorstep.el("td", {"data-label": "Last seen", text: when(d.last_seen_at)}),
          Doorstep.el("td", {cls: "actions"}, [end, action("Lost", d, order(d, "lost"), ASK.lost),
                                               action("Retire", d, order(d, "retired"), ASK.retired)])
        ]));
      });
      return loadOrders();
    }).catch(function (e) { say(e.message, "error"); });
  }
  load();
})();
