"""A deterministic synthetic township modelled on the source material's "xx镇".

14 villages of about 4 grids each, 140 "smart eyes" cameras (bullets facing along the roads,
PTZ domes at crossings, a few offline), 30 enterprises with one-button alarms, one 25-member
motorcycle patrol team with day and night routes on the roads (one village gets no night patrol),
a community police officer, one auxiliary officer per village, 3 coordinators, a grid worker per
grid, a road network, and about 200 disputes of all grades and statuses.

Everything is built in metres in UTM zone 50N around a point of the Henan plain, then returned in
lon/lat (EPSG:4326) as one GeoDataFrame (or DataFrame) per layer, in the columns the importer
expects. The same seed gives the same town.
"""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box

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


def _azimuth(line: LineString, at: float) -> float:
    a, b = line.interpolate(max(at - 5, 0)), line.interpolate(min(at + 5, line.length))
    return float(np.degrees(np.arctan2(b.x - a.x, b.y - a.y)) % 360)


class TownBuilder:
    """Builds the demo town's layers; ``layers()`` returns them keyed by import layer name."""

    def __init__(self, seed: int = 2026):
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
    def _road_lines(self) -> list[tuple[LineString, str, str]]:
        x0, y0, x1, y1 = self.town.bounds
        lines = []
        for i, y in enumerate(np.arange(y0 + 750, y1, 1500)):
            cls = "primary" if abs(y - self.cy) < 750 else "tertiary"
            lines.append((LineString([(x0, y), (x1, y)]), cls, f"纬{i + 1}路"))
        for i, x in enumerate(np.arange(x0 + 750, x1, 1500)):
            cls = "secondary" if abs(x - self.cx) < 750 else "residential"
            lines.append((LineString([(x, y0), (x, y1)]), cls, f"经{i + 1}路"))
        lines.append((LineString([(x0, y0), (x1, y1)]), "trunk", "国道G220"))
        return [(line.intersection(self.town), cls, name) for line, cls, name in lines
                if not line.intersection(self.town).is_empty]

    def roads(self) -> tuple[list[LineString], list[dict]]:
        """Road segments noded at every crossing, with class and name."""
        lines = self._road_lines()
        noded = shapely.get_parts(shapely.node(shapely.MultiLineString([l for l, _, _ in lines])))
        geoms, records = [], []
        for segment in noded:
            mid = segment.interpolate(0.5, normalized=True)
            line, cls, name = min(lines, key=lambda item: item[0].distance(mid))
            geoms.append(segment)
            records.append({"road_class": cls, "name": name})
        return geoms, records

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

        road_geoms, road_records = self.roads()
        layers["roads"] = _frame(road_records, road_geoms)
        network = shapely.MultiLineString(road_geoms)

        layers["teams"] = _frame([{"code": "T01", "name": "平安镇巡防队"}])
        layers["bases"] = self._bases(villages, network)
        layers["people"] = self._people(grid_records)
        layers["cameras"] = self._cameras(villages, network)
        layers["alarms"] = self._alarms(network, layers["cameras"])
        layers["routes"] = self._routes(villages)
        layers["disputes"] = self._disputes(villages)
        return layers

    def _bases(self, villages, network) -> gpd.GeoDataFrame:
        """The township's police station and the team's station at the centre, a police room per village,
        each on the road nearest to it."""
        centre = Point(self.cx, self.cy)
        records = [{"code": "PCS01", "name": "平安镇派出所", "kind": "police_station", "team_code": None},
                   {"code": "ZD01", "name": "平安镇巡防队驻地", "kind": "team_station", "team_code": "T01"}]
        places = [Point(centre.x + 120, centre.y + 80), Point(centre.x - 150, centre.y - 60)]
        for i, (seed, _) in enumerate(villages):
            records.append({"code": f"JWS{i + 1:02d}", "name": f"{VILLAGE_NAMES[i]}警务室", "kind": "police_room",
                            "team_code": None})
            places.append(seed)
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

    def _cameras(self, villages, network) -> gpd.GeoDataFrame:
        rng, records, geoms, serial = self.rng, [], [], 0
        statuses = ["online"] * 140
        for k, status in zip(rng.choice(140, size=13, replace=False),
                             ["offline"] * 7 + ["faulty"] * 3 + ["planned"] * 3):
            statuses[k] = status
        for i, (seed, cell) in enumerate(villages):
            core = seed.buffer(900).intersection(cell)
            local = [l for l in shapely.get_parts(network.intersection(core)) if l.length > 30]
            crossings = [p for p in shapely.get_parts(shapely.extract_unique_points(
                shapely.MultiLineString(local))) if core.contains(p)] if local else []
            for n in range(10):
                kind = "dome" if n < 3 else "bullet"
                if kind == "dome" and crossings:
                    point, azimuth = crossings[n % len(crossings)], None
                elif local:
                    line = local[int(rng.integers(len(local)))]
                    at = float(rng.uniform(0, line.length))
                    point = line.interpolate(at)
                    azimuth = (_azimuth(line, at) + (180 if rng.random() < 0.5 else 0)) % 360
                else:
                    point, azimuth = Point(seed.x + rng.uniform(-300, 300), seed.y + rng.uniform(-300, 300)), 0.0
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

    def _routes(self, villages) -> gpd.GeoDataFrame:
        lines = [line for line, cls, _ in self._road_lines() if line.geom_type == "LineString"]
        avoid = villages[NO_NIGHT_VILLAGE][1].buffer(60)
        day = "08:00-12:00,14:00-18:00"
        records, geoms = [], []
        for n, line in enumerate(lines):
            night = not line.intersects(avoid) and n % 2 == 0
            records.append({"code": f"R{n + 1:02d}", "name": f"{'夜间' if night else '日间'}巡逻线路{n + 1}",
                            "team_code": "T01", "mode": "motorcycle", "sight_width_m": None,
                            "time_windows": "20:00-02:00" if night else day, "weekdays": "1,2,3,4,5,6,7",
                            "active": True})
            geoms.append(line)
        market = self.town.centroid.buffer(500).exterior
        records.append({"code": f"R{len(lines) + 1:02d}", "name": "集镇步巡线路", "team_code": "T01",
                        "mode": "foot", "sight_width_m": 20.0, "time_windows": "09:00-11:30,19:00-21:30",
                        "weekdays": "1,3,5,6,7", "active": True})
        geoms.append(LineString(market.coords))
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
