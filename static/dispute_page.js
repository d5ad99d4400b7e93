/* The disputes page (gisapp/templates/disputes.html): the list with the API's filters, sorted and paged;
   a dispute's drawer (facts, place, history, the steps the user may take); the to-do lists (the disputes
   waiting on a grid worker or the center; the alarms and grids of a team leader's area that need patrol).
   Everything comes from the API, which decides what each role sees and may do: the page offers only the
   steps the dispute's `actions` name, and sends the version it read with each (a stale one is refused).
   Every text from the server goes in with textContent, never as HTML. */
window.gisappDisputePage = (function () {
  "use strict";
  var opts, labels = {}, skew = 0, current = null, detailMap = null,
      patrolMap = null, patrolLayer = null, highlight = null, openSeq = 0, listSeq = 0, gridShapes = {};
  var list = { sort: "-received_at", limit: 20, offset: 0 };
  var todo = { steps: { offset: 0 }, revisit: { offset: 0 } };
  var TODO_LIMIT = 20;
  var STALE = "已被他人修改 changed by someone else since you opened it";

  // -- helpers ---------------------------------------------------------------------------------------
  var common = window.gisappCommon, byId = common.byId, el = common.el;
  var request;  // set by init: the API's JSON requests with the page's CSRF token (static/common.js)

  function label(vocabulary, value) {
    if (value === null || value === undefined || value === "") { return "–"; }
    var known = labels[vocabulary] || {};
    return Object.prototype.hasOwnProperty.call(known, String(value)) ? known[String(value)] : String(value);
  }

  var problem = common.problem;  // an API error in Chinese first, each problem once

  function say(id, text, kind) {
    var box = byId(id);
    if (!box) { return; }
    box.textContent = text || "";
    box.className = "dd-message" + (kind ? " dd-" + kind : "");
  }

  // -- times: in the configured time zone, 2026-11-25 14:30 ------------------------------------------
  var formatter = null;
  function localTime(iso) {
    if (!iso) { return "–"; }
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return String(iso); }
    if (!formatter) {
      formatter = new Intl.DateTimeFormat("en-GB", { timeZone: opts.timezone, year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    }
    var p = {};
    formatter.formatToParts(when).forEach(function (part) { p[part.type] = part.value; });
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
  }

  function now() { return Date.now() + skew; }

  function span(minutes) {
    var m = Math.max(0, Math.round(minutes)), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
    if (d >= 3) { return [d + "天", d + "d"]; }
    if (d > 0) { return [d + "天" + (h ? h + "小时" : ""), d + "d" + (h ? " " + h + "h" : "")]; }
    if (h > 0) { return [h + "小时" + (m % 60 ? (m % 60) + "分" : ""), h + "h" + (m % 60 ? " " + (m % 60) + "m" : "")]; }
    return [(m % 60) + "分钟", (m % 60) + " min"];
  }

  /* The time left before the due date, or how long overdue (the API's `overdue` says which), or closed. */
  function timeLeft(d) {
    if (d.status === "closed") { return { text: "已结单 closed", kind: "closed" }; }
    var minutes = (new Date(d.due_at).getTime() - now()) / 60000;
    if (d.overdue || minutes < 0) {
      var late = span(-minutes);
      return { text: "超期" + late[0] + " overdue " + late[1], kind: "overdue" };
    }
    var left = span(minutes);
    return { text: "剩" + left[0] + " " + left[1] + " left", kind: minutes < 1440 ? "soon" : "left" };
  }

  function gradeBadge(grade) {
    var badge = el("span", { "class": "dd-grade dd-grade-" + grade });
    badge.appendChild(el("i", { "class": "dd-dot", "aria-hidden": "true" }));
    badge.appendChild(document.createTextNode(label("grades", grade)));
    return badge;
  }

  /* The due date, and below it the time left or how long overdue. */
  function dueCell(d) {
    var left = timeLeft(d), cell = el("td", { "class": "dd-due" });
    cell.appendChild(el("div", { "class": "dd-time" }, localTime(d.due_at)));
    cell.appendChild(el("div", { "class": "dd-left dd-" + left.kind }, left.text));
    return cell;
  }

  /* Village and grid; just the grid when its name already says the village (东庄村第1网格). */
  function placeText(d) {
    var grid = d.grid || d.grid_code || "–";
    return d.village && grid.indexOf(d.village) !== 0 ? d.village + " · " + grid : grid;
  }

  function cell(cls, text) { return el("td", cls ? { "class": cls } : {}, text); }

  // The list's columns: `key` sorts it (the API's sort keys); `opt` ones make room when space is short
  // (1: while a dispute is open beside the list, 2: also on narrow screens).
  var COLUMNS = {
    code: { key: "code", title: "编号 Code", cell: function (d) { return cell("dd-code", d.code); } },
    grade: { key: "grade", title: "等级 Grade", cell: function (d) { var c = cell("dd-nowrap"); c.appendChild(gradeBadge(d.grade)); return c; } },
    status: { key: "status", title: "状态 Status", cell: function (d) { return cell("dd-nowrap", label("statuses", d.status)); } },
    category: { key: "category", title: "类别 Category", opt: 1, cell: function (d) { return cell("", label("categories", d.category)); } },
    summary: { title: "摘要 Summary", cell: function (d) { var c = cell("dd-summary", d.summary); c.title = d.summary || ""; return c; } },
    place: { key: "grid", title: "网格 Grid", cell: function (d) { return cell("dd-nowrap", placeText(d)); } },
    level: { key: "level", title: "层级 Level", opt: 2, cell: function (d) { return cell("dd-nowrap", label("levels", d.level)); } },
    received: { key: "received_at", title: "受理时间 Received", opt: 2, cell: function (d) { return cell("dd-time", localTime(d.received_at)); } },
    due: { key: "due_at", title: "办结时限 Due", cell: dueCell },
    next: { title: "下一步 Next", cell: function (d) { return cell("dd-next-step", label("waiting", d.status)); } },
    assignee: { title: "承办 Routed to", cell: function (d) { return cell("", d.assignee || "–"); } },
    closed: { title: "结单时间 Closed", cell: function (d) { return cell("dd-time", localTime(d.closed_at)); } }
  };
  function columns(names) { return names.map(function (n) { return COLUMNS[n]; }); }
  var LIST_COLUMNS = columns(["code", "grade", "status", "category", "summary", "place", "level", "received", "due"]);

  function filterQuery() {
    var form = byId("dd-filters"), q = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.value) { q.push(encodeURIComponent(field.name) + "=" + encodeURIComponent(field.value)); }
    });
    return q;
  }

  function listQuery() {
    return filterQuery().concat(["sort=" + encodeURIComponent(list.sort), "limit=" + list.limit,
                                 "offset=" + list.offset]).join("&");
  }

  function row(d, cells) {
    var tr = el("tr", { "data-code": d.code, tabindex: "0", "class": d.overdue ? "dd-row dd-row-overdue" : "dd-row" });
    cells.forEach(function (c) {
      var td = c.cell(d);
      if (c.opt) { td.classList.add("dd-opt" + c.opt); }
      tr.appendChild(td);
    });
    tr.addEventListener("click", function () { openDispute(d.code); });
    tr.addEventListener("keydown", function (e) { if (e.key === "Enter") { openDispute(d.code); } });
    if (current && current.code === d.code) { tr.classList.add("dd-selected"); }
    return tr;
  }

  function headerRow(table, columns, sortable) {
    var tr = el("tr");
    columns.forEach(function (c) {
      var th = el("th", c.opt ? { scope: "col", "class": "dd-opt" + c.opt } : { scope: "col" });
      if (sortable && c.key) {
        var button = el("button", { type: "button", "class": "dd-sort", "data-sort": c.key }, c.title);
        var asc = list.sort === c.key, desc = list.sort === "-" + c.key;
        th.setAttribute("aria-sort", asc ? "ascending" : desc ? "descending" : "none");
        button.addEventListener("click", function () {
          // the first click sorts times newest first and the rest A→Z (grades, statuses, levels in their order)
          var first = /_at$/.test(c.key) ? "-" + c.key : c.key;
          list.sort = list.sort === first ? (first.charAt(0) === "-" ? c.key : "-" + c.key) : first;
          list.offset = 0;
          loadList();
          table.querySelector("[data-sort='" + c.key + "']").focus();  /* the header was drawn again */
        });
        th.appendChild(button);
      } else {
        th.textContent = c.title;
      }
      tr.appendChild(th);
    });
    var head = table.querySelector("thead");
    head.textContent = "";
    head.appendChild(tr);
  }

  function loadList() {
    var mine = ++listSeq, query = listQuery();
    headerRow(byId("dd-table"), LIST_COLUMNS, true);
    byId("dd-export").href = "/api/disputes?format=xlsx&" + filterQuery().concat(["sort=" + encodeURIComponent(list.sort)]).join("&");
    say("dd-list-message", "载入中… loading…");
    return request("GET", "/api/disputes?" + query).then(function (answer) {
      if (mine !== listSeq) { return; }
      var body = byId("dd-table").querySelector("tbody");
      body.textContent = "";
      answer.disputes.forEach(function (d) { body.appendChild(row(d, LIST_COLUMNS)); });
      var first = answer.numberMatched ? list.offset + 1 : 0, last = list.offset + answer.numberReturned;
      byId("dd-count").textContent = "第 " + first + "–" + last + " 条，共 " + answer.numberMatched + " 条 · " +
        first + "–" + last + " of " + answer.numberMatched;
      byId("dd-prev").disabled = list.offset === 0;
      byId("dd-next").disabled = last >= answer.numberMatched;
      say("dd-list-message", answer.numberMatched ? "" : "没有符合条件的纠纷 No dispute matches");
    }).catch(function (err) { if (mine === listSeq) { say("dd-list-message", problem(err), "error"); } });
  }

  function fillSelect(select, pairs, anyText) {
    if (anyText !== undefined) { select.appendChild(el("option", { value: "" }, anyText)); }
    pairs.forEach(function (p) { select.appendChild(el("option", { value: p[0] }, p[1])); });
  }

  /* The grid filter offers the grids of the village chosen (asked for when it is chosen: a city has thousands). */
  var gridsOf = {};
  function gridOptions() {
    var village = byId("dd-f-village").value, select = byId("dd-f-grid");
    select.textContent = "";
    if (!village) {
      fillSelect(select, [], "先选村 pick a village");
      select.disabled = true;
      return Promise.resolve();
    }
    gridsOf[village] = gridsOf[village] || request("GET", "/disputes/villages/" + encodeURIComponent(village) + "/grids");
    return gridsOf[village].then(function (answer) {
      if (byId("dd-f-village").value !== village) { return; }
      select.textContent = "";
      fillSelect(select, answer.grids, "全部 all");
      select.disabled = false;
    }).catch(function (err) { delete gridsOf[village]; say("dd-list-message", problem(err), "error"); });
  }

  function setUpList() {
    fillSelect(byId("dd-f-status"), opts.labels.statuses, "全部 all");
    fillSelect(byId("dd-f-grade"), opts.labels.grades, "全部 all");
    fillSelect(byId("dd-f-category"), opts.labels.categories, "全部 all");
    fillSelect(byId("dd-f-level"), opts.labels.levels, "全部 all");
    fillSelect(byId("dd-f-village"), opts.villages, "全部 all");
    gridOptions();
    var form = byId("dd-filters");
    form.addEventListener("change", function (e) {
      if (e.target.id === "dd-f-village") { gridOptions(); }
      list.offset = 0;
      loadList();
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); list.offset = 0; loadList(); });
    form.addEventListener("reset", function () {
      setTimeout(function () { gridOptions(); list.offset = 0; loadList(); }, 0);
    });
    byId("dd-limit").addEventListener("change", function (e) { list.limit = Number(e.target.value); list.offset = 0; loadList(); });
    function turn(offset) {
      list.offset = Math.max(0, offset);
      loadList().then(function () { byId("dd-filters").scrollIntoView({ block: "start" }); });
    }
    byId("dd-prev").addEventListener("click", function () { turn(list.offset - list.limit); });
    byId("dd-next").addEventListener("click", function () { turn(list.offset + list.limit); });
  }

  // -- the to-do lists -------------------------------------------------------------------------------------
  var TODO_COLUMNS = {
    steps: columns(["code", "grade", "next", "category", "summary", "place", "due"]),
    revisit: columns(["code", "grade", "category", "summary", "place", "assignee", "closed"])
  };
  // overdue first, then the nearest due date; return visits: the most recently closed first
  var TODO_SORT = { steps: "-overdue,due_at", revisit: "-closed_at" };

  function loadTodo(which) {
    var state = todo[which], table = byId("dd-todo-" + which);
    headerRow(table, TODO_COLUMNS[which], false);
    request("GET", "/api/disputes?todo=" + which + "&sort=" + encodeURIComponent(TODO_SORT[which]) + "&limit=" +
            TODO_LIMIT + "&offset=" + state.offset).then(function (answer) {
      var body = table.querySelector("tbody");
      body.textContent = "";
      answer.disputes.forEach(function (d) { body.appendChild(row(d, TODO_COLUMNS[which])); });
      byId("dd-todo-" + which + "-count").textContent = answer.numberMatched;
      var last = state.offset + answer.numberReturned;
      byId("dd-todo-" + which + "-prev").disabled = state.offset === 0;
      byId("dd-todo-" + which + "-next").disabled = last >= answer.numberMatched;
      byId("dd-todo-" + which + "-pages").hidden = answer.numberMatched <= TODO_LIMIT;
      say("dd-todo-" + which + "-message", answer.numberMatched ? "" : "暂无 Nothing waiting", answer.numberMatched ? "" : "ok");
      if (which === "steps") { byId("dd-tab-todo-count").textContent = answer.numberMatched; }
    }).catch(function (err) { say("dd-todo-" + which + "-message", problem(err), "error"); });
  }

  function setUpTodo() {
    ["steps", "revisit"].forEach(function (which) {
      byId("dd-todo-" + which + "-prev").addEventListener("click", function () {
        todo[which].offset = Math.max(0, todo[which].offset - TODO_LIMIT); loadTodo(which);
      });
      byId("dd-todo-" + which + "-next").addEventListener("click", function () {
        todo[which].offset += TODO_LIMIT; loadTodo(which);
      });
      loadTodo(which);
    });
  }

  function refreshLists() {
    loadList();
    if (opts.may.handle) { loadTodo("steps"); loadTodo("revisit"); }
  }

  // -- the team leader's patrol to-do: alarms beyond reach and grids needing patrol in the team's area ---
  function inArea(villageCode) {
    var villages = opts.team.villages;
    return !villages || villages.indexOf(villageCode) >= 0;
  }

  function ensurePatrolMap() {
    if (patrolMap) { return patrolMap; }
    patrolMap = L.map("dd-patrol-map", { zoomControl: true, attributionControl: !!opts.basemap });
    baseTiles(patrolMap);
    L.control.scale({ imperial: false }).addTo(patrolMap);
    patrolLayer = L.featureGroup().addTo(patrolMap);
    return patrolMap;
  }

  function gridShape(code) {
    if (!gridShapes[code]) {
      gridShapes[code] = request("GET", "/api/collections/grids/items/" + encodeURIComponent(code));
      gridShapes[code].catch(function () { delete gridShapes[code]; });
    }
    return gridShapes[code];
  }

  function showHighlight(layer) {
    if (highlight) { patrolMap.removeLayer(highlight); }
    highlight = layer.addTo(patrolMap);
    var bounds = layer.getBounds ? layer.getBounds() : null;
    if (bounds && bounds.isValid()) { patrolMap.fitBounds(bounds, { maxZoom: 16, padding: [20, 20], animate: false }); }
  }

  /* Answers for a shift chosen before are dropped (patrolSeq). */
  var patrolSeq = 0;
  function loadPatrol() {
    var period = byId("dd-patrol-period").value, map = ensurePatrolMap(), mine = ++patrolSeq;
    byId("dd-patrol").removeAttribute("data-loaded");
    patrolLayer.clearLayers();
    if (highlight) { map.removeLayer(highlight); highlight = null; }
    var alarmsDone = request("GET", "/api/patrol/alarm-reach?period=" + period).then(function (answer) {
      if (mine !== patrolSeq) { return; }
      var alarms = answer.alarms.filter(function (a) {
        return !a.in_reach && Object.prototype.hasOwnProperty.call(opts.team.alarms, a.code);
      });
      alarms.sort(function (a, b) {
        return (b.patrol_min === null) - (a.patrol_min === null) || (b.patrol_min || 0) - (a.patrol_min || 0);
      });
      var box = byId("dd-alarms");
      box.textContent = "";
      byId("dd-alarm-count").textContent = alarms.length;
      alarms.forEach(function (a) {
        var village = opts.team.alarms[a.code][1];
        var item = el("li", { "class": "dd-alarm", "data-code": a.code, tabindex: "0" });
        item.appendChild(el("strong", {}, a.enterprise || a.code));
        item.appendChild(el("div", { "class": "dd-muted" }, village + " · " + a.code));
        var limit = answer.limit_min;
        item.appendChild(el("div", {}, (a.patrol_min === null
          ? "巡逻" + opts.reach_factor * limit + "分钟内不可达 no patrol within " + opts.reach_factor * limit + " min"
          : "巡逻需" + a.patrol_min + "分钟 patrol " + a.patrol_min + " min") +
          "（时限" + limit + "分钟 limit " + limit + " min）" +
          (a.base_min === null ? "" : " · 驻地" + a.base_min + "分钟 base " + a.base_min + " min")));
        var marker = L.circleMarker([a.lat, a.lon], { radius: 7, color: "#5b2a86", weight: 3, fillColor: "#fff", fillOpacity: 1 })
          .bindTooltip(el("span", {}, (a.enterprise || a.code) + " · " + village)).addTo(patrolLayer);
        function focus() {
          map.setView([a.lat, a.lon], Math.max(map.getZoom(), 16));
          marker.openTooltip();
        }
        item.addEventListener("click", focus);
        item.addEventListener("keydown", function (e) { if (e.key === "Enter") { focus(); } });
        box.appendChild(item);
      });
      say("dd-alarm-message", alarms.length ? "" : "全部在巡逻可达范围内 every alarm is within patrol reach", alarms.length ? "" : "ok");
    }).catch(function (err) { say("dd-alarm-message", problem(err), "error"); });
    var gridsDone = request("GET", "/api/coverage/grids?flagged=true&period=" + period).then(function (answer) {
      if (mine !== patrolSeq) { return; }
      var grids = answer.grids.filter(function (g) {
        return inArea(g.village_code) && g.reasons.some(function (r) { return opts.patrol_reasons.indexOf(r) >= 0; });
      });
      grids.sort(function (a, b) { return a.patrol_share - b.patrol_share || b.gap_m2 - a.gap_m2; });
      var box = byId("dd-grids");
      box.textContent = "";
      byId("dd-grid-count").textContent = grids.length;
      grids.forEach(function (g) {
        var item = el("li", { "class": "dd-flagged", "data-code": g.grid_code, tabindex: "0" });
        item.appendChild(el("strong", {}, g.village + " · " + g.grid));
        item.appendChild(el("div", {}, "人网覆盖 people net " + Math.round(g.patrol_share * 100) + "% · 总覆盖 covered " +
                                        Math.round(g.covered_share * 100) + "% · 盲区 gap " + Math.round(g.gap_m2) + " m²"));
        item.appendChild(el("div", { "class": "dd-reasons" }, g.reasons.filter(function (r) {
          return opts.patrol_reasons.indexOf(r) >= 0;
        }).map(function (r) { return label("reasons", r); }).join("、")));
        gridShape(g.grid_code).then(function (feature) {
          if (mine !== patrolSeq) { return; }
          L.geoJSON(feature, { style: { color: "#b2182b", weight: 2, dashArray: "5 4", fillOpacity: 0.06 } })
            .bindTooltip(el("span", {}, g.village + " · " + g.grid)).addTo(patrolLayer);
        }).catch(function () {});
        function focus() {
          Promise.all([gridShape(g.grid_code), request("GET", "/api/coverage/grids/" + encodeURIComponent(g.grid_code))])
            .then(function (found) {
              var group = L.featureGroup([L.geoJSON(found[0], { style: { color: "#b2182b", weight: 4, fill: false } })]);
              var gaps = found[1][period] && found[1][period].gaps;
              if (gaps) { group.addLayer(L.geoJSON(gaps, { style: { color: "#d62728", weight: 1, fillColor: "#d62728", fillOpacity: 0.35 } })); }
              showHighlight(group);
            }).catch(function (err) { say("dd-grid-message", problem(err), "error"); });
        }
        item.addEventListener("click", focus);
        item.addEventListener("keydown", function (e) { if (e.key === "Enter") { focus(); } });
        box.appendChild(item);
      });
      say("dd-grid-message", grids.length ? "" : "没有需要巡逻的网格 no grid needs patrol", grids.length ? "" : "ok");
      return Promise.all(grids.map(function (g) { return gridShape(g.grid_code).catch(function () {}); }));
    }).catch(function (err) { say("dd-grid-message", problem(err), "error"); });
    Promise.all([alarmsDone, gridsDone]).then(function () {
      if (mine !== patrolSeq) { return; }
      map.invalidateSize();
      var bounds = patrolLayer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15, animate: false }); }
      return villagesAround(bounds.isValid() ? bounds : null);
    }).then(function () { if (mine === patrolSeq) { byId("dd-patrol").setAttribute("data-loaded", period); } });
  }

  /* The villages' boundaries and names around what is listed: with no base map, they say where it is. */
  var villagesShown = null;
  function villagesAround(bounds) {
    if (villagesShown || !bounds) { return villagesShown; }
    var b = bounds.pad(0.2), bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(6);
    }).join(",");
    villagesShown = request("GET", "/api/collections/boundaries/items?level=village&limit=1000&bbox=" + bbox)
      .then(function (villages) {
        L.geoJSON(villages, {
          interactive: false,
          style: { color: "#8c6d31", weight: 1.5, fill: false, opacity: 0.8 },
          onEachFeature: function (f, layer) {
            layer.bindTooltip(el("span", {}, f.properties.name), { permanent: true, direction: "center",
                                                                    className: "dd-village-label" });
          }
        }).addTo(patrolMap).bringToBack();
      }).catch(function () { villagesShown = null; });
    return villagesShown;
  }

  // -- tabs --------------------------------------------------------------------------------------------------
  function showTab(name) {
    Array.prototype.forEach.call(document.querySelectorAll(".dd-tab"), function (tab) {
      var on = tab.getAttribute("data-view") === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      byId(tab.getAttribute("aria-controls")).hidden = !on;
    });
    if (name === "dd-patrol") {
      if (!patrolSeq) { loadPatrol(); } else if (patrolMap) { patrolMap.invalidateSize(); }
    }
  }

  // -- the dispute's drawer --------------------------------------------------------------------------------
  function baseTiles(map) {
    if (opts.basemap) {
      L.tileLayer(opts.basemap.url, { attribution: opts.basemap.attribution, maxZoom: opts.basemap.max_zoom || 18,
                                       subdomains: opts.basemap.subdomains || "abc" }).addTo(map);
    }
  }

  function fact(table, name, value, cls) {
    if (value === null || value === undefined || value === "") { return; }
    var tr = el("tr");
    tr.appendChild(el("th", { scope: "row" }, name));
    var td = el("td", cls ? { "class": cls } : {});
    if (value instanceof Node) { td.appendChild(value); } else { td.textContent = String(value); }
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function renderFacts(d) {
    var table = byId("dd-facts");
    table.textContent = "";
    var left = timeLeft(d);
    fact(table, "摘要 Summary", d.summary);
    fact(table, "类别 Category", label("categories", d.category));
    fact(table, "等级 Grade", gradeBadge(d.grade));
    fact(table, "状态 Status", label("statuses", d.status));
    fact(table, "层级 Level", label("levels", d.level));
    fact(table, "来源 Source", label("sources", d.source));
    fact(table, "村 Village", d.village);
    fact(table, "网格 Grid", (d.grid || "–") + (d.grid_code ? " (" + d.grid_code + ")" : ""));
    fact(table, "承办 Routed to", d.assignee);
    fact(table, "受理时间 Received", localTime(d.received_at));
    fact(table, "办结时限 Due", localTime(d.due_at) + " · " + left.text, "dd-" + left.kind);
    if (d.closed_at) { fact(table, "结单时间 Closed", localTime(d.closed_at)); }
    if (d.satisfaction) { fact(table, "回访满意度 Satisfaction", d.satisfaction + " · " + label("satisfaction", d.satisfaction)); }
    // personal data: only when the API gave it (the center, the grid's own workers)
    fact(table, "当事人 Parties", d.parties);
    fact(table, "当事人电话 Phone", d.parties_phone);
    fact(table, "位置 Place", "经度 lon " + d.lon.toFixed(5) + ", 纬度 lat " + d.lat.toFixed(5) +
         (d.location_approx ? " · 约 approximate (网格或村的代表点 a grid's or village's point)" : ""));
  }

  /* The dispute's place on a small map, over the roads and grids around it (an offline base that says
     where it is); the surroundings are fetched again only when the place changes. */
  function renderMap(d) {
    if (!detailMap) {
      detailMap = L.map(byId("dd-map"), { zoomControl: true, attributionControl: !!opts.basemap });
      baseTiles(detailMap);
      L.control.scale({ imperial: false }).addTo(detailMap);
      detailMap.createPane("dd-mark").style.zIndex = 650;  /* the dispute above the roads and grids */
      detailMap.dd = { around: L.layerGroup().addTo(detailMap), mark: L.layerGroup().addTo(detailMap), place: null };
    }
    var layers = detailMap.dd, here = [d.lat, d.lon], place = d.code + "@" + d.lon + "," + d.lat;
    detailMap.invalidateSize();
    layers.mark.clearLayers();
    var colour = (opts.grade_colours || {})[d.grade] || "#555";
    if (d.location_approx) {
      L.circle(here, { radius: 150, color: colour, weight: 1, dashArray: "3 3", fill: false, interactive: false, pane: "dd-mark" })
        .addTo(layers.mark);
    }
    L.circleMarker(here, { radius: 9, color: d.overdue ? "#111" : "#fff", weight: d.overdue ? 3 : 2,
                           fillColor: colour, fillOpacity: 0.95, pane: "dd-mark" })
      .bindTooltip(el("span", {}, d.code + " · " + label("grades", d.grade))).addTo(layers.mark);
    if (layers.place === place) { return; }
    layers.place = place;
    layers.around.clearLayers();
    detailMap.setView(here, 15, { animate: false });
    var dx = 0.012, dy = 0.008;
    var bbox = [d.lon - dx, d.lat - dy, d.lon + dx, d.lat + dy].map(function (v) { return v.toFixed(6); }).join(",");
    var roads = request("GET", "/api/collections/roads/items?limit=1000&bbox=" + bbox);
    var grids = request("GET", "/api/collections/grids/items?limit=200&bbox=" + bbox);
    roads.then(function (found) {
      if (layers.place !== place) { return; }
      L.geoJSON(found, {
        style: function (f) {
          var major = ["trunk", "primary", "secondary", "tertiary"].indexOf(f.properties.road_class) >= 0;
          return { color: major ? "#b8a27a" : "#c9c9c9", weight: major ? 4 : 2, opacity: 0.9 };
        },
        onEachFeature: function (f, layer) {
          if (f.properties.name) { layer.bindTooltip(el("span", {}, f.properties.name), { sticky: true }); }
        }
      }).addTo(layers.around).bringToBack();
    }).catch(function () {});
    grids.then(function (found) {
      if (layers.place !== place) { return; }
      L.geoJSON(found, {
        style: function (f) {
          var own = f.properties.code === d.grid_code;
          return { color: "#6a3d9a", weight: own ? 3 : 1, dashArray: own ? null : "4 4", fill: own, fillOpacity: 0.05 };
        },
        onEachFeature: function (f, layer) {
          var own = f.properties.code === d.grid_code;
          layer.bindTooltip(el("span", {}, placeText({ village: f.properties.village, grid: f.properties.name,
                                                       grid_code: f.properties.code })),
                            { permanent: own, direction: "top", className: own ? "dd-grid-label" : "" });
        }
      }).addTo(layers.around);
    }).catch(function () {});
  }

  function historyText(h) {
    var parts = [];
    if (h.action === "intake") { parts.push(label("statuses", h.to_status || "received")); }
    if (h.action === "status" || h.action === "return") {
      parts.push(label("statuses", h.from_status) + " → " + label("statuses", h.to_status));
    }
    if (h.assignee) { parts.push("承办 routed to: " + h.assignee); }
    if (h.action === "escalate" || (h.action === "intake" && h.level)) { parts.push("层级 level: " + label("levels", h.level)); }
    if (h.grade) { parts.push("等级 grade: " + label("grades", h.grade)); }
    if (h.satisfaction) { parts.push("满意度 satisfaction: " + h.satisfaction + " · " + label("satisfaction", h.satisfaction)); }
    return parts.join(" · ");
  }

  function renderHistory(d) {
    var box = byId("dd-history");
    box.textContent = "";
    byId("dd-history-count").textContent = d.history.length;
    d.history.forEach(function (h) {
      var item = el("li", { "class": "dd-event dd-event-" + h.action });
      var head = el("div", { "class": "dd-event-head" });
      head.appendChild(el("time", { datetime: h.at }, localTime(h.at)));
      head.appendChild(el("strong", {}, label("actions", h.action)));
      head.appendChild(el("span", { "class": "dd-actor" }, h.actor || "–"));
      item.appendChild(head);
      var what = historyText(h);
      if (what) { item.appendChild(el("div", { "class": "dd-event-what" }, what)); }
      if (h.remark) { item.appendChild(el("blockquote", { "class": "dd-remark" }, h.remark)); }
      box.appendChild(item);
    });
    say("dd-history-message", d.history.length ? "" : "暂无记录（导入的纠纷没有流转记录） no history yet (imported disputes have none)");
  }

  // The statuses whose step must say what was done (the result reported back, the conclusion), as the API asks.
  var REMARK_NEEDED = ["feedback", "closed"];

  // Each step: the URL it posts to, the body it needs beyond the version, and the fields asking for it.
  function stepsOf(d) {
    var steps = [], a = d.actions || {};
    (a.status || []).forEach(function (status) {
      steps.push({ id: status, path: "status", fields: status === "routed" ? ["assignee", "remark"] : ["remark"],
                   body: { status: status }, remark: REMARK_NEEDED.indexOf(status) >= 0 });
    });
    if (a.escalate && a.escalate.length) { steps.push({ id: "escalate", path: "escalate", fields: ["level", "remark"], choices: a.escalate }); }
    if (a.grade && a.grade.length) { steps.push({ id: "grade", path: "grade", fields: ["grade", "remark"], choices: a.grade }); }
    if (a.revisit) { steps.push({ id: "revisit", path: "revisit", fields: ["satisfaction", "remark"] }); }
    if (a["return"]) { steps.push({ id: "return", path: "return", fields: ["remark"], remark: true }); }
    if (a.assign) { steps.push({ id: "assign", path: "assign", fields: ["assignee", "remark"] }); }
    if (a.note) { steps.push({ id: "note", path: "note", fields: ["remark"], remark: true }); }
    return steps;
  }

  function field(step, name, d) {
    var wrap = el("label", { "class": "dd-field" });
    if (name === "remark") {  // required where the step must say what was done, or why
      wrap.appendChild(el("span", {}, step.remark ? "说明 What was done, or why (required)" : "备注 Remark"));
      var remark = el("textarea", { name: "remark", maxlength: "2000", rows: "2" });
      if (step.remark) { remark.setAttribute("required", "required"); }
      wrap.appendChild(remark);
    } else if (name === "assignee") {
      wrap.appendChild(el("span", {}, "承办单位或人员 Routed to (required)"));
      var input = el("input", { name: "assignee", maxlength: "200", required: "required", list: "dd-assignees",
                                autocomplete: "off" });
      wrap.appendChild(input);
    } else if (name === "level" || name === "grade") {
      wrap.appendChild(el("span", {}, name === "level" ? "升级至 Raise to" : "新等级 New grade"));
      var select = el("select", { name: name, required: "required" });
      step.choices.forEach(function (v) { select.appendChild(el("option", { value: v }, label(name === "level" ? "levels" : "grades", v))); });
      wrap.appendChild(select);
      if (name === "grade") { wrap.appendChild(el("small", { "class": "dd-muted" }, "办结时限随等级调整 the due date follows the grade")); }
    } else if (name === "satisfaction") {
      wrap = el("fieldset", { "class": "dd-field dd-satisfaction" });
      wrap.appendChild(el("legend", {}, "满意度 Satisfaction (required)"));
      opts.labels.satisfaction.forEach(function (pair) {
        var option = el("label");
        option.appendChild(el("input", { type: "radio", name: "satisfaction", value: pair[0], required: "required" }));
        option.appendChild(document.createTextNode(" " + pair[0] + " " + pair[1]));
        wrap.appendChild(option);
      });
    }
    return wrap;
  }

  function assigneeSuggestions(d) {
    var list = byId("dd-assignees");
    list.textContent = "";
    if (!d.grid_code) { return; }
    gridShape(d.grid_code).then(function (f) {
      (f.properties.grid_workers || "").split("、").filter(Boolean).forEach(function (name) {
        list.appendChild(el("option", { value: name + "（网格员 grid worker）" }));
      });
    }).catch(function () {});
  }

  function openForm(step, d) {
    var box = byId("dd-step-form");
    box.textContent = "";
    say("dd-step-message", "");
    markActive(step.id);
    var form = el("form", { "class": "dd-form", "data-step": step.id });
    form.appendChild(el("h4", {}, label("steps", step.id)));
    step.fields.forEach(function (name) { form.appendChild(field(step, name, d)); });
    var buttons = el("div", { "class": "dd-form-buttons" });
    var submit = el("button", { type: "submit", "class": "dd-primary" }, "确定 " + label("steps", step.id));
    var cancel = el("button", { type: "button" }, "取消 Cancel");
    buttons.appendChild(submit);
    buttons.appendChild(cancel);
    form.appendChild(buttons);
    cancel.addEventListener("click", function () { box.textContent = ""; markActive(null); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { version: d.version };
      Object.keys(step.body || {}).forEach(function (k) { body[k] = step.body[k]; });
      step.fields.forEach(function (name) {
        var value = form.elements[name].value;
        if (name === "satisfaction") { value = Number(value); } else { value = value.trim(); }
        if (value !== "" && !(name === "satisfaction" && !value)) { body[name] = value; }
      });
      submit.disabled = true;
      request("POST", "/api/disputes/" + encodeURIComponent(d.code) + "/" + step.path, body).then(function (answer) {
        refreshLists();
        if (!current || current.code !== d.code) { return; }  /* another dispute was opened meanwhile */
        render(answer);
        say("dd-step-message", "已保存 saved: " + label("steps", step.id), "ok");
      }).catch(function (err) {
        submit.disabled = false;
        if (err.status === 409 && err.field === "version") { stale(d, err); return; }
        say("dd-step-message", problem(err), "error");
      });
    });
    box.appendChild(form);
    var first = form.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  function markActive(id) {
    Array.prototype.forEach.call(document.querySelectorAll("#dd-actions button"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-step") === id);
    });
  }

  /* Someone else changed the dispute since it was read: nothing was saved; offer to read it again. */
  function stale(d, err) {
    var box = byId("dd-stale");
    box.textContent = "";
    box.appendChild(el("strong", {}, STALE));
    var state = [];
    if (err.current_version) { state.push("现为第 " + err.current_version + " 版 now version " + err.current_version); }
    if (err.current_status) { state.push(label("statuses", err.current_status)); }
    box.appendChild(el("p", {}, "您的操作未保存 your step was not saved" + (state.length ? "（" + state.join(" · ") + "）" : "")));
    var reload = el("button", { type: "button", id: "dd-reload", "class": "dd-primary" }, "重新载入 Reload");
    reload.addEventListener("click", function () { openDispute(d.code); refreshLists(); });
    box.appendChild(reload);
    box.hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll("#dd-step-form button[type=submit], #dd-actions button"),
                                 function (b) { b.disabled = true; });
  }

  function renderActions(d) {
    var box = byId("dd-actions");
    box.textContent = "";
    byId("dd-step-form").textContent = "";
    byId("dd-stale").hidden = true;
    var steps = stepsOf(d);
    steps.forEach(function (step) {
      var button = el("button", { type: "button", "data-step": step.id,
                                  "class": step.path === "status" || step.id === "revisit" ? "dd-step dd-main" : "dd-step" },
                      label("steps", step.id));
      button.addEventListener("click", function () { openForm(step, d); });
      box.appendChild(button);
    });
    byId("dd-no-steps").hidden = steps.length > 0;
  }

  function render(d) {
    current = d;
    byId("dd-title-code").textContent = d.code;
    var badges = byId("dd-badges");
    badges.textContent = "";
    badges.appendChild(gradeBadge(d.grade));
    badges.appendChild(el("span", { "class": "dd-status dd-status-" + d.status }, label("statuses", d.status)));
    if (d.overdue) { badges.appendChild(el("span", { "class": "dd-overdue-badge" }, "超期 overdue")); }
    byId("dd-version").textContent = "第 " + d.version + " 版 version " + d.version;
    renderFacts(d);
    renderActions(d);
    renderHistory(d);
    assigneeSuggestions(d);
    byId("dd-drawer").setAttribute("data-version", d.version);
    renderMap(d);
    Array.prototype.forEach.call(document.querySelectorAll("tr.dd-row"), function (tr) {
      tr.classList.toggle("dd-selected", tr.getAttribute("data-code") === d.code);
    });
  }

  function openDispute(code) {
    var mine = ++openSeq, drawer = byId("dd-drawer");
    drawer.hidden = false;
    document.body.classList.add("dd-drawer-open");
    say("dd-drawer-message", "载入中… loading…");
    if (history.replaceState) { history.replaceState(null, "", "#" + encodeURIComponent(code)); }
    request("GET", "/api/disputes/" + encodeURIComponent(code)).then(function (d) {
      if (mine !== openSeq) { return; }
      say("dd-drawer-message", "");
      say("dd-step-message", "");
      byId("dd-drawer-body").hidden = false;
      render(d);
    }).catch(function (err) {
      if (mine !== openSeq) { return; }
      byId("dd-drawer-body").hidden = true;
      say("dd-drawer-message", problem(err), "error");
    });
  }

  function closeDrawer() {
    byId("dd-drawer").hidden = true;
    document.body.classList.remove("dd-drawer-open");
    current = null;
    if (history.replaceState) { history.replaceState(null, "", location.pathname + location.search); }
    Array.prototype.forEach.call(document.querySelectorAll("tr.dd-selected"), function (tr) { tr.classList.remove("dd-selected"); });
  }

  // -- start -------------------------------------------------------------------------------------------------
  function init(options) {
    opts = options;
    request = common.requester(opts.csrf);
    Object.keys(opts.labels).forEach(function (name) {
      labels[name] = {};
      opts.labels[name].forEach(function (pair) { labels[name][pair[0]] = pair[1]; });
    });
    skew = new Date(opts.now).getTime() - Date.now();
    Array.prototype.forEach.call(document.querySelectorAll(".dd-tab"), function (tab) {
      tab.addEventListener("click", function () { showTab(tab.getAttribute("data-view")); });
    });
    byId("dd-close").addEventListener("click", closeDrawer);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && current) { closeDrawer(); } });
    setUpList();
    loadList();
    if (opts.may.handle) { setUpTodo(); }
    if (opts.may.patrol) { byId("dd-patrol-period").addEventListener("change", loadPatrol); }
    var first = document.querySelector(".dd-tab");
    showTab(first ? first.getAttribute("data-view") : "dd-list");
    if (location.hash.length > 1) { openDispute(decodeURIComponent(location.hash.slice(1))); }
    window.addEventListener("hashchange", function () {  // a link to another dispute, followed on this page
      if (location.hash.length > 1) { openDispute(decodeURIComponent(location.hash.slice(1))); }
    });
  }

  return { init: init, localTime: function (iso) { return localTime(iso); } };
})();
