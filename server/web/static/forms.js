// What every page does with its forms (server/lib/pages.py explains the post-redirect-get).
//
// A form marked data-draft="<key>" keeps what was typed in this tab (sessionStorage) as the user types
// and when it is sent, and puts it back when the page opens again without the server having said the
// form was sent: after a refusal or a conflict (the server redirects back here), or after signing in
// again when the session had ended. The server's message names the form it confirms (data-sent), and
// that clears the draft. Passwords, hidden fields and the security token are never kept; signing out
// (a form marked data-clears-drafts) forgets every draft on this device.
(function () {
  "use strict";
  var PREFIX = "doorstep-draft:";
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }  // storage off: forms work, drafts are not kept

  function kept(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "_csrf_token" && !/^(password|hidden|submit|button|file|reset)$/.test(el.type);
    });
  }
  function read(form) {
    return kept(form).map(function (el) {
      var checkable = el.type === "checkbox" || el.type === "radio";
      return [el.name, checkable ? el.value : "", checkable ? (el.checked ? "1" : "") : el.value];
    });
  }
  function save(form) {
    var entries = read(form);
    var typed = entries.some(function (e) { return e[2] !== ""; });
    if (typed) { store.setItem(PREFIX + form.dataset.draft, JSON.stringify(entries)); }
  }
  function restore(form, entries) {
    var changed = false;
    entries.forEach(function (e) {
      kept(form).forEach(function (el) {
        if (el.name !== e[0]) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === e[1] && el.checked !== (e[2] === "1")) { el.checked = e[2] === "1"; changed = true; }
        } else if (el.value !== e[2]) {
          el.value = e[2]; changed = true;
        }
      });
    });
    return changed;
  }

  var sent = document.querySelector("[data-sent]");
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = PREFIX + form.dataset.draft;
    if (sent && sent.dataset.sent === form.dataset.draft) {
      store.removeItem(key);
    } else {
      var saved = store.getItem(key);
      if (saved) {
        var entries;
        try { entries = JSON.parse(saved); } catch (e) { entries = []; }
        if (restore(form, entries)) {
          var note = document.createElement("p");
          note.className = "note draft-note";
          note.setAttribute("role", "status");
          note.textContent = "What you typed here before is back: it has not been sent yet.";
          form.insertBefore(note, form.firstChild);
        }
      }
    }
    form.addEventListener("input", function () { save(form); });
    form.addEventListener("change", function () { save(form); });
    form.addEventListener("submit", function () { save(form); });
  });
  document.querySelectorAll("form[data-clears-drafts]").forEach(function (form) {
    form.addEventListener("submit", function () {
      Object.keys(store).forEach(function (k) { if (k.indexOf(PREFIX) === 0) { store.removeItem(k); } });
    });
  });
})();
