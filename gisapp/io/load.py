"""Importing a layer: read, validate, then write every row in one transaction (or none)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
from sqlalchemy import (ColumnElement, Connection, Integer, bindparam, func, insert, literal_column, select, text,
                        update)
from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

from gisapp.db import errors as db_errors
from gisapp.entities import ENTITIES, REFERABLE, Entity
from gisapp.entities.disputes import ACCOUNTS
from gisapp.io.reader import read_layer_file
from gisapp.io.validate import RowError, Validated, Validator
from gisapp.models import SRID, Base
from gisapp.tables import safe_frame

CHUNK = 2000
MAX_LISTED_ERRORS = 50
SCALAR_KINDS = ("text", "int", "float", "bool", "date", "datetime", "enum", "weekdays")


class ImportFailed(ValueError):
    """Nothing was written; ``errors`` says which rows and fields were refused and why."""

    def __init__(self, layer: str, errors: list[RowError]):
        self.errors = errors
        listed = "\n".join(f"  {e}" for e in errors[:MAX_LISTED_ERRORS])
        more = f"\n  ... and {len(errors) - MAX_LISTED_ERRORS} more" if len(errors) > MAX_LISTED_ERRORS else ""
        super().__init__(f"{layer}: {len(errors)} problem(s); nothing was imported\n{listed}{more}")


@dataclass
class ImportResult:
    layer: str
    inserted: int
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    rejects_path: Path | None = None


def make_resolver(conn: Connection):
    """A resolver ``(layer or subset, codes) -> {code: id}`` over the open connection (and
    ``(ACCOUNTS, logins) -> {login: id}`` for the accounts a row names)."""
    def resolve(layer: str, codes: list[str]) -> dict[str, int]:
        if layer == ACCOUNTS:
            rows = conn.execute(text("SELECT login, id FROM app_user WHERE login = ANY(:codes)"), {"codes": list(codes)})
            return dict(rows.fetchall())
        entity, condition, _ = REFERABLE[layer]
        rows = conn.execute(text(f"SELECT code, id FROM {entity.table} WHERE code = ANY(:codes) AND {condition}"),
                            {"codes": list(codes)})
        return dict(rows.fetchall())
    return resolve


def _id_column(field_name: str) -> str:
    return field_name.removesuffix("_code") + "_id"


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as dicts with None for missing values (pandas NA/NaT/NaN)."""
    sub = frame[columns].astype(object)
    return sub.where(sub.notna(), None).to_dict("records")


def _json_value(value):
    """A value JSON has no type for, as ``jsonb_populate_record`` reads it: numpy's scalars as numbers and
    booleans, dates and times in ISO 8601."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _pairs(frame: pd.DataFrame, column: str) -> list[tuple]:
    """(code, value) for each value of a many-valued column, one pair per value."""
    return list(frame[["code", column]].explode(column).dropna().itertuples(index=False))


class Writer:
    """Writes validated rows of one entity over one connection (inside the caller's transaction)."""

    def __init__(self, conn: Connection, entity: Entity, values: pd.DataFrame, progress: bool):
        self.conn, self.entity, self.values, self.progress = conn, entity, values.copy(), progress
        self.table = Base.metadata.tables[entity.table]
        self.resolve = make_resolver(conn)

    def _resolve_refs(self) -> list[str]:
        """Replace the codes of ``ref`` fields by ids; return the columns of the main table to write."""
        columns = []
        for f in self.entity.fields:
            if f.kind == "ref" and f.ref != self.entity.name:
                ids = self.resolve(f.ref, sorted(set(self.values[f.name].dropna())))
                self.values[_id_column(f.name)] = self.values[f.name].map(ids)
                columns.append(_id_column(f.name))
            elif f.kind in SCALAR_KINDS and f.name in self.table.c:
                columns.append(f.name)
        return columns

    def _geometry_params(self) -> list[str]:
        """The WKT parameters of the rows: "_wkt" for the geometry, then each wkt field."""
        return [c for c in ("_wkt", *(f.name for f in self.entity.fields if f.kind == "wkt")) if c in self.values]

    def _geometry_values(self, wkt: Callable[[str], ColumnElement]) -> dict:
        """SQL expressions building the geometry columns from the WKT that ``wkt(parameter)`` gives for
        each WKT parameter (``_geometry_params``)."""
        geometry = {}
        if self.entity.geometry:
            expr = func.ST_GeomFromText(wkt("_wkt"), SRID)
            geometry["geom"] = func.ST_Multi(expr) if self.entity.geometry == "polygon" else expr
        for f in self.entity.fields:
            if f.kind == "wkt" and f.name in self.values:
                geometry[f.column] = func.ST_Multi(func.ST_GeomFromText(wkt(f.name), SRID))
        return geometry

    def _insert_rows(self, columns: list[str]) -> dict[str, int]:
        """Insert the main rows in chunks; return {code: id} of the new rows.

        Each chunk is one statement over one parameter, its rows as a JSON array, read by
        ``jsonb_populate_record`` with the table's own types: its text stays short however many rows it
        holds (psycopg took longer to convert a statement of thousands of VALUES than PostgreSQL to run
        it), and the table's statement triggers fire once a chunk, not once a row."""
        geometry = self._geometry_values(lambda name: literal_column(f"j.doc ->> '{name}'"))  # names of ours
        rows = select(*(literal_column(f'r."{c}"') for c in columns), *geometry.values()).select_from(text(
            f'jsonb_array_elements(CAST(:rows AS jsonb)) AS j(doc) '
            f'CROSS JOIN LATERAL jsonb_populate_record(NULL::"{self.table.name}", j.doc) AS r'))
        statement = insert(self.table).from_select([*columns, *geometry], rows)
        if self.entity.has_code:
            statement = statement.returning(self.table.c.code, self.table.c.id)
        for c in columns:  # an integer column with gaps is float in pandas: JSON would write 1.0, refused
            if isinstance(self.table.c[c].type, Integer):
                self.values[c] = self.values[c].astype("Int64")
        records = _records(self.values, columns + self._geometry_params())
        ids: dict[str, int] = {}
        bar = tqdm(total=len(records), desc=f"importing {self.entity.name}", unit="row",
                   disable=not self.progress or len(records) < CHUNK)
        for start in range(0, len(records), CHUNK):
            chunk = records[start:start + CHUNK]
            result = self.conn.execute(statement, {"rows": json.dumps(chunk, default=_json_value)})
            if self.entity.has_code:
                ids.update(dict(result.fetchall()))
            bar.update(len(chunk))
        bar.close()
        return ids

    def _links(self, ids: dict[str, int]) -> None:
        """What each row says of other rows: self-references, link rows, marks on other tables."""
        v, table = self.values, self.entity.table
        for f in self.entity.fields:
            if f.kind == "ref" and f.ref == self.entity.name:
                pairs = [{"code": c, "ref": r} for c, r in _pairs(v, f.name)]
                if pairs:
                    self.conn.execute(text(f"UPDATE {table} SET {_id_column(f.name)} = "
                                           f"(SELECT p.id FROM {table} p WHERE p.code = :ref) WHERE code = :code"),
                                      pairs)
            elif f.kind == "refs":
                pairs = _pairs(v, f.name)
                if pairs:
                    targets = self.resolve(f.ref, sorted({t for _, t in pairs}))
                    self.conn.execute(insert(Base.metadata.tables[f.link.table]), [
                        {f.link.owner: ids[c], f.link.target: targets[t]} for c, t in pairs])
            elif f.kind == "windows":
                windows = [{f.link.owner: ids[c], "starts": s, "ends": e} for c, (s, e) in _pairs(v, f.name)]
                if windows:
                    self.conn.execute(insert(Base.metadata.tables[f.link.table]), windows)
            elif f.mark is not None:
                marked = v.loc[v[f.name] == True, ["code", f.mark.via]]  # noqa: E712
                if len(marked):
                    self.conn.execute(text(f"UPDATE {f.mark.table} SET {f.mark.column} = :id WHERE code = :via"),
                                      [{"id": ids[c], "via": t} for c, t in marked.itertuples(index=False)])

    def _unlink(self, row_id: int) -> None:
        """Delete the link rows and marks of the row ``row_id`` (before they are written anew)."""
        for link in self.entity.links():
            self.conn.execute(text(f"DELETE FROM {link.table} WHERE {link.owner} = :id"), {"id": row_id})
        for mark in (f.mark for f in self.entity.fields if f.mark is not None):
            self.conn.execute(text(f"UPDATE {mark.table} SET {mark.column} = NULL WHERE {mark.column} = :id"),
                              {"id": row_id})

    def write(self) -> int:
        """Insert every row with its links; return how many."""
        ids = self._insert_rows(self._resolve_refs())
        self._links(ids)
        return len(self.values)

    def replace(self) -> bool:
        """Update the one row whose code is given (keeping its id) and renew its links.

        Returns False when no row has that code.
        """
        columns = self._resolve_refs()
        record = _records(self.values, columns + self._geometry_params())[0]
        values = {c: bindparam(f"v_{c}") for c in columns if c != "code"}
        statement = (update(self.table).where(self.table.c.code == bindparam("v_code"))
                     .values(**values, **self._geometry_values(lambda name: bindparam(f"v_{name}")))
                     .returning(self.table.c.code, self.table.c.id))
        row = self.conn.execute(statement, {f"v_{k}": v for k, v in record.items()}).first()
        if row is None:
            return False
        self._unlink(row.id)
        self._links({row.code: row.id})
        return True


def _write_rejects(path: Path, frame, errors: list[RowError]) -> None:
    raw = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if "geometry" in frame:
        raw["wkt"] = frame.geometry.to_wkt()
    raw.insert(0, "row", range(1, len(raw) + 1))
    problems = pd.DataFrame([{"row": e.row, "field": e.field, "problem": e.problem} for e in errors])
    safe_frame(problems.merge(raw, on="row", how="left")).to_csv(path, index=False, encoding="utf-8-sig")


def import_frame(conn: Connection, layer: str, frame, settings: dict, *, skip_invalid: bool = False,
                 progress: bool = False) -> tuple[int, Validated]:
    """Validate ``frame`` (a GeoDataFrame in EPSG:4326) and insert it over ``conn``.

    Raises ImportFailed when any row is refused, unless ``skip_invalid``, in which case the good
    rows are inserted. Returns the number inserted and the validation outcome. The caller owns
    the transaction: nothing is committed here.
    """
    entity = ENTITIES[layer]
    checked = Validator(entity, frame, make_resolver(conn), settings).run()
    good = checked.values
    if checked.errors:
        if not skip_invalid:
            raise ImportFailed(layer, checked.errors)
        good = good[~good["_row"].isin({e.row for e in checked.errors})]
    try:
        inserted = Writer(conn, entity, good, progress).write()
    except DBAPIError as exc:
        field_name, message = db_errors.describe(exc)
        raise ImportFailed(layer, [RowError(0, field_name or "row", f"refused by the database: {message}")]) from exc
    return inserted, checked


@contextmanager
def _dates_as_text():
    """Read GeoJSON dates and times as the text they are written as: GDAL would otherwise make them
    date-times to the millisecond, and an exported time to the microsecond would not come back whole."""
    before = pyogrio.get_gdal_config_option("OGR_GEOJSON_DATE_AS_STRING")
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_DATE_AS_STRING": "YES"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_GEOJSON_DATE_AS_STRING": before})


def import_file(engine, layer: str, path: str | Path, settings: dict, *, crs: str | None = None,
                skip_invalid: bool = False, rejects: str | Path | None = None,
                progress: bool = True) -> ImportResult:
    """Import a file into ``layer`` in one transaction: all rows, or none (see ``import_frame``).

    With ``skip_invalid`` the refused rows are written with their reasons to ``rejects``
    (default: ``<file>.rejected.csv`` beside the input).
    """
    if layer not in ENTITIES:
        raise ValueError(f"unknown layer {layer!r}; layers: {', '.join(ENTITIES)}")
    path = Path(path)
    with _dates_as_text():
        frame = read_layer_file(path, crs=crs)
    with engine.begin() as conn:
        inserted, checked = import_frame(conn, layer, frame, settings, skip_invalid=skip_invalid,
                                         progress=progress)
    result = ImportResult(layer, inserted, ignored_columns=checked.ignored_columns)
    if checked.errors:
        result.rejected = len({e.row for e in checked.errors})
        result.rejects_path = Path(rejects) if rejects else path.with_name(path.stem + ".rejected.csv")
        _write_rejects(result.rejects_path, frame, checked.errors)
    return result

