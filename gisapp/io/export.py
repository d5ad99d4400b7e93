"""Exporting a layer to GeoJSON, GeoPackage or CSV, in the columns its import expects."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import text

from gisapp.entities import ENTITIES
from gisapp.tables import safe_frame

FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".csv": "CSV"}


def _whole_numbers(frame: pd.DataFrame, entity) -> pd.DataFrame:
    """Whole-number fields as whole numbers even with empty cells (pandas would make them 4.0)."""
    for f in entity.fields:
        if f.kind == "int" and f.name in frame.columns and pd.api.types.is_numeric_dtype(frame[f.name]):
            frame[f.name] = frame[f.name].astype("Int64")
    return frame


def _text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as ISO text to the microsecond (in UTC, with its offset), so every format
    carries them the same way and whole."""
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            frame[column] = series.map(lambda v: None if pd.isna(v) else v.isoformat())
        elif series.dtype == object and series.map(lambda v: hasattr(v, "isoformat")).any():
            frame[column] = series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return frame


def export_layer(engine, layer: str, path: str | Path) -> int:
    """Write every row of ``layer`` to ``path`` (format from its extension); return the count.

    Geometry is lon/lat (EPSG:4326). In CSV, points become longitude/latitude columns and other
    geometries a ``wkt`` column; the file reads back with ``gisapp import``, into the same rows (ids
    apart). It carries the layer's fields, not what the server keeps about them (a dispute's history,
    the audit log, the accounts): for that, ``gisapp backup``.
    """
    if layer not in ENTITIES:
        raise ValueError(f"unknown layer {layer!r}; layers: {', '.join(ENTITIES)}")
    path = Path(path)
    driver = FORMATS.get(path.suffix.lower())
    if driver is None:
        raise ValueError(f"{path.name}: unsupported format; use one of {', '.join(FORMATS)}")
    entity = ENTITIES[layer]
    with engine.connect() as conn:
        if entity.geometry:
            frame = gpd.read_postgis(text(entity.export_sql), conn, geom_col="geom", crs="EPSG:4326")
        else:
            frame = pd.read_sql(text(entity.export_sql), conn)
    frame = _whole_numbers(_text_columns(frame), entity)
    if driver == "CSV" or not entity.geometry:
        if entity.geometry == "point":
            frame.insert(len(frame.columns) - 1, "longitude", frame.geometry.x.round(8))
            frame.insert(len(frame.columns) - 1, "latitude", frame.geometry.y.round(8))
            frame = pd.DataFrame(frame.drop(columns="geom"))
        elif entity.geometry:
            frame = pd.DataFrame(frame.assign(wkt=frame.geometry.to_wkt()).drop(columns="geom"))
        if driver != "CSV":
            raise ValueError(f"{layer} has no geometry: export it as .csv")
        safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")
    else:
        path.unlink(missing_ok=True)
        frame.to_file(path, driver=driver, layer=layer if driver == "GPKG" else None, engine="pyogrio")
    return len(frame)
