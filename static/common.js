/* Helpers every page script shares: elements by id, elements with attributes and text (never HTML), a
   vocabulary's label, and the API's JSON requests in the browser session. */
window.gisappCommon = (function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function label(vocabulary, value) {
    return Object.prototype.hasOwnProperty.call(vocabulary || {}, value) ? vocabulary[value] : value;
  }

  /* A function making JSON requests in the browser session, sending ``csrf`` with those that write: it
     resolves with the answer's body ({} for 204) and rejects with the error body ({error, status, message,
     field, problems}; its status always set) when the answer is not 2xx. */
  function requester(csrf) {
    return function (method, url, body) {
      var init = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      if (method !== "GET") { init.headers["X-CSRFToken"] = csrf; }
      return fetch(url, init).then(function (r) {
        if (r.status === 204) { return {}; }
        return r.json().catch(function () { return { message: r.status + " " + r.statusText }; })
          .then(function (answer) {
            if (!r.ok) { answer.status = answer.status || r.status; throw answer; }
            return answer;
          });
      });
    };
  }

  /* A GET of the API's JSON (no CSRF token needed). */
  var getJson = function (url) { return requester(null)("GET", url); };

  return { byId: byId, el: el, label: label, requester: requester, getJson: getJson };
})();
