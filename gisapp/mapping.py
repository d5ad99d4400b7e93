"""The three-net map page, built with folium: catalogue layers as vector tiles, offline.

Every asset comes from static/ (``use_vendored_assets`` points folium's class-level asset lists
there once, at start-up). The data never goes inline: the browser fetches tiles from /tiles and
heat points from /api/heat. Every text from the catalogue or the data is escaped: labels here
with ``html.escape``, feature properties in the browser by static/map.js.
"""
from __future__ import annotations

import html

import folium
import folium.plugins as plugins
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from gisapp.catalogue import EXCLUSIVE_GROUPS, Layer

VENDOR = "/static/vendor"
DRAWING_ORDER = ["polygon", "line", "point"]  # points on top, where they can be clicked
BASEMAPS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                 "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=",
                 "© 天地图 Tianditu"),
}


def use_vendored_assets() -> None:
    """Point folium's (class-level) JS/CSS lists at static/vendor; idempotent, call once at start-up."""
    folium.Map.default_js = [
        ("leaflet", f"{VENDOR}/leaflet/leaflet.js"), ("jquery", f"{VENDOR}/jquery/jquery.min.js"),
        ("bootstrap", f"{VENDOR}/bootstrap/bootstrap.bundle.min.js"),
        ("awesome_markers", f"{VENDOR}/awesome-markers/leaflet.awesome-markers.js")]
    folium.Map.default_css = [
        ("leaflet_css", f"{VENDOR}/leaflet/leaflet.css"), ("bootstrap_css", f"{VENDOR}/bootstrap/bootstrap.min.css"),
        ("awesome_markers_font_css", f"{VENDOR}/fontawesome/css/all.min.css"),
        ("awesome_markers_css", f"{VENDOR}/awesome-markers/leaflet.awesome-markers.css")]
    plugins.VectorGridProtobuf.default_js = [("vectorGrid", f"{VENDOR}/vectorgrid/Leaflet.VectorGrid.bundled.min.js")]
    plugins.GroupedLayerControl.default_js = [
        ("leaflet.groupedlayercontrol.min.js", f"{VENDOR}/groupedlayercontrol/leaflet.groupedlayercontrol.min.js")]
    plugins.GroupedLayerControl.default_css = [
        ("leaflet.groupedlayercontrol.min.css", f"{VENDOR}/groupedlayercontrol/leaflet.groupedlayercontrol.min.css")]


class CatalogueTiles(plugins.VectorGridProtobuf):
    """A catalogue layer drawn from our vector tiles, styled and with popups by static/map.js."""
    _template = Template("""
        {% macro script(this, kwargs) -%}
        var {{ this.get_name() }} = gisapp.tileLayer({{ this.url|tojson }}, {{ this.config|tojson }});
        {%- endmacro %}""")

    def __init__(self, layer: Layer, role: str):
        super().__init__(f"/tiles/{layer.id}/{{z}}/{{x}}/{{y}}.pbf", name=html.escape(layer.title), show=layer.show)
        visible = set(layer.properties_for(role))
        self.config = {"id": layer.id, "title": layer.title, "geometry": layer.geometry, "style": layer.style,
                       "min_zoom": layer.min_zoom,
                       "properties": [{"name": p.name, "label": p.label} for p in layer.properties if p.name in visible]}


class HeatLayer(JSCSSMixin, folium.map.Layer):
    """A heat map of a layer's points, refreshed from /api/heat as the map moves."""
    _template = Template("""
        {% macro script(this, kwargs) -%}
        var {{ this.get_name() }} = gisapp.heatLayer({{ this.url|tojson }});
        {%- endmacro %}""")
    default_js = [("leaflet-heat.js", f"{VENDOR}/heat/leaflet-heat.js")]

    def __init__(self, layer: Layer):
        super().__init__(name=html.escape(f"{layer.title} · 热力图 heat map"), show=False)
        self._name = "HeatLayer"
        self.url = f"/api/heat/{layer.id}"


class Legend(MacroElement):
    """The legend: each visible layer with its colours (text escaped here)."""
    _template = Template("""
        {% macro html(this, kwargs) %}<div id="legend" class="gisapp-legend">{{ this.body }}</div>{% endmacro %}""")

    def __init__(self, layers: list[Layer]):
        super().__init__()
        parts = ["<h4>图例 Legend</h4>"]
        for layer in layers:
            style = layer.style
            entries = style.get("colors") or {"": style.get("color", "#555555")}
            swatches = "".join(
                f'<li><span class="swatch {layer.geometry}" style="background:{html.escape(colour)}"></span>'
                f"{html.escape(value)}</li>" for value, colour in entries.items())
            parts.append(f"<div><strong>{html.escape(layer.title)}</strong><ul>{swatches}</ul></div>")
        self.body = "".join(parts)


class PageChrome(MacroElement):
    """Our own script and style, and a bar with the signed-in user (escaped)."""
    _template = Template("""
        {% macro header(this, kwargs) %}
        <link rel="stylesheet" href="/static/map.css"><script src="/static/map.js"></script>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="gisapp-bar"><a href="/">三网地图 Three-net map</a> <span>{{ this.user }}</span></div>
        {% endmacro %}""")

    def __init__(self, user_label: str):
        super().__init__()
        self.user = html.escape(user_label)


class DisputePanel(MacroElement):
    """The disputes panel beside the map (static/disputes.js): figures, charts, hotspots, open disputes
    in coverage gaps, exports, and the intake form for the roles that take disputes in."""
    _template = Template("""
        {% macro header(this, kwargs) %}
        <script src="/static/vendor/chartjs/chart.umd.min.js"></script><script src="/static/disputes.js"></script>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <aside id="dp-panel" class="gisapp-panel collapsed">
          <button type="button" id="dp-toggle" class="dp-toggle">矛盾纠纷 Disputes</button>
          <div class="dp-body">
            <section>
              <h3>统计 Figures</h3>
              <label>从 From <input type="date" id="dp-from"></label>
              <label>至 To <input type="date" id="dp-to"></label>
              <label>按 By <select id="dp-by"><option value="village">村 village</option>
                <option value="grid">网格 grid</option><option value="township">乡镇 township</option></select></label>
              <div id="dp-totals" class="dp-totals"></div>
              <div class="dp-chart"><canvas id="dp-grade-chart"></canvas></div>
              <div class="dp-chart tall"><canvas id="dp-category-chart"></canvas></div>
              <table class="dp-table"><thead><tr><th>名称 Name</th><th>受理</th><th>结单</th><th>超期</th></tr></thead>
                <tbody id="dp-rows"></tbody></table>
              <p><a id="dp-export-figures" href="#">导出统计 Figures (.xlsx)</a> ·
                 <a id="dp-export-list" href="#">导出清单 Disputes (.xlsx)</a></p>
              <label><input type="checkbox" id="dp-hotspots"> 热点分析 Gi* hotspots</label>
              <p id="dp-figures-message" class="dp-message"></p>
            </section>
            {% if this.gaps %}
            <section>
              <h3>盲区内未结纠纷 Open disputes in gaps (<span id="dp-gap-count">0</span>)</h3>
              <select id="dp-gap-period"><option value="night">夜间 night</option><option value="day">白天 day</option></select>
              <ul id="dp-gap-list" class="dp-list"></ul>
              <p id="dp-gap-message" class="dp-message"></p>
            </section>
            {% endif %}
            {% if this.can_report %}
            <section>
              <h3>登记纠纷 Report a dispute</h3>
              <form id="dp-intake">
                <button type="button" id="dp-pick">在地图上点选 Pick on the map</button>
                <label>经度 Lon <input name="lon" inputmode="decimal"></label>
                <label>纬度 Lat <input name="lat" inputmode="decimal"></label>
                <label>或网格编码 or grid code <input name="grid"></label>
                <label>类别 Category <select name="category"></select></label>
                <label>等级 Grade <select name="grade"></select></label>
                <label>来源 Source <select name="source"></select></label>
                <label>摘要 Summary <textarea name="summary" maxlength="2000" required></textarea></label>
                <label>当事人 Parties <input name="parties" maxlength="500"></label>
                <label>电话 Phone <input name="parties_phone" maxlength="20"></label>
                <button type="submit">提交 Submit</button>
              </form>
              <p id="dp-intake-message" class="dp-message"></p>
            </section>
            {% endif %}
          </div>
        </aside>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        gisappDisputes.init({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}""")

    def __init__(self, csrf_token: str, can_report: bool, gaps: bool):
        super().__init__()
        self.can_report, self.gaps = can_report, gaps
        self.options = {"csrf": csrf_token, "gaps": gaps}


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


def build_map(layers: list[Layer], role: str, user_label: str, basemap: dict,
              bounds: list[float] | None, panel: DisputePanel | None = None) -> str:
    """The whole HTML page of the map for ``role`` (only the layers it may see), with ``panel`` beside it."""
    m = folium.Map(location=[34.62, 114.52], zoom_start=12, tiles=None, control_scale=True, prefer_canvas=True)
    _base_map(m, basemap)
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    groups: dict[str, list] = {}
    for layer in sorted(layers, key=lambda l: DRAWING_ORDER.index(l.geometry)):
        groups.setdefault(html.escape(layer.group), []).append(CatalogueTiles(layer, role).add_to(m))
        if layer.heat:
            groups[html.escape(layer.group)].append(HeatLayer(layer).add_to(m))
    exclusive = [html.escape(g) for g in EXCLUSIVE_GROUPS if html.escape(g) in groups]
    plugins.GroupedLayerControl(groups, exclusive_groups=False, collapsed=False,
                                exclusiveGroups=exclusive or None).add_to(m)
    Legend(layers).add_to(m)
    PageChrome(user_label).add_to(m)
    if panel is not None:
        panel.add_to(m)
    return m.get_root().render()
