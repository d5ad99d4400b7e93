"""Creating, replacing and deleting single features of the editable layers.

A feature goes through the same checks as an imported row (``gisapp.io.validate``) and the same
writer, so the API and the importer accept and refuse exactly the same things.
"""
from __future__ import annotations

import geopandas as gpd
import shapely.geometry
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gisapp.db import errors as db_errors
from gisapp.io.load import Writer, make_resolver
from gisapp.entities import ENTITIES
from gisapp.io.validate import FileError, RowError, Validator


class EditError(ValueError):
    """The feature was refused; ``problems`` name the fields. ``status`` is 400, or 409 for a taken code."""

    def __init__(self, problems: list[RowError], status: int = 400):
        self.problems, self.status = problems, status
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in problems))


def _frame(feature) -> gpd.GeoDataFrame:
    """A one-row GeoDataFrame from a GeoJSON Feature; EditError when it is not one."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise EditError([RowError(1, "body", "must be a GeoJSON Feature")])
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise EditError([RowError(1, "properties", "must be an object")])
    try:
        geometry = shapely.geometry.shape(feature["geometry"]) if feature.get("geometry") else None
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
        raise EditError([RowError(1, "geometry", "is not a GeoJSON geometry")]) from None
    values = {k: (v if v is None or isinstance(v, (str, bool, int, float)) else str(v)) for k, v in properties.items()}
    return gpd.GeoDataFrame([values] if values else [{}], geometry=[geometry], crs="EPSG:4326")


def _validated(conn, layer: str, feature, settings: dict, replacing: str | None = None):
    entity = ENTITIES[layer]
    frame = _frame(feature)
    if replacing is not None:
        given = frame.get("code")
        if given is not None and given.notna().all() and str(given.iloc[0]) != replacing:
            raise EditError([RowError(1, "code", f"must be {replacing!r}, the id in the URL")])
        frame["code"] = replacing
    resolve = make_resolver(conn)

    def resolver(name, codes):
        found = resolve(name, codes)
        if name == layer and replacing is not None:
            found.pop(replacing, None)
        return found
    try:
        checked = Validator(entity, frame, resolver, settings).run()
    except FileError as exc:
        raise EditError([RowError(1, "properties", str(exc).splitlines()[0])]) from exc
    if checked.errors:
        taken = any(e.field == "code" and "already exists" in e.problem for e in checked.errors)
        raise EditError(checked.errors, 409 if taken else 400)
    return Writer(conn, entity, checked.values, progress=False)


def _refused_by_database(exc: DBAPIError) -> EditError:
    field, message = db_errors.describe(exc)
    return EditError([RowError(1, field or "properties", message)])


def create_feature(conn, layer: str, feature, settings: dict) -> str:
    """Insert a feature; return its code. The caller owns the transaction (roll it back on EditError)."""
    writer = _validated(conn, layer, feature, settings)
    try:
        writer.write()
    except DBAPIError as exc:
        raise _refused_by_database(exc) from exc
    return str(writer.values["code"].iloc[0])


def replace_feature(conn, layer: str, code: str, feature, settings: dict) -> bool:
    """Replace the feature ``code`` with ``feature``; False when there is no such feature."""
    writer = _validated(conn, layer, feature, settings, replacing=code)
    try:
        return writer.replace()
    except DBAPIError as exc:
        raise _refused_by_database(exc) from exc


def delete_feature(conn, layer: str, code: str) -> bool:
    """Delete the feature ``code`` (and the rows it owns); False when there is no such feature."""
    table = ENTITIES[layer].table
    return conn.execute(text(f"DELETE FROM {table} WHERE code = :code"), {"code": code}).rowcount > 0
