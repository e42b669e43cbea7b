// Sign-in for every page area (data-home on the form: where to go by default).
// The token route sets an HttpOnly session cookie; then go where the user was heading.
(function () {
  "use strict";
  // A path on this site, or nowhere: the same expression as SAFE_NEXT in server/lib/pages.py (a
  // browser reads "\\" as "/" and drops tabs and newlines, so those leave the site as "//" does).
  var SAFE_NEXT = /^\/(?![\/\\])[^\x00-\x20\x7f\\]*$/;
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    fetch("/api/v1/auth/token", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      credentials: "same-origin",
      body: JSON.stringify({username: form.username.value, password: form.password.value})
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      if (!res.ok) { error.textContent = res.body.detail || "Sign-in failed."; return; }
      var home = form.dataset.home || "/";
      var next = form.dataset.next || home;
      if (!SAFE_NEXT.test(next)) { next = home; }  // stay on this site
      window.location.assign(next);
    }).catch(function () { error.textContent = "The server did not answer; try again."; });
  });
})();
