"""Export then import gives the same data back, in every format."""
import pandas as pd
import pytest

from gisapp.demo import clear_all, load_demo
from gisapp.io.export import export_layer
from gisapp.io.load import import_file
from gisapp.io.reader import read_layer_file
from gisapp.entities import ENTITIES, LOAD_ORDER


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_export_import_round_trip(engine, settings, tmp_path, suffix):
    load_demo(engine, settings, progress=False)
    first = {}
    for layer in LOAD_ORDER:
        path = tmp_path / f"{layer}{suffix if ENTITIES[layer].geometry else '.csv'}"
        export_layer(engine, layer, path)
        first[layer] = read_layer_file(path)
    with engine.begin() as conn:
        clear_all(conn)
    for layer in LOAD_ORDER:
        path = tmp_path / f"{layer}{suffix if ENTITIES[layer].geometry else '.csv'}"
        import_file(engine, layer, path, settings, progress=False)
    for layer in LOAD_ORDER:
        again = tmp_path / f"again-{layer}{suffix if ENTITIES[layer].geometry else '.csv'}"
        export_layer(engine, layer, again)
        try:
            pd.testing.assert_frame_equal(first[layer], read_layer_file(again), check_like=False)
        except AssertionError as error:
            raise AssertionError(f"{layer} ({suffix}) differs after export, import and export again: {error}") from None
    assert len(first["cameras"]) == 140 and len(first["disputes"]) == 200
