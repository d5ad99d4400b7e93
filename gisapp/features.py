"""Reading a catalogue layer's features as GeoJSON, built by PostGIS (OGC API – Features style).

Only the properties the caller's role may see are selected; filters and bbox become SQL
predicates over the layer's SQL, which the GiST indexes serve.
"""
from __future__ import annotations

import json
import math

from sqlalchemy import text

from gisapp import clock
from gisapp.catalogue import Layer
from gisapp.reach import grids_of

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# A grid covered below the target but at three quarters of it or more is in the medium band.
MEDIUM_BAND_OF_TARGET = 0.75


class QueryError(ValueError):
    """A bad query parameter; the message names it (HTTP 400)."""


def sql_params(settings: dict, viewer=None) -> dict:
    """Bind parameters layer SQL may use.

    ``sight_widths`` (JSON, by mode, from configuration); ``now`` (the clock's time, for overdue);
    ``day`` and ``night`` (the configured times of coverage's periods, for a route's shift);
    ``share_high`` and ``share_medium`` (the lower bounds of the coverage bands: the configured
    target share, and three quarters of it); ``reach_min`` (the minutes by road within which a patrol
    reaches an alarm in time); ``viewer_role`` and ``viewer_grids`` (the signed-in
    user's role and the grids it is limited to, NULL for all, for rows whose personal data only some
    users may see; no role and no grids without a user).
    """
    coverage = settings["coverage"]
    return {"sight_widths": json.dumps(settings["sight_width_m"]), "now": clock.now(),
            "day": coverage["day"], "night": coverage["night"], "share_high": coverage["target_share"],
            "share_medium": coverage["target_share"] * MEDIUM_BAND_OF_TARGET,
            "reach_min": float(settings["patrol"]["alarm_reach_min"]),
            "viewer_role": getattr(viewer, "role", ""), "viewer_grids": grids_of(viewer)}


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` (EPSG:4326) or None; raises QueryError when malformed."""
    if raw is None:
        return None
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise QueryError("bbox: must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise QueryError("bbox: must be four numbers: minlon,minlat,maxlon,maxlat")
    x0, y0, x1, y1 = values
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise QueryError("bbox: longitudes must be within ±180 and latitudes within ±90")
    if x0 > x1 or y0 > y1:
        raise QueryError("bbox: the minimum must not be greater than the maximum (minlon,minlat,maxlon,maxlat)")
    return x0, y0, x1, y1


def parse_int(raw: str | None, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """A whole-number query parameter within bounds; raises QueryError naming it."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name}: must be a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise QueryError(f"{name}: must be {bound}")
    return value


# Degrees of longitude in a metre at China's northern edge (53.6°N): a safe over-estimate.
DEGREES_PER_METRE = 1 / 66000


def spatial_filter(layer: Layer, envelope: str) -> str:
    """SQL keeping the features of ``layer`` whose geometry meets ``envelope`` (EPSG:4326).

    With a prefilter, the indexed column is tested first, widened by the layer's margin.
    """
    test = f"src.geom && {envelope}"
    if layer.prefilter:
        column, margin_m = layer.prefilter
        test = f"src.\"{column}\" && ST_Expand({envelope}, {margin_m * DEGREES_PER_METRE}) AND {test}"
    return test


def _where(layer: Layer, bbox, filters: dict[str, str], params: dict) -> str:
    clauses = []
    if bbox:
        clauses.append(spatial_filter(layer, "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"))
        params.update(zip(("x0", "y0", "x1", "y1"), bbox))
    for i, (name, value) in enumerate(filters.items()):
        clauses.append(f'src."{name}"::text = :f{i}')
        params[f"f{i}"] = value
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def property_pairs(properties: list[str]) -> str:
    """The ``'name', src."name"`` pairs of a json_build_object over a layer's rows (alias ``src``)."""
    return ", ".join(f"'{p}', src.\"{p}\"" for p in properties)


def _feature_sql(properties: list[str]) -> str:
    return ("json_build_object('type', 'Feature', 'id', src.fid, "
            "'geometry', ST_AsGeoJSON(src.geom, 7)::json, "
            f"'properties', json_build_object({property_pairs(properties)}))")


def query_features(conn, layer: Layer, properties: list[str], params: dict, *, bbox=None,
                   filters: dict[str, str] | None = None, limit: int = DEFAULT_LIMIT,
                   offset: int = 0) -> tuple[list[dict], int]:
    """One page of features (ordered by id) and the number matching, in EPSG:4326: one statement, the
    count and the page each a subquery planned on its own (one round trip, one JSON document)."""
    params = dict(params, limit=limit, offset=offset)
    source = f"FROM ({layer.sql}) AS src {_where(layer, bbox, filters or {}, params)}"
    matched, rows = conn.execute(text(
        f"SELECT (SELECT count(*) {source}), (SELECT coalesce(json_agg(page.feature ORDER BY page.fid), '[]') "
        f"FROM (SELECT {_feature_sql(properties)} AS feature, src.fid {source} "
        "ORDER BY src.fid LIMIT :limit OFFSET :offset) AS page)"), params).one()
    return rows, matched


def get_feature(conn, layer: Layer, properties: list[str], params: dict, fid: str) -> dict | None:
    """The feature with id ``fid``, or None."""
    return conn.execute(text(f"SELECT {_feature_sql(properties)} FROM ({layer.sql}) AS src "
                             "WHERE src.fid = :fid"), dict(params, fid=fid)).scalar()


def layer_extent(conn, layer: Layer, params: dict) -> list[float] | None:
    """The layer's bounding box [minlon, minlat, maxlon, maxlat], or None when it is empty."""
    box = conn.execute(text(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                            f"(SELECT ST_Extent(src.geom) AS e FROM ({layer.sql}) AS src) AS x"), params).one()
    return None if box[0] is None else [round(v, 7) for v in box]
