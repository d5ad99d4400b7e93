/* The disputes panel beside the map: figures with small charts, hotspots, open disputes in coverage
   gaps (each with a link to its page, /disputes), exports, and (for the center and grid workers) intake by
   clicking the map. The list, each dispute's loop and the to-do lists are on the disputes page.
   Every text from the server is put in with textContent or escaped, never as raw HTML. */
window.gisappDisputes = (function () {
  "use strict";
  var HOTSPOT_COLOURS = { hot_99: "#b2182b", hot_95: "#ef8a62", hot_90: "#fddbc7",
                          cold_90: "#d1e5f0", cold_95: "#67a9cf", cold_99: "#2166ac" };
  var map, options, vocabulary = null, charts = {}, hotspotLayer = null, hotspotSeq = 0, pickMarker = null,
      picking = false, loaded = false;

  var el = window.gisappCommon.el, getJson = window.gisappCommon.getJson;

  function period() {
    var q = [], from = document.getElementById("dp-from").value, to = document.getElementById("dp-to").value;
    if (from) { q.push("from=" + encodeURIComponent(from)); }
    if (to) { q.push("to=" + encodeURIComponent(to)); }
    return q.join("&");
  }

  function label(vocab, value) { return (vocab && vocab[value]) || value; }

  /* A time as people read it, in the configured time zone (the panel's data-timezone): 2026-11-25 14:30. */
  function localTime(iso) {
    var p = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: document.getElementById("dp-panel").getAttribute("data-timezone"),
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(iso)).forEach(function (part) { p[part.type] = part.value; });
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
  }

  function barChart(id, labels, values, colours) {
    if (charts[id]) { charts[id].destroy(); }
    document.getElementById(id).parentNode.style.height = Math.max(90, 22 * labels.length + 24) + "px";  // a line a bar
    /* the narrow panel names each bar in Chinese only (a vocabulary's label is "中文 English"): the whole label
       would be cut at the chart's edge */
    labels = labels.map(function (l) { return String(l).split(" ")[0]; });
    charts[id] = new Chart(document.getElementById(id), {
      type: "bar",
      data: { labels: labels, datasets: [{ data: values, backgroundColor: colours || "#12355b" }] },
      options: { animation: false, plugins: { legend: { display: false } }, indexAxis: "y",
                 scales: { x: { beginAtZero: true, ticks: { precision: 0 } },
                           y: { ticks: { autoSkip: false } } },  /* every bar named, none skipped */
                 maintainAspectRatio: false }
    });
  }

  /* The figures need the vocabulary (grades' labels and colours): asked for before it came, they wait for
     ``load`` to draw them, with whatever period is chosen by then. */
  function showFigures() {
    if (!vocabulary) { return; }
    var by = document.getElementById("dp-by").value;
    var query = "by=" + by + "&" + period();
    getJson("/api/disputes/figures?" + query).then(function (answer) {
      var t = answer.total, box = document.getElementById("dp-totals");
      box.textContent = "";
      [["受理 received", t.received], ["结单 closed", t.closed],
       ["化解率 resolution", t.resolution_rate === null ? "–" : (t.resolution_rate * 100).toFixed(1) + "%"],
       ["超期 overdue", t.overdue]].forEach(function (pair) {
        var cell = el("div", { "class": "dp-figure" });
        cell.appendChild(el("strong", {}, pair[1]));
        cell.appendChild(el("span", {}, pair[0]));
        box.appendChild(cell);
      });
      var grades = Object.keys(vocabulary.grades);
      barChart("dp-grade-chart", grades.map(function (g) { return label(vocabulary.grades, g); }),
               grades.map(function (g) { return t.by_grade[g]; }),
               grades.map(function (g) { return vocabulary.grade_colours[g]; }));
      var categories = Object.keys(t.by_category);
      barChart("dp-category-chart", categories.map(function (c) { return label(vocabulary.categories, c); }),
               categories.map(function (c) { return t.by_category[c]; }));
      var table = document.getElementById("dp-rows");
      table.textContent = "";
      answer.rows.slice().sort(function (a, b) { return b.received - a.received; }).slice(0, 15).forEach(function (r) {
        var tr = el("tr");
        [r.name || r.code || "–", r.received, r.closed, r.overdue].forEach(function (v) { tr.appendChild(el("td", {}, v)); });
        table.appendChild(tr);
      });
      document.getElementById("dp-export-figures").href = "/api/disputes/figures?format=xlsx&" + query;
      document.getElementById("dp-export-list").href = "/api/disputes?format=xlsx&" +
        period().replace("from=", "received_from=").replace("to=", "received_to=");
    }).catch(function (err) { message("dp-figures-message", err); });
    if (document.getElementById("dp-hotspots").checked) { showHotspots(); }
  }

  /* Only the answer to the last question is drawn, and only while the box is ticked: an answer that comes
     after the box was unticked, or after a newer question, is dropped. */
  function showHotspots() {
    var mine = ++hotspotSeq, box = document.getElementById("dp-hotspots");
    if (hotspotLayer) { map.removeLayer(hotspotLayer); hotspotLayer = null; }
    if (!box.checked) { return; }
    getJson("/api/disputes/hotspots?significant=true&" + period()).then(function (answer) {
      if (mine !== hotspotSeq || !box.checked) { return; }
      var few = document.getElementById("dp-figures-message");
      if (answer.disputes < answer.min_disputes && vocabulary) {  // too few to tell a cluster from chance: said
        few.textContent = vocabulary.texts.too_few_disputes.replace(/\{n\}/g, answer.disputes)
          .replace(/\{least\}/g, answer.min_disputes);
        few.className = "dp-message";
      }
      hotspotLayer = L.geoJSON(answer, {
        style: function (f) {
          return { color: "#333", weight: 1, fillOpacity: 0.55, fillColor: HOTSPOT_COLOURS[f.properties["class"]] };
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(gisapp.escapeHtml(p.name + " · " + p.count + " · Gi* z=" + p.z + " · " + p["class"]));
        }
      }).addTo(map);
    }).catch(function (err) { if (mine === hotspotSeq) { message("dp-figures-message", err); } });
  }

  function showGaps() {
    var list = document.getElementById("dp-gap-list"), when = document.getElementById("dp-gap-period").value;
    getJson("/api/disputes?open=true&limit=50&in_gap=" + when).then(function (answer) {
      list.textContent = "";
      document.getElementById("dp-gap-count").textContent = answer.numberMatched;
      answer.disputes.forEach(function (d) {
        var item = el("li", { "class": "dp-grade-" + d.grade }, d.code + " · " + (d.village || "") + " · " + d.summary);
        if (d.overdue) { item.appendChild(el("span", { "class": "dp-overdue" }, " 超期 overdue")); }
        var open = el("a", { href: "/disputes#" + encodeURIComponent(d.code), "class": "dp-open" }, " 详情 details");
        open.addEventListener("click", function (e) { e.stopPropagation(); });  /* opens the dispute's page */
        item.appendChild(open);
        item.addEventListener("click", function () { map.setView([d.lat, d.lon], Math.max(map.getZoom(), 16)); });
        list.appendChild(item);
      });
    }).catch(function (err) { message("dp-gap-message", err); });
  }

  function message(id, err) {
    var box = document.getElementById(id);
    box.textContent = window.gisappCommon.problem(err, box);
    box.className = "dp-message dp-error";
  }

  function options_(select, values) {
    Object.keys(values).forEach(function (v) { select.appendChild(el("option", { value: v }, values[v])); });
  }

  /* While picking, the map's click places the dispute and asks nothing of the layers under it (map.js's identify
     skips a container marked gisapp-drawing). */
  function startPicking() {
    picking = true;
    document.getElementById("dp-pick").classList.add("active");
    map.getContainer().style.cursor = "crosshair";
    map.getContainer().classList.add("gisapp-drawing");
  }

  function picked(e) {
    if (!picking) { return; }
    picking = false;
    var container = map.getContainer();
    container.style.cursor = "";
    setTimeout(function () { container.classList.remove("gisapp-drawing"); }, 0);  // after this click's handlers
    document.getElementById("dp-pick").classList.remove("active");
    var form = document.getElementById("dp-intake");
    form.elements.lon.value = e.latlng.lng.toFixed(6);
    form.elements.lat.value = e.latlng.lat.toFixed(6);
    if (pickMarker) { map.removeLayer(pickMarker); }
    pickMarker = L.circleMarker(e.latlng, { radius: 8, color: "#111", weight: 2, fillOpacity: 0 }).addTo(map);
  }

  function submit(event) {
    event.preventDefault();  /* never the browser's own submission: it would put the parties in the URL */
    if (!vocabulary) { return; }  /* its button is enabled once the vocabulary has filled the form's lists */
    var form = event.target, body = {};
    ["category", "grade", "source", "summary", "parties", "parties_phone", "grid"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { body[name] = value; }
    });
    ["lon", "lat"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { body[name] = Number(value); }
    });
    window.gisappCommon.requester(options.csrf)("POST", "/api/disputes", body)
      .then(function (d) {
        var box = document.getElementById("dp-intake-message");
        box.className = "dp-message dp-ok";
        box.textContent = "已受理 received: " + d.code + " · " + (d.village || "") + " " + (d.grid || "") +
                          " · 办结时限 due " + localTime(d.due_at) + " ";
        box.appendChild(el("a", { href: "/disputes#" + encodeURIComponent(d.code) }, "详情 details"));
        form.reset();
        if (pickMarker) { map.removeLayer(pickMarker); pickMarker = null; }
        map.eachLayer(function (layer) { if (layer.options && layer.options.gisappLayer && layer.redraw) { layer.redraw(); } });
        showFigures();
      }).catch(function (err) { message("dp-intake-message", err); });
  }

  function toggle() {
    var open = !document.getElementById("dp-panel").classList.toggle("collapsed");
    map.getContainer().classList.toggle("dp-open", open);  /* the layer control moves aside */
    if (open && !loaded) { load(); }
  }

  /* The panel's contents are asked for when it is first opened, not with the map: its figures and lists
     would compete with the first view's tiles for the browser's connections. */
  function load() {
    loaded = true;
    if (options.gaps) { showGaps(); }
    getJson("/api/disputes/vocabulary").then(function (v) {
      vocabulary = v;
      var form = document.getElementById("dp-intake");
      if (form) {
        options_(form.elements.category, v.categories);
        options_(form.elements.grade, v.grades);
        options_(form.elements.source, v.sources);
        form.elements.source.value = options.source;  /* a grid worker's: the grid; anyone else chooses */
        form.querySelector("button[type=submit]").disabled = false;
      }
      showFigures();
    }).catch(function (err) {
      loaded = false;  /* opened again, the panel asks again */
      message("dp-figures-message", err);
    });
  }

  /* Every control is wired when the map starts, so that none is lost when used while the panel is loading;
     what needs the vocabulary waits for it (``showFigures``, ``submit``). */
  function init(theMap, opts) {
    map = theMap;
    options = opts;
    map.on("click", picked);
    document.getElementById("dp-toggle").addEventListener("click", toggle);
    document.getElementById("dp-hotspots").addEventListener("change", showHotspots);
    ["dp-from", "dp-to", "dp-by"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", showFigures);
    });
    if (options.gaps) { document.getElementById("dp-gap-period").addEventListener("change", showGaps); }
    var form = document.getElementById("dp-intake");
    if (form) {
      form.addEventListener("submit", submit);
      document.getElementById("dp-pick").addEventListener("click", startPicking);
    }
  }

  return { init: init };
})();
