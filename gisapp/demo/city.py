"""A deterministic synthetic city with the published counts of a real prefecture (赤峰).

12 counties, 153 townships, 2,324 villages, 15,241 grids, 151,221 disputes, plus 50,000 cameras,
3,000 alarm points, 2,324 patrol routes (one per village), a road network, a school and an entrance
per village and a market and a health centre per township (key places), and candidate camera
sites along every village's middle road. For a smaller run,
give a number of villages: every count scales with it. Villages are 2 km squares on a lattice in
UTM zone 50N around 赤峰 (118.9E 42.3N), cut into 6 or 7 grid strips; roads run along every
village edge and through every village's middle. Layers come back in lon/lat, in the columns
the importer expects, so they load through the same checks as any file.
"""
from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

CITY = {"counties": 12, "townships": 153, "villages": 2324, "grids": 15241, "disputes": 151221,
        "cameras": 50000, "alarms": 3000}
CENTRE_LONLAT = (118.9, 42.3)
UTM = "EPSG:32650"
CELL = 2000.0  # metres: one village
STATUS_P = {"online": 0.92, "offline": 0.04, "faulty": 0.02, "planned": 0.02}


def scaled_counts(villages: int) -> dict[str, int]:
    """The city's counts scaled to ``villages`` villages (at least one of each)."""
    f = villages / CITY["villages"]
    return {k: max(1, round(v * f)) for k, v in CITY.items()} | {"villages": villages}


class CityBuilder:
    """Builds the layers of a city of ``villages`` villages (2,324 for the whole city)."""

    def __init__(self, villages: int = CITY["villages"], seed: int = 2026):
        self.n = villages
        self.counts = scaled_counts(villages)
        self.rng = np.random.default_rng(seed)
        self.cols = math.ceil(math.sqrt(villages))
        cx, cy = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(*CENTRE_LONLAT)
        self.x0, self.y0 = cx - self.cols * CELL / 2, cy - math.ceil(villages / self.cols) * CELL / 2
        self.to_lonlat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
        i = np.arange(villages)
        self.vx = self.x0 + (i % self.cols) * CELL
        self.vy = self.y0 + (i // self.cols) * CELL
        self.township_of = i * self.counts["townships"] // villages
        self.county_of_township = np.arange(self.counts["townships"]) * self.counts["counties"] // self.counts["townships"]

    def _lonlat(self, geoms) -> list:
        arr = np.asarray(geoms, dtype=object)
        return list(shapely.transform(arr, lambda xy: np.column_stack(self.to_lonlat.transform(xy[:, 0], xy[:, 1]))))

    def _frame(self, records, geoms) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(records, geometry=self._lonlat(geoms), crs="EPSG:4326")

    # -- codes --------------------------------------------------------------------------------
    def county_code(self, c: int) -> str:
        return f"1504{c + 2:02d}"

    def township_code(self, t: int) -> str:
        c = self.county_of_township[t]
        first = int(np.searchsorted(self.county_of_township, c))
        return f"{self.county_code(c)}{t - first + 1:03d}"

    def village_codes(self) -> list[str]:
        first = np.searchsorted(self.township_of, self.township_of)
        return [f"{self.township_code(t)}{i - f + 1:03d}" for i, (t, f) in enumerate(zip(self.township_of, first))]

    # -- layers -------------------------------------------------------------------------------
    def areas_and_grids(self):
        cells = shapely.box(self.vx, self.vy, self.vx + CELL, self.vy + CELL)
        codes = self.village_codes()
        records, geoms = [], []
        townships = [shapely.union_all(cells[self.township_of == t]) for t in range(self.counts["townships"])]
        for c in range(self.counts["counties"]):
            members = [townships[t] for t in np.flatnonzero(self.county_of_township == c)]
            records.append({"code": self.county_code(c), "name": f"示范{c + 1}县", "level": "county", "parent_code": None})
            geoms.append(shapely.union_all(members))
        for t, geom in enumerate(townships):
            records.append({"code": self.township_code(t), "name": f"第{t + 1}镇", "level": "township",
                            "parent_code": self.county_code(self.county_of_township[t])})
            geoms.append(geom)
        for i, code in enumerate(codes):
            records.append({"code": code, "name": f"{i + 1}村", "level": "village",
                            "parent_code": self.township_code(self.township_of[i])})
            geoms.append(cells[i])
        sevens = min(self.n, max(0, self.counts["grids"] - 6 * self.n))
        grid_records, grid_geoms = [], []
        for i, code in enumerate(codes):
            k = 7 if i < sevens else 6
            width = CELL / k
            for j in range(k):
                grid_records.append({"code": f"{code}{j + 1:02d}", "name": f"{i + 1}村{j + 1}网格", "village_code": code,
                                     "population": int(self.rng.integers(200, 1200))})
                grid_geoms.append(shapely.box(self.vx[i] + j * width, self.vy[i], self.vx[i] + (j + 1) * width,
                                              self.vy[i] + CELL))
        return self._frame(records, geoms), self._frame(grid_records, grid_geoms)

    def roads(self) -> gpd.GeoDataFrame:
        rows = math.ceil(self.n / self.cols)
        segments, classes = [], []
        for r in range(rows + 1):       # east-west edges
            for c in range(self.cols):
                x, y = self.x0 + c * CELL, self.y0 + r * CELL
                segments.append(shapely.LineString([(x, y), (x + CELL, y)]))
                classes.append("secondary")
        for r in range(rows):           # north-south edges, split where the middle roads meet them
            for c in range(self.cols + 1):
                x, y = self.x0 + c * CELL, self.y0 + r * CELL
                segments += [shapely.LineString([(x, y), (x, y + CELL / 2)]),
                             shapely.LineString([(x, y + CELL / 2), (x, y + CELL)])]
                classes += ["tertiary", "tertiary"]
        for i in range(self.n):         # through each village's middle
            y = self.vy[i] + CELL / 2
            segments.append(shapely.LineString([(self.vx[i], y), (self.vx[i] + CELL, y)]))
            classes.append("residential")
        return self._frame([{"road_class": k, "name": None} for k in classes], segments)

    def _on_roads(self, count: int):
        """``count`` points on village roads: (x, y, direction of the road in degrees, village)."""
        rng = self.rng
        village = np.arange(count) % self.n
        which = rng.integers(0, 3, size=count)  # 0: middle road, 1: south edge, 2: west edge
        t = rng.uniform(0.05, 0.95, size=count) * CELL
        x = self.vx[village] + np.where(which == 2, 0, t)
        y = self.vy[village] + np.where(which == 0, CELL / 2, np.where(which == 1, 0, t))
        direction = np.where(which == 2, 0.0, 90.0)
        return x, y, direction, village

    def cameras(self) -> gpd.GeoDataFrame:
        rng, count = self.rng, self.counts["cameras"]
        x, y, direction, _ = self._on_roads(count)
        dome = rng.random(count) < 0.25
        azimuth = (direction + np.where(rng.random(count) < 0.5, 0, 180)) % 360
        status = rng.choice(list(STATUS_P), size=count, p=list(STATUS_P.values()))
        records = pd.DataFrame({
            "code": [f"1504020100{'132' if d else '131'}1{i + 1:06d}" for i, d in enumerate(dome)],
            "name": [f"智慧卫眼{i + 1:05d}" for i in range(count)],
            "kind": np.where(dome, "dome", "bullet"), "azimuth": np.where(dome, np.nan, azimuth.round(1)),
            "fov_deg": np.where(dome, 360.0, rng.choice([45.0, 60.0, 90.0], size=count)),
            "range_m": np.where(dome, rng.integers(80, 151, size=count), rng.integers(50, 121, size=count)).astype(float),
            "status": status})
        return self._frame(records, shapely.points(x, y))

    def alarms(self) -> gpd.GeoDataFrame:
        rng, count = self.rng, self.counts["alarms"]
        x, y, _, _ = self._on_roads(count)
        x, y = x + rng.uniform(40, 80, size=count), y + rng.uniform(40, 80, size=count)
        premises = [shapely.to_wkt(self._lonlat([shapely.box(a - 40, b - 25, a + 40, b + 25)])[0]) if k % 3 else None
                    for k, (a, b) in enumerate(zip(x, y))]
        records = pd.DataFrame({
            "code": [f"15040201001341{i + 1:06d}" for i in range(count)],
            "enterprise": [f"企业{i + 1:05d}" for i in range(count)],
            "status": rng.choice(["online", "offline", "faulty"], size=count, p=[0.93, 0.05, 0.02]),
            "response_radius_m": rng.choice([150.0, 200.0, 300.0], size=count), "premises_wkt": premises})
        return self._frame(records, shapely.points(x, y))

    def teams_and_routes(self):
        teams = pd.DataFrame({"code": [f"T{t + 1:03d}" for t in range(self.counts["townships"])],
                              "name": [f"第{t + 1}镇巡防队" for t in range(self.counts["townships"])]})
        kind = self.rng.choice(["day", "night", "both"], size=self.n, p=[0.6, 0.3, 0.1])
        windows = {"day": "08:00-12:00,14:00-18:00", "night": "20:00-02:00", "both": "08:00-18:00,20:00-02:00"}
        records = pd.DataFrame({
            "code": [f"R{i + 1:05d}" for i in range(self.n)], "name": [f"{i + 1}村巡逻线" for i in range(self.n)],
            "team_code": [f"T{t + 1:03d}" for t in self.township_of],
            "mode": self.rng.choice(["motorcycle", "foot", "ebike", "car"], size=self.n, p=[0.6, 0.2, 0.1, 0.1]),
            "time_windows": [windows[k] for k in kind]})
        lines = [shapely.LineString([(self.vx[i], self.vy[i] + CELL / 2), (self.vx[i] + CELL, self.vy[i] + CELL / 2),
                                     (self.vx[i] + CELL, self.vy[i] + CELL)]) for i in range(self.n)]
        return teams, self._frame(records, lines)

    def bases(self) -> gpd.GeoDataFrame:
        """Each township team's station, where the middle road of its first village meets the village's west edge."""
        firsts = np.searchsorted(self.township_of, np.arange(self.counts["townships"]))
        records = pd.DataFrame({"code": [f"ZD{t + 1:03d}" for t in range(len(firsts))],
                                "name": [f"第{t + 1}镇巡防队驻地" for t in range(len(firsts))],
                                "kind": "team_station", "team_code": [f"T{t + 1:03d}" for t in range(len(firsts))]})
        return self._frame(records, shapely.points(self.vx[firsts], self.vy[firsts] + CELL / 2))

    def disputes(self) -> gpd.GeoDataFrame:
        rng, count = self.rng, self.counts["disputes"]
        village = rng.integers(0, self.n, size=count)
        x = self.vx[village] + rng.uniform(1, CELL - 1, size=count)
        y = self.vy[village] + rng.uniform(1, CELL - 1, size=count)
        grade = rng.choice(["ordinary", "complex", "difficult"], size=count, p=[0.6, 0.3, 0.1])
        status = rng.choice(["received", "routed", "handling", "feedback", "closed"], size=count,
                            p=[0.02, 0.02, 0.03, 0.03, 0.9])
        start = dt.datetime(2023, 1, 1)
        received = pd.to_datetime(start) + pd.to_timedelta(rng.uniform(0, 3 * 365, size=count), unit="D")
        closed = received + pd.to_timedelta(rng.uniform(0.2, 10, size=count), unit="D")
        records = pd.DataFrame({
            "code": [f"MD{i + 1:08d}" for i in range(count)],
            "category": rng.choice(["neighbours", "family", "land", "labour", "contract", "traffic", "other"], size=count),
            "summary": "矛盾纠纷", "grade": grade, "status": status,
            "received_at": received.strftime("%Y-%m-%d %H:%M"),
            "closed_at": np.where(status == "closed", closed.strftime("%Y-%m-%d %H:%M"), None)})
        return self._frame(records, shapely.points(x, y))

    def key_places(self) -> gpd.GeoDataFrame:
        """重点部位: each village's primary school (must be covered) and entrance (where its middle road
        meets its west edge); in each township's first village its market and health centre (both must
        be covered)."""
        i = np.arange(self.n)
        firsts = np.searchsorted(self.township_of, np.arange(self.counts["townships"]))
        middle = self.vy + CELL / 2
        kinds = [("XX", "小学", "school", True, self.vx + 0.3 * CELL, middle + 15, i),
                 ("CK", "村口", "village_entrance", False, self.vx, middle, i),
                 ("JS", "集市", "market", True, self.vx[firsts] + 0.55 * CELL, middle[firsts] - 20, firsts),
                 ("WY", "卫生院", "hospital", True, self.vx[firsts] + 0.7 * CELL, middle[firsts] + 20, firsts)]
        records, points = [], []
        for prefix, noun, kind, must, x, y, where in kinds:
            records += [{"code": f"{prefix}{k + 1:05d}", "name": f"{k + 1}村{noun}", "kind": kind, "must_cover": must}
                        for k in where]
            points.append(shapely.points(x, y))
        return self._frame(records, np.concatenate(points))

    def sites(self) -> gpd.GeoDataFrame:
        """候选点位: along each village's middle road every 200 m (a bullet on an existing pole, or either on
        a new one) and at both of its ends (crossings: either)."""
        rng = np.random.default_rng(2027)  # their own draws: the other layers stay as they were
        along = np.arange(100.0, CELL, 200.0)
        x = (self.vx[:, None] + np.concatenate([[0.0], along, [CELL]])[None, :]).ravel()
        y = np.repeat(self.vy + CELL / 2 + 4, len(along) + 2)
        end = np.tile(np.concatenate([[True], np.zeros(len(along), bool), [True]]), self.n)
        pole = ~end & (rng.random(len(x)) < 0.5)
        records = pd.DataFrame({"code": [f"LG{k + 1:06d}" for k in range(len(x))],
                                "mounts": np.where(pole, "bullet", "any"), "cost": np.where(pole, 5000.0, 8000.0),
                                "height_m": rng.choice([4.5, 6.0, 8.0], size=len(x))})
        return self._frame(records, shapely.points(x, np.where(end, y - 4, y)))

    def layers(self) -> dict:
        """Every layer, keyed by import layer name."""
        areas, grids = self.areas_and_grids()
        teams, routes = self.teams_and_routes()
        return {"areas": areas, "grids": grids, "teams": teams, "bases": self.bases(), "cameras": self.cameras(),
                "alarms": self.alarms(),
                "routes": routes, "disputes": self.disputes(), "roads": self.roads(),
                "key_places": self.key_places(), "sites": self.sites()}
