// The questionnaires page: upload a workbook, then list what the server said (its problems by sheet,
// row and column, or the version it published and its warnings). Text only: nothing from the file
// reaches the page as HTML.
(function () {
  "use strict";
  var form = document.getElementById("upload-questionnaire");
  var input = document.getElementById("questionnaire-file");
  var result = document.getElementById("upload-result");
  var error = document.getElementById("upload-error");
  var problems = document.getElementById("upload-problems");
  var warnings = document.getElementById("upload-warnings");
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function list(node, items) {
    node.textContent = "";
    items.forEach(function (text) { node.appendChild(Doorstep.el("li", {text: text})); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files[0];
    if (!file) { return; }
    result.textContent = ""; error.textContent = "Uploading…"; list(problems, []); list(warnings, []);
    var headers = {"Accept": "application/json", "Content-Type": file.type || "application/octet-stream"};
    if (csrf) { headers["X-CSRF-Token"] = csrf.content; }
    fetch("/api/v1/questionnaires/import?filename=" + encodeURIComponent(file.name),
          {method: "POST", credentials: "same-origin", headers: headers, body: file})
      .then(function (r) { return r.text().then(function (t) { return {ok: r.ok, data: t ? JSON.parse(t) : {}}; }); })
      .then(function (answer) {
        var data = answer.data;
        if (!answer.ok) {
          error.textContent = data.detail || "The upload failed.";
          var found = (data.extra && data.extra.problems) || [];
          list(problems, found.map(function (p) {
            return p.sheet + " sheet" + (p.row ? ", row " + p.row : "") + (p.column ? ", column " + p.column : "") +
              ": " + p.message;
          }));
          return;
        }
        error.textContent = "";
        result.textContent = data.message + " Languages: " + data.languages.join(", ") + ".";
        list(warnings, data.warnings.map(function (w) { return "Warning: " + w; }));
        if (data.created) { setTimeout(function () { window.location.reload(); }, 4000); }
      })
      .catch(function () { error.textContent = "The server could not be reached: try again."; });
  });
})();
