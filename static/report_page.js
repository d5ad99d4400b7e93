/* The report page: the form still works without this script (a plain GET that downloads the file). With it,
   the wait is said while the report is made (it takes seconds), the button cannot start a second one meanwhile,
   the file is saved when it comes, and a refusal shows the form again with the field at fault named. */
window.gisappReportPage = (function () {
  "use strict";

  function init() {
    var form = document.querySelector("form.report-form"), button = form.querySelector("button[type=submit]");
    var status = document.getElementById("report-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = form.action + "?" + new URLSearchParams(new FormData(form)).toString();
      button.disabled = true;
      status.textContent = "正在生成报告，请稍候… making the report, please wait…";
      status.className = "muted";
      fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { window.location.assign(url); return null; }  // the form again, the field at fault named
        var name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/.exec(r.headers.get("Content-Disposition") || "");
        return r.blob().then(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = name ? decodeURIComponent(name[1]) : "report";
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
          status.textContent = "报告已生成 the report is made: " + link.download;
        });
      }).catch(function (err) {
        status.textContent = window.gisappCommon.problem(err);
        status.className = "flash";
      }).then(function () { button.disabled = false; });
    });
  }

  return { init: init };
})();
