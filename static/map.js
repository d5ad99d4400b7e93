/* The map page's own code: layer styles and symbols, escaped popups, identify, the names written on the map,
   the heat layer's refresh, the legend (only what is drawn), the opening view and the user's own highlights.
   folium's elements create the layers; this file gives them their styles and behaviour. */
window.gisapp = (function () {
  "use strict";
  // Leaflet.VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed.
  if (!L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) { e._stopped = true; };
  }
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  // What the page says (gisapp.init): the time zone times are shown in and the yes/no labels.
  var page = { timezone: null, yesNo: { "true": "是 yes", "false": "否 no" } };

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  function has(object, key) { return object && Object.prototype.hasOwnProperty.call(object, key); }

  // -- panes: the panels' shades and outlines under the points, the names over them ---------------------------
  L.Map.addInitHook(function () {
    this.createPane("gisappHighlight").style.zIndex = 390;  // the user's grids and routes, a chosen grid
    this.createPane("gisappPoints").style.zIndex = 450;      // the nets' points, over every shade
    var labels = this.createPane("gisappLabels");            // names over everything drawn, catching no click
    labels.style.zIndex = 460;
    labels.style.pointerEvents = "none";
  });

  // -- symbols on the tiles' canvas: points by shape, casings under their lines -------------------------
  /* The outline of a point symbol of radius r at (x, y): the nets differ by shape, not only by colour. */
  var SHAPES = {
    square: function (ctx, x, y, r) { var s = r * 0.9; ctx.rect(x - s, y - s, 2 * s, 2 * s); },
    triangle: function (ctx, x, y, r) {
      ctx.moveTo(x, y - r * 1.25); ctx.lineTo(x + r * 1.15, y + r * 0.85); ctx.lineTo(x - r * 1.15, y + r * 0.85);
      ctx.closePath();
    },
    diamond: function (ctx, x, y, r) {
      ctx.moveTo(x, y - r * 1.25); ctx.lineTo(x + r * 1.05, y); ctx.lineTo(x, y + r * 1.25); ctx.lineTo(x - r * 1.05, y);
      ctx.closePath();
    },
    cross: function (ctx, x, y, r) {
      var a = r * 0.38, b = r * 1.1;
      ctx.moveTo(x - a, y - b); ctx.lineTo(x + a, y - b); ctx.lineTo(x + a, y - a); ctx.lineTo(x + b, y - a);
      ctx.lineTo(x + b, y + a); ctx.lineTo(x + a, y + a); ctx.lineTo(x + a, y + b); ctx.lineTo(x - a, y + b);
      ctx.lineTo(x - a, y + a); ctx.lineTo(x - b, y + a); ctx.lineTo(x - b, y - a); ctx.lineTo(x - a, y - a);
      ctx.closePath();
    }
  };
  var drawCircle = L.Canvas.prototype._updateCircle, fillStroke = L.Canvas.prototype._fillStroke;
  L.Canvas.include({
    _updateCircle: function (layer) {
      var draw = SHAPES[layer.options.gisappShape];
      if (!draw || !this._drawing || layer._empty()) { return drawCircle.call(this, layer); }
      var p = layer._point, ctx = this._ctx;
      ctx.beginPath();
      draw(ctx, p.x, p.y, Math.max(layer._radius, 1));
      this._fillStroke(ctx, layer);
    },
    /* A casing (gisappUnder) goes under what the tile has drawn already: every road's casing under every
       road, as if drawn in a pass of its own. */
    _fillStroke: function (ctx, layer) {
      if (!layer.options.gisappUnder) { return fillStroke.call(this, ctx, layer); }
      ctx.save();
      ctx.globalCompositeOperation = "destination-over";
      fillStroke.call(this, ctx, layer);
      ctx.restore();
    }
  });

  function light(colour) {
    var c = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour || "");
    if (!c) { return false; }
    return 0.299 * parseInt(c[1], 16) + 0.587 * parseInt(c[2], 16) + 0.114 * parseInt(c[3], 16) > 200;
  }

  function byValue(table, value, otherwise) {
    return has(table, value) ? table[value] : otherwise;
  }

  function styleFor(config) {
    var style = config.style || {};
    return function (properties, zoom) {
      var value = String(properties[style.by]), colour = byValue(style.colors, value, style.color || "#555555");
      var outline = style.outline_by && byValue(style.outline_colors, String(properties[style.outline_by]), null);
      var dash = byValue(style.dashes, value, style.dash) || null;
      if (config.geometry === "point") {
        var scale = zoom >= 14 ? 1 : zoom === 13 ? 0.85 : 0.7;  // smaller where the points crowd
        return { radius: byValue(style.radii, value, style.radius || 5) * scale, fill: true, fillColor: colour, fillOpacity: 0.95,
                 color: outline || (light(colour) ? "#444444" : "#ffffff"),
                 weight: outline ? (style.outline_weight || 3) : 1.2, gisappShape: style.shape || "circle" };
      }
      var weight = byValue(style.weights, value, style.weight === undefined ? 2 : style.weight);
      if (config.geometry === "line") {
        var line = { color: colour, weight: weight, opacity: 0.95, dashArray: dash, lineCap: dash ? "butt" : "round" };
        if (!style.casing) { return line; }
        return [{ color: style.casing, weight: weight + 2, opacity: 1, gisappUnder: true, lineCap: "round" }, line];
      }
      weight = style.weight === undefined ? 1 : byValue(style.weights, value, style.weight);
      var opacity = style.fill_opacity === undefined ? 0.1 : style.fill_opacity;
      if (outline) {
        weight = style.outline_weight || Math.max(weight, 1) * 3;
        dash = style.outline_dash || dash;
      }
      return { color: outline || (light(colour) ? "#8a8a8a" : colour), weight: weight, stroke: weight > 0,
               dashArray: dash, fill: opacity > 0, fillColor: colour, fillOpacity: opacity };
    };
  }

  // -- what a person reads --------------------------------------------------------------------------
  var ISO_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

  /* A moment as people read it, in the configured time zone: 2026-11-25 14:30 (a time without an offset is
     taken as already local). */
  function localTime(text) {
    var m = ISO_TIME.exec(text);
    if (!m) { return text; }
    if (!m[5] || !page.timezone) { return m[1] + " " + m[2]; }
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: page.timezone, year: "numeric", month: "2-digit", day: "2-digit",
                                       hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(text)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  /* What a person reads for a property's value: its label (Chinese first) when the property has a vocabulary
     (each item of a comma-separated list), 是/否 for yes or no, a time in the configured zone, else the value. */
  function valueText(property, value) {
    var labels = property.values;
    if (typeof value === "boolean") {
      return byValue(labels, String(value), page.yesNo[String(value)]);
    }
    if (labels && (typeof value === "string" || typeof value === "number")) {
      var whole = String(value);
      if (has(labels, whole)) { return labels[whole]; }
      return whole.split(/\s*,\s*/).filter(Boolean).map(function (v) { return byValue(labels, v, v); }).join("、");
    }
    if (typeof value === "string" && ISO_TIME.test(value)) { return localTime(value); }
    return value;
  }

  /* Popup HTML: every label and value escaped, so a feature's text can never run as code. */
  function popupHtml(config, properties) {
    var rows = config.properties.filter(function (p) {
      var v = properties[p.name];
      return v !== undefined && v !== null && v !== "";
    }).map(function (p) {
      return "<tr><th>" + escapeHtml(p.label) + "</th><td>" + escapeHtml(valueText(p, properties[p.name])) +
             "</td></tr>";
    });
    var page = config.page && properties.code ? '<p class="gisapp-popup-page"><a href="' +
      escapeHtml(config.page.replace("{code}", encodeURIComponent(properties.code))) + '">详情与办理 details →</a></p>' : "";
    return '<div class="gisapp-popup"><h4>' + escapeHtml(config.title) + "</h4><table>" + rows.join("") + "</table>" +
           page + "</div>";
  }

  /* Identify: a click asks the server for the features of every visible layer near it (the
     tiles' canvases would only tell the topmost layer) and lists them in one popup, points first. */
  var GEOMETRY_ORDER = { point: 0, line: 1, polygon: 2 };
  var configs = {};

  /* A click on the map lists what is under it, unless a panel is drawing on the map (class gisapp-drawing on its
     container): then the click places a point, and a popup (opened, it pans the map to fit) would get in the way. */
  function identify(e) {
    var map = e.target, visible = [];
    if (map.getContainer().classList.contains("gisapp-drawing")) { return; }
    map.eachLayer(function (layer) {
      if (layer.options && layer.options.gisappLayer && configs[layer.options.gisappLayer]) {
        visible.push(layer.options.gisappLayer);
      }
    });
    if (!visible.length) { return; }
    var query = "lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7) +
                "&zoom=" + Math.round(map.getZoom()) + "&layers=" + visible.join(",");
    fetch("/api/identify?" + query, { credentials: "same-origin", priority: "high" })  // before any tile
      .then(function (r) { return r.ok ? r.json() : { layers: [] }; })
      .then(function (answer) {
        var sections = [];
        answer.layers.forEach(function (found) {
          var config = configs[found.id];
          found.features.forEach(function (properties) {
            sections.push([GEOMETRY_ORDER[config.geometry], popupHtml(config, properties)]);
          });
        });
        if (!sections.length) { return; }
        sections.sort(function (a, b) { return a[0] - b[0]; });
        var width = Math.min(420, map.getSize().x - 60);
        L.popup({ maxWidth: width, minWidth: Math.min(260, width), maxHeight: Math.min(420, map.getSize().y - 120),
                  autoPanPadding: [20, 20] })
          .setLatLng(e.latlng).setContent(sections.map(function (s) { return s[1]; }).join("")).openOn(map);
      });
  }
  L.Map.addInitHook(function () { this.on("click", identify); });

  // -- the catalogue's vector tiles --------------------------------------------------------------------------
  /* A catalogue layer's tiles, fetched as a map client fetches them: 512 px tiles, which are the server's tiles
     of the zoom before (a view needs a quarter as many requests), except at the layer's own minimum zoom, where
     the server has none of the zoom before and 256 px tiles are fetched; at a low priority, so that a click's
     identify goes first; none for the zooms passed through while zooming; a ring of one tile kept around the
     view (as much as two of 256 px). */
  var VectorTiles = L.VectorGrid.Protobuf.extend({
    options: { fetchOptions: { credentials: "same-origin", priority: "low" }, updateWhenZooming: false, keepBuffer: 1 },
    getTileSize: function () {
      var size = this._tileZoom > this.options.minZoom ? 512 : 256;
      return L.point(size, size);
    },
    _getVectorTilePromise: function (coords) {
      var z = this.getTileSize().x === 512 ? coords.z - 1 : coords.z;
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, L.extend(coords.clone(), { z: z }));
    }
  });

  function vectorTiles(url, options) { return new VectorTiles(url, options); }

  /* The vectorTileLayerStyles of a catalogue layer's tiles (its option gisappLayer is its id); its
     configuration is remembered for identify's popups. */
  function tileStyles(config) {
    var styles = {};
    configs[config.id] = config;
    styles[config.id] = styleFor(config);
    return styles;
  }

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function viewBox(map) {
    var b = map.getBounds();
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180),
            clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(6); }).join(",");
  }

  /* A heat layer with the option gisappHeatUrl follows the map: on every move it asks that URL for
     the points of the visible area, counted on a grid for the zoom. */
  function followHeat(layer, url) {
    function refresh() {
      var map = layer._map;
      if (!map) { return; }
      fetch(url + "?bbox=" + viewBox(map) + "&zoom=" + map.getZoom(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { points: [], max: 1 }; })
        .then(function (d) { layer.setOptions({ max: d.max || 1 }); layer.setLatLngs(d.points); });
    }
    layer.on("add", function () { layer._map.on("moveend", refresh); refresh(); });
    layer.on("remove", function (e) { e.target._map && e.target._map.off("moveend", refresh); });
  }
  if (L.HeatLayer) {
    L.HeatLayer.addInitHook(function () {
      if (this.options.gisappHeatUrl) { followHeat(this, this.options.gisappHeatUrl); }
    });
  }

  // -- names written on the map ------------------------------------------------------------------------
  var LABEL_SIZE = { township: 17, village: 14, grid: 12, road: 11 };

  /* A layer of names (layers/labels.toml): at each move it asks the server for the names of the view at
     its zoom (larger places first) and writes each where it overlaps none written before; a road's name
     along the road, only where the road is long enough on the screen. Names are text (textContent). */
  var LabelLayer = L.LayerGroup.extend({
    initialize: function (config) {
      L.LayerGroup.prototype.initialize.call(this, [], { pane: "gisappLabels" });
      this.config = config;
      this.options.gisappLegend = config.id;
      this.seq = 0;
    },
    onAdd: function (map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      map.on("moveend", this.refresh, this);
      this.refresh();
    },
    onRemove: function (map) {
      map.off("moveend", this.refresh, this);
      this.seq++;
      L.LayerGroup.prototype.onRemove.call(this, map);
    },
    refresh: function () {
      var map = this._map, self = this, mine = ++this.seq;
      if (!map) { return; }
      var zoom = Math.round(map.getZoom());
      if (zoom < this.config.minZoom) { this.clearLayers(); return; }
      fetch(this.config.url + "?bbox=" + viewBox(map) + "&zoom=" + zoom, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { labels: [] }; })
        .then(function (answer) { if (mine === self.seq && self._map) { self.draw(answer.labels, zoom); } });
    },
    draw: function (labels, zoom) {
      var map = this._map, placed = [], self = this;
      this.clearLayers();
      labels.forEach(function (l) {
        var latlng = L.latLng(l.lat, l.lon), size = LABEL_SIZE[l.kind] || 12, text = String(l.text);
        var width = text.length * size * 0.95 + 6, height = size + 6, angle = 0;
        if (l.kind === "road") {
          var metresPerPixel = 156543.03 * Math.cos(l.lat * Math.PI / 180) / Math.pow(2, zoom);
          if (l.size_m / metresPerPixel < width * 1.3) { return; }  // the road is too short on the screen
          angle = ((l.angle - 90) % 360 + 360) % 360;
          if (angle > 90 && angle < 270) { angle -= 180; }          // never upside down
        }
        var p = map.latLngToLayerPoint(latlng), rad = Math.abs(angle) * Math.PI / 180;
        var w = width * Math.cos(rad) + height * Math.sin(rad), h = width * Math.sin(rad) + height * Math.cos(rad);
        var box = L.bounds([p.x - w / 2, p.y - h / 2], [p.x + w / 2, p.y + h / 2]);
        if (placed.some(function (b) { return b.intersects(box); })) { return; }
        placed.push(box);
        var span = document.createElement("span");
        span.textContent = text;
        span.className = "gisapp-label-text";
        span.style.color = byValue(self.config.colours, l.kind, "#333333");
        span.style.transform = "translate(-50%, -50%) rotate(" + angle.toFixed(1) + "deg)";
        L.marker(latlng, { icon: L.divIcon({ className: "gisapp-label gisapp-label-" + l.kind, html: span,
                                                iconSize: null }),
                           interactive: false, keyboard: false, pane: "gisappLabels" }).addTo(self);
      });
    }
  });

  function labelLayer(config) { return new LabelLayer(config); }

  // -- the opening view -----------------------------------------------------------------------------------
  /* Open the map on the user's area ([[south, west], [north, east]]), in one step: fitted to it in the part the
     legend (left) and the layer switch (right) leave free — they are made after the layers, so their room is
     reckoned, not measured — where that is at least minZoom (the nets' points drawn), else on its middle at
     detailZoom. Called before the layers are added, so that they fetch the tiles of this view only. */
  function fitArea(map, bounds, minZoom, detailZoom) {
    var area = L.latLngBounds(bounds), size = map.getSize();
    if (!area.isValid()) { return; }
    var fit = map._getBoundsCenterZoom(area, { paddingTopLeft: [Math.min(250, size.x * 0.25), 50],
                                               paddingBottomRight: [Math.min(340, size.x * 0.3), 30], maxZoom: 16 });
    if (fit.zoom < minZoom) { fit = { center: area.getCenter(), zoom: detailZoom }; }
    map.setView(fit.center, fit.zoom, { animate: false });
  }

  // -- the legend: only what the map draws ---------------------------------------------------------------
  var Legend = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      var box = document.getElementById("legend");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });

  function legendOf(layer) {
    var o = layer.options || {};
    return o.gisappLegend || o.gisappLayer || null;
  }

  /* Each entry of the legend is shown while its layer is on the map and drawn at the zoom (data-min-zoom);
     the hot spots' while the disputes panel shows them, with their colours. */
  function updateLegend(map) {
    var shown = {}, zoom = map.getZoom();
    map.eachLayer(function (layer) {
      var id = legendOf(layer);
      if (id) { shown[id] = true; }
      if (isHotspots(layer)) { shown.hotspots = true; }
    });
    var any = false;
    document.querySelectorAll("#legend [data-legend]").forEach(function (entry) {
      var on = !!shown[entry.getAttribute("data-legend")] && zoom >= Number(entry.getAttribute("data-min-zoom") || 0);
      entry.hidden = !on;
      any = any || on;
    });
    var none = document.getElementById("legend-none");
    if (none) { none.hidden = any; }
    if (legendCheck) { legendCheck(); }
  }
  var legendCheck = null;

  function overlaps(a, b) {
    return a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  /* The legend never lies over the layer switch: where the panels leave too little room beside it (a narrow
     screen, a wide panel open), it closes to its title, and opens again when the room is back. */
  function keepLegendClear(map) {
    var box = document.getElementById("legend"), toggle = document.getElementById("legend-toggle"), closedHere = false;
    if (!box) { return function () {}; }
    function set(closed) {
      box.classList.toggle("collapsed", closed);
      if (toggle) { toggle.setAttribute("aria-expanded", closed ? "false" : "true"); }
    }
    function check() {
      var control = map.getContainer().querySelector(".leaflet-control-layers");
      if (!control) { return; }
      var room = control.getBoundingClientRect();
      if (closedHere) {
        set(false);
        if (!overlaps(box.getBoundingClientRect(), room)) { closedHere = false; return; }
        set(true);
        return;
      }
      if (!box.classList.contains("collapsed") && overlaps(box.getBoundingClientRect(), room)) {
        set(true);
        closedHere = true;
      }
    }
    if (toggle) { toggle.addEventListener("click", function () { closedHere = false; }); }
    [document.body, map.getContainer()].forEach(function (node) {  // a panel opened or closed
      new MutationObserver(check).observe(node, { attributes: true, attributeFilter: ["class"] });
    });
    window.addEventListener("resize", check);
    return check;
  }

  var HOTSPOT_CLASSES = {};
  function isHotspots(layer) {
    if (!(layer instanceof L.GeoJSON)) { return false; }
    var found = false;
    layer.eachLayer(function (f) {
      var p = f.feature && f.feature.properties;
      if (p && has(HOTSPOT_CLASSES, p["class"]) && p.z !== undefined) { found = true; }
    });
    return found;
  }

  /* The hot spots' entry lists the classes the panel's layer draws, in the vocabulary's order, with its colours. */
  function hotspotLegend(layer) {
    var colours = {};
    layer.eachLayer(function (f) {
      colours[f.feature.properties["class"]] = f.options.fillColor || (f.options.style || {}).fillColor;
    });
    var list = document.getElementById("legend-hotspots");
    if (!list) { return; }
    list.textContent = "";
    Object.keys(HOTSPOT_CLASSES).forEach(function (cls) {
      if (!colours[cls]) { return; }
      var item = document.createElement("li"), swatch = document.createElement("span");
      swatch.className = "lg-box";
      swatch.style.background = colours[cls];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(HOTSPOT_CLASSES[cls]));
      list.appendChild(item);
    });
  }

  // -- the user's own grids and routes ---------------------------------------------------------------------
  /* A grid worker's grids outlined, a team leader's routes drawn wide under a glow: in the highlight pane,
     shown while the layer they belong to (grids, routes) is on the map; listed in the layer switch. */
  var teamRoutes = [];  // the GeoJSON layers highlighting a team leader's routes (glow, line)

  function highlight(map, control, options) {
    var grids = options.grids, routes = options.routes, made = [];
    if (grids && grids.features.length) {
      var own = L.layerGroup([
        L.geoJSON(grids, { pane: "gisappHighlight", interactive: false,
                           style: { color: "#ffffff", weight: 7, opacity: 0.9, fill: false } }),
        L.geoJSON(grids, { pane: "gisappHighlight", interactive: false,
                           style: { color: "#e6007e", weight: 3, opacity: 1, fillColor: "#e6007e", fillOpacity: 0.05 } })
      ]);
      own.options.gisappLegend = "own_grids";
      made.push([own, options.labels.own_grids]);
    }
    if (routes && routes.features.length) {
      var colours = options.route_colours || {};
      teamRoutes = [
        L.geoJSON(routes, { pane: "gisappHighlight", interactive: false,
                            style: { color: "#ffd21f", weight: 12, opacity: 0.75, lineCap: "round" } }),
        L.geoJSON(routes, { pane: "gisappHighlight", interactive: false,
                            style: function (f) {
                              return { color: byValue(colours, f.properties.shift, "#01665e"), weight: 4, opacity: 1 };
                            } })
      ];
      var team = L.layerGroup(teamRoutes);
      team.options.gisappLegend = "team_routes";
      made.push([team, options.labels.team_routes]);
    }
    made.forEach(function (pair) {
      pair[0].addTo(map);
      if (control && control.addOverlay) { control.addOverlay(pair[0], escapeHtml(pair[1]), options.group); }
    });
  }

  /* The team's routes as they now stand (a FeatureCollection: after a route was saved, the patrol panel's list
     of them): the highlight follows. */
  function showTeamRoutes(collection) {
    teamRoutes.forEach(function (layer) { layer.clearLayers(); layer.addData(collection); });
  }

  /* The layer switch, open from the start, closes to a button with Leaflet's layers icon and opens from it again:
     the map is the user's to see on a small screen. The legend makes room as it changes (``changed``). */
  function closableLayers(control, changed) {
    var box = control && control.getContainer && control.getContainer();
    var list = box && box.querySelector(".leaflet-control-layers-list");
    if (!list) { return; }
    var EXPANDED = "leaflet-control-layers-expanded";
    var toggle = box.querySelector(".leaflet-control-layers-toggle") ||
                 L.DomUtil.create("a", "leaflet-control-layers-toggle", box);  // the grouped switch has none when open
    toggle.href = "#";
    toggle.title = "图层 Layers";
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-label", "打开图层列表 open the layer list");
    var hide = L.DomUtil.create("button", "gisapp-layers-hide");
    hide.type = "button";
    hide.textContent = "收起 Hide";
    hide.setAttribute("aria-label", "收起图层列表 close the layer list");
    list.insertBefore(hide, list.firstChild);
    function set(open) {
      L.DomUtil[open ? "addClass" : "removeClass"](box, EXPANDED);
      (open ? hide : toggle).focus();
      changed();
    }
    L.DomEvent.on(hide, "click", function (e) { L.DomEvent.stop(e); set(false); });
    L.DomEvent.on(toggle, "click", function (e) { L.DomEvent.stop(e); set(true); });
  }

  /* After the map's own script: the metric scale and the legend above it (bottom left, never over each
     other), the legend following the layers and the zoom, the hot spots' legend, the user's highlights. */
  function init(map, control, options) {
    options = options || {};
    page.timezone = options.timezone || null;
    if (options.yes_no) { page.yesNo = options.yes_no; }
    HOTSPOT_CLASSES = options.hotspot_classes || {};
    L.control.scale({ imperial: false, maxWidth: 140 }).addTo(map);
    new Legend().addTo(map);
    var toggle = document.getElementById("legend-toggle"), box = document.getElementById("legend");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var closed = box.classList.toggle("collapsed");
        toggle.setAttribute("aria-expanded", closed ? "false" : "true");
      });
    }
    var clear = legendCheck = keepLegendClear(map);
    closableLayers(control, clear);
    if (options.highlight) { highlight(map, control, options.highlight); }
    var pending = false;
    function update() {  // once a frame, however many layers come and go
      if (pending) { return; }
      pending = true;
      L.Util.requestAnimFrame(function () { pending = false; updateLegend(map); });
    }
    map.on("layeradd", function (e) {
      if (e.layer instanceof L.Marker || (e.layer instanceof L.Path && !(e.layer instanceof L.GeoJSON))) { return; }
      if (isHotspots(e.layer)) { hotspotLegend(e.layer); }
      update();
    });
    map.on("layerremove", function (e) { if (!(e.layer instanceof L.Marker)) { update(); } });
    map.on("zoomend", update);
    updateLegend(map);
    clear();
  }

  return { escapeHtml: escapeHtml, popupHtml: popupHtml, vectorTiles: vectorTiles, tileStyles: tileStyles,
           labelLayer: labelLayer, fitArea: fitArea, localTime: localTime, valueText: valueText, init: init,
           showTeamRoutes: showTeamRoutes };
})();
