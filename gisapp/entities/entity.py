"""How an entity is described: its table, its fields and how each is read, checked and stored.

A field's ``kind`` says how a column is parsed and checked (see ``gisapp.io.validate``):
text, int, float, bool, date, datetime, enum (one of ``values``; Chinese labels accepted too),
ref (a code of another layer, stored as its id in ``<name without _code>_id``), refs
(comma-separated codes, stored in an association table, see ``Link``), windows
(``08:00-12:00,20:00-02:00``, stored in a table of windows, see ``Link``), weekdays (``1,2,3``
with 1 = Monday), wkt (a polygon as WKT, stored in ``column``). Column names are matched
case-insensitively, and ``aliases`` (Chinese names, OpenStreetMap tags) are accepted in place of
a field's name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Table


@dataclass(frozen=True)
class Link:
    """Where a many-valued field is kept: rows of ``table`` naming their owner in ``owner``.

    For ``refs`` the id of each named row goes in ``target``; for ``windows`` the rows hold
    ``starts`` and ``ends``. A replaced feature's link rows are deleted and written anew.
    """
    table: str
    owner: str
    target: str | None = None


@dataclass(frozen=True)
class Mark:
    """A true ``bool`` field points a row of another table at this one: ``table.column`` = this
    row's id, for the row whose code is in the field ``via`` (a team's leader)."""
    table: str
    column: str
    via: str


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    required: bool = False
    max_len: int | None = None
    values: dict | None = None           # enum: stored value -> label
    synonyms: dict | None = None         # enum: other accepted spellings -> stored value
    minimum: float | None = None
    maximum: float | None = None
    ref: str | None = None               # ref/refs: the layer (or subset) whose code is named
    values_setting: str | None = None    # enum: the configuration key that may replace ``values``
    aliases: tuple[str, ...] = ()
    default: object = None
    help: str = ""
    link: Link | None = None             # refs, windows: where the values are kept
    mark: Mark | None = None             # bool: a pointer set on another table's row
    column: str | None = None            # wkt: the geometry column it fills


@dataclass(frozen=True)
class Subset:
    """Some rows of a layer that a field may name by their own name ("villages" of "areas")."""
    where: str
    noun: str


# A check that ties several fields of one entity together, run after each field is parsed: it
# receives the ``gisapp.io.validate.Validator`` (``values``, ``fail``, ``settings``).
Rule = Callable[[object], None]


@dataclass(frozen=True)
class Entity:
    """One importable, exportable and editable layer: everything else about it follows from here.

    ``model`` is the ORM class (or Table) of ``gisapp.models``; ``export_sql`` yields the columns
    the import expects (and ``geom`` in EPSG:4326 when the layer has a geometry); ``after`` names
    layers that must be loaded first although no field refers to them; ``counts`` are the home
    page's figures: a label and a SQL condition (None: every row).
    """
    name: str
    model: object
    title: str
    noun: str
    geometry: str | None                 # "point", "polygon", "line" or None
    fields: tuple[Field, ...]
    export_sql: str
    has_code: bool = True
    ignored_on_import: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    subsets: dict[str, Subset] = field(default_factory=dict)
    rule: Rule | None = None
    counts: tuple[tuple[str, str | None], ...] = ()

    @property
    def table(self) -> str:
        """The table the rows are stored in."""
        return self.model.name if isinstance(self.model, Table) else self.model.__tablename__

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def links(self) -> list[Link]:
        """The association tables whose rows belong to a row of this entity."""
        return [f.link for f in self.fields if f.link is not None]

    def figures(self) -> tuple[tuple[str, str | None], ...]:
        """The home page's figures: ``counts``, or the title and every row."""
        return self.counts or ((self.title, None),)


def labels_to_values(values: dict) -> dict:
    """Accept the Chinese part of each label ('一般' -> 'ordinary') as well as the value."""
    return {label.split(" ")[0]: value for value, label in values.items()}


def enum(name: str, values: dict, required: bool = True, synonyms: dict | None = None, **kw) -> Field:
    """An enum field over a vocabulary of ``gisapp.domain``; its Chinese labels are accepted too."""
    return Field(name, "enum", required, values=values,
                 synonyms={**labels_to_values(values), **(synonyms or {})}, **kw)


CODE = Field("code", required=True, max_len=32, aliases=("编码", "编号", "ref", "id_code"),
             help="unique code: letters, digits, '_', '.', '-' (a 20-digit GB/T 28181 ID fits)")
NAME = Field("name", required=True, max_len=100, aliases=("名称", "name:zh"))
