"""The layer catalogue: the real files load; a malformed file stops start-up naming the problem."""
import shutil

import pytest

from gisapp import create_app
from gisapp.catalogue import LAYERS_DIR, CatalogueError, load_catalogue


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
    (lambda s: s.replace('"#2ca02c"', '"green"'), "colours must look like"),
    (lambda s: "shape = 1\n" + s, "layers/cameras.toml: unknown key(s) shape"),
    (lambda s: s.replace('min_zoom = 11', 'min_zoom = 40'), "min_zoom"),
    (lambda s: s.replace('id = "cameras"', 'id = '), "not valid TOML"),
    (lambda s: s.replace('editable = "cameras"', 'editable = "satellites"'), "editable"),
    (lambda s: 'prefilter = { column = "geom" }\n' + s, "prefilter must be"),
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
    path.write_text(path.read_text(encoding="utf-8").replace("FROM camera c", "FROM cameraz c"), encoding="utf-8")
    with pytest.raises(CatalogueError, match="layers/cameras.toml: sql fails"):
        create_app({"database_url": db_url, "layers_dir": str(tmp_path / "layers"), "secret_key": "x"})
