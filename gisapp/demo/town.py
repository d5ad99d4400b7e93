"""A deterministic synthetic township modelled on the source material's "xx镇".

14 villages of about 4 grids each, 140 "smart eyes" cameras (bullets facing along the roads,
PTZ domes at crossings, a few offline), 30 enterprises with one-button alarms, one 25-member
motorcycle patrol team with day and night routes along the roads (one village gets no night
patrol) and a foot patrol round the market, a community police officer, one auxiliary officer per
village, 3 coordinators, a grid worker per grid, a road network, and about 200 disputes of all
grades and statuses.

The road network: a national road (国道G220) across the town, a provincial road through the middle
row of villages, a county road through the market town, village roads (乡道) between neighbouring
villages, and in every village a core of streets (村道), lanes (巷道, some of them dead ends) and
footpaths (小路) inside a ring road, with a few field tracks (机耕路) leading out. The market town
(集镇, in 赵营村) at the town's centre is a larger core. The roads layer has a row per street, lane or
road between two places, with a vertex wherever another road meets it (where the road network is
cut when it is built: about 3,000 edges, 160 to 230 a village); the patrol routes are the shortest
ways along the roads between their stops.

Everything is built in metres in UTM zone 50N around a point of the Henan plain, then returned in
lon/lat (EPSG:4326) as one GeoDataFrame (or DataFrame) per layer, in the columns the importer
expects. The same seed gives the same town.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
from collections import defaultdict
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box
from shapely.ops import nearest_points

from gisapp.config import DEFAULTS

CENTRE_LONLAT = (114.52, 34.62)
UTM = "EPSG:32650"
COUNTY, TOWNSHIP = "410299", "410299101"
VILLAGE_NAMES = ["东庄村", "西庄村", "李楼村", "王寨村", "张湾村", "刘集村", "陈岗村", "赵营村",
                 "孙店村", "周屯村", "吴桥村", "郑庙村", "冯堂村", "杨林村"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
COMPANIES = ["食品", "机械", "纺织", "建材", "物流", "塑料", "家具", "农机", "饲料", "包装"]
SUMMARIES = {
    "neighbours": "邻里因排水沟渠发生争执", "family": "夫妻因赡养老人问题产生矛盾",
    "land": "宅基地边界争议", "labour": "务工人员讨要拖欠工资", "contract": "借款到期未还引发纠纷",
    "enterprise": "企业与村民因道路使用发生纠纷", "traffic": "电动车与行人碰撞赔偿争议",
    "environment": "养殖场异味扰民", "petition": "群众反映低保评定不公", "other": "其他矛盾纠纷",
}
NO_NIGHT_VILLAGE = 13            # index of the village no night route reaches (杨林村)
MARKET_VILLAGE = 7               # 赵营村: the market town (集镇) lies in it, at the town's centre
CORE_RADIUS = (340.0, 560.0)     # metres: a village core, the market town
STREET_SPACING = (82.0, 118.0)   # metres between neighbouring streets of a core
# The villages' neighbours by road: the provincial road through the middle row, the county road
# through the market town (None: the town's edge), and the village roads (乡道) between the others.
PROVINCIAL_ROAD = [None, 5, 6, 7, 8, 9, None]
COUNTY_ROAD = [None, 2, 7, 12, None]
VILLAGE_LINKS = [(0, 1), (1, 2), (2, 3), (3, 4), (10, 11), (11, 12), (12, 13),
                 (0, 5), (5, 10), (1, 6), (6, 11), (3, 8), (8, 13), (4, 9)]
DAY, NIGHT = "08:00-12:00,14:00-18:00", "20:00-02:00"
# The share of its speed a motorcycle keeps on footpaths and field tracks (patrol.class_speed_factor's
# default): the demo's motorcycle routes take a street where one will do.
MOTORCYCLE_FACTOR = DEFAULTS["patrol"]["class_speed_factor"]["motorcycle"]
DIGITS = "一二三四五六七八九"
DEMO_END = dt.datetime(2026, 11, 20, 18, 0)


def _to_lonlat(geoms):
    transformer = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1])))


def _centre_utm() -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(*CENTRE_LONLAT)


def _frame(records: list[dict], geoms=None) -> gpd.GeoDataFrame | pd.DataFrame:
    if geoms is None:
        return pd.DataFrame(records)
    return gpd.GeoDataFrame(records, geometry=list(_to_lonlat(geoms)), crs="EPSG:4326")


def _name(rng) -> str:
    return rng.choice(list(SURNAMES)) + "".join(rng.choice(list(GIVEN), size=rng.integers(1, 3)))


def _phone(rng) -> str:
    return "13" + "".join(str(d) for d in rng.integers(0, 10, size=9))


def _camera_code(kind: str, serial: int) -> str:
    """A 20-digit GB/T 28181 device ID: centre 41029901, industry 00, type 131/132, network 1, serial."""
    return f"41029901" f"00" f"{'131' if kind == 'bullet' else '132'}" f"1" f"{serial:06d}"


def _cn(n: int) -> str:
    """1 to 99 in Chinese numerals (一, 十二, 二十三); larger numbers in digits."""
    if n > 99:
        return str(n)
    tens, units = divmod(n, 10)
    return (("" if tens < 2 else DIGITS[tens - 1]) + ("十" if tens else "") + (DIGITS[units - 1] if units else ""))


def _azimuth(line: LineString, at: float) -> float:
    a, b = line.interpolate(max(at - 5, 0)), line.interpolate(min(at + 5, line.length))
    return float(np.degrees(np.arctan2(b.x - a.x, b.y - a.y)) % 360)


class _Road(NamedTuple):
    """A road line, or a piece of one: its geometry, class, name (or None) and the line it is part of."""
    geom: LineString
    cls: str
    name: str | None
    origin: object = None


def _noded(lines: list[_Road]) -> list[_Road]:
    """The lines cut wherever they meet: one piece per segment between crossings, of its line's class,
    name and origin, in order."""
    geoms = [line.geom for line in lines]
    pieces = shapely.get_parts(shapely.node(shapely.MultiLineString(geoms)))
    found = shapely.STRtree(geoms).query_nearest(shapely.line_interpolate_point(pieces, 0.5, normalized=True),
                                                 all_matches=False)
    source = np.empty(len(pieces), dtype=int)
    source[found[0]] = found[1]
    return [lines[k]._replace(geom=piece) for piece, k in zip(pieces, source)]


def _ends(geoms) -> np.ndarray:
    """Each line's first and last point: an array of shape (lines, 2, 2)."""
    geoms = np.asarray(geoms, dtype=object)
    return np.stack([shapely.get_coordinates(shapely.get_point(geoms, 0)),
                     shapely.get_coordinates(shapely.get_point(geoms, -1))], axis=1)


def _nodes(geoms) -> tuple[np.ndarray, np.ndarray]:
    """The lines' ends as nodes: each line's (first, last) node, and each node's coordinates."""
    xy, inverse = np.unique(_ends(geoms).reshape(-1, 2), axis=0, return_inverse=True)
    return inverse.reshape(-1, 2), xy


def _pruned(pieces: list[_Road], shortest: float = 1.0) -> list[_Road]:
    """Without the slivers (shorter than ``shortest`` metres) that end in nothing, left where roads were cut."""
    while True:
        geoms = [p.geom for p in pieces]
        ends, xy = _nodes(geoms)
        degree = np.bincount(ends.ravel(), minlength=len(xy))
        sliver = (shapely.length(np.asarray(geoms, dtype=object)) < shortest) & (degree[ends].min(axis=1) == 1)
        if not sliver.any():
            return pieces
        pieces = [p for p, gone in zip(pieces, sliver) if not gone]


def _merged(pieces: list[_Road]) -> list[_Road]:
    """The pieces of each line joined again: one line per street, lane or road between two places,
    with a vertex wherever another meets it (the road network is noded there when it is built)."""
    lines: dict[object, list[_Road]] = {}
    for piece in pieces:
        lines.setdefault(piece.origin, []).append(piece)
    return [parts[0]._replace(geom=line) for parts in lines.values()
            for line in shapely.get_parts(shapely.line_merge(shapely.MultiLineString([p.geom for p in parts])))]


class _Walker:
    """The noded roads as a graph: the shortest ways between places, walked as one line."""

    def __init__(self, segments: list[LineString], classes: list[str]):
        self.segments, self.classes = segments, classes
        self.lengths = shapely.length(np.asarray(segments, dtype=object))
        self.ends, self.xy = _nodes(segments)   # each segment's (first, last) node; each node's coordinates
        self.touching = defaultdict(list)   # node -> [(edge, other node)]
        for e, (a, b) in enumerate(self.ends.tolist()):
            self.touching[a].append((e, b))
            self.touching[b].append((e, a))

    def costs(self, factors: dict[str, float] | None = None, avoid=None) -> np.ndarray:
        """Each segment's cost: its length slowed by its class's factor; infinite inside ``avoid``."""
        factors = factors or {}
        cost = self.lengths / np.array([factors.get(c, 1.0) for c in self.classes])
        if avoid is not None:
            cost[shapely.intersects(np.asarray(self.segments, dtype=object), avoid)] = np.inf
        return cost

    def _search(self, source: int, cost: np.ndarray, target: int | None = None) -> tuple[dict, dict]:
        dist, prev, heap = {source: 0.0}, {}, [(0.0, source)]
        while heap:
            d, n = heapq.heappop(heap)
            if n == target:
                break
            if d > dist[n]:
                continue
            for e, m in self.touching[n]:
                nd = d + cost[e]
                if nd < dist.get(m, np.inf):
                    dist[m], prev[m] = nd, (e, n)
                    heapq.heappush(heap, (nd, m))
        return dist, prev

    def usable(self, cost: np.ndarray, within: int | None = None) -> np.ndarray:
        """The nodes a route at ``cost`` stops at: crossings of segments of finite cost (reachable from
        node ``within``, if given), so that no route turns back at the end of a lane."""
        usable = self.degrees(np.isfinite(cost)) >= 3
        if within is not None:
            reached = np.zeros(len(self.xy), dtype=bool)
            reached[list(self._search(within, cost)[0])] = True
            usable &= reached
        return usable

    def node(self, point: Point, usable: np.ndarray) -> int:
        """The usable node nearest ``point``."""
        d = np.hypot(self.xy[:, 0] - point.x, self.xy[:, 1] - point.y)
        return int(np.argmin(np.where(usable, d, np.inf)))

    def degrees(self, among: np.ndarray) -> np.ndarray:
        """How many of the segments ``among`` (a mask) meet at each node."""
        return np.bincount(self.ends[among].ravel(), minlength=len(self.xy))

    def walk(self, nodes: list[int], cost: np.ndarray) -> LineString:
        """The shortest way through ``nodes`` in order, as one line along the segments."""
        coords: list[tuple] = []
        for a, b in itertools.pairwise(nodes):
            if a == b:
                continue
            _, prev = self._search(a, cost, b)
            if b not in prev:
                raise ValueError(f"no way from node {a} to node {b}")
            steps, n = [], b
            while n != a:
                e, n = prev[n]
                steps.append(e)
            at = a
            for e in reversed(steps):
                line = list(self.segments[e].coords)
                start, end = self.ends[e]
                if start != at:
                    line.reverse()
                coords += line[1:] if coords else line
                at = end if start == at else start
        return LineString(coords)


class TownBuilder:
    """Builds the demo town's layers; ``layers()`` returns them keyed by import layer name."""

    def __init__(self, seed: int = 2026):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        cx, cy = _centre_utm()
        angles = np.linspace(0, 2 * np.pi, 13)[:-1]
        radii = self.rng.uniform(0.9, 1.05, size=12)
        self.town = Polygon(zip(cx + 6000 * radii * np.cos(angles), cy + 4500 * radii * np.sin(angles)))
        self.cx, self.cy = cx, cy

    # -- areas and grids ------------------------------------------------------------------------
    def _villages(self) -> list[tuple[Point, Polygon]]:
        xs, ys = np.meshgrid(np.linspace(-4400, 4400, 5), np.linspace(-2800, 2800, 3))
        seeds = [Point(self.cx + x + self.rng.uniform(-500, 500), self.cy + y + self.rng.uniform(-400, 400))
                 for x, y in zip(xs.ravel(), ys.ravel())][:14]
        cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=self.town)
        out = []
        for seed in seeds:
            cell = next(c for c in cells.geoms if c.contains(seed))
            out.append((seed, cell.intersection(self.town)))
        return out

    def _grids(self, village: Polygon) -> list[Polygon]:
        x0, y0, x1, y1 = village.bounds
        seeds = []
        while len(seeds) < 4:
            p = Point(self.rng.uniform(x0, x1), self.rng.uniform(y0, y1))
            if village.buffer(-150).contains(p) and all(p.distance(s) > 400 for s in seeds):
                seeds.append(p)
        cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=village)
        return [c.intersection(village) for c in cells.geoms if not c.intersection(village).is_empty]

    # -- roads ----------------------------------------------------------------------------------
    def _cores(self, rng, villages) -> list[tuple[Point, Polygon, float]]:
        """Each village's core: its centre, its outline (a ring road) and its streets' angle (radians).

        A core lies inside its village, as near the village's seed as it fits; the market town's is
        as near the town's centre as it fits."""
        cores = []
        for i, (seed, cell) in enumerate(villages):
            radius = CORE_RADIUS[i == MARKET_VILLAGE]
            target = self.town.centroid if i == MARKET_VILLAGE else seed
            room = cell.buffer(-(radius + 60))
            centre = target if room.contains(target) else nearest_points(room, target)[0]
            theta = float(np.radians(rng.uniform(-18, 18)))
            angles = np.arange(10) * 2 * np.pi / 10 + rng.uniform(-0.12, 0.12, size=10)
            radii = radius * rng.uniform(0.85, 1.1, size=10)
            outline = Polygon(np.round(np.column_stack([radii * np.cos(angles), radii * np.sin(angles)]), 1)).convex_hull
            cores.append((Point(centre.x, centre.y), outline, theta))
        return cores

    @staticmethod
    def _place(geoms, centre: Point, theta: float):
        """Local core coordinates (metres, streets along the axes) to UTM: turned by theta, moved to centre."""
        c, s = math.cos(theta), math.sin(theta)
        return shapely.transform(geoms, lambda xy: np.column_stack(
            (centre.x + xy[:, 0] * c - xy[:, 1] * s, centre.y + xy[:, 0] * s + xy[:, 1] * c)))

    @staticmethod
    def _streets(rng, outline: Polygon, village: str) -> list[_Road]:
        """A village core's ring road, streets and lanes, noded, in local coordinates.

        Streets run along the local axes 82-118 m apart across the core (a few stop at a cross street
        instead of the ring); in the blocks they leave, a lane (巷) across the block, a dead-end lane
        or a footpath. Everything is built on exact coordinates and noded here, so that a lane's end
        on a street stays a node after the core is turned into place."""
        x0, y0, x1, y1 = outline.bounds
        reach = outline.buffer(6)

        def positions(lo, hi):
            out, p = [], lo + rng.uniform(40, 75)
            while p < hi - 40:
                out.append(round(float(p), 1))
                p += rng.uniform(*STREET_SPACING)
            return out

        def extent(along_x: bool, pos: float):
            far = LineString([(x0 - 20, pos), (x1 + 20, pos)] if along_x else [(pos, y0 - 20), (pos, y1 + 20)])
            inside = far.intersection(reach)
            if inside.is_empty or inside.length < 90:
                return None
            lo, hi = (inside.bounds[0], inside.bounds[2]) if along_x else (inside.bounds[1], inside.bounds[3])
            return [math.floor(lo * 10) / 10, math.ceil(hi * 10) / 10]

        # east-west streets (街) at y = key, north-south streets (路) at x = key: [from, to] along them
        we = {y: e for y in positions(y0, y1) if (e := extent(True, y))}
        sn = {x: e for x in positions(x0, x1) if (e := extent(False, x))}
        for y, (lo, hi) in we.items():   # some streets end at a cross street, not at the ring
            crossing = [x for x, (a, b) in sn.items() if a < y < b and lo + 40 < x < hi - 40]
            if len(crossing) >= 3 and rng.random() < 0.25:
                we[y] = [crossing[0], hi] if rng.random() < 0.5 else [lo, crossing[-1]]
        lines = [_Road(LineString(outline.exterior.coords), "residential", f"{village}环村路")]
        lines += [_Road(LineString([(lo, y), (hi, y)]), "residential", f"{village}{_cn(k + 1)}街")
                  for k, (y, (lo, hi)) in enumerate(sorted(we.items()))]
        lines += [_Road(LineString([(x, lo), (x, hi)]), "residential", f"{village}{_cn(k + 1)}路")
                  for k, (x, (lo, hi)) in enumerate(sorted(sn.items()))]
        xs, ys, lanes = sorted(sn), sorted(we), 0
        for xa, xb in itertools.pairwise(xs):
            for ya, yb in itertools.pairwise(ys):
                if not (sn[xa][0] <= ya and yb <= sn[xa][1] and sn[xb][0] <= ya and yb <= sn[xb][1]
                        and we[ya][0] <= xa and xb <= we[ya][1] and we[yb][0] <= xa and xb <= we[yb][1]):
                    continue  # a block the streets do not close all round
                across = rng.random() < 0.5   # lanes from the west street to the east one, or south to north
                depth = (yb - ya) if across else (xb - xa)
                count = 2 if depth > 90 and rng.random() < 0.7 else 1
                for k in range(count):
                    at = round(float((ya if across else xa) + depth * (k + 1) / (count + 1) + rng.uniform(-8, 8)), 1)
                    a, b = ((xa, at), (xb, at)) if across else ((at, ya), (at, yb))
                    kind = rng.random()
                    if kind < 0.45:
                        lanes += 1
                        lines.append(_Road(LineString([a, b]), "service", f"{village}{_cn(lanes)}巷"))
                    elif kind < 0.8:  # a dead end, from either street
                        if rng.random() < 0.5:
                            a, b = b, a
                        f = float(rng.uniform(0.45, 0.7))
                        end = (round(a[0] + (b[0] - a[0]) * f, 1), at) if across else (at, round(a[1] + (b[1] - a[1]) * f, 1))
                        lines.append(_Road(LineString([a, end]), "service", None))
                    elif kind < 0.92:
                        lines.append(_Road(LineString([a, b]), "path", None))
        pieces = _noded([line._replace(origin=k) for k, line in enumerate(lines)])
        keep = outline.buffer(0.5)  # what the streets' ends past the ring leave outside goes
        return [piece for piece in pieces if keep.contains(piece.geom.interpolate(0.5, normalized=True))]

    def _road_lines(self, villages) -> tuple[list, list[_Road]]:
        """The village cores, and every road of the town cut at every crossing: the pieces, each with its
        class, name and the line it is part of."""
        rng = np.random.default_rng([self.seed, 1])  # the roads' own: the same town whatever else is drawn
        cores = self._cores(rng, villages)
        streets = []
        for i, (centre, outline, theta) in enumerate(cores):
            local = self._streets(rng, outline, VILLAGE_NAMES[i])
            placed = self._place(np.array([piece.geom for piece in local], dtype=object), centre, theta)
            streets += [piece._replace(geom=g, origin=(i, piece.origin)) for g, piece in zip(placed, local)]
        outlines = [self._place(outline, centre, theta) for centre, outline, theta in cores]
        x0, y0, x1, y1 = self.town.bounds

        def bent(a, b, wobble):
            (ax, ay), (bx, by) = a, b
            d = np.array([bx - ax, by - ay])
            n = np.array([-d[1], d[0]]) / np.hypot(*d)
            middle = [tuple(np.array([ax, ay]) + d * t + n * rng.normal(0, wobble)) for t in (1 / 3, 2 / 3)]
            return LineString([a, *middle, b])

        centres = [(c.x, c.y) for c, _, _ in cores]
        edge = {"west": lambda i: (x0 - 200, centres[i][1] + rng.normal(0, 150)),
                "east": lambda i: (x1 + 200, centres[i][1] + rng.normal(0, 150)),
                "south": lambda i: (centres[i][0] + rng.normal(0, 150), y0 - 200),
                "north": lambda i: (centres[i][0] + rng.normal(0, 150), y1 + 200)}
        between = []   # roads from village to village: cut back to the cores' rings below
        for chain, cls, name, ends in ((PROVINCIAL_ROAD, "primary", "省道S227", ("west", "east")),
                                       (COUNTY_ROAD, "secondary", "县道X018", ("south", "north"))):
            for a, b in itertools.pairwise(chain):
                pa = centres[a] if a is not None else edge[ends[0]](b)
                pb = centres[b] if b is not None else edge[ends[1]](a)
                between.append(_Road(bent(pa, pb, 40), cls, name))
        for a, b in VILLAGE_LINKS:
            name = f"{VILLAGE_NAMES[a].removesuffix('村')}至{VILLAGE_NAMES[b].removesuffix('村')}路"
            between.append(_Road(bent(centres[a], centres[b], 70), "tertiary", name))
        inside = shapely.union_all([o.buffer(-8) for o in outlines])
        for i, centre in enumerate(centres):   # two field tracks out of each village (not the market town)
            if i == MARKET_VILLAGE:
                continue
            taken = []  # the directions roads already leave in
            for road in between:
                ends = road.geom.coords
                if centre in (ends[0], ends[-1]):
                    nxt = ends[1] if ends[0] == centre else ends[-2]
                    taken.append(math.atan2(nxt[1] - centre[1], nxt[0] - centre[0]))
            made = 0
            for _ in range(20):
                if made == 2:
                    break
                angle = float(rng.uniform(-np.pi, np.pi))
                if any(abs((angle - t + np.pi) % (2 * np.pi) - np.pi) < np.radians(40) for t in taken):
                    continue
                taken.append(angle)
                reach = CORE_RADIUS[0] * 1.1 + rng.uniform(250, 500)
                line = LineString([centre, (centre[0] + reach * math.cos(angle), centre[1] + reach * math.sin(angle))])
                parts = shapely.get_parts(line.intersection(villages[i][1].buffer(-40)).difference(inside))
                part = min(parts, key=lambda p: p.distance(Point(centre)), default=None)
                if part is not None and part.length > 150:
                    between.append(_Road(part, "track", None))
                    made += 1
        lines = list(streets)
        for k, road in enumerate(between):
            cut = road.geom.difference(inside).intersection(self.town)
            lines += [road._replace(geom=part, origin=("between", k)) for part in shapely.get_parts(cut) if part.length > 1]
        trunk = LineString([(x0 - 200, y0 - 200), (self.cx - 3000 + rng.normal(0, 150), self.cy - 2250 + rng.normal(0, 150)),
                            (cores[MARKET_VILLAGE][0].x + 60, cores[MARKET_VILLAGE][0].y - 40),
                            (self.cx + 3000 + rng.normal(0, 150), self.cy + 2250 + rng.normal(0, 150)), (x1 + 200, y1 + 200)])
        lines += [_Road(part, "trunk", "国道G220", ("trunk", k))
                  for k, part in enumerate(shapely.get_parts(trunk.intersection(self.town)))]
        pieces = _noded(lines)
        # a road between villages ends where it meets the ring road of the core it enters: its bit
        # inside goes (the national road alone goes through the market town)
        cores_inside = shapely.union_all([o.buffer(-0.5) for o in outlines])
        pieces = [p for p in pieces if p.cls in ("residential", "service", "path", "trunk")
                  or not cores_inside.contains(p.geom.interpolate(0.5, normalized=True))]
        return cores, _pruned(pieces)

    # -- the whole town -------------------------------------------------------------------------
    def layers(self) -> dict:
        rng = self.rng
        villages = self._villages()
        layers = {}
        area_records = [{"code": COUNTY, "name": "示范县", "level": "county", "parent_code": None},
                        {"code": TOWNSHIP, "name": "平安镇", "level": "township", "parent_code": COUNTY}]
        area_geoms = [self.town.buffer(3000), self.town]
        grid_records, grid_geoms = [], []
        for i, (seed, cell) in enumerate(villages):
            code = f"{TOWNSHIP}{i + 1:03d}"
            area_records.append({"code": code, "name": VILLAGE_NAMES[i], "level": "village",
                                 "parent_code": TOWNSHIP})
            area_geoms.append(cell)
            for j, grid in enumerate(self._grids(cell)):
                grid_records.append({"code": f"{code}{j + 1:02d}", "name": f"{VILLAGE_NAMES[i]}第{j + 1}网格",
                                     "village_code": code, "population": int(rng.integers(300, 1500))})
                grid_geoms.append(grid)
        layers["areas"] = _frame(area_records, area_geoms)
        layers["grids"] = _frame(grid_records, grid_geoms)

        cores, pieces = self._road_lines(villages)
        roads = _merged(pieces)  # a row per street or road: far fewer rows to buffer for coverage
        layers["roads"] = _frame([{"road_class": r.cls, "name": r.name} for r in roads], [r.geom for r in roads])
        network = shapely.MultiLineString([p.geom for p in pieces])
        walker = _Walker([p.geom for p in pieces], [p.cls for p in pieces])

        layers["teams"] = _frame([{"code": "T01", "name": "平安镇巡防队"}])
        layers["bases"] = self._bases(cores, network)
        layers["people"] = self._people(grid_records)
        layers["cameras"] = self._cameras(villages, cores, walker)
        layers["alarms"] = self._alarms(network, layers["cameras"])
        layers["routes"] = self._routes(villages, cores, walker)
        layers["disputes"] = self._disputes(villages)
        places = np.random.default_rng(self.seed + 11)   # their own draws: the layers above stay as they were
        layers["key_places"] = self._key_places(places, cores, walker)
        layers["sites"] = self._sites(places, villages, cores, walker)
        return layers

    def _beside(self, walker: _Walker, point: Point, offset: float = 12.0) -> Point:
        """A building ``offset`` metres off the street segment nearest ``point``."""
        streets = np.asarray(walker.segments, dtype=object)
        line = streets[int(np.argmin(shapely.distance(streets, point)))]
        at = line.project(point)
        a, b = line.interpolate(max(at - 1, 0)), line.interpolate(min(at + 1, line.length))
        dx, dy = b.x - a.x, b.y - a.y
        norm = math.hypot(dx, dy) or 1.0
        on = line.interpolate(at)
        return Point(on.x - dy / norm * offset, on.y + dx / norm * offset)

    def _key_places(self, rng, cores, walker: _Walker) -> gpd.GeoDataFrame:
        """重点部位: in each village a primary school, a clinic (卫生室) and its entrance (the crossing on its
        ring road nearest the market town); in the market town the market, the health centre, the middle
        school, the township government, the bus station and the main crossroads. Schools, the market, the
        health centre, the government and the main crossroads must be covered."""
        records, geoms = [], []
        market = cores[MARKET_VILLAGE][0]
        streets = np.array([c not in ("path", "track") for c in walker.classes])
        crossing = walker.degrees(streets) >= 3

        def add(code, name, kind, must, point):
            records.append({"code": code, "name": name, "kind": kind, "must_cover": must})
            geoms.append(point)
        for i, (centre, outline, theta) in enumerate(cores):
            village = VILLAGE_NAMES[i]
            if i == MARKET_VILLAGE:
                for n, (name, kind, must, dx, dy) in enumerate((
                        ("平安镇集市", "market", True, 60, 40), ("平安镇卫生院", "hospital", True, -160, 120),
                        ("平安镇中学", "school", True, 230, -180), ("平安镇人民政府", "government", True, -90, -140),
                        ("平安镇汽车站", "station", False, 320, 90))):
                    place = self._place(Point(dx, dy), centre, theta)
                    add(f"ZD{n + 1:02d}", name, kind, must, place if kind == "market" else self._beside(walker, place))
                add("ZD06", "平安镇中心十字路口", "crossroads", True, Point(walker.xy[walker.node(centre, crossing)]))
                continue
            ring = self._place(outline, centre, theta).exterior
            on_ring = crossing & (shapely.distance(ring, shapely.points(walker.xy)) < 25)
            entrance = walker.node(market, on_ring) if on_ring.any() else walker.node(market, crossing)
            school = self._place(Point(rng.uniform(-150, 150), rng.uniform(60, 180)), centre, theta)
            clinic = self._place(Point(rng.uniform(-150, 150), rng.uniform(-180, -60)), centre, theta)
            add(f"XX{i + 1:02d}", f"{village}小学", "school", True, self._beside(walker, school))
            add(f"WS{i + 1:02d}", f"{village}卫生室", "clinic", False, self._beside(walker, clinic))
            add(f"CK{i + 1:02d}", f"{village}村口", "village_entrance", False, Point(walker.xy[entrance]))
        return _frame(records, geoms)

    def _sites(self, rng, villages, cores, walker: _Walker) -> gpd.GeoDataFrame:
        """候选点位 in each core: its street crossings (any camera, on a new pole) and poles along its streets
        about every 70 m (a bullet on an existing pole, or either on a new one), each with a height and cost."""
        records, geoms = [], []
        streets = np.array([c in ("residential", "tertiary", "secondary", "primary", "trunk") for c in walker.classes])
        crossing = walker.degrees(streets) >= 3
        for i, (centre, outline, theta) in enumerate(cores):
            core = self._place(outline, centre, theta).buffer(30)
            found = [(Point(xy), "any", 9000.0) for xy in walker.xy[crossing & shapely.contains_xy(core, *walker.xy.T)]]
            for e in np.flatnonzero(streets & shapely.within(np.asarray(walker.segments, dtype=object), core)):
                line = walker.segments[e]
                for at in np.arange(35.0, line.length - 20, 70.0):
                    pole = rng.random() < 0.5
                    found.append((self._beside(walker, line.interpolate(at), 4.0), "bullet" if pole else "any",
                                  5000.0 if pole else 8000.0))
            for n, (point, mounts, cost) in enumerate(found):
                records.append({"code": f"LG{i + 1:02d}-{n + 1:03d}", "name": f"{VILLAGE_NAMES[i]}立杆{n + 1}",
                                "mounts": mounts, "height_m": float(rng.choice([4.5, 6.0, 8.0])), "cost": cost})
                geoms.append(point)
        return _frame(records, geoms)

    def _bases(self, cores, network) -> gpd.GeoDataFrame:
        """The township's police station and the team's station in the market town, a police room in the
        middle of each village, each on the road nearest to it."""
        centre = cores[MARKET_VILLAGE][0]
        records = [{"code": "PCS01", "name": "平安镇派出所", "kind": "police_station", "team_code": None},
                   {"code": "ZD01", "name": "平安镇巡防队驻地", "kind": "team_station", "team_code": "T01"}]
        places = [Point(centre.x + 120, centre.y + 80), Point(centre.x - 150, centre.y - 60)]
        for i, (centre, _, _) in enumerate(cores):
            records.append({"code": f"JWS{i + 1:02d}", "name": f"{VILLAGE_NAMES[i]}警务室", "kind": "police_room",
                            "team_code": None})
            places.append(centre)
        on_roads = [network.interpolate(network.project(p)) for p in places]
        return _frame(records, on_roads)

    def _people(self, grids: list[dict]) -> pd.DataFrame:
        rng = self.rng
        people = [{"code": "MJ01", "name": _name(rng), "role": "community_police", "phone": _phone(rng),
                   "villages": ",".join(f"{TOWNSHIP}{i + 1:03d}" for i in range(14))}]
        people += [{"code": f"FJ{i + 1:02d}", "name": _name(rng), "role": "auxiliary_police", "phone": _phone(rng),
                    "villages": f"{TOWNSHIP}{i + 1:03d}"} for i in range(14)]
        people += [{"code": f"XG{i + 1:02d}", "name": _name(rng), "role": "coordinator", "phone": _phone(rng)}
                   for i in range(3)]
        people += [{"code": f"WG{g['code'][-5:]}", "name": _name(rng), "role": "grid_worker", "phone": _phone(rng),
                    "grids": g["code"]} for g in grids]
        people += [{"code": f"XF{i + 1:02d}", "name": _name(rng), "role": "patroller", "phone": _phone(rng),
                    "team_code": "T01", "leads_team": i == 0} for i in range(25)]
        return _frame(people)

    def _cameras(self, villages, cores, walker: _Walker) -> gpd.GeoDataFrame:
        """Ten cameras a village: three PTZ domes at its main crossings (of streets or roads, nearest its
        middle and apart), seven bullets on its streets and at its entrances, facing along the road."""
        rng, records, geoms, serial = self.rng, [], [], 0
        statuses = ["online"] * 140
        for k, status in zip(rng.choice(140, size=13, replace=False),
                             ["offline"] * 7 + ["faulty"] * 3 + ["planned"] * 3):
            statuses[k] = status
        roads = np.array([c not in ("service", "path", "track") for c in walker.classes])  # streets and roads
        mids = shapely.line_interpolate_point(np.asarray(walker.segments, dtype=object), 0.5, normalized=True)
        degree = walker.degrees(roads)
        for i, (seed, cell) in enumerate(villages):
            centre, outline, theta = cores[i]
            core = self._place(outline, centre, theta)
            near = core.buffer(80).intersection(cell)
            local = [e for e in np.flatnonzero(roads & shapely.contains(near, mids)) if walker.lengths[e] > 30]
            at = np.flatnonzero((degree >= 3) & shapely.contains_xy(core, walker.xy[:, 0], walker.xy[:, 1]))
            crossings = at[np.argsort(np.hypot(*(walker.xy[at] - centre.coords[0]).T), kind="stable")]
            domes = []
            for n in crossings:   # the main crossings: nearest the middle, at least 150 m apart
                if len(domes) < 3 and all(np.hypot(*(walker.xy[n] - walker.xy[m])) >= 150 for m in domes):
                    domes.append(n)
            for n in range(10):
                kind = "dome" if n < 3 else "bullet"
                if kind == "dome" and domes:
                    point, azimuth = Point(walker.xy[domes[n % len(domes)]]), None
                else:
                    line = walker.segments[local[int(rng.integers(len(local)))]]
                    at = float(rng.uniform(0, line.length))
                    point = line.interpolate(at)
                    azimuth = (_azimuth(line, at) + (180 if rng.random() < 0.5 else 0)) % 360
                point = Point(point.x + rng.uniform(-4, 4), point.y + rng.uniform(-4, 4))
                serial += 1
                records.append({
                    "code": _camera_code(kind, serial), "name": f"{VILLAGE_NAMES[i]}智慧卫眼{n + 1:02d}",
                    "kind": kind, "azimuth": None if azimuth is None else round(azimuth, 1),
                    "fov_deg": 360.0 if kind == "dome" else float(rng.choice([45, 60, 90])),
                    "range_m": float(rng.integers(100, 151) if kind == "dome" else rng.integers(60, 121)),
                    "status": statuses[serial - 1], "owner": "雪亮工程", "night_vision": bool(rng.random() < 0.7),
                    "installed_on": (dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 900)))).isoformat(),
                    "height_m": float(rng.choice([4.5, 6.0, 8.0]))})
                geoms.append(point)
        return _frame(records, geoms)

    def _alarms(self, network, cameras: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        rng, records, geoms = self.rng, [], []
        to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
        camera_xy = np.column_stack(to_utm.transform(cameras.geometry.x, cameras.geometry.y))
        x0, y0, x1, y1 = self.town.buffer(-500).bounds
        while len(records) < 30:
            p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            road = network.interpolate(network.project(p))
            if not self.town.buffer(-300).contains(p) or p.distance(road) > 400:
                continue
            p = Point(road.x + rng.uniform(40, 90), road.y + rng.uniform(40, 90))
            n = len(records) + 1
            nearest = np.argsort(np.hypot(camera_xy[:, 0] - p.x, camera_xy[:, 1] - p.y))[: int(rng.integers(1, 3))]
            premises = box(p.x - 40, p.y - 25, p.x + 40, p.y + 25) if n <= 20 else None
            records.append({
                "code": f"4102990100134{n:07d}", "enterprise": f"平安镇{rng.choice(COMPANIES)}有限公司{n:02d}",
                "status": "offline" if n in (7, 19) else "faulty" if n == 23 else "online",
                "response_radius_m": float(rng.choice([150, 200, 300])), "contact_name": _name(rng),
                "contact_phone": _phone(rng), "cameras": ",".join(cameras["code"].iloc[nearest]),
                "premises_wkt": shapely.to_wkt(_to_lonlat([premises])[0]) if premises is not None else None})
            geoms.append(p)
        return _frame(records, geoms)

    def _routes(self, villages, cores, walker: _Walker) -> gpd.GeoDataFrame:
        """The team's routes, each the shortest way along the roads through its stops.

        By night (20:00-02:00) three loops from the team's station through the villages of the
        south-west, the south-east and the north-west, keeping out of 杨林村; by day lines through
        the villages of the south and of the north, along the provincial and the national road and
        the village roads from south to north, and a loop round each village's streets; and a foot
        patrol round the market."""
        market = cores[MARKET_VILLAGE][0]
        ride = walker.costs(MOTORCYCLE_FACTOR)
        station = walker.node(Point(market.x - 150, market.y - 60), walker.usable(ride))  # the team's station
        night = walker.costs(MOTORCYCLE_FACTOR, avoid=villages[NO_NIGHT_VILLAGE][1].buffer(60))
        foot = walker.costs()
        ways = {"ride": (ride, walker.usable(ride)), "foot": (foot, walker.usable(foot)),
                "night": (night, walker.usable(night, within=station))}  # by night: from the station, not in 杨林村

        def place(i, along=0.0, across=0.0) -> Point:
            """A point of village i's core: its middle, moved ``along`` and ``across`` its streets by
            these shares of the core's radius."""
            centre, _, theta = cores[i]
            r = CORE_RADIUS[i == MARKET_VILLAGE]
            return Point(centre.x + r * (along * math.cos(theta) - across * math.sin(theta)),
                         centre.y + r * (along * math.sin(theta) + across * math.cos(theta)))

        def at_night(*villages_in_turn):
            return [station, *(place(i) for i in villages_in_turn), station]

        trunk = np.array([c == "trunk" for c in walker.classes])
        trunk_ends = np.flatnonzero((walker.degrees(trunk) == 1) & (walker.degrees(np.ones_like(trunk)) == 1))
        round_village = ((0, 0), (0.55, 0.55), (-0.55, 0.55), (-0.55, -0.55), (0.55, -0.55), (0, 0))
        plans = [  # name, time windows, way, stops (points, or nodes)
            ("西南片夜间巡逻线路", NIGHT, "night", at_night(6, 5, 0, 1, 2)),
            ("南线日间巡逻线路", DAY, "ride", [place(i, across=-0.6) for i in range(5)]),
            ("东南片夜间巡逻线路", NIGHT, "night", at_night(8, 9, 4, 3)),
            ("北线日间巡逻线路", DAY, "ride", [place(i, across=0.6) for i in (10, 11, 12, 13)] + [place(9)]),
            ("西北片夜间巡逻线路", NIGHT, "night", at_night(12, 11, 10, 5)),
            ("省道S227日间巡逻线路", DAY, "ride", [place(i) for i in (5, 6, 7, 8, 9)]),
            ("国道G220日间巡逻线路", DAY, "ride", sorted(trunk_ends.tolist(), key=lambda n: walker.xy[n].sum())),
            ("纵线日间巡逻线路", DAY, "ride", [place(i) for i in (1, 6, 11, 12, 13, 8, 3)]),
        ] + [(f"{VILLAGE_NAMES[i]}村内巡逻线路", DAY, "ride", [place(i, a, b) for a, b in round_village])
             for i in range(len(villages))]
        records, geoms = [], []
        for n, (name, windows, way, stops) in enumerate(plans):
            cost, usable = ways[way]
            records.append({"code": f"R{n + 1:02d}", "name": name, "team_code": "T01", "mode": "motorcycle",
                            "sight_width_m": None, "time_windows": windows, "weekdays": "1,2,3,4,5,6,7",
                            "active": True})
            geoms.append(walker.walk([s if isinstance(s, int) else walker.node(s, usable) for s in stops], cost))
        cost, usable = ways["foot"]
        market_round = [walker.node(Point(market.x + 380 * math.cos(a), market.y + 380 * math.sin(a)), usable)
                        for a in np.arange(9) * np.pi / 4]
        records.append({"code": f"R{len(plans) + 1:02d}", "name": "集镇步巡线路", "team_code": "T01",
                        "mode": "foot", "sight_width_m": 20.0, "time_windows": "09:00-11:30,19:00-21:30",
                        "weekdays": "1,3,5,6,7", "active": True})
        geoms.append(walker.walk(market_round, cost))
        return _frame(records, geoms)

    def _disputes(self, villages) -> gpd.GeoDataFrame:
        rng, records, geoms = self.rng, [], []
        categories = list(SUMMARIES)
        grades = rng.choice(["ordinary", "complex", "difficult"], size=200, p=[0.6, 0.3, 0.1])
        statuses = rng.choice(["received", "routed", "handling", "feedback", "closed"], size=200,
                              p=[0.1, 0.1, 0.15, 0.1, 0.55])
        days = {"ordinary": 3, "complex": 7, "difficult": 15}
        for n in range(200):
            seed, cell = villages[int(rng.integers(14))]
            while True:
                p = Point(seed.x + rng.normal(0, 600), seed.y + rng.normal(0, 600))
                if cell.contains(p):
                    break
            received = DEMO_END - dt.timedelta(days=float(rng.uniform(0, 180)))
            closed = received + dt.timedelta(days=float(rng.uniform(0.5, days[grades[n]] * 1.3)))
            category = categories[int(rng.integers(len(categories)))]
            records.append({
                "code": f"MD2026{n + 1:04d}", "category": category,
                "summary": f"{SUMMARIES[category]}（{VILLAGE_NAMES[villages.index((seed, cell))]}）",
                "parties": f"{_name(rng)}、{_name(rng)}", "parties_phone": _phone(rng),
                "grade": grades[n], "status": statuses[n],
                "source": rng.choice(["grid_worker", "reception", "hotline", "police"]),
                "received_at": received.strftime("%Y-%m-%d %H:%M"),
                "due_at": None,
                "closed_at": min(closed, DEMO_END).strftime("%Y-%m-%d %H:%M") if statuses[n] == "closed" else None})
            geoms.append(p)
        return _frame(records, geoms)
