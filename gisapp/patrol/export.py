"""A saved patrol route for the patrol members' phones: GPX (gpxpy) and KML (GDAL through pyogrio).

The track is the route's line; the waypoints are the team's base, the open disputes it passes
within sight (code, grade and category: never the parties) and the online alarms within the
straight-line reach of it (gisapp.patrol.passing). Coordinates are lon/lat (WGS84, as GPS devices read them).
"""
from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import geopandas as gpd
import gpxpy.gpx
import shapely
from sqlalchemy import text

from gisapp import domain
from gisapp.features import DEGREES_PER_METRE
from gisapp.patrol.passing import ONLINE_ALARM_NEAR, OPEN_DISPUTE_IN_SIGHT

ROUTE_SQL = """
SELECT r.code, r.name, r.mode, t.code AS team, t.name AS team_name, ST_AsGeoJSON(r.geom) AS geojson,
       coalesce(r.sight_width_m, (CAST(:widths AS jsonb) ->> r.mode)::float) AS width,
       ST_Length(r.geom::geography) AS length_m, array_to_string(r.weekdays, ',') AS weekdays,
       (SELECT string_agg(to_char(w.starts, 'HH24:MI') || '-' || to_char(w.ends, 'HH24:MI'), ', ' ORDER BY w.starts)
        FROM patrol_window w WHERE w.route_id = r.id) AS windows
FROM patrol_route r JOIN patrol_team t ON t.id = r.team_id WHERE r.code = :code
"""
# Each waypoint where the route passes nearest to it (its share of the way); the team's base too, with how far
# it lies off the route (a route may start kilometres from it).
WAYPOINTS_SQL = f"""
SELECT 'base' AS kind, b.code, b.name, b.kind AS detail, ST_X(b.geom) AS lon, ST_Y(b.geom) AS lat,
       ST_LineLocatePoint(r.geom, b.geom) AS sort, ST_Distance(b.geom::geography, r.geom::geography) AS off_m
FROM patrol_base b JOIN patrol_route r ON r.team_id = b.team_id WHERE r.code = :code
UNION ALL
SELECT 'dispute', d.code, d.code, d.grade || ' ' || d.category, ST_X(d.geom), ST_Y(d.geom),
       ST_LineLocatePoint(r.geom, d.geom), 0
FROM dispute d JOIN patrol_route r ON r.code = :code WHERE {OPEN_DISPUTE_IN_SIGHT}
UNION ALL
SELECT 'alarm', a.code, a.enterprise, a.status, ST_X(a.geom), ST_Y(a.geom), ST_LineLocatePoint(r.geom, a.geom), 0
FROM alarm_point a JOIN patrol_route r ON r.code = :code WHERE {ONLINE_ALARM_NEAR}
ORDER BY sort, code
"""
# A base farther than this from the route says how far (metres).
BASE_OFF_ROUTE_M = 100
KINDS = {"base": "巡防基地 base", "dispute": domain.STOP_KINDS["dispute"], "alarm": domain.STOP_KINDS["alarm"]}


def _label(kind: str, detail: str, categories: dict, off_m: float = 0.0) -> str:
    """A waypoint's description in Chinese first: the base's kind (and how far off the route it lies), the
    dispute's grade and category."""
    if kind == "base":
        far = f"，距线路 {off_m / 1000:.1f} km off the route" if off_m > BASE_OFF_ROUTE_M else ""
        return domain.BASE_KINDS.get(detail, detail) + far
    if kind == "dispute":
        grade, category = detail.split(" ", 1)
        return f"{domain.DISPUTE_GRADES[grade]} · {categories.get(category, category)}"
    return domain.DEVICE_STATUSES.get(detail, detail)


def weekdays_text(weekdays: str | None) -> str:
    """Weekdays ("1,2,…,7", Monday first) as people read them: 每天 every day, or each by its label."""
    days = [d for d in (weekdays or "").split(",") if d]
    if len(days) == 7:
        return "每天 every day"
    return "、".join(domain.WEEKDAYS.get(d, d) for d in days)


def route_with_waypoints(conn, settings: dict, code: str) -> tuple[dict, list[dict]] | None:
    """The route (code, name, mode, team, GeoJSON geometry, length, windows, weekdays) and its waypoints in
    order (``along``: the share of the route before each); None when unknown."""
    route = conn.execute(text(ROUTE_SQL), {"code": code, "widths": json.dumps(settings["sight_width_m"])}).first()
    if route is None:
        return None
    reach = settings["coverage"]["alarm_patrol_reach_m"]
    points = conn.execute(text(WAYPOINTS_SQL), {"code": code, "width": route.width, "deg": route.width * DEGREES_PER_METRE,
                                                "reach": reach, "reach_deg": reach * DEGREES_PER_METRE}).mappings().all()
    waypoints = [{"kind": p["kind"], "code": p["code"], "name": p["name"], "lon": p["lon"], "lat": p["lat"],
                  "along": float(p["sort"]),
                  "description": f"{KINDS[p['kind']]}: "
                                 f"{_label(p['kind'], p['detail'], settings['dispute_categories'], p['off_m'])}"}
                 for p in points]
    return {**route._mapping, "geometry": json.loads(route.geojson)}, waypoints


def to_gpx(route: dict, waypoints: list[dict]) -> str:
    """GPX 1.1: the route as a track, the waypoints as waypoints."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "gisapp 三网融合治安防控"
    gpx.name = f"{route['name']} ({route['code']})"
    track = gpxpy.gpx.GPXTrack(name=gpx.name, description=f"{domain.PATROL_MODES[route['mode']]} · {route['team']}")
    segment = gpxpy.gpx.GPXTrackSegment([gpxpy.gpx.GPXTrackPoint(lat, lon)
                                         for lon, lat, *_ in route["geometry"]["coordinates"]])
    track.segments.append(segment)
    gpx.tracks.append(track)
    for w in waypoints:
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(w["lat"], w["lon"], name=f"{w['name']}",
                                                   description=w["description"], type=w["kind"]))
    return gpx.to_xml(version="1.1")


def to_kml(route: dict, waypoints: list[dict]) -> bytes:
    """KML (GDAL's KML driver): the track first, then the waypoints, each with its name and description."""
    rows = [{"Name": f"{route['name']} ({route['code']})",
             "Description": f"{domain.PATROL_MODES[route['mode']]} · {route['team']}"}]
    rows += [{"Name": w["name"], "Description": w["description"]} for w in waypoints]
    geometries = [shapely.geometry.shape(route["geometry"])] + [shapely.Point(w["lon"], w["lat"]) for w in waypoints]
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "route.kml"
        frame.to_file(path, driver="KML", layer=route["code"], engine="pyogrio", geometry_type="Unknown")
        return path.read_bytes()


def sheet(route: dict, waypoints: list[dict], settings: dict, width: int = 640, height: int = 420) -> dict:
    """What the printable route sheet shows: figures, the route and waypoints drawn in an SVG box
    (lon/lat scaled to metres at the route's latitude, north up), and each waypoint's minute on the way."""
    minutes = route["length_m"] / (settings["patrol"]["speed_kmh"][route["mode"]] * 1000 / 60)
    coords = route["geometry"]["coordinates"]
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    squeeze = math.cos(math.radians(sum(lats) / len(lats)))
    span = max((max(lons) - min(lons)) * squeeze, max(lats) - min(lats), 1e-6)
    scale = min(width, height) * 0.9 / span

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (round(width / 2 + (lon - (min(lons) + max(lons)) / 2) * squeeze * scale, 1),
                round(height / 2 - (lat - (min(lats) + max(lats)) / 2) * scale, 1))
    return {"route": route, "mode": domain.PATROL_MODES[route["mode"]], "minutes": round(minutes),
            "weekdays": weekdays_text(route["weekdays"]), "width": width, "height": height,
            "line": " ".join(f"{x},{y}" for x, y in (xy(c[0], c[1]) for c in coords)),
            "stops": [{**w, "n": n + 1, "minute": round(w["along"] * minutes), "xy": xy(w["lon"], w["lat"])}
                      for n, w in enumerate(waypoints)]}
