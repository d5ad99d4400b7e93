"""The slippy-map tile holding a point, for tests that fetch a feature's tile."""
import math


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile (x, y) at zoom ``z`` holding lon/lat (EPSG:4326)."""
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
