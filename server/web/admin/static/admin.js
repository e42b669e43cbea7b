// Admin pages: make a password or a webhook secret in the browser (crypto.getRandomValues; shown so the
// admin can pass it on), and issue or revoke an agency's Open311 key through the API, whose answer
// carries the key once: it is put on the page and kept nowhere.
(function () {
  "use strict";
  var ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  function random(n) {
    var bytes = new Uint8Array(n), out = "";
    window.crypto.getRandomValues(bytes);
    for (var i = 0; i < n; i++) { out += ALPHABET[bytes[i] % ALPHABET.length]; }
    return out;
  }
  function fill(button, length, hint) {
    var input = document.getElementById(button.dataset.makePassword || button.dataset.makeSecret);
    input.type = "text";  // shown, so it can be copied and passed on
    input.value = random(length);
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.select();
    if (hint) { hint.hidden = false; }
  }
  document.querySelectorAll("[data-make-password]").forEach(function (b) {
    b.addEventListener("click", function () { fill(b, 16); });
  });
  document.querySelectorAll("[data-make-secret]").forEach(function (b) {
    b.addEventListener("click", function () { fill(b, 40, document.getElementById("secret-hint")); });
  });

  var box = document.getElementById("open311");
  if (!box) { return; }
  var url = "/api/v1/agencies/" + encodeURIComponent(box.dataset.code) + "/open311-key";
  var message = document.getElementById("key-message");
  var confirmBox = document.getElementById("key-confirm");
  var pending = null;
  function ask(text, action) {
    pending = action;
    document.getElementById("key-confirm-text").textContent = text;
    confirmBox.hidden = false;
    document.getElementById("key-confirm-yes").focus();
  }
  function issue() {
    message.textContent = "";
    Doorstep.api("POST", url).then(function (answer) {
      document.getElementById("key-value").textContent = answer.api_key;
      document.getElementById("key-shown").hidden = false;
      document.getElementById("revoke-key").hidden = false;
      document.getElementById("issue-key").textContent = "Issue a new key";
      document.getElementById("key-state").textContent = "The agency has a key (the one below). Any key issued before it no longer works.";
      box.dataset.hasKey = "yes";
    }).catch(function (e) { message.textContent = e.message; });
  }
  function revoke() {
    message.textContent = "";
    Doorstep.api("DELETE", url).then(function () {
      document.getElementById("key-shown").hidden = true;
      document.getElementById("key-value").textContent = "";
      document.getElementById("revoke-key").hidden = true;
      document.getElementById("issue-key").textContent = "Issue a key";
      document.getElementById("key-state").textContent = "No key: the agency's case system cannot read its follow-ups over Open311 until a new key is issued.";
      box.dataset.hasKey = "no";
      message.textContent = "Revoked: the key stopped working.";
    }).catch(function (e) { message.textContent = e.message; });
  }
  document.getElementById("issue-key").addEventListener("click", function () {
    if (box.dataset.hasKey === "yes") {
      ask("Issue a new key? The key the agency uses now stops working at once.", issue);
    } else { issue(); }
  });
  document.getElementById("revoke-key").addEventListener("click", function () {
    ask("Revoke the key? The agency's case system can no longer read its follow-ups.", revoke);
  });
  document.getElementById("key-confirm-yes").addEventListener("click", function () {
    confirmBox.hidden = true;
    if (pending) { pending(); pending = null; }
  });
  document.getElementById("key-confirm-no").addEventListener("click", function () {
    confirmBox.hidden = true; pending = null;
  });
})();
