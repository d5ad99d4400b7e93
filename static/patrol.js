/* The patrol panel beside the map (人网): the team's routes with their figures and GPX/KML exports, and the
   grids of the team's area with no night patrol or with gaps. For the roles that plan (center, team
   leaders): a route drawn by clicking waypoints (joined along the roads by /api/patrol/path) and evaluated
   by /api/patrol/evaluate as it is drawn; routes proposed by /api/patrol/propose, drawn with their
   numbered stops; a drawn, edited or proposed route saved through the editing API, after which the map's
   layers are fetched again. Every text from the server is put in with textContent, never as HTML. */
window.gisappPatrol = (function () {
  "use strict";
  // Proposed and drawn lines: strong colours unlike the coverage bands, over a white casing.
  var PROPOSAL_COLOURS = ["#6a3d9a", "#0050b3", "#e6007e", "#8c564b", "#00838f", "#5d4037", "#3949ab",
                          "#ad1457", "#455a64", "#1b5e20"];
  var DRAWN_COLOUR = "#ff6d00";
  var NOTHING_TO_SAVE = "先绘制或选择推荐线路 Draw a route or choose a proposal first";
  var map, opts, labels, order, team = null, routing = true, pathApi = true;
  var highlight, drawLayer, proposalLayer;
  var waypoints = [], drawing = false, editing = null, editingTeam = null, seq = 0, evalSeq = 0, gridSeq = 0, routeSeq = 0;
  var candidate = null, proposals = [], proposalRequest = null, routeFeatures = {}, gridCache = {};

  // -- small helpers -------------------------------------------------------------------------------
  var common = window.gisappCommon, byId = common.byId, el = common.el, label = common.label;
  var request;  // set by init: the API's JSON requests with the page's CSRF token (static/common.js)

  var say = common.say, fail = common.fail;  // messages; API errors in Chinese first (static/common.js)

  function km(metres) { return (metres / 1000).toFixed(2) + " km"; }
  function minutes(value) { return (Math.round(value * 10) / 10) + " 分钟 min"; }
  function share(value) { return value === null || value === undefined ? "–" : (Math.round(value * 1000) / 10) + "%"; }
  function reasonsText(reasons) {
    return reasons.map(function (r) { return label(labels.reasons, r); }).join("、");
  }
  function weekdaysText(weekdays) {
    var days = String(weekdays || "").split(",").filter(Boolean);
    if (days.length === 7) { return "每天 every day"; }
    return "星期 days: " + days.map(function (d) { return label(labels.weekdays, d); }).join("、");
  }

  // -- lines ---------------------------------------------------------------------------------------
  function parts(geometry) {
    if (!geometry) { return []; }
    return geometry.type === "MultiLineString" ? geometry.coordinates : [geometry.coordinates];
  }

  function lineLength(coordinates) {
    var metres = 0;
    for (var i = 1; i < coordinates.length; i++) {
      metres += L.latLng(coordinates[i - 1][1], coordinates[i - 1][0])
        .distanceTo(L.latLng(coordinates[i][1], coordinates[i][0]));
    }
    return metres;
  }

  function geometryLength(geometry) {
    return parts(geometry).reduce(function (sum, line) { return sum + lineLength(line); }, 0);
  }

  /* The point ``distance`` metres along the line ``coordinates`` (lon/lat pairs). */
  function along(coordinates, distance) {
    for (var i = 1; i < coordinates.length; i++) {
      var a = L.latLng(coordinates[i - 1][1], coordinates[i - 1][0]);
      var b = L.latLng(coordinates[i][1], coordinates[i][0]);
      var d = a.distanceTo(b);
      if (distance <= d || i === coordinates.length - 1) {
        var t = d > 0 ? Math.min(1, Math.max(0, distance / d)) : 0;
        return L.latLng(a.lat + (b.lat - a.lat) * t, a.lng + (b.lng - a.lng) * t);
      }
      distance -= d;
    }
    return coordinates.length ? L.latLng(coordinates[0][1], coordinates[0][0]) : null;
  }

  /* Fit the map to ``bounds`` in the part of it the open panel leaves free. */
  function fit(bounds, maxZoom) {
    if (!bounds.isValid()) { return; }
    var panel = byId("pp-panel"), box = map.getContainer().getBoundingClientRect(), left = 30, right = 30;
    var control = map.getContainer().querySelector(".leaflet-control-layers");
    if (!panel.classList.contains("collapsed")) { left = panel.getBoundingClientRect().right - box.left + 20; }
    if (control) { right = box.right - control.getBoundingClientRect().left + 20; }
    if (left + right > box.width * 0.6) { left = right = 30; }  // a narrow screen: the whole map
    map.fitBounds(bounds, { maxZoom: maxZoom || 17, paddingTopLeft: [left, 40], paddingBottomRight: [right, 30] });
  }

  /* A line drawn in ``colour`` over a white casing, into ``group``; returns its bounds. */
  function casedLine(geometry, colour, weight, group) {
    L.geoJSON(geometry, { style: { color: "#ffffff", weight: weight + 4, opacity: 0.9 }, interactive: false }).addTo(group);
    return L.geoJSON(geometry, { style: { color: colour, weight: weight, opacity: 0.95 }, interactive: false })
      .addTo(group).getBounds();
  }

  function showHighlight(feature, style) {
    highlight.clearLayers();
    fit(L.geoJSON(feature, { style: style, interactive: false }).addTo(highlight).getBounds());
  }

  /* Every catalogue layer on the map fetches its tiles again (their ETags change with the data). */
  function refreshLayers() {
    map.eachLayer(function (layer) {
      if (layer.options && layer.options.gisappLayer && layer.redraw) { layer.redraw(); }
    });
  }

  // -- the team's routes ---------------------------------------------------------------------------
  function routeFigures(properties, geometry) {
    var metres = geometryLength(geometry), speed = opts.speed_kmh[properties.mode] * 1000 / 60;
    return [label(labels.modes, properties.mode), label(labels.shifts, properties.shift),
            properties.time_windows || label(labels.shifts, "all_day"), weekdaysText(properties.weekdays),
            "≈" + km(metres), "≈" + minutes(metres / speed), properties.active ? null : "停用 inactive"]
      .filter(function (v) { return v; }).join(" · ");
  }

  function loadRoutes() {
    var url = "/api/collections/routes/items?limit=1000" + (team ? "&team_code=" + encodeURIComponent(team) : "");
    var mine = ++routeSeq;  // an answer for a team chosen before is dropped
    request("GET", url).then(function (answer) {
      if (mine !== routeSeq) { return; }
      var list = byId("pp-routes");
      list.textContent = "";
      routeFeatures = {};
      if (team === opts.team) { window.gisapp.showTeamRoutes(answer); }  // the leader's own routes, highlighted
      byId("pp-route-count").textContent = answer.numberMatched === undefined ? answer.features.length
        : answer.numberMatched;
      answer.features.forEach(function (feature) {
        var p = feature.properties, code = encodeURIComponent(p.code);
        routeFeatures[p.code] = feature;
        var item = el("li", { "class": "pp-route pp-shift-" + p.shift, "data-code": p.code });
        var name = el("a", { href: "#", "class": "pp-name" }, p.name + " (" + p.code + ")");
        name.addEventListener("click", function (e) {
          e.preventDefault();
          showHighlight(feature, { color: "#ffd21f", weight: 9, opacity: 0.75 });
        });
        item.appendChild(name);
        item.appendChild(el("div", { "class": "pp-figures" }, routeFigures(p, feature.geometry)));
        var links = el("div", { "class": "pp-links" });
        links.appendChild(el("a", { href: "/api/patrol/routes/" + code + ".gpx", download: p.code + ".gpx" }, "GPX"));
        links.appendChild(el("a", { href: "/api/patrol/routes/" + code + ".kml", download: p.code + ".kml" }, "KML"));
        links.appendChild(el("a", { href: "/patrol/routes/" + code + "/sheet", target: "_blank", rel: "noopener" },
                             "线路单 Route sheet"));
        if (opts.plans) {
          var assess = el("button", { type: "button", "class": "pp-small" }, "评估 Evaluate");
          assess.addEventListener("click", function () { evaluateExisting(p.code); });
          var edit = el("button", { type: "button", "class": "pp-small" }, "编辑 Edit");
          edit.addEventListener("click", function () { editRoute(feature); });
          links.appendChild(assess);
          links.appendChild(edit);
        }
        item.appendChild(links);
        list.appendChild(item);
      });
      say("pp-routes-message", answer.features.length ? "" : "暂无线路 No routes yet");
    }).catch(function (err) { if (mine === routeSeq) { fail("pp-routes-message", err); } });
  }

  // -- flagged grids -------------------------------------------------------------------------------
  function gridFeature(code) {
    var known = gridCache[code] || (gridCache[code] = {});
    if (!known.feature) {
      known.feature = request("GET", "/api/collections/grids/items/" + encodeURIComponent(code)).then(function (f) {
        known.name = known.name || f.properties.name;
        known.village = known.village || f.properties.village;
        return f;
      });
      known.feature.catch(function () { known.feature = null; });
    }
    return known.feature;
  }

  function zoomToGrid(code) {
    gridFeature(code).then(function (feature) {
      showHighlight(feature, { color: "#b2182b", weight: 4, fill: false, dashArray: "6 4" });
    }).catch(function (err) { fail("pp-grids-message", err); });
  }

  /* The flagged grids of the chosen team's area (its villages; every grid when the team has none, and for
     the roles that choose no team); answers for an earlier team or shift are dropped. */
  function loadGrids() {
    var period = byId("pp-grid-period").value, mine = ++gridSeq;
    var area = team && opts.areas && opts.areas[team] ? opts.areas[team] : null;
    request("GET", "/api/coverage/grids?flagged=true&period=" + encodeURIComponent(period)).then(function (answer) {
      if (mine !== gridSeq) { return; }
      var grids = answer.grids.filter(function (g) {
        return (!area || area.indexOf(g.village_code) >= 0) &&
               (g.reasons.indexOf("no_night_patrol") >= 0 || g.reasons.indexOf("gap") >= 0);
      });
      grids.sort(function (a, b) {
        return (b.reasons.indexOf("no_night_patrol") >= 0) - (a.reasons.indexOf("no_night_patrol") >= 0) ||
               b.gap_m2 - a.gap_m2;
      });
      var list = byId("pp-grids");
      list.textContent = "";
      byId("pp-grid-count").textContent = grids.length;
      grids.forEach(function (g) {
        var known = gridCache[g.grid_code] || (gridCache[g.grid_code] = {});
        known.name = g.grid;
        known.village = g.village;
        var item = el("li", { "class": "pp-grid", "data-code": g.grid_code });
        item.appendChild(el("strong", {}, g.grid + " · " + g.village));
        item.appendChild(el("div", { "class": "pp-figures" }, "覆盖率 covered " + share(g.covered_share) +
                            " · 盲区 gap " + Math.round(g.gap_m2) + " m²"));
        item.appendChild(el("div", { "class": "pp-reasons" }, reasonsText(g.reasons)));
        common.activate(item, function () { zoomToGrid(g.grid_code); });
        list.appendChild(item);
      });
      say("pp-grids-message", grids.length ? "" : "没有这样的网格 No such grid");
    }).catch(function (err) { if (mine === gridSeq) { fail("pp-grids-message", err); } });
  }

  // -- evaluation ------------------------------------------------------------------------------------
  function gridName(code) {
    var known = gridCache[code];
    return known && known.name ? known.name : code;
  }

  function periodCell(row) {
    var cell = el("td");
    if (!row) { cell.textContent = "–"; return cell; }
    var changed = row.covered_share_after !== row.covered_share_before;
    cell.appendChild(el("span", { "class": changed ? "pp-up" : "" },
                        share(row.covered_share_before) + " → " + share(row.covered_share_after)));
    if (row.gap_closed_m2 > 0) {
      cell.appendChild(el("div", { "class": "pp-muted" }, "盲区减少 gap closed " + Math.round(row.gap_closed_m2) + " m²"));
    }
    if (row.flags_cleared.length) {
      cell.appendChild(el("div", { "class": "pp-cleared" }, "✓ " + reasonsText(row.flags_cleared)));
    }
    return cell;
  }

  function showEvaluation(answer, title) {
    var box = byId("pp-eval");
    box.textContent = "";
    byId("pp-eval-title").textContent = title;
    say("pp-eval-message", "");
    var figures = el("div", { "class": "dp-totals pp-eval-figures" });
    [["长度 length", km(answer.length_m)], ["时长 duration", minutes(answer.duration_min)],
     ["途经纠纷 disputes", answer.disputes.length], ["新增可达报警 alarms newly in reach", answer.alarms.length]].forEach(function (pair) {
      var cell = el("div", { "class": "dp-figure" });
      cell.appendChild(el("strong", {}, pair[1]));
      cell.appendChild(el("span", {}, pair[0]));
      figures.appendChild(cell);
    });
    box.appendChild(figures);
    box.appendChild(el("p", { "class": "pp-muted" }, label(labels.modes, answer.mode) + " · 热点网格 hot spot grids " +
                       answer.hotspots.length));
    var byGrid = {}, order = [];
    answer.grids.forEach(function (row) {
      if (!byGrid[row.grid]) { byGrid[row.grid] = {}; order.push(row.grid); }
      byGrid[row.grid][row.period] = row;
    });
    var table = el("table", { "class": "dp-table pp-eval-grids" });
    var head = el("tr");
    ["网格 grid", label(labels.shifts, "day"), label(labels.shifts, "night")].forEach(function (h) {
      head.appendChild(el("th", {}, h));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    order.forEach(function (code) {
      var tr = el("tr", { "data-grid": code });
      var name = el("td", { "class": "pp-name" }, gridName(code));
      common.activate(name, function () { zoomToGrid(code); });
      tr.appendChild(name);
      tr.appendChild(periodCell(byGrid[code].day));
      tr.appendChild(periodCell(byGrid[code].night));
      body.appendChild(tr);
      if (!gridCache[code] || !gridCache[code].name) {
        gridFeature(code).then(function () { name.textContent = gridName(code); }).catch(function () { return null; });
      }
    });
    table.appendChild(body);
    box.appendChild(table);
    if (!order.length) { box.appendChild(el("p", { "class": "pp-muted" }, "不经过任何网格 It reaches no grid")); }
  }

  function evaluate(body, title) {
    var mine = ++evalSeq;
    say("pp-eval-message", "评估中… Evaluating…");
    return request("POST", "/api/patrol/evaluate", body).then(function (answer) {
      if (mine === evalSeq) { showEvaluation(answer, title); }
    }).catch(function (err) { if (mine === evalSeq) { fail("pp-eval-message", err); } });
  }

  function evaluateExisting(code) {
    showHighlight(routeFeatures[code], { color: "#ffd21f", weight: 9, opacity: 0.75 });
    evaluate({ route: code }, "线路 route " + code + "：有与无 with and without it");
  }

  // -- drawing -------------------------------------------------------------------------------------
  function settings() {
    var sight = byId("pp-sight").value.trim();
    return { mode: byId("pp-mode").value, time_windows: byId("pp-windows").value.trim(),
             sight_width_m: sight ? Number(sight) : null };
  }

  function setDrawing(on) {
    drawing = on;
    byId("pp-draw").classList.toggle("active", on);
    map.getContainer().style.cursor = on ? "crosshair" : "";
    map.getContainer().classList.toggle("pp-drawing", on);
    map.getContainer().classList.toggle("gisapp-drawing", on);  /* no identify popups meanwhile (map.js) */
  }

  function drawShape(geometry) {
    drawLayer.clearLayers();
    if (geometry) {
      casedLine(geometry, DRAWN_COLOUR, 5, drawLayer);
    } else if (waypoints.length > 1) {
      L.polyline(waypoints, { color: DRAWN_COLOUR, weight: 3, dashArray: "4 6", interactive: false }).addTo(drawLayer);
    }
    waypoints.forEach(function (point, i) {
      L.circleMarker(point, { radius: 6, color: "#fff", weight: 2, fillColor: DRAWN_COLOUR, fillOpacity: 1,
                              interactive: false }).addTo(drawLayer);
      if (i === 0) {
        L.circleMarker(point, { radius: 10, color: DRAWN_COLOUR, weight: 2, fill: false, interactive: false }).addTo(drawLayer);
      }
    });
  }

  function setCandidate(next, what) {
    candidate = next;
    byId("pp-save-what").textContent = next || what ? what : NOTHING_TO_SAVE;
    byId("pp-save-button").disabled = !next;
    if (next) {
      var form = byId("pp-save");
      if (next.time_windows !== undefined) { form.elements.time_windows.value = next.time_windows; }
      if (next.code) { form.elements.code.value = next.code; }
      if (next.name) { form.elements.name.value = next.name; }
    }
  }

  function describeDrawn() {
    return (editing ? "修改线路 changing route " + editing : "绘制的线路 the drawn route") + "：" + waypoints.length +
           " 个途经点 waypoints";
  }

  /* The line through the waypoints (along the roads when asked and possible), drawn and evaluated;
     answers to earlier clicks are dropped. */
  function update() {
    var mine = ++seq;
    say("pp-draw-message", "");
    if (waypoints.length < 2) {
      drawShape(null);
      if (candidate && candidate.source === "drawn") { setCandidate(null); }
      if (!waypoints.length && !editing) {
        evalSeq++;
        byId("pp-eval").textContent = "";
        byId("pp-eval-title").textContent = "";
        say("pp-eval-message", "");
      }
      return;
    }
    var s = settings();
    var points = waypoints.map(function (p) { return [+p.lng.toFixed(7), +p.lat.toFixed(7)]; });
    var straight = { type: "LineString", coordinates: points };
    var follow = byId("pp-follow").checked && routing && pathApi;
    drawShape(follow ? null : straight);
    var way = follow ? request("POST", "/api/patrol/path", { mode: s.mode, points: points }).then(function (f) {
      return f.geometry;
    }, function (err) {
      if (err.status === 404 || err.status === 405) {  // this server cannot join points along the roads
        pathApi = false;
        byId("pp-follow").checked = false;
        byId("pp-follow").disabled = true;
        return straight;
      }
      throw err;
    }) : Promise.resolve(straight);
    way.then(function (geometry) {
      if (mine !== seq) { return; }
      drawShape(geometry);
      var next = { source: "drawn", geometry: geometry, mode: s.mode, sight_width_m: s.sight_width_m,
                   time_windows: s.time_windows, code: editing, team: editingTeam || team };
      setCandidate(next, describeDrawn());
      var body = { geometry: geometry, team: next.team, mode: s.mode };
      if (s.time_windows) { body.time_windows = s.time_windows; }
      if (s.sight_width_m) { body.sight_width_m = s.sight_width_m; }
      if (editing) { body.route = editing; }
      return evaluate(body, editing ? "修改后的线路 " + editing + " changed route, against it as saved"
                                    : "绘制的线路 drawn route");
    }).catch(function (err) {
      if (mine !== seq) { return; }
      var at = /^points\[(\d+)\]$/.exec(err.field || "");
      if (at) {  // a waypoint off the roads: taken back
        waypoints.splice(Number(at[1]), 1);
        update();
        say("pp-draw-message", "该点离道路太远，已撤销 The point is off the roads and was taken back: " +
                               (err.message || ""), "error");
        return;
      }
      fail("pp-draw-message", err);
    });
  }

  function clicked(e) {
    if (!drawing) { return; }
    waypoints.push(e.latlng);
    update();
  }

  function undo() {
    if (waypoints.length) { waypoints.pop(); update(); }
  }

  function clear() {
    var form = byId("pp-save");
    if (editing) {  // what editRoute filled in for the route goes, so that the next route does not inherit it
      form.elements.code.value = "";
      form.elements.name.value = "";
      form.elements.time_windows.value = "";
      form.elements.active.checked = true;
      setWeekdays(order.weekdays.join(","));
      byId("pp-follow").checked = !byId("pp-follow").disabled;
      byId("pp-mode").selectedIndex = 0;
      byId("pp-windows").value = "";
      byId("pp-sight").value = "";
    }
    waypoints = [];
    editing = editingTeam = null;
    form.elements.code.readOnly = false;
    update();
  }

  function editRoute(feature) {
    var p = feature.properties, line = parts(feature.geometry)[0] || [];
    editing = p.code;
    editingTeam = p.team_code;  // the center may edit any team's route: it stays that team's
    waypoints = line.map(function (c) { return L.latLng(c[1], c[0]); });
    byId("pp-follow").checked = false;  // keep its shape; further clicks are joined straight
    byId("pp-mode").value = p.mode;
    byId("pp-windows").value = p.time_windows || "";
    byId("pp-sight").value = p.sight_width_m === null || p.sight_width_m === undefined ? "" : p.sight_width_m;
    var form = byId("pp-save");
    form.elements.code.value = p.code;
    form.elements.code.readOnly = true;
    form.elements.name.value = p.name;
    form.elements.active.checked = p.active !== false;
    setWeekdays(p.weekdays);
    setDrawing(true);
    update();
  }

  // -- proposals -----------------------------------------------------------------------------------
  /* Where each stop is: its own place when the answer gives one, else on the line at the share of the
     travel time spent when it is reached (the line is the path through the stops, in order). */
  function stopPlaces(feature) {
    var p = feature.properties, stops = p.stops || [], line = parts(feature.geometry)[0] || [];
    var dwell = stops.reduce(function (sum, s) { return sum + s.dwell_min; }, 0);
    var travel = p.duration_min - dwell, total = lineLength(line), stopped = 0;
    return stops.map(function (s) {
      if (typeof s.lon === "number" && typeof s.lat === "number") { return L.latLng(s.lat, s.lon); }
      var spent = travel > 0 ? Math.min(1, Math.max(0, (s.arrive_min - stopped) / travel)) : 0;
      stopped += s.dwell_min;
      return along(line, spent * total);
    });
  }

  function collectsText(stop) {
    return stop.collects.map(function (c) {  // a gap or hot spot names its grids: by their names when known
      var what = c.kind === "gap" || c.kind === "hotspot" ? String(c.ref).split(",").map(gridName).join("、")
        : c.name || c.ref;  // an alarm by its enterprise, a dispute by its code
      return label(labels.kinds, c.kind) + " " + what;
    }).join("；");
  }

  function stopText(stop, n) {
    return "第" + n + "站 stop " + n + " · 到达 arrives " + minutes(stop.arrive_min) +
           (stop.dwell_min ? " · 停留 dwell " + minutes(stop.dwell_min) : "") + " · " + collectsText(stop);
  }

  function stopMarker(place, stop, n, colour) {
    var badge = el("span", { style: "background:" + colour }, n);
    var tip = el("div", { "class": "pp-stop-tip" }, stopText(stop, n));
    return L.marker(place, { icon: L.divIcon({ className: "pp-stop", html: badge, iconSize: [22, 22] }),
                             keyboard: false })
      .bindTooltip(tip, { direction: "top", offset: [0, -10], className: "pp-stop-tooltip" });
  }

  /* A default time window for a shift: the usual one when it holds the time the shift's coverage is
     computed for (configured), else six hours around that time. */
  function shiftWindow(period) {
    var usual = period === "night" ? [20 * 60, 2 * 60] : [8 * 60, 18 * 60];
    var time = String(opts.times[period]).split(":"), at = Number(time[0]) * 60 + Number(time[1] || 0);
    var inside = usual[0] < usual[1] ? at >= usual[0] && at < usual[1] : at >= usual[0] || at < usual[1];
    var window_ = inside ? usual : [(at + 22 * 60) % 1440, (at + 4 * 60) % 1440];
    return window_.map(function (m) {
      return ("0" + Math.floor(m / 60)).slice(-2) + ":" + ("0" + (m % 60)).slice(-2);
    }).join("-");
  }

  function chooseProposal(i) {
    var f = proposals[i];
    if (editing) { clear(); }  // no longer changing that route
    setCandidate({ source: "proposal", index: i, geometry: f.geometry, mode: f.properties.mode,
                   team: proposalRequest.team, sight_width_m: null, time_windows: shiftWindow(proposalRequest.period),
                   code: null },
                 "推荐线路 proposed route " + (i + 1) + "（" + label(labels.modes, f.properties.mode) + "）");
    byId("pp-save").elements.name.focus();
  }

  function evaluateProposal(i) {
    var f = proposals[i];
    evaluate({ geometry: f.geometry, team: proposalRequest.team, mode: f.properties.mode,
               time_windows: shiftWindow(proposalRequest.period) },
             "推荐线路 proposed route " + (i + 1));
  }

  function showProposals(answer, body) {
    proposalLayer.clearLayers();
    proposals = answer.features.filter(function (f) { return f.geometry; });
    proposalRequest = body;
    var box = byId("pp-proposals");
    box.textContent = "";
    if (!proposals.length) {
      say("pp-propose-message", "没有可推荐的线路 Nothing to propose", "error");
      return;
    }
    say("pp-propose-message", "推荐 " + proposals.length + " 条线路 proposed " + proposals.length + " route(s)", "ok");
    var bounds = L.latLngBounds([]);
    proposals.forEach(function (f, i) {
      var p = f.properties, colour = PROPOSAL_COLOURS[i % PROPOSAL_COLOURS.length];
      bounds.extend(casedLine(f.geometry, colour, 5, proposalLayer));
      var places = stopPlaces(f);
      p.stops.forEach(function (stop, k) {
        if (places[k]) { stopMarker(places[k], stop, k + 1, colour).addTo(proposalLayer); }
      });
      var card = el("div", { "class": "pp-proposal", "data-index": i, style: "border-left-color:" + colour });
      card.appendChild(el("strong", {}, "推荐线路 " + (i + 1) + " Proposed route " + (i + 1)));
      card.appendChild(el("div", { "class": "pp-figures" }, [label(labels.modes, p.mode), "长度 length " + km(p.length_m),
        "时长 duration " + minutes(p.duration_min), "价值 value " + p.value + "（按权重计分 weighted score）",
        p.stops.length + " 站 stops"].join(" · ")));
      var list = el("ol", { "class": "pp-stops" });
      p.stops.forEach(function (stop, k) { list.appendChild(el("li", {}, stopText(stop, k + 1))); });
      card.appendChild(list);
      var assess = el("button", { type: "button", "class": "pp-small" }, "评估 Evaluate");
      assess.addEventListener("click", function () { evaluateProposal(i); });
      var choose = el("button", { type: "button", "class": "pp-small pp-choose" }, "保存此线路 Save this route…");
      choose.addEventListener("click", function () { chooseProposal(i); });
      card.appendChild(assess);
      card.appendChild(choose);
      box.appendChild(card);
    });
    fit(bounds);
  }

  function propose(event) {
    event.preventDefault();
    var form = event.target, f = form.elements;
    var body = { team: team, mode: f.mode.value, budget_min: Number(f.budget_min.value), period: f.period.value,
                 routes: Number(f.routes.value), weights: { disputes: {} } };
    if (f.dwell_min.value.trim() !== "") { body.dwell_min = Number(f.dwell_min.value); }
    // a weight left empty is the configured one
    order.grades.forEach(function (grade) {
      var value = f["weight_" + grade].value.trim();
      if (value !== "") { body.weights.disputes[grade] = Number(value); }
    });
    ["gaps", "hotspots", "alarms"].forEach(function (kind) {
      var value = f["weight_" + kind].value.trim();
      if (value !== "") { body.weights[kind] = Number(value); }
    });
    var button = byId("pp-propose-button");
    button.disabled = true;
    say("pp-propose-message", "计算中… Computing…");
    request("POST", "/api/patrol/propose", body).then(function (answer) { showProposals(answer, body); })
      .catch(function (err) {
        proposalLayer.clearLayers();
        byId("pp-proposals").textContent = "";
        fail("pp-propose-message", err);
      })
      .then(function () { button.disabled = !routing; });
  }

  // -- saving --------------------------------------------------------------------------------------
  function setWeekdays(weekdays) {
    var on = String(weekdays || "").split(",");
    byId("pp-weekdays").querySelectorAll("input").forEach(function (box) { box.checked = on.indexOf(box.value) >= 0; });
  }

  function save(event) {
    event.preventDefault();
    if (!candidate) { return; }
    var f = event.target.elements, code = f.code.value.trim();
    var days = [];
    byId("pp-weekdays").querySelectorAll("input:checked").forEach(function (box) { days.push(box.value); });
    var properties = { code: code, name: f.name.value.trim(), team_code: candidate.team, mode: candidate.mode,
                       weekdays: days.join(","), active: f.active.checked };
    if (f.time_windows.value.trim()) { properties.time_windows = f.time_windows.value.trim(); }
    if (candidate.sight_width_m) { properties.sight_width_m = candidate.sight_width_m; }
    var replacing = candidate.code && candidate.code === code;
    var url = "/api/collections/routes/items" + (replacing ? "/" + encodeURIComponent(code) : "");
    var saved = candidate;
    byId("pp-save-button").disabled = true;
    request(replacing ? "PUT" : "POST", url, { type: "Feature", geometry: candidate.geometry, properties: properties })
      .then(function () {
        say("pp-save-message", "已保存 saved: " + code + "，覆盖已更新 coverage updated", "ok");
        if (saved.source === "drawn") { clear(); } else { setCandidate(null, "已保存 saved: " + code); }
        var card = saved.source === "proposal" && document.querySelector("#pp-proposals .pp-proposal[data-index='" +
                                                                           saved.index + "'] .pp-choose");
        if (card) { card.disabled = true; card.textContent = "已保存为 saved as " + code; }  // not saved twice
        byId("pp-save").elements.code.value = "";
        byId("pp-save").elements.name.value = "";
        refreshLayers();
        loadRoutes();
        loadGrids();
      })
      .catch(function (err) {
        byId("pp-save-button").disabled = !candidate;
        fail("pp-save-message", err);
      });
  }

  // -- set-up --------------------------------------------------------------------------------------
  function fill(select, name, keys) {
    (keys || order[name]).forEach(function (value) {
      select.appendChild(el("option", { value: value }, label(labels[name], value)));
    });
  }

  function number(name, value) {
    return el("input", { name: name, type: "number", min: "0", max: "1000", step: "any", value: value });
  }

  function planningControls() {
    var teams = byId("pp-team");
    opts.teams.forEach(function (t) { teams.appendChild(el("option", { value: t.code }, t.name + " (" + t.code + ")")); });
    teams.disabled = opts.teams.length < 2;
    teams.addEventListener("change", function () {
      team = teams.value;
      loadRoutes();
      loadGrids();
    });
    fill(byId("pp-mode"), "modes");
    var form = byId("pp-propose");
    fill(form.elements.mode, "modes");
    fill(form.elements.period, "shifts", ["day", "night"]);
    form.elements.dwell_min.placeholder = opts.dwell_min;
    var weights = byId("pp-weights");
    order.grades.forEach(function (grade) {
      var row = el("label", {}, label(labels.kinds, "dispute") + "·" + label(labels.grades, grade) + " ");
      row.appendChild(number("weight_" + grade, opts.weights.disputes[grade]));
      weights.appendChild(row);
    });
    [["gaps", "gap", " (每公里 per km)"], ["hotspots", "hotspot", ""], ["alarms", "alarm", ""]].forEach(function (w) {
      var row = el("label", {}, label(labels.kinds, w[1]) + w[2] + " ");
      row.appendChild(number("weight_" + w[0], opts.weights[w[0]]));
      weights.appendChild(row);
    });
    form.addEventListener("submit", propose);
    var days = byId("pp-weekdays");
    order.weekdays.forEach(function (d) {
      var box = el("label", { "class": "pp-day" });
      var input = el("input", { type: "checkbox", value: d });
      input.checked = true;
      box.appendChild(input);
      box.appendChild(document.createTextNode(label(labels.weekdays, d)));
      days.appendChild(box);
    });
    byId("pp-save").addEventListener("submit", save);
    byId("pp-draw").addEventListener("click", function () { setDrawing(!drawing); });
    document.addEventListener("keydown", function (e) {  // Escape ends clicking waypoints (they stay)
      if (e.key === "Escape" && drawing) { setDrawing(false); }
    });
    byId("pp-undo").addEventListener("click", undo);
    byId("pp-clear").addEventListener("click", clear);
    ["pp-follow", "pp-mode", "pp-windows", "pp-sight"].forEach(function (id) { byId(id).addEventListener("change", update); });
    map.on("click", clicked);
    // While drawing, a click places a waypoint: the identify popup it also brings is closed.
    map.on("popupopen", function (e) { if (drawing) { map.closePopup(e.popup); } });
  }

  function checkNetwork() {
    request("GET", "/api/patrol/network").then(function (n) {
      routing = n.routing;
      if (!n.routing) {
        say("pp-network", "路网规划未开启：数据库未安装 pgRouting Route planning is off: pgRouting is not installed", "error");
      } else if (!n.built) {
        say("pp-network", "路网尚未建立 The road network is not built yet", "error");
      } else {
        say("pp-network", "路网 Road network: " + n.edges + " 条边 edges · " + (Math.round(n.length_km * 10) / 10) +
            " km" + (n.stale ? " · 待更新 to be rebuilt" : ""));
      }
      if (opts.plans) {
        byId("pp-propose-button").disabled = !routing;
        if (!routing) { byId("pp-follow").checked = false; byId("pp-follow").disabled = true; }
      }
    }).catch(function (err) { fail("pp-network", err); });
  }

  function toggle() {
    var open = !byId("pp-panel").classList.toggle("collapsed");
    document.body.classList.toggle("pp-open", open);  /* the legend moves aside */
  }

  function init(theMap, options) {
    map = theMap;
    opts = options;
    request = common.requester(opts.csrf);
    labels = {};
    order = {};
    Object.keys(options.labels).forEach(function (name) {  // [value, label] pairs, in the vocabulary's order
      labels[name] = {};
      order[name] = options.labels[name].map(function (pair) { labels[name][pair[0]] = pair[1]; return pair[0]; });
    });
    team = options.team || (options.teams.length ? options.teams[0].code : null);
    highlight = L.layerGroup().addTo(map);
    proposalLayer = L.layerGroup().addTo(map);
    drawLayer = L.layerGroup().addTo(map);
    byId("pp-toggle").addEventListener("click", toggle);
    var period = byId("pp-grid-period");
    fill(period, "shifts", ["night", "day"]);
    period.addEventListener("change", loadGrids);
    if (opts.plans) { planningControls(); }
    checkNetwork();
    loadRoutes();
    loadGrids();
  }

  return { init: init };
})();
