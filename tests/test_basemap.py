"""The base map comes from configuration; the default needs no internet."""
import pytest

from gisapp.catalogue import load_catalogue
from gisapp.mapping import BasemapError, build_map, check_basemap


def _page(basemap):
    return "".join(build_map(list(load_catalogue().values()), "center", check_basemap(basemap), None).values())


def test_default_has_no_external_tiles():
    page = _page({"type": "none"})
    assert "tile.openstreetmap.org" not in page and "tianditu" not in page and "L.tileLayer" not in page
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page and "cdnjs" not in page


def test_local_osm_and_tianditu():
    assert "/static/tiles/{z}/{x}/{y}.png" in _page({"type": "local", "url": "/static/tiles/{z}/{x}/{y}.png"})
    assert "tile.openstreetmap.org" in _page({"type": "osm"})
    assert "tk=abc123" in _page({"type": "tianditu", "key": "abc123"})


@pytest.mark.parametrize("basemap, words", [
    ({"type": "google"}, "basemap.type"), ({"type": "tianditu"}, "needs key"), ({"type": "local"}, "needs url"),
    ("osm", "basemap.type"),
])
def test_bad_basemap_settings(basemap, words):
    with pytest.raises(BasemapError, match=words):
        check_basemap(basemap)


def test_assets_are_vendored_per_map_class_without_touching_folium():
    import folium
    import folium.plugins

    page = _page({"type": "none"})
    assert '<script src="/static/vendor/leaflet/leaflet.js">' in page and "https://" not in page
    assert folium.Map.default_js[0][1].startswith("https://")  # folium's own lists are left as they are
    assert folium.plugins.HeatMap.default_js[0][1].startswith("https://")
