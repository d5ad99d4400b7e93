"""The three-net map, built with folium: catalogue layers as vector tiles, offline.

folium draws the map, its layers and the layer switch with its own elements and plugins; the
subclasses here only say where their scripts and styles are served (static/vendor, never a CDN),
per class, so no other map in the process is touched. ``build_map`` returns the map's parts, which
the page template (gisapp/templates/map.html) puts beside the bar, the legend and the panels. The
data never goes inline: the browser fetches tiles from /tiles and heat points from /api/heat.
Layer names are escaped here (the layer switch shows them as HTML); the configuration of each layer
goes to static/map.js as JSON made safe for a script, and map.js escapes feature properties.
"""
from __future__ import annotations

import html

import folium
import folium.plugins as plugins
from branca.element import MacroElement
from folium.map import Layer as FoliumLayer
from folium.template import Template
from folium.utilities import JsCode
from jinja2.utils import htmlsafe_json_dumps

from gisapp import domain
from gisapp.catalogue import EXCLUSIVE_GROUPS, GROUPS, Layer

VENDOR = "/static/vendor"
DRAWING_ORDER = ["polygon", "line", "point"]  # points on top, where they can be clicked
BASEMAPS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                 "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=",
                 "© 天地图 Tianditu"),
}
# Tianditu's vector tiles carry no names: its annotation layer (cva) is drawn over them.
TIANDITU_NAMES = ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva"
                  "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=")
HEAT = {"radius": 22, "blur": 18, "max_zoom": 16, "min_opacity": 0.05}
# leaflet.heat's default gradient, for the legend's bar.
HEAT_GRADIENT = ["#0000ff", "#00ffff", "#00ff00", "#ffff00", "#ff0000"]
# The coverage group's radio buttons end with this choice of none.
COVERAGE_OFF = "关闭 Off"
# The smallest zoom the map opens at, fitted to the user's area: where the points of the three nets are drawn.
POINT_LAYERS = ("cameras", "alarms", "disputes")


def drawing_key(layer: Layer) -> tuple:
    """Where a layer is drawn among the others: polygons, lines, points; among polygons the shaded ones
    (coverage, gaps, views) under the outlines (grids, boundaries), so that no shade hides a line; among lines
    the base (roads) under the nets' lines."""
    opacity = float(layer.style.get("fill_opacity", 0.1)) if layer.geometry == "polygon" else 0.0
    base_first = 0 if layer.geometry != "line" or layer.group == "基础 base" else 1
    return (DRAWING_ORDER.index(layer.geometry), base_first, -opacity, layer.style.get("weight", 1))


def listing_key(layer: Layer) -> tuple:
    """Where a layer is listed in the layer switch and the legend: by net, its points first."""
    return (GROUPS.index(layer.group), -DRAWING_ORDER.index(layer.geometry))


class OfflineMap(folium.Map):
    """A folium map loading Leaflet alone from static/vendor: it draws no markers and the page styles itself
    (static/map.css), so folium's marker scripts, icon fonts, jQuery and Bootstrap are left out. Its scale
    (metric) and legend are added by static/map.js, the legend above the scale in their corner."""
    default_js = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
    default_css = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")]


class CatalogueTiles(plugins.VectorGridProtobuf):
    """A catalogue layer drawn from our vector tiles on a canvas (static/map.js, gisapp.vectorTiles: how they are
    fetched, and their styles); points in a pane of their own, over the shades and outlines the panels draw (hot
    spots, a selected grid)."""
    default_js = [("vectorGrid", f"{VENDOR}/vectorgrid/Leaflet.VectorGrid.bundled.min.js")]
    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = gisapp.vectorTiles({{ this.url|tojson }}, {{ this.options|tojavascript }});
        {% endmacro %}
    """)

    def __init__(self, layer: Layer, role: str):
        visible = set(layer.properties_for(role))
        config = htmlsafe_json_dumps({
            "id": layer.id, "title": layer.title, "geometry": layer.geometry, "style": layer.style, "page": layer.page,
            "properties": [{"name": p.name, "label": p.label, "values": p.values}
                           for p in layer.properties if p.name in visible]})
        options = {"rendererFactory": JsCode("L.canvas.tile"), "interactive": False,
                   "vectorTileLayerStyles": JsCode(f"gisapp.tileStyles({config})"),
                   "gisappLayer": layer.id, "minZoom": layer.min_zoom, "maxNativeZoom": 20, "maxZoom": 22}
        if layer.geometry == "point":
            options["pane"] = "gisappPoints"
        super().__init__(f"/tiles/{layer.id}/{{z}}/{{x}}/{{y}}.pbf", name=html.escape(layer.title), show=layer.show,
                         options=options)


class CatalogueLabels(FoliumLayer):
    """A layer of names written on the map (``style.label``): static/map.js asks /api/labels/<layer> for those of
    the view at each move and writes them as text, the larger places first, none over another."""
    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = gisapp.labelLayer({{ this.config }});
        {% endmacro %}
    """)

    def __init__(self, layer: Layer):
        super().__init__(name=html.escape(layer.title), overlay=True, show=layer.show)
        style = layer.style
        self.config = htmlsafe_json_dumps({
            "id": layer.id, "url": f"/api/labels/{layer.id}", "minZoom": layer.min_zoom,
            "colours": style.get("colors", {}), "zooms": style.get("label_zooms", {})})


class FitArea(MacroElement):
    """Open the map on an area (the user's grids, their team's area, the township) in one step, before any layer
    is added: fitted to it where that is at least ``min_zoom`` (the nets' points drawn), else on its middle at
    ``detail_zoom`` (static/map.js, gisapp.fitArea)."""
    _template = Template("""
        {% macro script(this, kwargs) %}
            gisapp.fitArea({{ this._parent.get_name() }}, {{ this.bounds }}, {{ this.min_zoom }}, {{ this.detail_zoom }});
        {% endmacro %}
    """)

    def __init__(self, bounds: list[float], min_zoom: int, detail_zoom: int):
        super().__init__()
        west, south, east, north = (float(v) for v in bounds)
        self.bounds = htmlsafe_json_dumps([[south, west], [north, east]])
        self.min_zoom, self.detail_zoom = int(min_zoom), int(detail_zoom)


class CatalogueHeat(plugins.HeatMap):
    """A heat map of a layer's points, empty at first: static/map.js fills it from /api/heat as the map moves."""
    default_js = [("leaflet-heat.js", f"{VENDOR}/heat/leaflet-heat.js")]

    def __init__(self, layer: Layer):
        super().__init__([], name=html.escape(f"{layer.title} · 热力图 heat map"), show=False,
                         gisapp_heat_url=f"/api/heat/{layer.id}", gisapp_legend=f"{layer.id}_heat", **HEAT)


class LayerSwitch(plugins.GroupedLayerControl):
    """The layer switch, grouped by net; the groups of alternatives (day or night) are radio buttons. Unlike
    folium's, it is kept in a variable, so that static/map.js can add the user's highlights to it."""
    default_js = [("leaflet.groupedlayercontrol.min.js",
                   f"{VENDOR}/groupedlayercontrol/leaflet.groupedlayercontrol.min.js")]
    default_css = [("leaflet.groupedlayercontrol.min.css",
                    f"{VENDOR}/groupedlayercontrol/leaflet.groupedlayercontrol.min.css")]
    _template = Template("""
        {% macro script(this,kwargs) %}
            var {{ this.get_name() }} = L.control.groupedLayers(
                null,
                {
                    {%- for group_name, overlays in this.grouped_overlays.items() %}
                    {{ group_name|tojson }} : {
                        {%- for overlaykey, val in overlays.items() %}
                        {{ overlaykey|tojson }} : {{val}},
                        {%- endfor %}
                    },
                    {%- endfor %}
                },
                {{ this.options|tojavascript }},
            ).addTo({{this._parent.get_name()}});
            {%- for val in this.layers_untoggle %}
            {{ val }}.remove();
            {%- endfor %}
        {% endmacro %}
    """)


BASEMAP_TYPES = ("none", "local", "osm", "tianditu")


class BasemapError(ValueError):
    """The basemap setting is not usable; the message says what to change."""


def check_basemap(basemap) -> dict:
    """Return the basemap setting if it is usable, else raise BasemapError."""
    kind = basemap.get("type") if isinstance(basemap, dict) else None
    if kind not in BASEMAP_TYPES:
        raise BasemapError(f"basemap.type must be one of {', '.join(BASEMAP_TYPES)}")
    if kind == "local" and not str(basemap.get("url", "")).count("{z}"):
        raise BasemapError('basemap: a local base map needs url = "/static/tiles/{z}/{x}/{y}.png"')
    if kind == "tianditu" and not basemap.get("key"):
        raise BasemapError("basemap: Tianditu (天地图) needs key = \"<your tk>\"")
    return basemap


def _base_map(m: folium.Map, basemap: dict) -> None:
    kind = basemap.get("type", "none")
    if kind == "local":
        folium.TileLayer(basemap["url"], attr=basemap.get("attribution", "local tiles"), name="底图 Base map",
                         max_zoom=basemap.get("max_zoom", 18)).add_to(m)
    elif kind in BASEMAPS:
        url, attribution = BASEMAPS[kind]
        if kind == "tianditu":
            url += basemap["key"]
        folium.TileLayer(url, attr=attribution, name="底图 Base map", subdomains="01234567").add_to(m)
        if kind == "tianditu":
            folium.TileLayer(TIANDITU_NAMES + basemap["key"], attr=attribution, name="底图注记 Base map names",
                             subdomains="01234567", overlay=True, control=False).add_to(m)


def opening_zoom(layers: list[Layer]) -> int:
    """The smallest zoom the map opens at fitted to an area: where the nets' points (cameras, alarms, disputes)
    are drawn."""
    zooms = [layer.min_zoom for layer in layers if layer.id in POINT_LAYERS]
    return max(zooms) if zooms else 0


def detail_zoom(layers: list[Layer]) -> int:
    """The zoom the middle of an area too large to be fitted is opened at: where every layer on at first is drawn
    (at a smaller zoom a city's points would crowd into a carpet of hundreds of thousands, fetched for nothing)."""
    return max([opening_zoom(layers), *(layer.min_zoom for layer in layers if layer.show)])


def build_map(layers: list[Layer], role: str, basemap: dict, bounds: list[float] | None) -> dict[str, str]:
    """The map of the layers ``role`` may see (``layers``) over ``basemap``, opened on ``bounds`` (the user's
    area, [west, south, east, north]), as the parts a page puts together: ``header`` (scripts and styles),
    ``html`` (the map's element), ``script``, ``name`` (the map's variable in the script) and ``control``
    (the layer switch's)."""
    m = OfflineMap(location=[34.62, 114.52], zoom_start=12, tiles=None, prefer_canvas=True)
    _base_map(m, basemap)
    if bounds:  # before the layers: they fetch the tiles of the view they are added to
        FitArea(bounds, opening_zoom(layers), detail_zoom(layers)).add_to(m)
    elements: dict[str, list] = {}  # added in drawing order, listed by net
    for layer in sorted(layers, key=drawing_key):
        if layer.labels:
            elements[layer.id] = [CatalogueLabels(layer).add_to(m)]
            continue
        elements[layer.id] = [CatalogueTiles(layer, role).add_to(m)]
        if layer.heat:
            elements[layer.id].append(CatalogueHeat(layer).add_to(m))
    groups: dict[str, list] = {}
    for layer in sorted(layers, key=listing_key):
        groups.setdefault(html.escape(layer.group), []).extend(elements[layer.id])
    exclusive = [html.escape(g) for g in EXCLUSIVE_GROUPS if html.escape(g) in groups]
    for name in exclusive:  # a radio group gets a choice of none
        groups[name].append(folium.FeatureGroup(name=html.escape(COVERAGE_OFF), show=False).add_to(m))
    switch = LayerSwitch(groups, exclusive_groups=False, collapsed=False, exclusiveGroups=exclusive or None).add_to(m)
    figure = m.get_root()
    figure.render()
    return {"header": figure.header.render(), "html": figure.html.render(), "script": figure.script.render(),
            "name": m.get_name(), "control": switch.get_name()}


def light(colour: str) -> bool:
    """Whether a colour is so light that its symbol needs a dark outline (as static/map.js decides)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b > 200


def _symbol(layer: Layer, value, colour: str) -> dict:
    """How the legend draws one value of a layer (static/map.js draws the map the same way)."""
    style = layer.style
    stroke = ("#444444" if light(colour) else "#ffffff") if layer.geometry == "point" else \
        ("#8a8a8a" if light(colour) else colour)
    return {"fill": colour, "stroke": stroke, "shape": style.get("shape", "circle"),
            "radius": (style.get("radii") or {}).get(value, style.get("radius", 5)),
            "weight": (style.get("weights") or {}).get(value, style.get("weight", 2 if layer.geometry == "line" else 1)),
            "dash": (style.get("dashes") or {}).get(value, style.get("dash", "")),
            "opacity": style.get("fill_opacity", 0.1), "casing": style.get("casing", "")}


def legend(layers: list[Layer]) -> list[dict]:
    """The legend's entries, one per layer, by net (points first): its id, title, geometry,
    the zoom it is drawn from, and its symbols — each value's label (Chinese first) with the colour and the
    symbol it is drawn with (``colours`` the (label, colour) pairs alone), the outlines that mark a value of
    another property (overdue, flagged …), and for a heat layer its gradient. static/map.js shows the entries
    of the layers on the map and drawn at its zoom only."""
    entries = []
    ordered = sorted(layers, key=listing_key)
    for layer in ordered:
        style = layer.style
        by = next((p for p in layer.properties if p.name == style.get("by")), None)
        colours = style.get("colors") or {"": style.get("color", "#555555")}
        items = [{"label": by.value_label(value) if by else value, "colour": colour, **_symbol(layer, value, colour)}
                 for value, colour in colours.items()]
        outline_by = next((p for p in layer.properties if p.name == style.get("outline_by")), None)
        outlines = [{"label": outline_by.label if value == "true" else f"{outline_by.label}: {outline_by.value_label(value)}",
                     "colour": colour, "dash": style.get("outline_dash", ""), "weight": style.get("outline_weight", 3)}
                    for value, colour in (style.get("outline_colors") or {}).items()] if outline_by else []
        entries.append({"id": layer.id, "title": layer.title, "geometry": layer.geometry, "min_zoom": layer.min_zoom,
                        "labels": layer.labels, "symbols": items, "outlines": outlines,
                        "colours": [(item["label"], item["colour"]) for item in items]})
        if layer.heat:
            entries.append({"id": f"{layer.id}_heat", "title": f"{layer.title} · 热力图 heat map", "geometry": "heat",
                            "min_zoom": 0, "labels": False, "symbols": [], "outlines": [], "colours": [],
                            "gradient": HEAT_GRADIENT, "low": "少 few", "high": "多 many"})
    return entries


def hotspot_legend() -> dict:
    """The hot spots' entry (the disputes panel draws them): their classes' labels; static/map.js takes the
    colours from the layer the panel draws."""
    return {"id": "hotspots", "title": "热点网格 Hot spot grids (Gi*)", "classes": domain.HOTSPOT_CLASSES}
