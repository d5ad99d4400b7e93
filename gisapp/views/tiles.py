"""Mapbox vector tiles of the catalogue's layers.

A tile is one SQL statement (ST_AsMVT over ST_AsMVTGeom over ST_TileEnvelope) over the layer's
SQL, with only the properties the role may see, run on an autocommit connection. Its ETag is made of
the data versions of the tables the layer's SQL reads (all of them when it reads a table nothing
counts), so an edit of the cameras leaves the other layers' tiles valid; for the tables the layer
calls ``regional``, of the newest change seen in the tile, so an edit in one village leaves the tiles
elsewhere valid (``gisapp.regions``). A revalidation is answered from the process's cached versions,
without a query, and a tile asked for again (by another user of the same role, or without its ETag)
from the process's tiles kept by ETag (``TileCache``).
"""
from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict

from flask import Response, abort, current_app, request
from flask_login import current_user
from sqlalchemy import TextClause, text

from gisapp import clock
from gisapp.api import ApiBlueprint
from gisapp.auth import roles_allowed
from gisapp.catalogue import Layer
from gisapp.features import spatial_filter
from gisapp.models import Base
from gisapp.regions import change_log
from gisapp.request_db import read_connection, table_versions, tracked_tables
from gisapp.views.layer_access import layer_params, visible_layer

bp = ApiBlueprint("tiles", __name__, description="Mapbox vector tiles of the layers")
MVT = "application/vnd.mapbox-vector-tile"
EXTENT, BUFFER = 4096, 64
WORLD_M = 40075016.686


class TileCache:
    """Tiles by ETag, the least recently used dropped beyond ``limit`` bytes (``serve.tile_cache_mb``);
    one per application."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.tiles: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        with self.lock:
            body = self.tiles.get(tag)
            if body is not None:
                self.tiles.move_to_end(tag)
            return body

    def put(self, tag: str, body: bytes) -> None:
        if not self.limit or len(body) > self.limit // 16:
            return
        with self.lock:
            if tag not in self.tiles:
                self.tiles[tag] = body
                self.size += len(body)
            while self.size > self.limit:
                self.size -= len(self.tiles.popitem(last=False)[1])


@bp.record_once
def _tile_cache(state) -> None:
    state.app.extensions["tile_cache"] = TileCache(int(state.app.config["GISAPP"]["serve"]["tile_cache_mb"] * 2 ** 20))


def tile_sql(layer: Layer, properties: list[str]) -> str:
    """The one statement that makes a tile of ``layer`` (parameters z, x, y, tolerance)."""
    columns = ", ".join(f'src."{p}"' for p in ["fid", *properties])
    geom = "ST_Transform(src.geom, 3857)"
    if layer.geometry != "point":
        geom = f"ST_SimplifyPreserveTopology({geom}, :tolerance)"
    return f"""
        WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,
                               ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 4326) AS env4326),
        mvt AS (SELECT ST_AsMVTGeom({geom}, bounds.env, {EXTENT}, {BUFFER}, true) AS geom, {columns}
                FROM ({layer.sql}) AS src, bounds WHERE {spatial_filter(layer, 'bounds.env4326')})
        SELECT ST_AsMVT(mvt.*, :name, {EXTENT}, 'geom') FROM mvt WHERE mvt.geom IS NOT NULL"""


@functools.lru_cache(maxsize=256)
def statement(sql: str) -> TextClause:
    """``text(sql)``, made once (it parses the SQL for its parameters)."""
    return text(sql)


@functools.cache
def tables_read(sql: str) -> frozenset[str]:
    """The tables of the models that a layer's SQL names."""
    return frozenset(re.findall(r"[a-z_][a-z0-9_]*", sql.lower())) & frozenset(Base.metadata.tables)


def layer_version(layer: Layer, z: int, x: int, y: int) -> str:
    """The data versions the tile's features depend on (cached per process, see ``request_db``): of each
    table the layer's SQL reads, or where the layer is ``regional`` in that table, of its newest change
    seen in the tile (``gisapp.regions``)."""
    url = current_app.config["DATABASE_URL"]
    versions = table_versions()
    tables = tables_read(layer.sql)
    if not tables <= tracked_tables(url):
        tables = frozenset(versions)
    return ",".join(f"{t}:{change_log(url, t, versions[t]).version_at(z, x, y, BUFFER / EXTENT)}" if t in layer.regional
                    else f"{t}:{versions[t][0]}:{versions[t][1].timestamp()}" for t in sorted(tables) if t in versions)


def tile_etag(layer: Layer, z: int, x: int, y: int) -> str:
    """The tile's ETag: the database, the layer's data versions for the tile, the viewer's role (and grids
    when the layer's SQL reads them), and the minute for layers whose SQL reads the clock (overdue disputes)."""
    grids = current_user.grid_ids if ":viewer_grids" in layer.sql else ()
    minute = clock.now().strftime("%Y%m%d%H%M") if ":now" in layer.sql else ""
    key = (f"{current_app.config['DATABASE_URL']}|{layer.id}|{z}/{x}/{y}|{current_user.role}|{sorted(grids)}|"
           f"{layer_version(layer, z, x, y)}|{minute}")
    return hashlib.sha1(key.encode()).hexdigest()


@bp.route("/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.pbf")
@roles_allowed()
@bp.doc(responses={200: {"description": "the tile", "content": {MVT: {"schema": {"type": "string", "format": "binary"}}}},
                   304: {"description": "not modified (ETag)"}})
def tile(layer_id: str, z: int, x: int, y: int):
    """The vector tile z/x/y of a layer (empty below the layer's minimum zoom)."""
    layer = visible_layer(layer_id)
    if z > 22 or x >= 2 ** z or y >= 2 ** z:
        abort(404, description=f"no tile {z}/{x}/{y}: x and y must be below 2^z, z at most 22")
    tag = tile_etag(layer, z, x, y)
    if tag in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{tag}"', "Cache-Control": "private, no-cache"})
    cache = current_app.extensions["tile_cache"]
    body = cache.get(tag) if z >= layer.min_zoom else b""
    if body is None:
        params = dict(layer_params(), z=z, x=x, y=y, name=layer.id, tolerance=WORLD_M / 2 ** z / EXTENT / 2)
        with read_connection() as conn:
            body = bytes(conn.execute(statement(tile_sql(layer, layer.tile_properties_for(current_user.role))),
                                      params).scalar() or b"")
        cache.put(tag, body)
    response = Response(body, mimetype=MVT)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
