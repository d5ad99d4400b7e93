"""A siting plan's cameras for the people who build them: Excel (openpyxl through pandas) and GeoJSON.

The sheet's headers come from one vocabulary, Chinese first; the candidate site a camera stands on (blank once
it was moved off it); its grid by name and code; positions in lon/lat on WGS84 and on
CGCS2000 (EPSG:4490, the national frame; they differ from WGS84 by centimetres); the GB/T 28181
device ID column is left empty for the installer to fill.
"""
from __future__ import annotations

import json

import pandas as pd
from pyproj import Transformer

from gisapp import domain
from gisapp.tables import table_bytes

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "geojson": "application/geo+json"}
HEADERS = {"code": "编号 Code", "name": "名称 Name", "site": "候选点位 Candidate site", "lon": "经度 WGS84 lon",
           "lat": "纬度 WGS84 lat", "lon_cgcs": "经度 CGCS2000 lon", "lat_cgcs": "纬度 CGCS2000 lat", "kind": "类型 Kind",
           "azimuth": "朝向 Azimuth (°)", "fov_deg": "视场角 Field of view (°)", "purpose": "用途 Purpose",
           "range_m": "距离 Range (m)", "cost": "造价 Cost (yuan)", "status": "状态 Status", "grid": "网格 Grid",
           "grid_code": "网格编码 Grid code", "village": "村 Village", "device_id": "设备编码 GB/T 28181 device ID"}
TO_CGCS2000 = Transformer.from_crs("EPSG:4326", "EPSG:4490", always_xy=True)


def _rows(plan: dict, cameras: list[dict]) -> list[dict]:
    purpose = (plan.get("request") or {}).get("purpose")
    rows = []
    for c in cameras:
        lon_c, lat_c = TO_CGCS2000.transform(c["lon"], c["lat"])
        rows.append({"code": c["code"], "name": c["name"], "site": c["site"] or "",
                     "lon": round(c["lon"], 7), "lat": round(c["lat"], 7),
                     "lon_cgcs": round(lon_c, 7), "lat_cgcs": round(lat_c, 7),
                     "kind": domain.CAMERA_KINDS.get(c["kind"], c["kind"]), "azimuth": c["azimuth"],
                     "fov_deg": c["fov_deg"], "purpose": domain.DORI_PURPOSES.get(purpose, "") if purpose else "",
                     "range_m": c["range_m"], "cost": c["cost"], "status": domain.DEVICE_STATUSES[c["status"]],
                     "grid": c["grid_name"], "grid_code": c["grid"], "village": c["village"], "device_id": ""})
    return rows


def write(fmt: str, plan: dict, cameras: list[dict]) -> bytes:
    """The plan's cameras as ``fmt`` (xlsx or geojson)."""
    rows = _rows(plan, cameras)
    if fmt == "geojson":
        return json.dumps({"type": "FeatureCollection", "name": plan["code"], "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
             "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")}} for r in rows]},
            ensure_ascii=False).encode()
    return table_bytes(pd.DataFrame(rows, columns=list(HEADERS)).rename(columns=HEADERS), "xlsx", plan["code"])
