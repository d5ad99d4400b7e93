/* The flagged grids panel beside the map (覆盖预警), for the roles that read coverage: the grids flagged by day or
   by night (/api/coverage/grids?flagged=true) with their covered shares by net, gap area and reasons, filtered
   by reason and village (and to the user's own grids or team's area), sorted by a click on a column's header;
   a click on a grid zooms the map to it and draws the grid and its gaps of that time of day; the list as an
   Excel file. A grid worker's own grids and a team leader's team's area are marked. One panel on the left is
   open at a time (the patrol and siting panels close when this one opens, and this one when they open).
   Every text from the server is put in with textContent, never as HTML. */
window.gisappFlagged = (function () {
  "use strict";
  var map, opts, reasons = {}, rows = [], sort = { key: "gap_m2", descending: true }, seq = 0, chosen = null;
  var selection, chosenSeq = 0, own = {}, teamVillages = {};

  var common = window.gisappCommon, byId = common.byId, el = common.el, getJson = common.getJson;

  function say(text, kind) {
    var box = byId("fg-message");
    box.textContent = text || "";
    box.className = "dp-message" + (kind ? " dp-" + kind : "");
  }

  function fail(err) { say(common.problem(err, byId("fg-message")), "error"); }

  function percent(share) { return share === null || share === undefined ? "–" : (Math.round(share * 1000) / 10) + "%"; }
  function reasonText(reason) { return Object.prototype.hasOwnProperty.call(reasons, reason) ? reasons[reason] : reason; }

  function fill(select, pairs) {
    pairs.forEach(function (pair) { select.appendChild(el("option", { value: pair[0] }, pair[1])); });
  }

  // -- the list -------------------------------------------------------------------------------------------
  function period() { return byId("fg-period").value; }

  function query(format) {
    var q = ["flagged=true", "period=" + encodeURIComponent(period())];
    if (byId("fg-reason").value) { q.push("reason=" + encodeURIComponent(byId("fg-reason").value)); }
    if (byId("fg-village").value) { q.push("village=" + encodeURIComponent(byId("fg-village").value)); }
    if (format) { q.push("format=" + format); }
    return "/api/coverage/grids?" + q.join("&");
  }

  /* The flagged grids of the period (every reason, every village: the filters apply in the page, and the
     villages' choice lists those with flagged grids); answers for an earlier period are dropped. */
  function load() {
    var mine = ++seq;
    say("");
    getJson("/api/coverage/grids?flagged=true&period=" + encodeURIComponent(period())).then(function (answer) {
      if (mine !== seq) { return; }
      rows = answer.grids;
      villages();
      show();
    }).catch(function (err) { if (mine === seq) { fail(err); } });
  }

  function villages() {
    var select = byId("fg-village"), kept = select.value, seen = {};
    while (select.options.length > 1) { select.remove(1); }
    rows.slice().sort(function (a, b) { return a.village_code < b.village_code ? -1 : a.village_code > b.village_code ? 1 : 0; })
      .forEach(function (g) {
        if (seen[g.village_code]) { return; }
        seen[g.village_code] = true;
        select.appendChild(el("option", { value: g.village_code }, g.village));
      });
    select.value = seen[kept] ? kept : "";
  }

  function compare(a, b) {
    var key = sort.key, x, y;
    if (key === "grid") {
      x = a.village + " " + a.grid;
      y = b.village + " " + b.grid;
      return x.localeCompare(y, "zh-CN") || (a.grid_code < b.grid_code ? -1 : 1);
    }
    x = a[key]; y = b[key];
    return (x - y) || (a.grid_code < b.grid_code ? -1 : a.grid_code > b.grid_code ? 1 : 0);
  }

  function shown() {
    var reason = byId("fg-reason").value, village = byId("fg-village").value, mineBox = byId("fg-mine");
    var onlyMine = mineBox && mineBox.checked;
    return rows.filter(function (g) {
      return (!reason || g.reasons.indexOf(reason) >= 0) && (!village || g.village_code === village) &&
             (!onlyMine || own[g.grid_code] || teamVillages[g.village_code]);
    }).sort(function (a, b) { return sort.descending ? compare(b, a) : compare(a, b); });
  }

  /* The table: two rows a grid (its figures, then its reasons), in the chosen order; the export follows the filters. */
  function show() {
    var body = byId("fg-rows"), list = shown();
    body.textContent = "";
    byId("fg-count").textContent = list.length;
    byId("fg-export").href = query("xlsx");
    document.querySelectorAll("#fg-table th button").forEach(function (b) {
      var on = b.getAttribute("data-sort") === sort.key;
      b.parentNode.setAttribute("aria-sort", on ? (sort.descending ? "descending" : "ascending") : "none");
    });
    list.forEach(function (g) {
      var mark = own[g.grid_code] ? "fg-own" : (teamVillages[g.village_code] ? "fg-team" : "");
      var row = el("tr", { "class": "fg-grid " + mark + (chosen === g.grid_code ? " fg-chosen" : ""),
                           "data-code": g.grid_code, tabindex: "0" });
      var name = el("td", { "class": "fg-name" });
      name.appendChild(el("strong", {}, g.grid));
      if (own[g.grid_code]) { name.appendChild(el("span", { "class": "fg-badge" }, "我的 mine")); }
      name.appendChild(el("div", { "class": "fg-village" }, g.village));
      row.appendChild(name);
      ["camera_share", "alarm_share", "patrol_share", "covered_share"].forEach(function (key) {
        row.appendChild(el("td", { "class": "fg-num" + (key === "covered_share" ? " fg-total" : "") }, percent(g[key])));
      });
      row.appendChild(el("td", { "class": "fg-num" }, Math.round(g.gap_m2).toLocaleString("en-US")));
      var why = el("tr", { "class": "fg-why " + mark + (chosen === g.grid_code ? " fg-chosen" : ""), "data-code": g.grid_code });
      why.appendChild(el("td", { colspan: "6", "class": "fg-reasons" }, g.reasons.map(reasonText).join("、")));
      [row, why].forEach(function (r) {
        r.addEventListener("click", function () { choose(g); });
      });
      row.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(g); } });
      body.appendChild(row);
      body.appendChild(why);
    });
    if (!list.length) { say(rows.length ? "没有这样的网格 No such grid" : "没有预警网格 No flagged grid"); } else { say(""); }
  }

  // -- a grid chosen: the map zooms to it and draws its gaps -------------------------------------------
  /* Fit the map to ``bounds`` in the part of it the open panel leaves free. */
  function fit(bounds) {
    if (!bounds.isValid()) { return; }
    var panel = byId("fg-panel"), box = map.getContainer().getBoundingClientRect(), left = 30, right = 30;
    var control = map.getContainer().querySelector(".leaflet-control-layers");
    if (!panel.classList.contains("collapsed")) { left = panel.getBoundingClientRect().right - box.left + 20; }
    if (control) { right = box.right - control.getBoundingClientRect().left + 20; }
    if (left + right > box.width * 0.6) { right = 30; }         // a narrow screen: over the layer switch,
    if (left + right > box.width * 0.6) { left = 30; }          // and over the panel if need be
    map.fitBounds(bounds, { maxZoom: 17, paddingTopLeft: [left, 40], paddingBottomRight: [right, 30] });
  }

  function choose(g) {
    var mine = ++chosenSeq, when = period();
    chosen = g.grid_code;
    document.querySelectorAll("#fg-rows tr").forEach(function (r) {
      r.classList.toggle("fg-chosen", r.getAttribute("data-code") === chosen);
    });
    var code = encodeURIComponent(g.grid_code);
    Promise.all([getJson("/api/collections/grids/items/" + code), getJson("/api/coverage/grids/" + code)])
      .then(function (answers) {
        if (mine !== chosenSeq) { return; }
        var grid = answers[0], gaps = (answers[1][when] || {}).gaps;
        selection.clearLayers();
        if (gaps) {
          L.geoJSON(gaps, { pane: "gisappHighlight", interactive: false,
                            style: { color: "#00b8d4", weight: 1.5, fillColor: "#543005", fillOpacity: 0.6 } }).addTo(selection);
        }
        L.geoJSON(grid, { pane: "gisappHighlight", interactive: false,
                          style: { color: "#1a1a1a", weight: 6, opacity: 0.6, fill: false } }).addTo(selection);
        var outline = L.geoJSON(grid, { pane: "gisappHighlight", interactive: false,
                                        style: { color: "#00e5ff", weight: 3, fill: false } }).addTo(selection);
        if (!map.hasLayer(selection)) { selection.addTo(map); }
        byId("fg-clear").hidden = false;
        fit(outline.getBounds());
      }).catch(function (err) { if (mine === chosenSeq) { fail(err); } });
  }

  function clear() {
    chosenSeq++;
    chosen = null;
    selection.clearLayers();
    map.removeLayer(selection);
    byId("fg-clear").hidden = true;
    document.querySelectorAll("#fg-rows tr.fg-chosen").forEach(function (r) { r.classList.remove("fg-chosen"); });
  }

  // -- one panel on the left at a time ------------------------------------------------------------------
  var OTHERS = [["pp-panel", "pp-toggle"], ["sp-panel", "sp-toggle"]];

  function setOpen(open) {
    byId("fg-panel").classList.toggle("collapsed", !open);
    document.body.classList.toggle("fg-open", open);  /* the legend and the scale move aside (static/map.js) */
    if (!open) { return; }
    OTHERS.forEach(function (other) {
      var panel = byId(other[0]);
      if (panel && !panel.classList.contains("collapsed")) { byId(other[1]).click(); }
    });
    ["pp-draw", "sp-draw"].forEach(function (id) {  // their clicks on the map would be taken for points
      var button = byId(id);
      if (button && button.classList.contains("active")) { button.click(); }
    });
    makeRoom();
    if (!rows.length) { load(); }
  }

  /* On a narrow screen the layer control, moved aside by the open disputes panel, would lie under this panel:
     the disputes panel closes. */
  function makeRoom() {
    var right = byId("dp-panel"), control = map.getContainer().querySelector(".leaflet-control-layers");
    if (byId("fg-panel").classList.contains("collapsed") || !right || right.classList.contains("collapsed") || !control) {
      return;
    }
    if (byId("fg-panel").getBoundingClientRect().right + 6 > control.getBoundingClientRect().left) { byId("dp-toggle").click(); }
  }

  function init(leafletMap, options) {
    map = leafletMap;
    opts = options;
    (opts.labels.reasons || []).forEach(function (pair) { reasons[pair[0]] = pair[1]; });
    (opts.own_grids || []).forEach(function (code) { own[code] = true; });
    (opts.team_villages || []).forEach(function (code) { teamVillages[code] = true; });
    selection = L.featureGroup();
    selection.options.gisappLegend = "flagged_selection";
    fill(byId("fg-period"), opts.labels.periods);
    fill(byId("fg-reason"), opts.labels.reasons);
    byId("fg-period").addEventListener("change", function () { if (chosen) { clear(); } load(); });
    ["fg-reason", "fg-village", "fg-mine"].forEach(function (id) {
      if (byId(id)) { byId(id).addEventListener("change", show); }
    });
    document.querySelectorAll("#fg-table th button").forEach(function (button) {
      button.addEventListener("click", function () {
        var key = button.getAttribute("data-sort");
        sort = { key: key, descending: sort.key === key ? !sort.descending : key !== "grid" };
        show();
      });
    });
    byId("fg-clear").addEventListener("click", clear);
    byId("fg-toggle").addEventListener("click", function () {
      setOpen(byId("fg-panel").classList.contains("collapsed"));
    });
    OTHERS.forEach(function (other) {  // another panel opened: this one closes (their handlers ran first)
      var toggle = byId(other[1]);
      if (!toggle) { return; }
      toggle.addEventListener("click", function () {
        var panel = byId(other[0]);
        if (!panel.classList.contains("collapsed") && !byId("fg-panel").classList.contains("collapsed")) { setOpen(false); }
      });
    });
    if (byId("dp-toggle")) { byId("dp-toggle").addEventListener("click", function () {
      var panel = byId("dp-panel");
      if (!panel.classList.contains("collapsed") && !byId("fg-panel").classList.contains("collapsed")) {
        var control = map.getContainer().querySelector(".leaflet-control-layers");
        if (control && byId("fg-panel").getBoundingClientRect().right + 6 > control.getBoundingClientRect().left) {
          setOpen(false);
        }
      }
    }); }
    window.addEventListener("resize", makeRoom);
  }

  return { init: init };
})();
