"""Importing a layer: read, validate, then write every row in one transaction (or none)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, bindparam, func, insert, text, update
from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

from gisapp.db import errors as db_errors
from gisapp.io.reader import read_layer_file
from gisapp.io.specs import SPECS, LayerSpec
from gisapp.io.validate import RowError, Validated, Validator
from gisapp.models import SRID, Base, alarm_camera, person_assignment

CHUNK = 2000
MAX_LISTED_ERRORS = 50
REF_TABLES = {"areas": ("admin_area", ""), "villages": ("admin_area", " AND level = 'village'"),
              "grids": ("grid", ""), "teams": ("patrol_team", ""), "cameras": ("camera", ""),
              "people": ("person", ""), "alarms": ("alarm_point", ""), "routes": ("patrol_route", ""),
              "disputes": ("dispute", "")}
# The association rows a layer's row owns: (table, column naming the row).
LINK_TABLES = {"people": [("person_assignment", "person_id")], "alarms": [("alarm_camera", "alarm_id")],
               "routes": [("patrol_window", "route_id")]}


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
    """A resolver ``(layer, codes) -> {code: id}`` over the open connection."""
    def resolve(layer: str, codes: list[str]) -> dict[str, int]:
        table, condition = REF_TABLES[layer]
        rows = conn.execute(text(f"SELECT code, id FROM {table} WHERE code = ANY(:codes){condition}"),
                            {"codes": list(codes)})
        return dict(rows.fetchall())
    return resolve


def _id_column(field_name: str) -> str:
    return field_name.removesuffix("_code") + "_id"


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as dicts with None for missing values (pandas NA/NaT/NaN)."""
    sub = frame[columns].astype(object)
    return sub.where(sub.notna(), None).to_dict("records")


class Writer:
    """Writes validated rows of one layer over one connection (inside the caller's transaction)."""

    def __init__(self, conn: Connection, spec: LayerSpec, values: pd.DataFrame, progress: bool):
        self.conn, self.spec, self.values, self.progress = conn, spec, values.copy(), progress
        self.table = Base.metadata.tables[spec.table]
        self.resolve = make_resolver(conn)

    def _resolve_refs(self) -> list[str]:
        columns = []
        for f in self.spec.fields:
            if f.kind == "ref" and f.ref != self.spec.name:
                ids = self.resolve(f.ref, sorted(set(self.values[f.name].dropna())))
                self.values[_id_column(f.name)] = self.values[f.name].map(ids)
                columns.append(_id_column(f.name))
            elif f.kind in ("text", "int", "float", "bool", "date", "datetime", "enum", "weekdays"):
                if f.name in self.table.c:
                    columns.append(f.name)
        return columns

    def _geometry_values(self, prefix: str = "") -> dict:
        """SQL expressions building the geometry columns from WKT parameters."""
        geometry = {}
        if self.spec.geometry:
            expr = func.ST_GeomFromText(bindparam(prefix + "_wkt"), SRID)
            geometry["geom"] = func.ST_Multi(expr) if self.spec.geometry == "polygon" else expr
        if "premises_wkt" in self.values:
            geometry["premises"] = func.ST_Multi(func.ST_GeomFromText(bindparam(prefix + "premises_wkt"), SRID))
        return geometry

    def _insert_rows(self, columns: list[str]) -> dict[str, int]:
        """Insert the main rows in chunks; return {code: id} of the new rows."""
        statement = insert(self.table).values(**self._geometry_values())
        if self.spec.has_code:
            statement = statement.returning(self.table.c.code, self.table.c.id, sort_by_parameter_order=True)
        params = [c for c in ("_wkt", "premises_wkt") if c in self.values]
        records = _records(self.values, columns + params)
        ids: dict[str, int] = {}
        bar = tqdm(total=len(records), desc=f"importing {self.spec.name}", unit="row",
                   disable=not self.progress or len(records) < CHUNK)
        for start in range(0, len(records), CHUNK):
            chunk = records[start:start + CHUNK]
            result = self.conn.execute(statement, chunk)
            if self.spec.has_code:
                ids.update(dict(result.fetchall()))
            bar.update(len(chunk))
        bar.close()
        return ids

    def _links(self, ids: dict[str, int]) -> None:
        """Association rows: parents, assignments, linked cameras, time windows, team leaders."""
        v = self.values
        if self.spec.name == "areas":
            pairs = v[["code", "parent_code"]].dropna()
            if len(pairs):
                self.conn.execute(text("UPDATE admin_area SET parent_id = (SELECT p.id FROM admin_area p "
                                       "WHERE p.code = :parent_code) WHERE code = :code"),
                                  pairs.to_dict("records"))
        if self.spec.name == "people":
            for column, key, ref in (("villages", "area_id", "villages"), ("grids", "grid_id", "grids")):
                rows = v[["code", column]].explode(column).dropna()
                if len(rows):
                    target = self.resolve(ref, sorted(set(rows[column])))
                    self.conn.execute(insert(person_assignment), [
                        {"person_id": ids[c], key: target[t]} for c, t in rows.itertuples(index=False)])
            leaders = v.loc[v["leads_team"] == True, ["code", "team_code"]]  # noqa: E712
            if len(leaders):
                self.conn.execute(text("UPDATE patrol_team SET leader_id = :person WHERE code = :team"),
                                  [{"person": ids[c], "team": t} for c, t in leaders.itertuples(index=False)])
        if self.spec.name == "alarms":
            rows = v[["code", "cameras"]].explode("cameras").dropna()
            if len(rows):
                cameras = self.resolve("cameras", sorted(set(rows["cameras"])))
                self.conn.execute(insert(alarm_camera), [
                    {"alarm_id": ids[c], "camera_id": cameras[k]} for c, k in rows.itertuples(index=False)])
        if self.spec.name == "routes":
            windows = [{"route_id": ids[code], "starts": s, "ends": e}
                       for code, wins in zip(v["code"], v["time_windows"]) for s, e in (wins or [])]
            if windows:
                self.conn.execute(insert(Base.metadata.tables["patrol_window"]), windows)

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
        record = _records(self.values, columns + [c for c in ("_wkt", "premises_wkt") if c in self.values])[0]
        values = {c: bindparam(f"v_{c}") for c in columns if c != "code"}
        statement = (update(self.table).where(self.table.c.code == bindparam("v_code"))
                     .values(**values, **self._geometry_values("v_")).returning(self.table.c.code, self.table.c.id))
        row = self.conn.execute(statement, {f"v_{k}": v for k, v in record.items()}).first()
        if row is None:
            return False
        for table, key in LINK_TABLES.get(self.spec.name, ()):
            self.conn.execute(text(f"DELETE FROM {table} WHERE {key} = :id"), {"id": row.id})
        if self.spec.name == "people":
            self.conn.execute(text("UPDATE patrol_team SET leader_id = NULL WHERE leader_id = :id"), {"id": row.id})
        self._links({row.code: row.id})
        return True


def _write_rejects(path: Path, frame, errors: list[RowError]) -> None:
    raw = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if "geometry" in frame:
        raw["wkt"] = frame.geometry.to_wkt()
    raw.insert(0, "row", range(1, len(raw) + 1))
    problems = pd.DataFrame([{"row": e.row, "field": e.field, "problem": e.problem} for e in errors])
    problems.merge(raw, on="row", how="left").to_csv(path, index=False, encoding="utf-8-sig")


def import_frame(conn: Connection, layer: str, frame, settings: dict, *, skip_invalid: bool = False,
                 progress: bool = False) -> tuple[int, Validated]:
    """Validate ``frame`` (a GeoDataFrame in EPSG:4326) and insert it over ``conn``.

    Raises ImportFailed when any row is refused, unless ``skip_invalid``, in which case the good
    rows are inserted. Returns the number inserted and the validation outcome. The caller owns
    the transaction: nothing is committed here.
    """
    spec = SPECS[layer]
    checked = Validator(spec, frame, make_resolver(conn), settings).run()
    good = checked.values
    if checked.errors:
        if not skip_invalid:
            raise ImportFailed(layer, checked.errors)
        good = good[~good["_row"].isin({e.row for e in checked.errors})]
    try:
        inserted = Writer(conn, spec, good, progress).write()
    except DBAPIError as exc:
        field_name, message = db_errors.describe(exc)
        raise ImportFailed(layer, [RowError(0, field_name or "row", f"refused by the database: {message}")]) from exc
    return inserted, checked


def import_file(engine, layer: str, path: str | Path, settings: dict, *, crs: str | None = None,
                skip_invalid: bool = False, rejects: str | Path | None = None,
                progress: bool = True) -> ImportResult:
    """Import a file into ``layer`` in one transaction: all rows, or none (see ``import_frame``).

    With ``skip_invalid`` the refused rows are written with their reasons to ``rejects``
    (default: ``<file>.rejected.csv`` beside the input).
    """
    if layer not in SPECS:
        raise ValueError(f"unknown layer {layer!r}; layers: {', '.join(SPECS)}")
    path = Path(path)
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

