"""Reading GeoJSON, GeoPackage, Shapefile (zipped or not) and CSV into lon/lat (EPSG:4326)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from gisapp.tables import unneutralised

LON_NAMES = ("longitude", "lon", "lng", "x", "经度")
LAT_NAMES = ("latitude", "lat", "y", "纬度")
WKT_NAMES = ("wkt", "geometry", "geom")
SUPPORTED = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".csv")


class ReadError(ValueError):
    """The file cannot be read as a layer; the message says why."""


def _pick(columns, names) -> str | None:
    lowered = {str(c).strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _read_csv(path: Path, crs: str | None) -> gpd.GeoDataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    frame = frame.map(unneutralised)   # text our exports kept from spreadsheets' formulas
    lon, lat = _pick(frame.columns, LON_NAMES), _pick(frame.columns, LAT_NAMES)
    wkt = _pick(frame.columns, WKT_NAMES)
    if lon is not None and lat is not None:
        x = pd.to_numeric(frame[lon], errors="coerce")
        y = pd.to_numeric(frame[lat], errors="coerce")
        geometry = shapely.points(x.to_numpy(), y.to_numpy())
        geometry[x.isna().to_numpy() | y.isna().to_numpy()] = None
        frame = frame.drop(columns=[lon, lat])
    elif wkt is not None:
        try:
            geometry = shapely.from_wkt(frame[wkt].to_numpy(), on_invalid="warn")
        except shapely.errors.GEOSException as exc:
            raise ReadError(f"column {wkt}: not WKT ({exc})") from exc
        frame = frame.drop(columns=[wkt])
    else:
        geometry = [None] * len(frame)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs or "EPSG:4326")


def read_layer_file(path: str | Path, crs: str | None = None, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a file into a GeoDataFrame in EPSG:4326, one row per feature, in file order.

    ``crs`` overrides the file's CRS (or supplies one for a CSV or a file without one; the
    default then is EPSG:4326). CGCS2000 (EPSG:4490) is treated as EPSG:4326: they agree to
    centimetres. CSV files give points from longitude/latitude columns, or any geometry from a
    ``wkt`` column; all their values are read as text.
    """
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ReadError(f"{path.name}: unsupported file type {suffix!r}; use one of {', '.join(SUPPORTED)}")
    try:
        if suffix == ".csv":
            frame = _read_csv(path, crs)
        else:
            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, UnicodeDecodeError) as exc:
        raise ReadError(f"{path.name}: cannot be read ({str(exc).strip()})") from exc
    if crs and suffix != ".csv":
        frame = frame.set_crs(crs, allow_override=True)
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    if frame.crs.to_epsg() not in (4326, 4490):
        frame = frame.to_crs("EPSG:4326")
    else:
        frame = frame.set_crs("EPSG:4326", allow_override=True)
    return frame.reset_index(drop=True)
