"""Checking a layer's rows before anything is written: column by column, not feature by feature.

Every problem becomes a ``RowError(row, field, problem)``; row 1 is the file's first feature
(in a CSV, the line after the header).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import shapely

from gisapp.entities import REFERABLE, describe
from gisapp.entities.entity import Entity, Field, labels_to_values
from gisapp.models import CHINA_EXTENT

# resolve(layer, codes) -> {code: id} for the codes that exist in the database.
Resolver = Callable[[str, list[str]], dict[str, int]]

CARDINALS = {"N": 0, "NNE": 22.5, "NE": 45, "ENE": 67.5, "E": 90, "ESE": 112.5, "SE": 135, "SSE": 157.5,
             "S": 180, "SSW": 202.5, "SW": 225, "WSW": 247.5, "W": 270, "WNW": 292.5, "NW": 315,
             "NNW": 337.5}
TRUE = {"true", "t", "1", "yes", "y", "是", "有"}
FALSE = {"false", "f", "0", "no", "n", "否", "无"}
WINDOW = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
GEOMETRY_TYPES = {"point": ({0}, "a point"), "line": ({1, 5}, "a line"), "polygon": ({3, 6}, "a polygon")}


class FileError(ValueError):
    """A problem with the whole file (a missing column, no geometry), not with one row."""


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.problem}"


@dataclass
class Validated:
    values: pd.DataFrame          # one column per field, parsed; "_wkt" geometry; "_row" number
    errors: list[RowError]
    ignored_columns: list[str]


class Validator:
    """Validates one frame against one entity's description."""

    def __init__(self, entity: Entity, frame, resolve: Resolver, settings: dict):
        self.entity, self.frame, self.resolve, self.settings = entity, frame, resolve, settings
        self.rows = pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
        self.errors: list[RowError] = []
        self.values = pd.DataFrame(index=frame.index)

    # -- helpers -----------------------------------------------------------------------------
    def fail(self, mask: pd.Series, field: str, problem) -> None:
        """Record ``problem`` (a string, or a function of the row's raw value) for masked rows."""
        for index in mask[mask.fillna(False).astype(bool)].index:
            text = problem(index) if callable(problem) else problem
            self.errors.append(RowError(int(self.rows[index]), field, text))

    def _columns(self) -> tuple[dict[str, str], list[str]]:
        by_lower = {str(c).strip().lower(): c for c in self.frame.columns if c != "geometry"}
        found, missing = {}, []
        for f in self.entity.fields:
            names = [f.name, *f.aliases]
            column = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), None)
            if column is not None:
                found[f.name] = column
            elif f.required:
                missing.append(f.name)
        if missing and len(self.frame):  # a file with no rows (an empty layer exported) imports nothing
            raise FileError(f"missing required column(s): {', '.join(missing)}\n"
                            f"expected columns:\n{describe(self.entity)}")
        used = set(found.values()) | {"geometry"}
        ignored = [str(c) for c in self.frame.columns if c not in used]
        return found, ignored

    @staticmethod
    def _text(raw: pd.Series) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(raw):
            return raw.map(lambda v: None if pd.isna(v) else v.isoformat()).astype("string")
        text = raw.astype("string").str.strip()
        return text.mask(text.isin(["", "nan", "None", "NaT", "<NA>"]))

    # -- per kind ------------------------------------------------------------------------------
    def _number(self, f: Field, text: pd.Series) -> pd.Series:
        if f.name == "azimuth":
            text = text.mask(text.str.upper().isin(list(CARDINALS)), text.str.upper().map(CARDINALS).astype("string"))
        number = pd.to_numeric(text, errors="coerce")
        self.fail(text.notna() & number.isna(), f.name, lambda i: f"not a number: {text[i]!r}")
        self.fail(number.abs() == np.inf, f.name, lambda i: f"must be a finite number, not {text[i]!r}")
        if f.kind == "int":
            self.fail(number.notna() & (number % 1 != 0), f.name, "must be a whole number")
        if f.minimum is not None:
            self.fail(number < f.minimum, f.name, f"must be at least {f.minimum:g}")
        if f.maximum is not None:
            self.fail(number > f.maximum, f.name, f"must be at most {f.maximum:g}")
        return number.astype("Int64") if f.kind == "int" and number.notna().all() else number.astype(object)

    def _enum(self, f: Field, text: pd.Series) -> pd.Series:
        values, synonyms = f.values, f.synonyms or {}
        if f.values_setting and self.settings.get(f.values_setting):
            values = self.settings[f.values_setting]
            synonyms = labels_to_values(values)
        accepted = {k.lower(): v for k, v in {**{v: v for v in values}, **synonyms}.items()}
        value = text.str.lower().map(accepted)
        self.fail(text.notna() & value.isna(), f.name,
                  lambda i: f"unknown value {text[i]!r}; expected one of {', '.join(values)}")
        return value

    def _bool(self, f: Field, text: pd.Series) -> pd.Series:
        lowered = text.str.lower()
        value = pd.Series(np.where(lowered.isin(TRUE), True, np.where(lowered.isin(FALSE), False, None)),
                          index=text.index, dtype=object)
        self.fail(text.notna() & value.isna(), f.name, lambda i: f"not true or false: {text[i]!r}")
        return value

    def _date(self, f: Field, text: pd.Series) -> pd.Series:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        self.fail(text.notna() & parsed.isna(), f.name, lambda i: f"not a date (YYYY-MM-DD): {text[i]!r}")
        return parsed.dt.date.astype(object).where(parsed.notna(), None)

    def _datetime(self, f: Field, text: pd.Series) -> pd.Series:
        tz = self.settings["timezone"]
        aware = text.str.contains(OFFSET, na=False)
        out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
        if aware.any():
            out[aware] = pd.to_datetime(text[aware], errors="coerce", format="ISO8601", utc=True)
        naive = text.notna() & ~aware
        if naive.any():
            parsed = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
            out[naive] = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        self.fail(text.notna() & out.isna(), f.name,
                  lambda i: f"not a date and time (YYYY-MM-DD HH:MM[:SS][+08:00]): {text[i]!r}")
        return out

    def _codes(self, f: Field, lists: pd.Series) -> pd.Series:
        """Check that every code named exists (database or this file); return {code: id} lists."""
        exploded = lists.explode().dropna()
        known = self.resolve(f.ref, sorted(set(exploded))) if len(exploded) else {}
        in_file = set()
        if f.ref == self.entity.name and "code" in self.values:
            in_file = set(self.values["code"].dropna())
        missing = exploded[~exploded.isin(list(known)) & ~exploded.isin(list(in_file))]
        what = REFERABLE[f.ref][2]
        for index, code in missing.items():
            self.errors.append(RowError(int(self.rows[index]), f.name, f"no {what} with code {code!r}"))
        return lists

    def _ref(self, f: Field, text: pd.Series) -> pd.Series:
        return self._codes(f, text.map(lambda v: [v] if isinstance(v, str) else [])).map(
            lambda codes: codes[0] if codes else None)

    def _refs(self, f: Field, text: pd.Series) -> pd.Series:
        lists = text.map(lambda v: [c.strip() for c in re.split(r"[,;，；\s]+", v) if c.strip()]
                         if isinstance(v, str) else [])
        return self._codes(f, lists)

    def _windows(self, f: Field, text: pd.Series) -> pd.Series:
        def parse(value):
            if not isinstance(value, str):
                return []
            windows = []
            for part in re.split(r"[,;，；]+", value.replace(" ", "")):
                match = WINDOW.match(part.replace("：", ":").replace("—", "-"))
                if not match or part[:5] == part[6:]:
                    return None
                h1, m1, h2, m2 = (int(g) for g in match.groups())
                windows.append((dt.time(h1 % 24, m1), dt.time(h2 % 24, m2)))
            return windows
        parsed = text.map(parse)
        self.fail(parsed.isna(), f.name, lambda i: f"not time windows like 08:00-12:00,20:00-02:00: {text[i]!r}")
        return parsed

    def _weekdays(self, f: Field, text: pd.Series) -> pd.Series:
        def parse(value):
            if not isinstance(value, str):
                return f.default
            days = [d for d in re.split(r"[,;，；\s]+", value) if d]
            if not days or not all(d.isdigit() and 1 <= int(d) <= 7 for d in days):
                return None
            return sorted({int(d) for d in days})
        parsed = text.map(parse)
        self.fail(parsed.isna(), f.name, lambda i: f"not weekdays 1 (Monday) to 7, comma-separated: {text[i]!r}")
        return parsed

    def _wkt(self, f: Field, text: pd.Series) -> pd.Series:
        geoms = pd.Series(shapely.from_wkt(text.astype(object).where(text.notna(), None).to_numpy(),
                                           on_invalid="ignore"), index=text.index)
        self.fail(text.notna() & geoms.isna(), f.name, "not WKT")
        self._check_geometries(f.name, geoms[geoms.notna()], "polygon")
        return geoms.map(lambda g: None if g is None or pd.isna(g) else shapely.to_wkt(shapely.force_2d(g)))

    # -- geometry ------------------------------------------------------------------------------
    def _check_geometries(self, field: str, geoms: pd.Series, kind: str) -> None:
        arr = geoms.to_numpy(dtype=object)
        if not len(arr):
            return
        types, label = GEOMETRY_TYPES[kind]
        type_ok = np.isin(shapely.get_type_id(arr), list(types))
        if kind == "line":
            type_ok &= shapely.get_num_geometries(arr) == 1
        self.fail(pd.Series(~type_ok, index=geoms.index), field,
                  lambda i: f"must be {label}, not {shapely.get_type_id(geoms[i]) and geoms[i].geom_type}")
        valid = shapely.is_valid(arr)
        self.fail(pd.Series(type_ok & ~valid, index=geoms.index), field,
                  lambda i: f"invalid geometry: {shapely.is_valid_reason(geoms[i])}")
        x0, y0, x1, y1 = CHINA_EXTENT
        b = shapely.bounds(arr)
        inside = (b[:, 0] >= x0) & (b[:, 1] >= y0) & (b[:, 2] <= x1) & (b[:, 3] <= y1)
        swapped = (b[:, 1] >= x0) & (b[:, 0] >= y0) & (b[:, 3] <= x1) & (b[:, 2] <= y1)
        self.fail(pd.Series(type_ok & valid & ~inside & swapped, index=geoms.index), field,
                  lambda i: f"longitude and latitude look swapped ({_first_xy(geoms[i])}); "
                            "longitude comes first")
        self.fail(pd.Series(type_ok & valid & ~inside & ~swapped, index=geoms.index), field,
                  lambda i: f"lies outside China ({_first_xy(geoms[i])}): is the file in another CRS? "
                            "pass --crs")

    def _geometry(self) -> None:
        if self.entity.geometry is None:
            return
        if self.frame.geometry.isna().all() and len(self.frame):
            raise FileError("the file has no geometry: give a geometry, or longitude/latitude "
                            "(or wkt) columns in a CSV")
        geoms = pd.Series(shapely.force_2d(self.frame.geometry.to_numpy(dtype=object)), index=self.frame.index)
        missing = geoms.isna() | shapely.is_empty(geoms.to_numpy(dtype=object))
        self.fail(missing, "geometry", "missing or empty geometry")
        present = geoms[~missing]
        self._check_geometries("geometry", present, self.entity.geometry)
        if self.entity.geometry == "line":
            present = present.map(lambda g: g.geoms[0] if g.geom_type.startswith("Multi") and len(g.geoms) == 1 else g)
        self.values["_wkt"] = present.map(shapely.to_wkt).reindex(self.frame.index)

    # -- the whole check -----------------------------------------------------------------------
    def run(self) -> Validated:
        columns, ignored = self._columns()
        parsers = {"int": self._number, "float": self._number, "enum": self._enum, "bool": self._bool,
                   "date": self._date, "datetime": self._datetime, "ref": self._ref, "refs": self._refs,
                   "windows": self._windows, "weekdays": self._weekdays, "wkt": self._wkt}
        for f in self.entity.fields:
            raw = self.frame[columns[f.name]] if f.name in columns else pd.Series(pd.NA, index=self.frame.index)
            text = self._text(raw)
            if f.required:
                self.fail(text.isna(), f.name, "is required")
            if f.max_len:
                self.fail(text.str.len() > f.max_len, f.name, f"is longer than {f.max_len} characters")
            value = parsers[f.kind](f, text) if f.kind in parsers else text.astype(object).where(text.notna(), None)
            if f.default is not None and f.kind not in ("weekdays",):
                value = value.map(lambda v, d=f.default: d if v is None or (not isinstance(v, list) and pd.isna(v)) else v)
            self.values[f.name] = value
        self._geometry()
        if self.entity.has_code:
            self._check_codes()
        if self.entity.rule:
            self.entity.rule(self)
        self.values["_row"] = self.rows
        return Validated(self.values, sorted(self.errors, key=lambda e: (e.row, e.field)), ignored)

    def _check_codes(self) -> None:
        codes = self.values["code"]
        self.fail(codes.notna() & ~codes.astype("string").str.fullmatch(r"[0-9A-Za-z_.-]{1,32}").fillna(True),
                  "code", "must be 1–32 letters, digits, '_', '.' or '-'")
        duplicated = codes.notna() & codes.duplicated(keep=False)
        for code, group in self.rows[duplicated].groupby(codes[duplicated]):
            rows = ", ".join(str(r) for r in group)
            self.fail(duplicated & (codes == code), "code", f"code {code!r} appears more than once in the file (rows {rows})")
        existing = self.resolve(self.entity.name, sorted(set(codes.dropna())))
        what = self.entity.noun
        self.fail(codes.isin(list(existing)), "code",
                  lambda i: f"a{'n' if what[0] in 'aeiou' else ''} {what} with code {codes[i]!r} already exists")


def _first_xy(geom) -> str:
    x, y = shapely.get_coordinates(geom)[0]
    return f"longitude {x:.6g}, latitude {y:.6g}"
