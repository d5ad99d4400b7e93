"""Import benchmark: our import of each layer of a city against geopandas' bulk load, same frames, one run.

    .venv/bin/python bench/imports.py                  # the whole city (赤峰's counts)
    .venv/bin/python bench/imports.py --villages 300   # a smaller city

It builds the deterministic city's frames (``gisapp.demo.city``; not timed) and, in a fresh database on
the embedded cluster (or DATABASE_URL's server), imports each layer in load order the way ``gisapp
import`` and the demo do: ``import_frame`` (validation, codes resolved to ids, the rows written a chunk a
statement, the tables' triggers, time windows and other link rows), one transaction a layer, committed.
The peer loads the same frame as a geopandas expert would bulk-load a layer into PostGIS:
``GeoDataFrame.to_postgis`` (pandas ``to_sql`` over COPY, geometries as EWKB) into a table of its own,
with no validation, references, triggers or indexes: the floor of writing those rows. Layers without a
geometry have no peer. It prints seconds and rows per second per layer, and the ratio ours / peer.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
from sqlalchemy import create_engine
from timing import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gisapp.config import load_settings  # noqa: E402
from gisapp.demo.city import CITY, CityBuilder  # noqa: E402
from gisapp.entities import LOAD_ORDER  # noqa: E402
from gisapp.io.load import import_frame  # noqa: E402


def peer_load(engine, name: str, frame: gpd.GeoDataFrame) -> float:
    """Seconds geopandas takes to write ``frame`` into a new table ``peer_<name>`` (COPY, EWKB)."""
    plain = frame.copy()
    for column in plain.columns.drop(plain.geometry.name):  # lists (time windows, weekdays) as their text
        if plain[column].map(lambda v: isinstance(v, (list, tuple))).any():
            plain[column] = plain[column].astype(str)
    started = time.perf_counter()
    plain.to_postgis(f"peer_{name}", engine, if_exists="replace", index=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=CITY["villages"], help="villages (default: the whole city)")
    args = parser.parse_args()
    started = time.perf_counter()
    layers = CityBuilder(args.villages).layers()
    print(f"built the frames of {args.villages} villages in {time.perf_counter() - started:.1f} s (not timed)")
    with scratch_database("gisapp_bench_imports") as url:
        engine = create_engine(url)
        try:
            settings = load_settings({"database_url": url})
            print(f"{'layer':12} {'rows':>8} {'ours s':>8} {'rows/s':>9} {'peer s':>8} {'rows/s':>9} {'ours/peer':>10}")
            total_ours = total_peer = 0.0
            for name in (n for n in LOAD_ORDER if n in layers):
                frame = layers[name]
                started = time.perf_counter()
                with engine.begin() as conn:
                    rows, _ = import_frame(conn, name, frame, settings)
                ours = time.perf_counter() - started
                total_ours += ours
                line = f"{name:12} {rows:8d} {ours:8.2f} {rows / ours:9.0f}"
                if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any():
                    peer = peer_load(engine, name, frame)
                    total_peer += peer
                    line += f" {peer:8.2f} {rows / peer:9.0f} {ours / peer:9.2f}x"
                print(line, flush=True)
            print(f"{'all':12} {'':8} {total_ours:8.2f} {'':9} {total_peer:8.2f} {'':9} {total_ours / total_peer:9.2f}x")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
