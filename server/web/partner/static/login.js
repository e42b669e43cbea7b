// Sign-in: the token route sets an HttpOnly session cookie; then go where the user was heading.
(function () {
  "use strict";
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
      var next = form.dataset.next || "/partner";
      if (next.charAt(0) !== "/" || next.charAt(1) === "/") { next = "/partner"; }  // stay on this site
      window.location.assign(next);
    }).catch(function () { error.textContent = "The server did not answer; try again."; });
  });
})();
