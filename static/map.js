/* The map page's own code: layer styles, escaped popups, identify, and the heat layer's refresh.
   folium's elements create the layers; this file gives them their styles and behaviour. */
window.gisapp = (function () {
  "use strict";
  // Leaflet.VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed.
  if (!L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) { e._stopped = true; };
  }
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  function colourFor(style, properties) {
    var colours = style.colors || {};
    return colours[properties[style.by]] || style.color || "#555555";
  }

  function styleFor(config) {
    var style = config.style || {};
    return function (properties) {
      var colour = colourFor(style, properties);
      var outline = style.outline_by && (style.outline_colors || {})[String(properties[style.outline_by])];
      if (config.geometry === "point") {
        return { radius: style.radius || 5, fill: true, fillColor: colour, fillOpacity: 0.9,
                 color: outline || "#ffffff", weight: outline ? 3 : 1 };
      }
      if (config.geometry === "line") {
        return { color: colour, weight: style.weight || 2, opacity: 0.9 };
      }
      var weight = style.weight === undefined ? 1 : style.weight;
      if (outline) { weight = Math.max(weight, 1) * 3; }
      return { color: outline || colour, weight: weight, stroke: weight > 0, fill: true, fillColor: colour,
               fillOpacity: style.fill_opacity === undefined ? 0.1 : style.fill_opacity };
    };
  }

  /* What a person reads for a property's value: its label (Chinese first) when the property has a
     vocabulary (each of a comma-separated list), 是/否 for true/false, else the value. */
  function valueText(property, value) {
    var labels = property.values;
    if (labels && typeof value === "string") {
      return value.split(", ").map(function (v) {
        return Object.prototype.hasOwnProperty.call(labels, v) ? labels[v] : v;
      }).join("、");
    }
    if (value === true) { return "是 yes"; }
    if (value === false) { return "否 no"; }
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
    return '<div class="gisapp-popup"><h4>' + escapeHtml(config.title) + "</h4><table>" + rows.join("") + "</table></div>";
  }

  /* Identify: a click asks the server for the features of every visible layer near it (the
     tiles' canvases would only tell the topmost layer) and lists them in one popup, points first. */
  var GEOMETRY_ORDER = { point: 0, line: 1, polygon: 2 };
  var configs = {};

  function identify(e) {
    var map = e.target, visible = [];
    map.eachLayer(function (layer) {
      if (layer.options && layer.options.gisappLayer) { visible.push(layer.options.gisappLayer); }
    });
    if (!visible.length) { return; }
    var query = "lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7) +
                "&zoom=" + Math.round(map.getZoom()) + "&layers=" + visible.join(",");
    fetch("/api/identify?" + query, { credentials: "same-origin" })
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
        L.popup({ maxWidth: 380, maxHeight: 420 }).setLatLng(e.latlng)
          .setContent(sections.map(function (s) { return s[1]; }).join("")).openOn(map);
      });
  }
  L.Map.addInitHook(function () { this.on("click", identify); });

  /* The vectorTileLayerStyles of a catalogue layer's tiles (its option gisappLayer is its id); its
     configuration is remembered for identify's popups. */
  function tileStyles(config) {
    var styles = {};
    configs[config.id] = config;
    styles[config.id] = styleFor(config);
    return styles;
  }

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  /* A heat layer with the option gisappHeatUrl follows the map: on every move it asks that URL for
     the points of the visible area, counted on a grid for the zoom. */
  function followHeat(layer, url) {
    function refresh() {
      var map = layer._map;
      if (!map) { return; }
      var b = map.getBounds();
      var bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
                  clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(6); });
      fetch(url + "?bbox=" + bbox.join(",") + "&zoom=" + map.getZoom(), { credentials: "same-origin" })
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

  return { escapeHtml: escapeHtml, popupHtml: popupHtml, tileStyles: tileStyles };
})();
