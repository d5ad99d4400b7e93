/* The camera siting panel beside the map (天网). For the roles that read coverage: the saved plans, each opened
   on the map with its cameras and view sectors and its what-if (the grids it reaches, coloured by their covered
   share after the plan or by the change, from /api/siting/plans/{code}/grids), compared side by side
   (/api/siting/compare) and exported (Excel, GeoJSON). For the roles that plan cameras (center, planner): an area
   (a village, or a polygon drawn by clicking the map), the budget, kinds, purpose or range, candidates, problem,
   method and weights; cameras proposed by /api/siting/propose, drawn with their sectors, the totals before and
   after by kind of demand and the marginal value curve (Chart.js); a proposed camera dragged or turned (its
   azimuth, or the handle at its sector's tip) is valued again by /api/siting/value; the result saved as a plan;
   a saved plan's cameras moved or turned through the cameras' editing API, after which its what-if follows.
   Every text from the server is put in with textContent, never as HTML. */
window.gisappSiting = (function () {
  "use strict";
  var KIND_COLOURS = { bullet: "#e6007e", dome: "#6a3d9a" };  // proposed cameras, unlike the layers' colours
  var STATUS_COLOURS = { planned: "#0050b3", online: "#2ca02c", offline: "#7f7f7f", faulty: "#d62728" };
  var AREA_STYLE = { color: "#ff6d00", weight: 3, dashArray: "8 5", fill: false, interactive: false };
  var SITE_STYLE = { radius: 4, color: "#ffffff", weight: 1, fillColor: "#8c564b", fillOpacity: 0.95 };
  var NO_PROPOSAL = "先推荐点位 Propose cameras first";
  var EARTH_M = 6371008.8;
  var map, opts, labels, order;
  var areaLayer, siteLayer, drawLayer, proposalLayer, gridLayer, planLayer;
  var drawing = false, vertices = [], drawn = null, areaSeq = 0, flaggedCodes = null;
  var proposal = null, valueSeq = 0, chart = null, planChart = null;
  var plan = null, planSeq = 0, listSeq = 0, compared = {}, deleting = null;

  // -- small helpers -------------------------------------------------------------------------------
  var common = window.gisappCommon, byId = common.byId, el = common.el, label = common.label;
  var request;  // set by init: the API's JSON requests with the page's CSRF token (static/common.js)

  var say = common.say, fail = common.fail;  // messages; API errors in Chinese first (static/common.js)

  function round(value, digits) {
    var f = Math.pow(10, digits || 0);
    return Math.round(value * f) / f;
  }
  function share(value) { return value === null || value === undefined ? "–" : round(value * 100, 1) + "%"; }
  function yuan(value) { return (value === null || value === undefined ? "–" : round(value).toLocaleString("zh-CN")) + " 元"; }
  function reasonsText(reasons) {
    var list = Array.isArray(reasons) ? reasons : String(reasons || "").split(",").filter(Boolean);
    return list.map(function (r) { return label(labels.reasons, r); }).join("、");
  }

  /* A time from the server (an HTTP date or ISO 8601) in the configured time zone. */
  function when(value) {
    var date = new Date(value);
    if (!value || isNaN(date.getTime())) { return value || "–"; }
    try {
      return new Intl.DateTimeFormat("zh-CN", { timeZone: opts.timezone, year: "numeric", month: "2-digit",
                                                day: "2-digit", hour: "2-digit", minute: "2-digit",
                                                hour12: false }).format(date);
    } catch (e) {
      return date.toISOString();
    }
  }

  function rangeText(ranges) {
    var kinds = order.kinds, values = kinds.map(function (k) { return round(ranges[k]); });
    if (values.every(function (v) { return v === values[0]; })) { return "≈" + values[0] + " m"; }
    return kinds.map(function (k, i) { return label(labels.kinds, k).split(" ")[0] + " " + values[i] + " m"; }).join("，");
  }

  // -- geometry on the client: only for feedback while dragging (the server's views replace it) ---------
  function destination(latlng, bearing, metres) {
    var b = bearing * Math.PI / 180, dy = metres * Math.cos(b), dx = metres * Math.sin(b);
    return L.latLng(latlng.lat + dy / EARTH_M * 180 / Math.PI,
                    latlng.lng + dx / (EARTH_M * Math.cos(latlng.lat * Math.PI / 180)) * 180 / Math.PI);
  }

  function bearing(from, to) {
    var dy = to.lat - from.lat, dx = (to.lng - from.lng) * Math.cos(from.lat * Math.PI / 180);
    return (Math.atan2(dx, dy) * 180 / Math.PI + 360) % 360;
  }

  /* A camera's view as lat/lng rings: a sector (apex, arc, apex) or a disc, as camera_view() makes it. */
  function sector(latlng, azimuth, fov, metres) {
    var points = [], i;
    if (fov >= 360 || azimuth === null || azimuth === undefined) {
      for (i = 0; i < 64; i++) { points.push(destination(latlng, 360 * i / 64, metres)); }
      return points;
    }
    var n = Math.max(4, Math.ceil(fov / 5));
    points.push(latlng);
    for (i = 0; i <= n; i++) { points.push(destination(latlng, azimuth - fov / 2 + fov * i / n, metres)); }
    return points;
  }

  function latlngOf(feature) {
    var c = feature.geometry.coordinates;
    return L.latLng(c[1], c[0]);
  }

  function insidePolygon(latlng, rings) {  // even-odd over every ring: holes are outside
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > latlng.lat) !== (yj > latlng.lat) &&
            latlng.lng < (xj - xi) * (latlng.lat - yi) / (yj - yi) + xi) { inside = !inside; }
      }
    });
    return inside;
  }

  function polygonsOf(geometry) {
    if (!geometry) { return []; }
    return geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
  }

  /* Fit the map to ``bounds`` in the part of it the open panel leaves free. */
  function fit(bounds, maxZoom) {
    if (!bounds || !bounds.isValid()) { return; }
    var panel = byId("sp-panel"), box = map.getContainer().getBoundingClientRect(), left = 30, right = 30;
    var control = map.getContainer().querySelector(".leaflet-control-layers");
    if (!panel.classList.contains("collapsed")) { left = panel.getBoundingClientRect().right - box.left + 20; }
    if (control) { right = box.right - control.getBoundingClientRect().left + 20; }
    if (left + right > box.width * 0.6) { left = right = 30; }  // a narrow screen: the whole map
    map.fitBounds(bounds, { maxZoom: maxZoom || 17, paddingTopLeft: [left, 40], paddingBottomRight: [right, 30] });
  }

  // -- the panel opening and closing: one panel on the left at a time ------------------------------------
  function setOpen(open) {
    byId("sp-panel").classList.toggle("collapsed", !open);
    document.body.classList.toggle("sp-open", open);  /* the legend moves aside */
    if (open) {
      var patrol = byId("pp-panel");
      if (patrol && !patrol.classList.contains("collapsed")) { byId("pp-toggle").click(); }
      var patrolDraw = byId("pp-draw");  // its clicks on the map would be taken as waypoints
      if (patrolDraw && patrolDraw.classList.contains("active")) { patrolDraw.click(); }
      makeRoom("left");
    } else if (drawing) {
      setDrawing(false);
    }
  }

  /* On a narrow screen the layer control, moved aside by the disputes panel on the right, would lie under the open
     panel on the left: then the side panel not just opened closes (``keep``: "left" or "right"). */
  function leftOpen() {
    return ["sp-panel", "pp-panel"].map(byId).filter(function (p) { return p && !p.classList.contains("collapsed"); })[0];
  }

  function makeRoom(keep) {
    var left = leftOpen(), right = byId("dp-panel"), control = map.getContainer().querySelector(".leaflet-control-layers");
    if (!left || !right || right.classList.contains("collapsed") || !control) { return; }
    if (left.getBoundingClientRect().right + 6 <= control.getBoundingClientRect().left) { return; }
    if (keep === "left") {
      byId("dp-toggle").click();
    } else {
      byId(left.id === "sp-panel" ? "sp-toggle" : "pp-toggle").click();
    }
  }

  // -- the area ---------------------------------------------------------------------------------------
  function areaBy() {
    var form = byId("sp-propose");
    return form.querySelector("input[name=area_by]:checked").value;
  }

  function setAreaBy(value) {
    byId("sp-propose").querySelector("input[name=area_by][value=" + value + "]").checked = true;
  }

  /* The area as the API takes it; null (and a message) when there is none yet. */
  function area() {
    if (areaBy() === "village") {
      var code = byId("sp-village").value;
      return code ? { villages: [code] } : null;
    }
    if (areaBy() === "flagged") { return flaggedCodes && flaggedCodes.length ? { grids: flaggedCodes } : null; }
    if (!drawn) { return null; }
    var ring = drawn.map(function (p) { return [round(p.lng, 7), round(p.lat, 7)]; });
    ring.push(ring[0]);
    return { polygon: { type: "Polygon", coordinates: [ring] } };
  }

  /* Another area chosen: a proposal made for the last one is put away, so that it cannot be saved as this
     one's. */
  function areaChanged(zoom) {
    if (proposal) {
      clearProposal();
      say("sp-propose-message", "范围已改变，请重新推荐 The area changed: propose again");
    }
    showArea(zoom);
  }

  /* The chosen area outlined on the map, and the candidate sites of the layer inside it. */
  function showArea(zoom) {
    var mine = ++areaSeq;
    areaLayer.clearLayers();
    siteLayer.clearLayers();
    if (areaBy() === "flagged") { showFlagged(mine); return; }
    if (areaBy() === "village") {
      var code = byId("sp-village").value;
      if (!code) { return; }
      request("GET", "/api/collections/boundaries/items/" + encodeURIComponent(code)).then(function (feature) {
        if (mine !== areaSeq) { return; }
        var outline = L.geoJSON(feature, { style: AREA_STYLE }).addTo(areaLayer);
        if (zoom) { fit(outline.getBounds(), 16); }
        showSites(polygonsOf(feature.geometry), outline.getBounds(), mine);
      }).catch(function (err) { if (mine === areaSeq) { fail("sp-draw-message", err); } });
    } else if (drawn) {
      var outline = L.polygon(drawn, AREA_STYLE).addTo(areaLayer);
      var ring = drawn.map(function (p) { return [p.lng, p.lat]; });
      showSites([[ring]], outline.getBounds(), mine);
    }
  }

  /* The grids flagged now in the chosen time of day (as the flagged-grids panel lists them): the area. */
  function showFlagged(mine) {
    var period = byId("sp-flagged-period").value;
    flaggedCodes = null;
    say("sp-draw-message", "载入预警网格… loading the flagged grids…");
    request("GET", "/api/coverage/grids?flagged=true&period=" + encodeURIComponent(period)).then(function (answer) {
      if (mine !== areaSeq) { return; }
      flaggedCodes = answer.grids.map(function (g) { return g.grid_code; });
      say("sp-draw-message", flaggedCodes.length
        ? flaggedCodes.length + " 个" + label(labels.shifts, period).split(" ")[0] + "预警网格 flagged grids"
        : "当前没有预警网格 no grid is flagged now");
    }).catch(function (err) { if (mine === areaSeq) { fail("sp-draw-message", err); } });
  }

  function showSites(polygons, bounds, mine) {
    var message = byId("sp-draw-message");
    if (byId("sp-propose").elements.candidates.value !== "layer") {
      message.textContent = label(labels.candidates, "generated") + "：每隔一段距离及路口 every so many metres and at crossings";
      return;
    }
    var bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(6); }).join(",");
    request("GET", "/api/collections/sites/items?limit=1000&bbox=" + bbox).then(function (answer) {
      if (mine !== areaSeq) { return; }
      var inside = answer.features.filter(function (f) {
        var at = latlngOf(f);
        return polygons.some(function (rings) { return insidePolygon(at, rings); });
      });
      inside.forEach(function (f) {
        var p = f.properties, tip = el("div", {}, "候选点位 site " + p.code + (p.name ? " · " + p.name : "") + " · " +
                                        label(labels.mounts, p.mounts) + (p.cost ? " · " + yuan(p.cost) : ""));
        L.circleMarker(latlngOf(f), SITE_STYLE).bindTooltip(tip).addTo(siteLayer);
      });
      message.textContent = inside.length ? "区域内候选点位 " + inside.length + " 个 candidate sites in the area"
        : "区域内没有候选点位，可改为沿道路生成 No candidate sites in the area: generate them along the roads";
    }).catch(function (err) { if (mine === areaSeq) { fail("sp-draw-message", err); } });
  }

  // drawing a polygon: each click a corner; Draw again (or a click on the first corner) closes it
  function redrawDrawing() {
    drawLayer.clearLayers();
    if (!drawing) { return; }
    if (vertices.length > 1) {
      L.polyline(vertices.concat(vertices.length > 2 ? [vertices[0]] : []),
                 { color: "#ff6d00", weight: 2, dashArray: "4 4", interactive: false }).addTo(drawLayer);
    }
    vertices.forEach(function (v, i) {
      var corner = L.circleMarker(v, { radius: i === 0 ? 7 : 5, color: "#ff6d00", weight: 2, fillColor: "#ffffff",
                                       fillOpacity: 1, bubblingMouseEvents: false }).addTo(drawLayer);
      if (i === 0) { corner.on("click", function () { if (vertices.length > 2) { setDrawing(false); } }); }
    });
    var left = vertices.length < 3 ? "还需 " + (3 - vertices.length) + " 个点 " + (3 - vertices.length) + " more corner(s)"
      : "再点“绘制范围”或首个点完成 Click Draw or the first corner to finish";
    byId("sp-draw-message").textContent = "已点 " + vertices.length + " 个角点 corners clicked · " + left;
  }

  function setDrawing(on) {
    if (on === drawing) { return; }
    drawing = on;
    byId("sp-draw").classList.toggle("active", on);
    byId("sp-draw").textContent = on ? "完成 Finish" : "绘制范围 Draw";
    map.getContainer().classList.toggle("sp-drawing", on);
    map.getContainer().classList.toggle("gisapp-drawing", on);  /* no identify popups meanwhile (map.js) */
    if (on) {
      map.doubleClickZoom.disable();
      setAreaBy("polygon");
      vertices = [];
      areaLayer.clearLayers();
      siteLayer.clearLayers();
      redrawDrawing();
      return;
    }
    map.doubleClickZoom.enable();
    if (vertices.length >= 3) { drawn = vertices.slice(); }
    vertices = [];
    redrawDrawing();
    if (drawn) {
      areaChanged(false);
    } else {
      byId("sp-draw-message").textContent = "未绘制范围 No area drawn";
    }
  }

  function clicked(e) {
    if (!drawing) { return; }
    vertices.push(e.latlng);
    redrawDrawing();
  }

  function undoCorner() {
    if (drawing && vertices.length) { vertices.pop(); redrawDrawing(); }
  }

  function clearDrawn() {
    if (drawing) { vertices = []; redrawDrawing(); return; }
    drawn = null;
    if (areaBy() === "polygon") { areaChanged(false); }
    byId("sp-draw-message").textContent = "";
  }

  // -- proposing --------------------------------------------------------------------------------------
  function proposeBody() {
    var f = byId("sp-propose").elements, body = { area: area(), problem: f.problem.value, method: f.method.value,
                                                   candidates: f.candidates.value, kinds: [], weights: {} };
    byId("sp-kinds").querySelectorAll("input:checked").forEach(function (box) { body.kinds.push(box.value); });
    if (f.count.value.trim() !== "") { body.count = Number(f.count.value); }
    if (f.cost.value.trim() !== "") { body.cost = Number(f.cost.value); }
    if (f.purpose.value === "range") {
      if (f.range_m.value.trim() !== "") { body.range_m = Number(f.range_m.value); }
    } else {
      body.purpose = f.purpose.value;
    }
    var disputes = {};
    order.grades.forEach(function (grade) {
      var value = f["weight_" + grade].value.trim();
      if (value !== "") { disputes[grade] = Number(value); }
    });
    if (Object.keys(disputes).length) { body.weights.disputes = disputes; }
    ["gaps", "hotspots", "alarms", "key_places"].forEach(function (kind) {
      var value = f["weight_" + kind].value.trim();
      if (value !== "") { body.weights[kind] = Number(value); }
    });
    return body;
  }

  function propose(event) {
    event.preventDefault();
    if (drawing) { setDrawing(false); }
    var body = proposeBody();
    if (!body.area) {
      say("sp-propose-message", {village: "请选择村 Choose a village",
                                 flagged: "当前没有预警网格 No grid is flagged now"}[areaBy()] ||
          "请先在地图上绘制范围 Draw the area on the map first", "error");
      return;
    }
    if (!body.kinds.length) { say("sp-propose-message", "请至少选择一种类型 Choose at least one kind", "error"); return; }
    if (byId("sp-propose").elements.purpose.value === "range" && body.range_m === undefined) {
      say("sp-propose-message", "请填写距离 Give the range in metres", "error");
      return;
    }
    var button = byId("sp-propose-button");
    button.disabled = true;
    say("sp-propose-message", "计算中… Computing…");
    request("POST", "/api/siting/propose", body).then(function (answer) { showProposal(answer, body); })
      .catch(function (err) {
        clearProposal();
        fail("sp-propose-message", err);
      })
      .then(function () { button.disabled = false; });
  }

  function clearProposal() {
    proposal = null;
    valueSeq++;
    proposalLayer.clearLayers();
    byId("sp-result").hidden = true;
    updateSave();
  }

  function plainFeature(f) {  // what is sent back: the camera, without its view
    var p = f.properties;
    return { type: "Feature", geometry: { type: "Point", coordinates: f.geometry.coordinates.slice(0, 2) },
             properties: { rank: p.rank, site: p.site, kind: p.kind, azimuth: p.azimuth, fov_deg: p.fov_deg,
                           range_m: p.range_m, cost: p.cost, value: p.value } };
  }

  function showProposal(answer, body) {
    if (plan) { closePlan(); }
    proposal = { body: body, answer: answer, features: answer.features.map(function (f) {
      return { type: "Feature", geometry: f.geometry, properties: Object.assign({ proposed: f.properties.value }, f.properties) };
    }), totals: answer.totals, marginal: answer.marginal, proposedMarginal: answer.marginal.slice(), edited: false };
    var t = answer.totals, parts = ["推荐 " + t.cameras + " 台摄像机 proposed " + t.cameras + " camera(s)",
                                    "造价 cost " + yuan(t.cost),
                                    "候选 options " + t.candidates + "（点位×类型×朝向 sites × kinds × directions）"];
    if (answer.proven === true) { parts.push("已证明最优 proven optimal"); }
    if (answer.proven === false && answer.gap !== null) { parts.push("与最优差距 gap ≤ " + round(answer.gap * 100, 2) + "%"); }
    if (answer.shortfall) {  // why fewer cameras than asked for
      parts.push(label(labels.shortfalls, answer.shortfall.reason) +
                 (answer.shortfall.cheapest !== null ? "：" + yuan(answer.shortfall.cheapest) : ""));
    }
    say("sp-propose-message", parts.join(" · "), answer.features.length || answer.shortfall ? "ok" : "error");
    byId("sp-result").hidden = false;
    var unreachable = byId("sp-unreachable");
    unreachable.textContent = "";
    (answer.unreachable || []).forEach(function (ref) {
      unreachable.appendChild(el("li", {}, "无候选点位可覆盖的重点部位 no site reaches key place " + ref));
    });
    drawProposal(true);
    showTotals();
    showCameras();
    showChart();
    updateSave();
  }

  /* The plan's name, suggested from the area and the cameras as they stand; a name the planner typed is kept. */
  function suggestName() {
    var form = byId("sp-save");
    if (!form || !proposal) { return; }
    var name = form.elements.name;
    if (name.value && name.value !== name.dataset.suggested) { return; }
    var village = byId("sp-village"), by = areaBy();
    var where = by === "village" && village.selectedOptions.length ? village.selectedOptions[0].textContent
      : by === "flagged" ? "预警网格 flagged grids" : "绘制范围 drawn area";
    name.value = name.dataset.suggested = where + " " + proposal.features.length + " 台 cameras";
  }

  /* The proposed cameras on the map: a numbered marker (dragged to move it), the view sector, and for a
     bullet a handle at the sector's tip (dragged to turn it). */
  function drawProposal(zoom) {
    proposalLayer.clearLayers();
    var bounds = L.latLngBounds([]);
    proposal.features.forEach(function (f, i) {
      var p = f.properties, colour = KIND_COLOURS[p.kind] || "#333", at = latlngOf(f);
      var view = L.polygon(p.view ? polygonsOf(p.view)[0].map(function (ring) {
        return ring.map(function (c) { return [c[1], c[0]]; });
      }) : sector(at, p.azimuth, p.fov_deg, p.range_m),
      { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.18, interactive: false }).addTo(proposalLayer);
      bounds.extend(view.getBounds());
      var badge = el("span", { style: "background:" + colour }, p.rank);
      var marker = L.marker(at, { icon: L.divIcon({ className: "sp-camera", html: badge, iconSize: [22, 22] }),
                                  draggable: !!opts.plans, keyboard: false, autoPan: true })
        .bindTooltip(el("div", { "class": "sp-tip" }, cameraTitle(p)), { direction: "top", offset: [0, -10] })
        .addTo(proposalLayer);
      var handle = null;
      if (opts.plans && p.kind === "bullet") {
        handle = L.marker(destination(at, p.azimuth, handleDistance(p.range_m)), {
          icon: L.divIcon({ className: "sp-handle", html: el("span", { style: "border-color:" + colour }, "↻"),
                            iconSize: [18, 18] }), draggable: true, keyboard: false })
          .bindTooltip("拖动以转向 drag to turn", { direction: "right" }).addTo(proposalLayer);
        handle.on("drag", function () {
          p.azimuth = round(bearing(marker.getLatLng(), handle.getLatLng()), 1);
          view.setLatLngs(sector(marker.getLatLng(), p.azimuth, p.fov_deg, p.range_m));
          var input = byId("sp-cameras").querySelector("li[data-index='" + i + "'] input[name=azimuth]");
          if (input) { input.value = round(p.azimuth); }
        });
        handle.on("dragend", function () { p.view = null; revalue(); });
      }
      marker.on("dragstart", function () { if (handle) { handle.setOpacity(0); } });
      marker.on("drag", function () {
        view.setLatLngs(sector(marker.getLatLng(), p.azimuth, p.fov_deg, p.range_m));
      });
      marker.on("dragend", function () {
        var moved = marker.getLatLng();
        f.geometry = { type: "Point", coordinates: [round(moved.lng, 7), round(moved.lat, 7)] };
        p.site = null;  // no longer at its candidate site
        p.view = null;
        revalue();
      });
    });
    if (zoom) { fit(bounds); }
  }

  /* How far from its camera a bullet's turning handle sits: at the sector's tip, and clear of the camera's badge. */
  function handleDistance(metres) {
    var perPixel = 40075016.686 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, map.getZoom() + 8);
    return Math.max(metres, 30 * perPixel);
  }

  function cameraTitle(p) {
    return "第" + p.rank + "台 camera " + p.rank + " · " + label(labels.kinds, p.kind) +
      (p.site ? " · 点位 site " + p.site : " · 已移动 moved") + " · 价值 value " + round(p.value, 2);
  }

  function showTotals() {
    var body = byId("sp-totals"), t = proposal.totals, all = { demand: 0, before: 0, after: 0 };
    suggestName();
    body.textContent = "";
    order.demand.forEach(function (kind) {
      var tr = el("tr", { "data-kind": kind, "class": t.demand[kind] ? "" : "pp-muted" });
      tr.appendChild(el("td", {}, label(labels.demand, kind)));
      ["demand", "before", "after"].forEach(function (key) {
        all[key] += t[key][kind];
        tr.appendChild(el("td", {}, round(t[key][kind], 2)));
      });
      if (t.after[kind] > t.before[kind]) { tr.lastChild.className = "pp-up"; }
      body.appendChild(tr);
    });
    var total = el("tr", { "class": "sp-total" });
    total.appendChild(el("td", {}, "合计 all"));
    ["demand", "before", "after"].forEach(function (key) { total.appendChild(el("td", {}, round(all[key], 2))); });
    body.appendChild(total);
  }

  function showChart() {
    var values = proposal.marginal;
    var datasets = [{ label: proposal.edited ? "调整后 as changed" : "推荐 as proposed", data: values,
                      backgroundColor: "#12355b" }];
    if (proposal.edited) {
      datasets.push({ label: "推荐时 as proposed", data: proposal.proposedMarginal, backgroundColor: "#b0b8c4" });
    }
    chart = marginalChart(byId("sp-marginal-chart"), chart, datasets);
  }

  /* The marginal value curve (what the 1st, 2nd … camera adds) drawn on ``canvas`` in place of ``old``; the
     first of ``datasets`` gives the cameras. Returns the chart. */
  function marginalChart(canvas, old, datasets) {
    if (old) { old.destroy(); }
    return new Chart(canvas, {
      type: "bar",
      data: { labels: datasets[0].data.map(function (v, i) { return String(i + 1); }), datasets: datasets },
      options: { animation: false, maintainAspectRatio: false,
                 plugins: { legend: { display: datasets.length > 1, labels: { boxWidth: 10, font: { size: 10 } } } },
                 scales: { x: { title: { display: true, text: "第几台 camera", font: { size: 10 } } },
                           y: { beginAtZero: true, title: { display: true, text: "价值 value", font: { size: 10 } } } } }
    });
  }

  function showCameras() {
    var list = byId("sp-cameras");
    list.textContent = "";
    proposal.features.forEach(function (f, i) {
      var p = f.properties, item = el("li", { "data-index": i, "class": "sp-camera-item sp-kind-" + p.kind });
      item.style.borderLeftColor = KIND_COLOURS[p.kind] || "#999";
      var title = el("a", { href: "#", "class": "pp-name" }, "第" + p.rank + "台 #" + p.rank + " · " +
                     label(labels.kinds, p.kind) + " · " + (p.site ? "点位 site " + p.site : "已移动 moved"));
      title.addEventListener("click", function (e) { e.preventDefault(); map.panTo(latlngOf(f)); });
      item.appendChild(title);
      var line = el("div", { "class": "pp-figures" });
      if (p.kind === "bullet" && opts.plans) {
        var turn = el("label", { "class": "sp-azimuth" }, "朝向 azimuth ");
        var input = el("input", { name: "azimuth", type: "number", min: "0", max: "359", step: "15",
                                  value: round(p.azimuth) });
        input.addEventListener("change", function () {
          var v = Number(input.value);
          if (input.value.trim() === "" || !isFinite(v) || ((v % 360) + 360) % 360 === p.azimuth) { return; }
          p.azimuth = ((v % 360) + 360) % 360;
          p.view = null;
          drawProposal(false);
          revalue();
        });
        turn.appendChild(input);
        turn.appendChild(document.createTextNode("°"));
        line.appendChild(turn);
      } else if (p.kind === "bullet") {
        line.appendChild(document.createTextNode("朝向 azimuth " + round(p.azimuth) + "° "));
      }
      line.appendChild(document.createTextNode("视场 fov " + round(p.fov_deg) + "° · 距离 range " + round(p.range_m) +
                                               " m · " + yuan(p.cost)));
      item.appendChild(line);
      var worth = el("div", { "class": "sp-value" });
      worth.appendChild(el("strong", {}, "价值 value " + round(p.value, 2)));
      if (round(p.value, 3) !== round(p.proposed, 3)) {
        worth.appendChild(el("span", { "class": p.value > p.proposed ? "pp-up" : "sp-down" },
                             " （推荐时 proposed " + round(p.proposed, 2) + "）"));
      }
      item.appendChild(worth);
      if (opts.plans) {
        var drop = el("button", { type: "button", "class": "pp-small" }, "移除 Remove");
        drop.addEventListener("click", function () {
          proposal.features.splice(i, 1);
          proposal.features.forEach(function (g, k) { g.properties.rank = k + 1; });
          drawProposal(false);
          revalue();
        });
        worth.appendChild(drop);
      }
      list.appendChild(item);
    });
  }

  /* Value the cameras as they now stand (moved, turned, removed): each one's value, the totals and the curve. */
  function revalue() {
    var mine = ++valueSeq;
    proposal.edited = true;
    updateSave();
    if (!proposal.features.length) {
      proposal.marginal = [];
      proposal.totals = Object.assign({}, proposal.totals, { after: proposal.totals.before, cameras: 0, cost: 0 });
      showTotals(); showCameras(); showChart();
      say("sp-value-message", "已移除全部摄像机 Every camera removed");
      return;
    }
    say("sp-value-message", "计算中… Computing…");
    request("POST", "/api/siting/value", { area: proposal.body.area, weights: proposal.body.weights,
                                           features: proposal.features.map(plainFeature) })
      .then(function (answer) {
        if (mine !== valueSeq) { return; }
        answer.features.forEach(function (v, k) {
          proposal.features[k].properties.value = v.value;
          proposal.features[k].properties.view = v.view;
        });
        proposal.totals = Object.assign({}, proposal.totals, answer.totals);
        proposal.marginal = answer.marginal;
        drawProposal(false);
        showTotals();
        showCameras();
        showChart();
        var sum = answer.marginal.reduce(function (a, b) { return a + b; }, 0);
        var before = proposal.proposedMarginal.reduce(function (a, b) { return a + b; }, 0);
        say("sp-value-message", "已重新计算 valued again: 共增加 adds " + round(sum, 2) + "（推荐时 as proposed " +
            round(before, 2) + "）", "ok");
      })
      .catch(function (err) { if (mine === valueSeq) { fail("sp-value-message", err); } });
  }

  // -- saving -----------------------------------------------------------------------------------------
  function updateSave() {
    var form = byId("sp-save");
    if (!form) { return; }
    var n = proposal ? proposal.features.length : 0;
    byId("sp-save-button").disabled = !n;
    byId("sp-save-what").textContent = !proposal ? NO_PROPOSAL : n ? "将保存 " + n + " 台摄像机 " + n +
      " camera(s) will be saved" + (proposal.edited ? "（含调整 as changed）" : "") : "没有摄像机 No cameras left";
  }

  function save(event) {
    event.preventDefault();
    if (!proposal || !proposal.features.length) { return; }
    var f = event.target.elements, code = f.code.value.trim();
    var body = { code: code, name: f.name.value.trim(), features: proposal.features.map(plainFeature),
                 request: proposal.body };
    if (f.note.value.trim()) { body.note = f.note.value.trim(); }
    byId("sp-save-button").disabled = true;
    say("sp-save-message", "保存并计算方案覆盖… Saving and computing the what-if…");
    request("POST", "/api/siting/plans", body).then(function (saved) {
      say("sp-save-message", "已保存方案 saved plan: " + saved.code, "ok");
      f.code.value = "";
      f.name.value = "";
      f.note.value = "";
      clearProposal();
      say("sp-propose-message", "");
      refreshLayers();  // its cameras, planned, are on the cameras layer now
      loadPlans();
      openPlan(saved.code);
    }).catch(function (err) {
      updateSave();
      fail("sp-save-message", err);
    });
  }

  // -- plans ------------------------------------------------------------------------------------------
  /* The saved plans, listed again; ``done`` (what was just done to them) is said under the list. */
  function loadPlans(done) {
    var mine = ++listSeq;
    request("GET", "/api/siting/plans").then(function (answer) {
      if (mine !== listSeq) { return; }
      var list = byId("sp-plans");
      list.textContent = "";
      byId("sp-plan-count").textContent = answer.plans.length;
      var known = {};
      answer.plans.forEach(function (p) {
        known[p.code] = true;
        var code = encodeURIComponent(p.code);
        var item = el("li", { "class": "sp-plan-item", "data-code": p.code });
        var head = el("div", { "class": "sp-plan-head" });
        var tick = el("input", { type: "checkbox", title: "对比 compare" });
        tick.checked = !!compared[p.code];
        tick.addEventListener("change", function () {
          if (tick.checked) { compared[p.code] = true; } else { delete compared[p.code]; }
          updateCompare();
        });
        head.appendChild(tick);
        var name = el("a", { href: "#", "class": "pp-name" }, p.name + " (" + p.code + ")");
        name.addEventListener("click", function (e) { e.preventDefault(); openPlan(p.code); });
        head.appendChild(name);
        item.appendChild(head);
        item.appendChild(el("div", { "class": "pp-figures" }, [
          p.camera_count + " 台摄像机 cameras" + (p.still_planned !== p.camera_count
            ? "（" + p.still_planned + " 台" + label(labels.statuses, "planned") + "）" : ""),
          "造价 cost " + yuan(p.cost)].join(" · ")));
        item.appendChild(el("div", { "class": "pp-muted" }, "创建 created " + when(p.created_at) +
                            (p.created_by ? " · " + p.created_by : "")));
        if (p.note) { item.appendChild(el("div", { "class": "pp-muted sp-note" }, p.note)); }
        var links = el("div", { "class": "pp-links" });
        links.appendChild(el("a", { href: "/api/siting/plans/" + code + ".xlsx", download: p.code + ".xlsx" },
                             "Excel"));
        links.appendChild(el("a", { href: "/api/siting/plans/" + code + ".geojson", download: p.code + ".geojson" },
                             "GeoJSON"));
        var open = el("button", { type: "button", "class": "pp-small" }, "打开 Open");
        open.addEventListener("click", function () { openPlan(p.code); });
        links.appendChild(open);
        if (opts.plans) {
          var drop = el("button", { type: "button", "class": "pp-small sp-delete" });
          deleteLabel(drop, deleting === p.code);  // a list drawn again keeps a delete waiting for its confirmation
          drop.addEventListener("click", function () { deletePlan(p.code, drop); });
          links.appendChild(drop);
        }
        item.appendChild(links);
        list.appendChild(item);
      });
      Object.keys(compared).forEach(function (c) { if (!known[c]) { delete compared[c]; } });
      updateCompare();
      if (done) {
        say("sp-plans-message", done, "ok");
      } else {
        say("sp-plans-message", answer.plans.length ? "" : "暂无方案 No plans yet");
      }
    }).catch(function (err) { if (mine === listSeq) { fail("sp-plans-message", err); } });
  }

  function updateCompare() {
    var n = Object.keys(compared).length;
    byId("sp-compare-button").disabled = n < 1 || n > 10;
  }

  function deleteLabel(button, confirming) {
    button.textContent = confirming ? "确认删除？ Confirm delete?" : "删除 Delete";
    button.classList.toggle("sp-confirm", confirming);
  }

  /* A first click asks to confirm (the button says so, and another plan's waiting delete is called off); a
     second click on the same button deletes. */
  function deletePlan(code, button) {
    if (deleting !== code) {
      deleting = code;
      document.querySelectorAll("#sp-plans .sp-delete.sp-confirm").forEach(function (b) { deleteLabel(b, false); });
      deleteLabel(button, true);
      return;
    }
    deleting = null;
    button.disabled = true;
    request("DELETE", "/api/siting/plans/" + encodeURIComponent(code)).then(function () {
      if (plan && plan.code === code) { closePlan(); }
      delete compared[code];
      byId("sp-comparison").textContent = "";
      loadPlans("已删除方案 deleted plan: " + code);
      refreshLayers();
    }).catch(function (err) { button.disabled = false; fail("sp-plans-message", err); });
  }

  function compare() {
    var codes = Object.keys(compared).sort();
    request("GET", "/api/siting/compare?plans=" + codes.map(encodeURIComponent).join(",")).then(function (answer) {
      var box = byId("sp-comparison");
      box.textContent = "";
      var table = el("table", { "class": "dp-table sp-compare" });
      var head = el("tr");
      head.appendChild(el("th", {}, "方案 plan"));
      answer.plans.forEach(function (p) { head.appendChild(el("th", {}, p.name + " (" + p.code + ")")); });
      table.appendChild(el("thead")).appendChild(head);
      var body = el("tbody");
      [["摄像机 cameras", function (p) { return p.cameras; }],
       ["造价 cost", function (p) { return yuan(p.cost); }],
       ["消除预警（昼夜合计） flags cleared (day + night)", function (p) { return p.flags_cleared; }],
       ["盲区减少（昼夜合计） gap closed, day + night (m²)", function (p) {
         return round(p.gap_closed_m2).toLocaleString("zh-CN");
       }],
       ["每万元消除预警 flags cleared per 10,000 元", function (p) {
         return p.cost ? round(p.flags_cleared / p.cost * 10000, 2) : "–";
       }]].forEach(function (row) {
        var tr = el("tr");
        tr.appendChild(el("th", {}, row[0]));
        answer.plans.forEach(function (p) { tr.appendChild(el("td", {}, row[1](p))); });
        body.appendChild(tr);
      });
      var villages = {};
      answer.plans.forEach(function (p) { p.villages.forEach(function (v) { villages[v.code] = v.village; }); });
      Object.keys(villages).sort().forEach(function (code) {
        var tr = el("tr", { "class": "sp-compare-village" });
        tr.appendChild(el("th", {}, villages[code]));
        answer.plans.forEach(function (p) {
          var v = p.villages.filter(function (x) { return x.code === code; })[0];
          tr.appendChild(el("td", {}, v ? "消除 " + v.flags_cleared + " · 减少 " + round(v.gap_closed_m2) + " m²" : "–"));
        });
        body.appendChild(tr);
      });
      table.appendChild(body);
      box.appendChild(el("h4", { "class": "sp-subhead" }, "方案对比 Plans side by side"));
      box.appendChild(table);
      say("sp-plans-message", "");
    }).catch(function (err) { fail("sp-plans-message", err); });
  }

  // -- a plan on the map: its cameras and its what-if --------------------------------------------------
  function closePlan() {
    plan = null;
    planSeq++;
    planLayer.clearLayers();
    gridLayer.clearLayers();
    byId("sp-plan").hidden = true;
    document.querySelectorAll("#sp-plans li.sp-open-plan").forEach(function (li) { li.classList.remove("sp-open-plan"); });
  }

  function openPlan(code, keepView) {
    var mine = ++planSeq, url = "/api/siting/plans/" + encodeURIComponent(code);
    say("sp-plan-message", "载入中… Loading…");
    return Promise.all([request("GET", url), request("GET", url + "/grids")]).then(function (both) {
      if (mine !== planSeq) { return; }
      if (proposal && !keepView) { clearProposal(); say("sp-propose-message", ""); }
      plan = { code: code, plan: both[0], grids: both[1] };
      areaSeq++;
      areaLayer.clearLayers();
      siteLayer.clearLayers();
      byId("sp-plan").hidden = false;
      byId("sp-plan-title").textContent = plan.plan.name + " (" + code + ")";
      document.querySelectorAll("#sp-plans li").forEach(function (li) {
        li.classList.toggle("sp-open-plan", li.getAttribute("data-code") === code);
      });
      showPlan(!keepView);
      valuePlan();
      if (!keepView) {  // the panel's own list scrolls to the plan, not the page (scrollIntoView moved both)
        var shown = byId("sp-plan"), scroller = shown.closest(".dp-body");
        scroller.scrollTop += shown.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      }
      say("sp-plan-message", "");
    }).catch(function (err) { if (mine === planSeq) { byId("sp-plan").hidden = false; fail("sp-plan-message", err); } });
  }

  /* What each of a saved plan's cameras adds, valued as its proposal was (the plan's request: its area and
     weights) with the cameras as they now stand (moved, turned): beside each camera, and in all. Planners only:
     valuing is their API. */
  function valuePlan() {
    var data = plan.plan, asked = data.request || {}, code = plan.code, box = byId("sp-plan-value");
    box.textContent = "";
    box.className = "pp-muted";
    byId("sp-plan-chart").parentNode.hidden = true;
    if (!opts.plans || !asked.area || !data.cameras.length) { return; }
    var features = data.cameras.map(function (c) {
      return { type: "Feature", geometry: { type: "Point", coordinates: [c.lon, c.lat] },
               properties: { kind: c.kind, azimuth: c.azimuth, fov_deg: c.fov_deg, range_m: c.range_m, cost: c.cost } };
    });
    request("POST", "/api/siting/value", { area: asked.area, weights: asked.weights || {}, features: features })
      .then(function (answer) {
        if (!plan || plan.code !== code) { return; }
        answer.features.forEach(function (v, i) {
          var item = byId("sp-plan-cameras").querySelector("li[data-code='" + data.cameras[i].code + "']");
          if (item) { item.appendChild(el("div", { "class": "pp-figures sp-plan-adds" }, "增加 adds " + round(v.value, 2))); }
        });
        var sum = answer.marginal.reduce(function (a, b) { return a + b; }, 0);
        box.textContent = "按推荐时的需求计，共增加 adds in all " + round(sum, 2) + "（按权重计分 weighted score）";
        byId("sp-plan-chart").parentNode.hidden = false;
        planChart = marginalChart(byId("sp-plan-chart"), planChart, [{ label: "方案 plan", data: answer.marginal,
                                                                        backgroundColor: "#12355b" }]);
      }).catch(function (err) { fail("sp-plan-value", err); });
  }

  function bandOf(row) {
    var period = byId("sp-plan-period").value, before = row["covered_share_before_" + period];
    var after = row["covered_share_after_" + period];
    if (byId("sp-plan-colour").value === "change") {
      var change = (after || 0) - (before || 0), found = opts.change_bands[0];
      opts.change_bands.forEach(function (b) { if (change > b[1]) { found = b; } });
      return { colour: found[2], name: found[0] };
    }
    var band = after >= opts.bands.high ? "high" : after >= opts.bands.medium ? "medium" : "low";
    return { colour: opts.bands.colours[band], name: band };
  }

  function showLegend() {
    var box = byId("sp-plan-legend");
    box.textContent = "";
    var rows = byId("sp-plan-colour").value === "change"
      ? opts.change_bands.map(function (b) { return [b[2], label(labels.changes, b[0])]; })
      : ["high", "medium", "low"].map(function (b) { return [opts.bands.colours[b], label(labels.bands, b)]; });
    rows.forEach(function (r) {
      var item = el("span", { "class": "sp-legend-item" });
      item.appendChild(el("span", { "class": "swatch", style: "background:" + r[0] }));
      item.appendChild(document.createTextNode(r[1]));
      box.appendChild(item);
    });
  }

  function gridTip(p, period) {
    var tip = el("div", { "class": "sp-tip" });
    tip.appendChild(el("strong", {}, p.name.indexOf(p.village) >= 0 ? p.name : p.name + " · " + p.village));
    tip.appendChild(el("div", {}, label(labels.shifts, period) + " 覆盖率 covered " +
                       share(p["covered_share_before_" + period]) + " → " + share(p["covered_share_after_" + period])));
    if (p["flags_cleared_" + period]) {
      tip.appendChild(el("div", { "class": "pp-cleared" }, "✓ " + reasonsText(p["flags_cleared_" + period])));
    }
    if (p["flags_remaining_" + period]) {
      tip.appendChild(el("div", { "class": "pp-reasons" }, reasonsText(p["flags_remaining_" + period])));
    }
    return tip;
  }

  /* The plan's figures for the shift chosen: its cameras and cost, the flags it clears and the gap it closes. */
  function showFigures(period) {
    var data = plan.plan, figures = byId("sp-plan-figures"), cleared = 0, closed = 0;
    figures.textContent = "";
    plan.grids.features.forEach(function (f) {
      var p = f.properties;
      cleared += String(p["flags_cleared_" + period] || "").split(",").filter(Boolean).length;
      closed += (p["gap_m2_before_" + period] || 0) - (p["gap_m2_after_" + period] || 0);
    });
    var shift = label(labels.shifts, period).split(" ")[0];
    [["摄像机 cameras", data.camera_count], ["造价 cost", yuan(data.cost)],
     [shift + "消除预警 flags cleared", cleared],
     [shift + "盲区减少 gap closed", round(closed).toLocaleString("zh-CN") + " m²"]].forEach(function (pair) {
      var cell = el("div", { "class": "dp-figure" });
      cell.appendChild(el("strong", {}, pair[1]));
      cell.appendChild(el("span", {}, pair[0]));
      figures.appendChild(cell);
    });
  }

  function showGrids() {
    var period = byId("sp-plan-period").value;
    showFigures(period);
    gridLayer.clearLayers();
    L.geoJSON(plan.grids, {
      pane: "sitingGrids",
      style: function (feature) {
        var band = bandOf(feature.properties);
        return { color: "#12355b", weight: 2.5, fillColor: band.colour, fillOpacity: 0.72 };
      },
      onEachFeature: function (feature, layer) { layer.bindTooltip(gridTip(feature.properties, period), { sticky: true }); }
    }).addTo(gridLayer);
    showLegend();
    var body = byId("sp-plan-grids");
    body.textContent = "";
    plan.grids.features.forEach(function (feature) {
      var p = feature.properties, tr = el("tr", { "data-grid": p.grid });
      var name = el("td", { "class": "pp-name" }, p.name.indexOf(p.village) >= 0 ? p.name : p.name + " · " + p.village);
      common.activate(name, function () { fit(L.geoJSON(feature).getBounds(), 17); });
      tr.appendChild(name);
      var before = p["covered_share_before_" + period], after = p["covered_share_after_" + period];
      tr.appendChild(el("td", { "class": after > before ? "pp-up" : "" }, share(before) + " → " + share(after)));
      tr.appendChild(el("td", { "class": "pp-cleared" }, reasonsText(p["flags_cleared_" + period]) || "–"));
      body.appendChild(tr);
    });
  }

  function showPlan(zoom) {
    var data = plan.plan;
    showGrids();
    planLayer.clearLayers();
    var bounds = L.geoJSON(plan.grids).getBounds();
    var list = byId("sp-plan-cameras");
    list.textContent = "";
    data.cameras.forEach(function (c, i) {
      var colour = STATUS_COLOURS[c.status] || "#333", at = L.latLng(c.lat, c.lon);
      var view = c.view ? L.geoJSON(c.view, { style: { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.15 },
                                             interactive: false }).addTo(planLayer) : null;
      if (view) { bounds.extend(view.getBounds()); }
      var editable = opts.plans && c.status === "planned";
      var marker = L.marker(at, { icon: L.divIcon({ className: "sp-camera sp-plan-camera",
                                                    html: el("span", { style: "background:" + colour }, i + 1),
                                                    iconSize: [22, 22] }),
                                  draggable: editable, keyboard: false })
        .bindTooltip(el("div", { "class": "sp-tip" }, c.name + " (" + c.code + ") · " + label(labels.kinds, c.kind) +
                        " · " + label(labels.statuses, c.status)), { direction: "top", offset: [0, -10] })
        .addTo(planLayer);
      if (editable) {
        marker.on("drag", function () {
          if (view) { planLayer.removeLayer(view); view = null; }
        });
        marker.on("dragend", function () {
          var moved = marker.getLatLng();
          changeCamera(c.code, { type: "Point", coordinates: [round(moved.lng, 7), round(moved.lat, 7)] }, null);
        });
      }
      var item = el("li", { "data-code": c.code, "class": "sp-camera-item" });
      item.style.borderLeftColor = colour;
      item.appendChild(el("strong", {}, (i + 1) + " · " + c.name + " (" + c.code + ")"));
      var line = el("div", { "class": "pp-figures" }, label(labels.kinds, c.kind) + " · " + label(labels.statuses, c.status) +
                    (c.kind === "bullet" && !editable ? " · 朝向 azimuth " + round(c.azimuth) + "°" : "") +
                    " · 距离 range " + round(c.range_m) + " m · " + yuan(c.cost) + (c.grid ? " · " + (c.grid_name || c.grid) : ""));
      if (editable && c.kind === "bullet") {
        var turn = el("label", { "class": "sp-azimuth" }, " 朝向 azimuth ");
        var input = el("input", { name: "azimuth", type: "number", min: "0", max: "359", step: "15", value: round(c.azimuth) });
        input.addEventListener("change", function () {
          var v = Number(input.value);
          if (input.value.trim() !== "" && isFinite(v) && ((v % 360) + 360) % 360 !== c.azimuth) {
            changeCamera(c.code, null, ((v % 360) + 360) % 360);
          }
        });
        turn.appendChild(input);
        turn.appendChild(document.createTextNode("°"));
        line.appendChild(turn);
      }
      item.appendChild(line);
      list.appendChild(item);
    });
    if (zoom) { fit(bounds); }
  }

  /* A saved plan's camera moved (``geometry``) or turned (``azimuth``) through the cameras' editing API; the
     plan's what-if is computed again when it is read. */
  function changeCamera(code, geometry, azimuth) {
    var url = "/api/collections/cameras/items/" + encodeURIComponent(code), planCode = plan.code;
    say("sp-plan-message", "保存并重新计算… Saving and computing the what-if again…");
    request("GET", url).then(function (feature) {
      if (geometry) { feature.geometry = geometry; }
      if (azimuth !== null) { feature.properties.azimuth = azimuth; }
      return request("PUT", url, { type: "Feature", geometry: feature.geometry, properties: feature.properties });
    }).then(function () {
      refreshLayers();
      return openPlan(planCode, true);
    }).then(function () {
      say("sp-plan-message", "已更新 " + code + "，方案覆盖已重新计算 updated; the what-if follows", "ok");
      loadPlans();
      if (compared[planCode] && byId("sp-comparison").firstChild) { compare(); }  // the comparison shown follows
    }).catch(function (err) {
      fail("sp-plan-message", err);
      if (plan) { showPlan(false); }  // back where it was
    });
  }

  /* Every catalogue layer on the map fetches its tiles again (their ETags change with the data). */
  function refreshLayers() {
    map.eachLayer(function (layer) {
      if (layer.options && layer.options.gisappLayer && layer.redraw) { layer.redraw(); }
    });
  }

  // -- set-up -----------------------------------------------------------------------------------------
  function fill(select, name, keys) {
    (keys || order[name]).forEach(function (value) {
      select.appendChild(el("option", { value: value }, label(labels[name], value)));
    });
  }

  function number(name, value) {
    return el("input", { name: name, type: "number", min: "0", max: "1000", step: "any", value: value });
  }

  function planningControls() {
    var form = byId("sp-propose"), villages = byId("sp-village"), groups = {};
    villages.appendChild(el("option", { value: "" }, "— 选择村 choose a village —"));
    opts.villages.forEach(function (v) {
      var township = v[2] || "—";
      if (!groups[township]) { groups[township] = villages.appendChild(el("optgroup", { label: township })); }
      groups[township].appendChild(el("option", { value: v[0] }, v[1]));
    });
    villages.addEventListener("change", function () { setAreaBy("village"); areaChanged(true); });
    byId("sp-flagged-period").addEventListener("change", function () { setAreaBy("flagged"); areaChanged(false); });
    form.querySelectorAll("input[name=area_by]").forEach(function (radio) {
      radio.addEventListener("change", function () { areaChanged(areaBy() === "village"); });
    });
    var kinds = byId("sp-kinds");
    order.kinds.forEach(function (k) {
      var box = el("label");
      var input = el("input", { type: "checkbox", value: k });
      input.checked = true;
      box.appendChild(input);
      box.appendChild(document.createTextNode(" " + label(labels.kinds, k)));
      kinds.appendChild(box);
    });
    order.purposes.forEach(function (purpose) {
      form.elements.purpose.appendChild(el("option", { value: purpose }, label(labels.purposes, purpose) + "（" +
                                           rangeText(opts.ranges[purpose]) + "）"));
    });
    form.elements.purpose.appendChild(el("option", { value: "range" }, "按距离 by range (m)"));
    form.elements.purpose.value = opts.default_purpose;
    form.elements.purpose.addEventListener("change", function () {
      byId("sp-range-row").hidden = form.elements.purpose.value !== "range";
    });
    fill(form.elements.candidates, "candidates");
    form.elements.candidates.addEventListener("change", function () { showArea(false); });
    fill(form.elements.problem, "problems");
    fill(form.elements.method, "methods");
    var weights = byId("sp-weights");
    order.grades.forEach(function (grade) {
      var row = el("label", {}, label(labels.demand, "dispute").split(" ")[0] + "·" + label(labels.grades, grade) + " ");
      row.appendChild(number("weight_" + grade, opts.weights.disputes[grade]));
      weights.appendChild(row);
    });
    [["gaps", "gap"], ["hotspots", "hotspot"], ["alarms", "alarm"], ["key_places", "key_place"]].forEach(function (w) {
      var row = el("label", {}, label(labels.demand, w[1]) + " ");
      row.appendChild(number("weight_" + w[0], opts.weights[w[0]]));
      weights.appendChild(row);
    });
    form.addEventListener("submit", propose);
    byId("sp-draw").addEventListener("click", function () { setDrawing(!drawing); });
    document.addEventListener("keydown", function (e) {  // Escape ends drawing, as the button does
      if (e.key === "Escape" && drawing) { setDrawing(false); }
    });
    byId("sp-draw-undo").addEventListener("click", undoCorner);
    byId("sp-draw-clear").addEventListener("click", clearDrawn);
    byId("sp-save").addEventListener("submit", save);
    map.on("click", clicked);
    updateSave();
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
    map.createPane("sitingGrids").style.zIndex = 350;  // over the tiles, under the cameras' sectors
    gridLayer = L.layerGroup().addTo(map);
    areaLayer = L.layerGroup().addTo(map);
    siteLayer = L.layerGroup().addTo(map);
    planLayer = L.layerGroup().addTo(map);
    proposalLayer = L.layerGroup().addTo(map);
    drawLayer = L.layerGroup().addTo(map);
    map.on("zoomend", function () { if (proposal && opts.plans) { drawProposal(false); } });
    byId("sp-toggle").addEventListener("click", function () {
      setOpen(byId("sp-panel").classList.contains("collapsed"));
    });
    var patrolToggle = byId("pp-toggle"), disputesToggle = byId("dp-toggle");
    if (patrolToggle) {  // the patrol panel opened: this one closes (its handler ran first)
      patrolToggle.addEventListener("click", function () {
        if (!byId("pp-panel").classList.contains("collapsed") && !byId("sp-panel").classList.contains("collapsed")) {
          setOpen(false);
        }
        makeRoom("left");
      });
    }
    if (disputesToggle) { disputesToggle.addEventListener("click", function () { makeRoom("right"); }); }
    window.addEventListener("resize", function () { makeRoom("left"); });
    var period = byId("sp-plan-period");
    fill(period, "shifts", ["night", "day"]);
    period.addEventListener("change", showGrids);
    byId("sp-plan-colour").addEventListener("change", showGrids);
    byId("sp-plan-close").addEventListener("click", closePlan);
    byId("sp-compare-button").addEventListener("click", compare);
    if (opts.plans) { planningControls(); }
    loadPlans();
  }

  return { init: init };
})();
