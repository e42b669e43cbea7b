// Small helpers shared by the pages' scripts. The session cookie authenticates every call; a change
// also carries the page's CSRF token (the server refuses a cookie-authenticated change without it).
var Doorstep = (function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  // The sign-in page of the area this page is in (/dashboard/login, /admin/login, …).
  var area = location.pathname.split("/")[1];
  var LOGIN = (["dashboard", "partner", "admin"].indexOf(area) >= 0 ? "/" + area : "") + "/login";
  function api(method, url, body) {
    var init = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (method !== "GET" && csrf) { init.headers["X-CSRF-Token"] = csrf.content; }
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return send(url, init);
  }
  function send(url, init) {
    return fetch(url, init).then(function (r) {
      if (r.status === 401) { window.location.assign(LOGIN + "?next=" + encodeURIComponent(location.pathname + location.search)); }
      return r.text().then(function (t) {
        var data = t ? JSON.parse(t) : null;
        if (!r.ok) { var e = new Error((data && data.detail) || ("HTTP " + r.status)); e.status = r.status; throw e; }
        // Figures read from a replica say as of when (server/db/reads.py); kept beside the data.
        var asOf = r.headers.get("Doorstep-Read-As-Of");
        if (asOf && data && typeof data === "object") { Object.defineProperty(data, "readAsOf", {value: asOf}); }
        return data;
      });
    });
  }
  // An upload: the file itself as the body, with its own type (not JSON); answers like api().
  function upload(url, file) {
    var init = {method: "POST", credentials: "same-origin", body: file,
                headers: {"Accept": "application/json", "Content-Type": file.type && file.type !== "application/json" ?
                          file.type : "application/octet-stream"}};
    if (csrf) { init.headers["X-CSRF-Token"] = csrf.content; }
    return send(url, init);
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k === "cls") { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function pct(x) { return x === null || x === undefined ? "–" : Math.round(x * 100) + "%"; }
  // Labels come from the server (shared_schemas.codes, in <script id="labels">), so every category is
  // spelt one way; a code without one is shown as written.
  var labelsEl = document.getElementById("labels");
  var LABELS = labelsEl ? JSON.parse(labelsEl.textContent) : {};
  function label(code) { return LABELS[code] || String(code).replace(/_/g, " ").replace(/^./, function (c) { return c.toUpperCase(); }); }
  // The oldest "as of" among answers read from a replica, or null when every one read the primary.
  function readAsOf(answers) {
    var found = answers.map(function (a) { return a && a.readAsOf; }).filter(Boolean).sort();
    return found.length ? found[0] : null;
  }
  // Dates and times as a UK service writes them, in London time: "14 Mar 2025, 18:04".
  var WHEN = new Intl.DateTimeFormat("en-GB", {timeZone: "Europe/London", day: "numeric", month: "short",
                                                year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false});
  var TIME = new Intl.DateTimeFormat("en-GB", {timeZone: "Europe/London", hour: "2-digit", minute: "2-digit",
                                                second: "2-digit", hour12: false});
  var DAY = new Intl.DateTimeFormat("en-GB", {timeZone: "Europe/London", weekday: "short", day: "numeric",
                                               month: "short"});
  function when(iso) { return iso ? WHEN.format(new Date(iso)) : "–"; }
  // A calendar day ("2025-03-14") as "Fri 14 Mar".
  function day(date) { return DAY.format(new Date(date + "T12:00:00Z")); }
  function time(d) { return TIME.format(d || new Date()); }
  return {api: api, upload: upload, el: el, pct: pct, label: label, readAsOf: readAsOf, when: when, day: day,
          time: time};
})();
