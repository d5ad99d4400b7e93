"""The layer catalogue: the real files load; a malformed file stops start-up naming the problem."""
import math
import re
import shutil

import pytest
from sqlalchemy import create_engine, text

from gisapp import create_app
from gisapp.catalogue import LAYERS_DIR, VOCABULARIES, CatalogueError, load_catalogue
from gisapp.config import load_settings
from gisapp.features import sql_params
from gisapp.mapping import drawing_key, legend, light


def test_the_catalogue_loads():
    catalogue = load_catalogue()
    assert {"cameras", "camera_views", "alarms", "routes", "route_corridors", "disputes", "grids",
            "boundaries", "roads"} <= set(catalogue)
    disputes = catalogue["disputes"]
    assert "parties" not in disputes.properties_for("viewer") and "parties" in disputes.properties_for("center")


@pytest.mark.parametrize("edit, words", [
    (lambda s: s.replace('id = "cameras"', 'id = "camera"'), "must be the file's name"),
    (lambda s: s.replace('geometry = "point"', 'geometry = "blob"'), "geometry must be one of"),
    (lambda s: s.replace('roles = [', 'roles = ["king", '), "unknown role(s) king"),
    (lambda s: s.replace('by = "status"', 'by = "colour"'), "style.by"),
    (lambda s: s.replace('"#1a9641"', '"green"'), "colours must look like"),
    (lambda s: s.replace('shape = "square"', 'shape = "star"'), "style.shape must be one of"),
    (lambda s: s.replace('radius = 5', 'radius = "big"'), "must be numbers"),
    (lambda s: s.replace('[style]', '[style]\ndash = "dotted"'), "a dash is lengths"),
    (lambda s: s.replace('[style]', '[style]\nlabel = "nickname"'), "style.label"),
    (lambda s: "shape = 1\n" + s, "layers/cameras.toml: unknown key(s) shape"),
    (lambda s: s.replace('min_zoom = 11', 'min_zoom = 40'), "min_zoom"),
    (lambda s: s.replace('id = "cameras"', 'id = '), "not valid TOML"),
    (lambda s: s.replace('editable = "cameras"', 'editable = "satellites"'), "editable"),
    (lambda s: 'prefilter = { column = "geom" }\n' + s, "prefilter must be"),
    (lambda s: 'page = "/cameras"\n' + s, "page must be a path with {code}"),
    (lambda s: 'page = "https://elsewhere/{code}"\n' + s, "page must be a path with {code}"),
])
def test_malformed_layer_file_names_file_and_problem(tmp_path, edit, words):
    shutil.copytree(LAYERS_DIR, tmp_path / "layers")
    path = tmp_path / "layers" / "cameras.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CatalogueError) as failure:
        load_catalogue(tmp_path / "layers")
    assert str(failure.value).startswith("layers/cameras.toml: ") and words in str(failure.value)


def test_layer_sql_is_checked_at_start_up(tmp_path, db_url):
    shutil.copytree(LAYERS_DIR, tmp_path / "layers")
    path = tmp_path / "layers" / "cameras.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("c.night_vision,", ""), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"layers/cameras.toml: sql yields no column\(s\) night_vision"):
        create_app({"database_url": db_url, "layers_dir": str(tmp_path / "layers"), "secret_key": "x"})
    path.write_text(path.read_text(encoding="utf-8").replace("FROM camera c", "FROM cameraz c")
                    .replace('regional = ["camera"]\n', ""), encoding="utf-8")
    with pytest.raises(CatalogueError, match="layers/cameras.toml: sql fails"):
        create_app({"database_url": db_url, "layers_dir": str(tmp_path / "layers"), "secret_key": "x"})


def _edited(tmp_path, name, edit):
    shutil.copytree(LAYERS_DIR, tmp_path / "layers")
    path = tmp_path / "layers" / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return tmp_path / "layers"


def test_a_file_with_periods_yields_one_layer_per_period():
    catalogue = load_catalogue()
    day, night = catalogue["coverage_day"], catalogue["coverage_night"]
    assert (day.title, night.title) == ("白天覆盖 Day coverage", "夜间覆盖 Night coverage")
    assert "gc.period = 'day'" in day.sql and "gc.period = 'night'" in night.sql and ":period" not in day.sql
    assert day.show and not night.show  # alternatives: only the first is on at first
    assert day.file == night.file == "layers/coverage.toml" and "coverage" not in catalogue


def test_personal_properties_are_stated_once():
    disputes = load_catalogue()["disputes"]
    assert disputes.personal == {"parties", "parties_phone"}
    for role in ("center", "grid_worker"):
        assert {"parties", "parties_phone"} <= set(disputes.properties_for(role))
    for role in ("team_leader", "planner", "viewer"):
        assert not {"parties", "parties_phone"} & set(disputes.properties_for(role))
    assert ":may_see_personal" not in disputes.sql and "IN ('center', 'grid_worker')" in disputes.sql


@pytest.mark.parametrize("name, edit, words", [
    ("coverage.toml", lambda s: s.replace("day = ", "noon = "), "periods must map periods (day, night)"),
    ("coverage.toml", lambda s: s.replace("gc.period = :period", "gc.period = 'day'"), ":period"),
    ("coverage.toml", lambda s: 'title = "x"\n' + s, "not a title"),
    ("disputes.toml", lambda s: s.replace("SELECT :may_see_personal AND", "SELECT true AND"), ":may_see_personal"),
    ("disputes.toml", lambda s: s.replace('roles = ["center", "grid_worker"] }', 'roles = ["king"] }'),
     "personal.roles: unknown role(s) king"),
    ("disputes.toml", lambda s: s.replace('properties = ["parties", ', 'properties = ["partys", '),
     "personal must be"),
    ("disputes.toml", lambda s: 'restricted = { parties = ["center"] }\n' + s, "not list it under restricted"),
    ("disputes.toml", lambda s: s.replace('values = "dispute_grades"', 'values = "grades"'), "unknown vocabulary 'grades'"),
    ("disputes.toml", lambda s: s.replace('values = "dispute_grades"', 'colour = "red"'), "properties must be"),
])
def test_malformed_periods_and_personal(tmp_path, name, edit, words):
    with pytest.raises(CatalogueError) as failure:
        load_catalogue(_edited(tmp_path, name, edit))
    assert str(failure.value).startswith(f"layers/{name}: ") and words in str(failure.value)


def _column(url, layer, column, coverage):
    """``column`` by fid of ``layer``'s rows in the demo town, with these [coverage] settings."""
    params = sql_params(load_settings({"coverage": coverage}))
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT fid, {column} FROM ({layer.sql}) AS src"), params).all()
    engine.dispose()
    return dict(rows)


def test_bands_follow_the_configured_target(demo_url):
    layer = load_catalogue()["coverage_day"]
    share = _column(demo_url, layer, "covered_share", {})
    for target in (0.8, 0.5):
        bands = _column(demo_url, layer, "band", {"target_share": target})
        assert bands == {fid: "high" if s >= target else "medium" if s >= 0.75 * target else "low"
                         for fid, s in share.items()}
    assert len(set(bands.values())) > 1


def test_a_routes_shift_follows_the_configured_times(demo_url):
    layer = load_catalogue()["routes"]
    windows = _column(demo_url, layer, "time_windows", {})
    market = next(fid for fid, w in windows.items() if w == "09:00-11:30,19:00-21:30")
    night_route = next(fid for fid, w in windows.items() if w == "20:00-02:00")
    assert _column(demo_url, layer, "shift", {})[market] == "day"  # 23:00 is outside its windows
    later = _column(demo_url, layer, "shift", {"night": "20:00"})
    assert later[market] == "day_and_night" and later[night_route] == "night"
    assert _column(demo_url, layer, "shift", {"day": "15:00", "night": "03:00"})[night_route] == "other"


def test_every_value_in_the_legend_reads_chinese_first():
    entries = legend(list(load_catalogue().values()))
    values = [value for entry in entries for value, _ in entry["colours"] if value]
    assert values and all(re.match(r"[\u4e00-\u9fff]", value) for value in values), values
    routes = load_catalogue()["routes"].properties
    assert next(p for p in routes if p.name == "shift").value_label("night") == "夜间 night"


def test_the_grid_scope_behind_personal_data_and_the_workflow():
    from types import SimpleNamespace

    from gisapp.reach import grids_of, reaches
    worker, idle = SimpleNamespace(role="grid_worker", grid_ids={3, 1}), SimpleNamespace(role="grid_worker", grid_ids=set())
    center = SimpleNamespace(role="center", grid_ids=set())
    assert grids_of(worker) == [1, 3] and grids_of(center) is None and grids_of(None) == [] and grids_of(idle) == []
    assert reaches(worker, 3) and not reaches(worker, 2) and not reaches(worker, None) and not reaches(idle, 1)
    assert reaches(center, 2) and reaches(center, None)
    params = sql_params(load_settings(), worker)
    assert params["viewer_grids"] == [1, 3] and params["viewer_role"] == "grid_worker"


def test_every_reason_coverage_gives_has_a_label():
    from gisapp.catalogue import COVERAGE_REASONS
    from gisapp.coverage.sql import COVERAGE_SQL
    given = set(re.findall(r"THEN '([a-z_]+)' END", COVERAGE_SQL.split("array_remove(ARRAY[")[1]))
    assert given == set(COVERAGE_REASONS)


def test_a_label_layer_names_places_at_their_zooms(tmp_path):
    labels = load_catalogue()["labels"]
    assert labels.labels and labels.geometry == "point" and labels.style["label"] == "name"
    zooms = labels.style["label_zooms"]
    assert zooms["township"][0] < zooms["village"][0] < zooms["grid"][0] and zooms["road"][0] >= 15
    with pytest.raises(CatalogueError, match="geometry = .point."):
        load_catalogue(_edited(tmp_path, "labels.toml", lambda s: s.replace('geometry = "point"', 'geometry = "line"')))


def test_a_comma_separated_list_and_yes_no_are_labelled_item_by_item():
    catalogue = load_catalogue()
    reasons = next(p for p in catalogue["coverage_day"].properties if p.name == "reasons")
    assert reasons.value_label("gap, no_patrol") == "有盲区 gap、无巡逻 no patrol"
    weekdays = next(p for p in catalogue["routes"].properties if p.name == "weekdays")
    assert weekdays.value_label("1,2,7") == "一 Mon、二 Tue、日 Sun"
    overdue = next(p for p in catalogue["disputes"].properties if p.name == "overdue")
    assert overdue.value_label(True) == "是 yes" and overdue.value_label(False) == "否 no"
    satisfaction = next(p for p in catalogue["disputes"].properties if p.name == "satisfaction")
    assert satisfaction.value_label(4) == "满意 satisfied"
    # every yes/no a person reads has its vocabulary
    assert next(p for p in catalogue["cameras"].properties if p.name == "night_vision").values is not None


def test_the_nets_differ_by_shape_not_only_by_colour():
    catalogue = load_catalogue()
    shapes = {layer: catalogue[layer].style.get("shape", "circle") for layer in ("cameras", "alarms", "disputes",
                                                                               "key_places", "sites")}
    assert len(set(shapes.values())) == len(shapes), shapes


def _lab(colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour #rrggbb."""
    def linear(c):
        return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92
    r, g, b = (linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    x, y, z = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
               (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _blend(colour: str, opacity: float, background: str = "#f4f1ea") -> str:
    """A shade as seen: ``colour`` at ``opacity`` over the map's background."""
    a, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5)), (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(opacity * x + (1 - opacity) * y):02x}" for x, y in zip(a, b))


def test_no_two_layers_share_a_meaning_bearing_colour():
    """Every colour that says something (a status, a grade, a shift, a band …) differs clearly (CIE76 ΔE ≥ 15) from
    those of every other vocabulary on the map; layers coloured by the same property of the same vocabulary (a
    camera's and an alarm's status) share theirs on purpose. Shades are compared as seen (over the background)."""
    meanings = {}  # (vocabulary, value) -> (colour as seen, how it is drawn)
    for layer in load_catalogue().values():
        style = layer.style
        if layer.labels or not style.get("by") or layer.group == "基础 base":
            continue  # names, and the base map's own colours (roads, boundaries), say no value of a net
        by = next(p for p in layer.properties if p.name == style["by"])
        vocabulary = next(name for name, values in VOCABULARIES.items() if values == by.values)
        for value, colour in style["colors"].items():
            if layer.geometry == "polygon":
                seen = (_blend(colour, style.get("fill_opacity", 0.1)), "shade")
            else:  # a point as light as white is drawn hollow: a dark outline round it
                seen = (colour, "hollow" if light(colour) and layer.geometry == "point" else layer.geometry)
            if layer.geometry != "polygon" or (vocabulary, value) not in meanings:
                meanings[(vocabulary, value)] = seen
    assert {"device_statuses", "dispute_grades", "shifts", "coverage_bands", "reach_bands"} <= {v for v, _ in meanings}
    close = []
    for (v1, x1), (c1, k1) in meanings.items():
        for (v2, x2), (c2, k2) in meanings.items():
            if v1 < v2 and {k1, k2} != {"hollow", "shade"} and math.dist(_lab(c1), _lab(c2)) < 15:
                close.append((v1, x1, c1, v2, x2, c2))
    assert not close, close
    # the clashes the issue named are gone: online alarms vs complex disputes, planned cameras vs ordinary
    # disputes, faulty cameras vs difficult disputes, online cameras vs grids at target
    catalogue = load_catalogue()
    cameras, alarms = catalogue["cameras"].style["colors"], catalogue["alarms"].style["colors"]
    grades, bands = catalogue["disputes"].style["colors"], catalogue["coverage_day"].style["colors"]
    assert alarms["online"] != grades["complex"] and cameras["planned"] != grades["ordinary"]
    assert cameras["faulty"] != grades["difficult"] and cameras["online"] != bands["high"]


def test_shades_lie_under_outlines_and_points_on_top():
    order = [layer.id for layer in sorted(load_catalogue().values(), key=drawing_key)]
    assert order.index("coverage_day") < order.index("grids") < order.index("boundaries") < order.index("roads")
    assert order.index("roads") < order.index("routes") < order.index("cameras")
    assert max(load_catalogue()[layer].style.get("fill_opacity", 0.1) for layer in ("coverage_day", "camera_views")) <= 0.3
