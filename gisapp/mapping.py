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
from folium.utilities import JsCode
from jinja2.utils import htmlsafe_json_dumps

from gisapp.catalogue import EXCLUSIVE_GROUPS, Layer

VENDOR = "/static/vendor"
DRAWING_ORDER = ["polygon", "line", "point"]  # points on top, where they can be clicked
BASEMAPS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                 "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=",
                 "© 天地图 Tianditu"),
}
HEAT = {"radius": 22, "blur": 18, "max_zoom": 16, "min_opacity": 0.05}


class OfflineMap(folium.Map):
    """A folium map loading Leaflet (and Bootstrap's styles, as folium pages have) from static/vendor;
    it draws no markers, so folium's marker scripts, icon fonts and jQuery are left out."""
    default_js = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
    default_css = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css"),
                   ("bootstrap_css", f"{VENDOR}/bootstrap/bootstrap.min.css")]


class CatalogueTiles(plugins.VectorGridProtobuf):
    """A catalogue layer drawn from our vector tiles on a canvas, styled by static/map.js."""
    default_js = [("vectorGrid", f"{VENDOR}/vectorgrid/Leaflet.VectorGrid.bundled.min.js")]

    def __init__(self, layer: Layer, role: str):
        visible = set(layer.properties_for(role))
        config = htmlsafe_json_dumps({
            "id": layer.id, "title": layer.title, "geometry": layer.geometry, "style": layer.style,
            "properties": [{"name": p.name, "label": p.label, "values": p.values}
                           for p in layer.properties if p.name in visible]})
        super().__init__(f"/tiles/{layer.id}/{{z}}/{{x}}/{{y}}.pbf", name=html.escape(layer.title), show=layer.show,
                         options={"rendererFactory": JsCode("L.canvas.tile"), "interactive": False,
                                  "vectorTileLayerStyles": JsCode(f"gisapp.tileStyles({config})"),
                                  "gisappLayer": layer.id, "minZoom": layer.min_zoom, "maxNativeZoom": 20,
                                  "maxZoom": 22})


class CatalogueHeat(plugins.HeatMap):
    """A heat map of a layer's points, empty at first: static/map.js fills it from /api/heat as the map moves."""
    default_js = [("leaflet-heat.js", f"{VENDOR}/heat/leaflet-heat.js")]

    def __init__(self, layer: Layer):
        super().__init__([], name=html.escape(f"{layer.title} · 热力图 heat map"), show=False,
                         gisapp_heat_url=f"/api/heat/{layer.id}", **HEAT)


class LayerSwitch(plugins.GroupedLayerControl):
    """The layer switch, grouped by net; the groups of alternatives (day or night) are radio buttons."""
    default_js = [("leaflet.groupedlayercontrol.min.js",
                   f"{VENDOR}/groupedlayercontrol/leaflet.groupedlayercontrol.min.js")]
    default_css = [("leaflet.groupedlayercontrol.min.css",
                    f"{VENDOR}/groupedlayercontrol/leaflet.groupedlayercontrol.min.css")]


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


def build_map(layers: list[Layer], role: str, basemap: dict, bounds: list[float] | None) -> dict[str, str]:
    """The map of the layers ``role`` may see (``layers``) over ``basemap``, as the parts a page puts
    together: ``header`` (scripts and styles), ``html`` (the map's element), ``script`` and ``name``
    (the map's variable in the script)."""
    m = OfflineMap(location=[34.62, 114.52], zoom_start=12, tiles=None, control_scale=True, prefer_canvas=True)
    _base_map(m, basemap)
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    groups: dict[str, list] = {}
    for layer in sorted(layers, key=lambda l: DRAWING_ORDER.index(l.geometry)):
        group = groups.setdefault(html.escape(layer.group), [])
        group.append(CatalogueTiles(layer, role).add_to(m))
        if layer.heat:
            group.append(CatalogueHeat(layer).add_to(m))
    exclusive = [html.escape(g) for g in EXCLUSIVE_GROUPS if html.escape(g) in groups]
    LayerSwitch(groups, exclusive_groups=False, collapsed=False, exclusiveGroups=exclusive or None).add_to(m)
    figure = m.get_root()
    figure.render()
    return {"header": figure.header.render(), "html": figure.html.render(), "script": figure.script.render(),
            "name": m.get_name()}


def legend(layers: list[Layer]) -> list[dict]:
    """The legend's entries: each layer's title, geometry and (value's label, colour) pairs, for the page."""
    entries = []
    for layer in layers:
        by = next((p for p in layer.properties if p.name == layer.style.get("by")), None)
        colours = layer.style.get("colors") or {"": layer.style.get("color", "#555555")}
        entries.append({"title": layer.title, "geometry": layer.geometry,
                        "colours": [(by.value_label(value) if by else value, colour) for value, colour in colours.items()]})
    return entries
