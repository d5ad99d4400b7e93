"""gisapp import: every format, reprojection, and each kind of bad row aborting with nothing written."""
import json
import zipfile

import geopandas as gpd
import pytest
from sqlalchemy import text

AREAS_CSV = """code,name,level,parent_code,wkt
410299,示范县,county,,"POLYGON((114.4 34.5,114.7 34.5,114.7 34.7,114.4 34.7,114.4 34.5))"
410299101,平安镇,township,410299,"POLYGON((114.4 34.5,114.6 34.5,114.6 34.7,114.4 34.7,114.4 34.5))"
410299101001,东庄村,village,410299101,"POLYGON((114.4 34.5,114.5 34.5,114.5 34.6,114.4 34.6,114.4 34.5))"
"""
GOOD_CAMERAS = """code,name,kind,azimuth,range_m,status,longitude,latitude
41029901001311000001,东庄村1号,bullet,90,80,online,114.45,34.55
41029901001321000002,东庄村2号,dome,,120,offline,114.46,34.55
"""
GOOD_ROW = "C9,好,bullet,90,80,online,114.45,34.55"
HEADER = "code,name,kind,azimuth,range_m,status,longitude,latitude"

# (bad row, field named, words in the problem)
BAD_ROWS = {
    "outside China": ("C1,远,bullet,90,80,online,2.35,48.85", "geometry", "outside China"),
    "lon/lat swapped": ("C1,反,bullet,90,80,online,34.55,114.45", "geometry", "swapped"),
    "missing required": ("C1,,bullet,90,80,online,114.45,34.55", "name", "is required"),
    "unknown enum": ("C1,怪,laser,90,80,online,114.45,34.55", "kind", "unknown value 'laser'"),
    "bad number": ("C1,怪,bullet,east-ish,80,online,114.45,34.55", "azimuth", "not a number"),
    "out of range": ("C1,怪,bullet,90,5000,online,114.45,34.55", "range_m", "at most 3000"),
    "missing geometry": ("C1,怪,bullet,90,80,online,,", "geometry", "missing or empty"),
    "duplicate in file": ("C9,重复,dome,,80,online,114.45,34.55", "code", "more than once"),
}


def _count(engine, table):
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_aborts_import_and_names_row_and_field(cli, engine, tmp_path, case):
    row, field, words = BAD_ROWS[case]
    path = _write(tmp_path, "cams.csv", f"{HEADER}\n{GOOD_ROW}\n{row}\n")
    result = cli("import", "cameras", str(path))
    assert result.exit_code == 1
    assert f"row 2, {field}:" in result.output and words in result.output, result.output
    assert "nothing was imported" in result.output
    assert _count(engine, "camera") == 0


@pytest.mark.parametrize("cost", ["inf", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_refused(cli, engine, tmp_path, cost):
    """The cost has no upper bound: "inf" must be refused by name, not reach the database."""
    path = _write(tmp_path, "cams.csv", f"{HEADER},cost\n{GOOD_ROW},100\nC2,贵,bullet,90,80,online,114.45,34.55,{cost}\n")
    result = cli("import", "cameras", str(path))
    assert result.exit_code == 1
    assert "row 2, cost: must be a finite number" in result.output, result.output
    assert _count(engine, "camera") == 0


def test_invalid_polygon_is_refused_with_reason(cli, engine, tmp_path):
    bowtie = "POLYGON((114.4 34.5,114.5 34.6,114.5 34.5,114.4 34.6,114.4 34.5))"
    path = _write(tmp_path, "areas.csv", f'code,name,level,wkt\n410299,县,county,"{bowtie}"\n')
    result = cli("import", "areas", str(path))
    assert result.exit_code == 1
    assert "row 1, geometry: invalid geometry: Self-intersection" in result.output
    assert _count(engine, "admin_area") == 0


def test_duplicate_of_existing_code_and_unknown_reference(cli, engine, tmp_path):
    assert cli("import", "areas", str(_write(tmp_path, "areas.csv", AREAS_CSV))).exit_code == 0
    assert cli("import", "cameras", str(_write(tmp_path, "c.csv", GOOD_CAMERAS))).exit_code == 0
    again = cli("import", "cameras", str(_write(tmp_path, "c2.csv", GOOD_CAMERAS)))
    assert again.exit_code == 1
    assert "row 1, code: a camera with code '41029901001311000001' already exists" in again.output
    grids = _write(tmp_path, "grids.csv", 'code,name,village_code,wkt\nG1,一格,410299101,'
                   '"POLYGON((114.4 34.5,114.45 34.5,114.45 34.55,114.4 34.5))"\n')
    refused = cli("import", "grids", str(grids))
    assert "row 1, village_code: no village with code '410299101'" in refused.output  # a township
    assert _count(engine, "camera") == 2 and _count(engine, "grid") == 0


def test_missing_column_lists_what_is_expected(cli, engine, tmp_path):
    result = cli("import", "cameras", str(_write(tmp_path, "c.csv", "code,name,longitude,latitude\nC1,x,114.4,34.5\n")))
    assert result.exit_code == 1
    assert "missing required column(s): kind, range_m, status" in result.output
    assert "azimuth" in result.output and "expected columns" in result.output
    assert _count(engine, "camera") == 0


def test_skip_invalid_loads_good_rows_and_writes_rejects(cli, engine, tmp_path):
    rows = "\n".join([HEADER, GOOD_ROW] + [r for r, _, _ in list(BAD_ROWS.values())[:3]]) + "\n"
    rejects = tmp_path / "rejected.csv"
    result = cli("import", "cameras", str(_write(tmp_path, "c.csv", rows)), "--skip-invalid", "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    assert "1 row(s) imported" in result.output and "3 row(s) refused" in result.output
    assert _count(engine, "camera") == 1
    text_ = rejects.read_text(encoding="utf-8-sig")
    assert text_.splitlines()[0].startswith("row,field,problem")
    assert "outside China" in text_ and "swapped" in text_ and "is required" in text_


def test_geojson_gpkg_and_shapefiles_with_reprojection(cli, engine, tmp_path):
    cli("import", "areas", str(_write(tmp_path, "areas.csv", AREAS_CSV)))
    utm = gpd.GeoDataFrame(
        {"code": ["P1", "P2"], "name": ["一", "二"], "kind": ["dome", "panoramic"], "range_m": [100, 150],
         "status": ["online", "planned"]},
        geometry=gpd.GeoSeries.from_xy([114.45, 114.46], [34.55, 34.56], crs="EPSG:4326").to_crs("EPSG:32650"),
        crs="EPSG:32650")
    utm.to_file(tmp_path / "cams.gpkg", driver="GPKG")
    utm.assign(code=["P3", "P4"]).to_file(tmp_path / "cams.geojson", driver="GeoJSON")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    utm.assign(code=["P5", "P6"]).to_file(shp_dir / "cams.shp", engine="pyogrio", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "cams.zip", "w") as archive:
        for part in shp_dir.iterdir():
            archive.write(part, part.name)
    utm.assign(code=["P7", "P8"]).to_file(tmp_path / "plain.shp", engine="pyogrio", encoding="utf-8")
    for name in ("cams.gpkg", "cams.geojson", "cams.zip", "plain.shp"):
        result = cli("import", "cameras", str(tmp_path / name))
        assert result.exit_code == 0 and "2 row(s) imported" in result.output, (name, result.output)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, ST_X(geom), ST_Y(geom), fov_deg FROM camera ORDER BY code")).fetchall()
    assert [r[0] for r in rows] == [f"P{i}" for i in range(1, 9)]
    for code, x, y, fov in rows:
        assert (x, y) == pytest.approx((114.45, 34.55), abs=1e-6) or (x, y) == pytest.approx((114.46, 34.56), abs=1e-6)
        assert fov == 360.0  # domes and panoramic cameras see all round by default


def test_osm_camera_tags_and_chinese_labels(cli, engine, tmp_path):
    cli("import", "areas", str(_write(tmp_path, "areas.csv", AREAS_CSV)))
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.45, 34.55]},
               "properties": {"code": "OSM1", "name": "路口", "camera:type": "fixed", "camera:direction": "NE",
                              "range_m": 60, "status": "在线", "height": "6"}}
    path = _write(tmp_path, "osm.geojson", json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert cli("import", "cameras", str(path)).exit_code == 0
    with engine.connect() as conn:
        row = conn.execute(text("SELECT kind, azimuth, status, height_m FROM camera")).one()
    assert tuple(row) == ("bullet", 45.0, "online", 6.0)


def test_unreadable_and_unsupported_files(cli, tmp_path):
    assert "unsupported file type '.txt'" in cli("import", "cameras", str(_write(tmp_path, "x.txt", "hi"))).output
    broken = cli("import", "cameras", str(_write(tmp_path, "x.geojson", "{not json")))
    assert broken.exit_code == 1 and "cannot be read" in broken.output
    assert "no such file" in cli("import", "cameras", str(tmp_path / "nope.csv")).output
