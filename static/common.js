/* Helpers every page script shares: elements by id, elements with attributes and text (never HTML), a
   vocabulary's label, the API's JSON requests in the browser session, and messages (API errors in Chinese
   first, each problem once). */
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

  /* Make ``node`` (a list item, a table cell) act as a button: ``act`` on a click, and on Enter or Space once
     it has the keyboard's focus (it takes part in the Tab order). */
  function activate(node, act) {
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    node.addEventListener("click", act);
    node.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); act(e); }
    });
    return node;
  }

  /* A GET of the API's JSON (no CSRF token needed). */
  var getJson = function (url) { return requester(null)("GET", url); };

  var TROUBLE = { 400: "输入有误", 401: "请重新登录", 403: "无权进行此操作", 404: "未找到", 405: "不支持此操作",
                  409: "与已有数据冲突", 413: "提交的内容过大", 422: "无法按此输入处理", 429: "尝试过于频繁，请稍后再试",
                  503: "服务暂不可用，请稍后再试" };

  /* The label a person reads for the form field ``name`` near ``near`` (its <label>'s own text), or null. */
  function fieldLabel(name, near) {
    var scope = (near && near.closest && near.closest("section, form")) || document;
    var control = scope.querySelector("[name='" + String(name).replace(/[^\w.\-]/g, "") + "']");
    var box = control && control.closest("label");
    var text = box && box.firstChild && box.firstChild.nodeType === 3 ? box.firstChild.textContent.trim() : "";
    return text || null;
  }

  /* An API error (the body ``requester`` rejects with) as people read it: a headline in Chinese by its status,
     then each problem once, its field named by the page's own label where a form near ``near`` has that field.
     A request that never reached the server says so. */
  function problem(err, near) {
    if (!err || typeof err !== "object") { return "出错了 Error: " + String(err); }
    if (err instanceof TypeError) { return "无法连接服务器，请检查网络后重试 The server cannot be reached: " + err.message; }
    var status = err.status, head = TROUBLE[status] || (status >= 500 ? "服务器出错，请稍后再试" : "出错了");
    var parts = (err.problems || []).map(function (p) {
      return (p.field ? (fieldLabel(p.field, near) || p.field) + ": " : "") + p.problem;
    });
    if (!parts.length) { parts = [err.message || err.error || ""]; }
    return head + (status ? "（" + status + "）" : "") + "：" + parts.filter(Boolean).join("；");
  }

  /* Say ``text`` in the message box ``id``; ``kind`` "ok" or "error" colours it. */
  function say(id, text, kind) {
    var box = byId(id);
    if (!box) { return; }
    box.textContent = text || "";
    box.className = "dp-message" + (kind ? " dp-" + kind : "");
  }

  /* Say an API error in the message box ``id``, as ``problem`` words it. */
  function fail(id, err) { say(id, problem(err, byId(id)), "error"); }

  return { byId: byId, el: el, label: label, requester: requester, getJson: getJson, problem: problem, say: say,
           fail: fail, activate: activate };
})();
