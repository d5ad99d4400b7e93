"""The report's map, drawn by matplotlib from the PostGIS geometries (no base map tiles: works offline).

Villages and grids, roads, the coverage gaps by day (filled) and by night (hatched), the hot spot grids
(outlined), and the period's disputes by grade (colour and shape), the overdue ones ringed in black.
Longitude and latitude are drawn with the aspect of their length at the area's latitude; a scale bar
and a north arrow say the rest. Colours differ from those of the dispute grades (domain.GRADE_COLOURS).
"""
from __future__ import annotations

import io
import math
import threading

from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gisapp import domain

T = domain.REPORT_TEXT
DAY_GAP = "#ffd84d"
NIGHT_GAP = "#6a51a3"
HOT = "#c51b7d"
MARKERS = {"ordinary": "o", "complex": "s", "difficult": "^"}
SIZES = {"ordinary": 28, "complex": 26, "difficult": 42}
ROAD_WIDTHS = {"trunk": 1.6, "primary": 1.3, "secondary": 1.1, "tertiary": 0.9, "residential": 0.6,
               "service": 0.4, "track": 0.4, "path": 0.3}
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]
# matplotlib's rc settings are global: one report is drawn at a time (the PDF's pages and the workbook's map).
DRAWING = threading.Lock()


def _nice(length_m: float) -> float:
    """A round length (1, 2 or 5 times a power of ten) no longer than ``length_m``."""
    power = 10 ** math.floor(math.log10(length_m))
    return max(m * power for m in (1, 2, 5) if m * power <= length_m)


def _scale_bar(ax, x0: float, x1: float, y0: float, y1: float, lat: float) -> None:
    metres_per_deg = 111_320 * math.cos(math.radians(lat))
    length = _nice((x1 - x0) * metres_per_deg / 5)
    deg = length / metres_per_deg
    x, y = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([x, x + deg], [y, y], color="black", lw=3, solid_capstyle="butt", zorder=20)
    ax.plot([x, x + deg / 2], [y, y], color="white", lw=1.5, solid_capstyle="butt", zorder=21)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x + deg / 2, y + (y1 - y0) * 0.012, label, ha="center", va="bottom", fontsize=7, zorder=21,
            path_effects=HALO)


def _north(ax, x1: float, y1: float, dx: float, dy: float) -> None:
    x, y = x1 - dx * 0.05, y1 - dy * 0.12
    ax.annotate(T["north"], xy=(x, y + dy * 0.07), xytext=(x, y), ha="center", va="top", fontsize=8, zorder=21,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2}, path_effects=HALO)


def extent(layers: dict) -> tuple[float, float, float, float] | None:
    """The map's bounds (lon/lat, with a margin), or None when the area has no villages."""
    if layers["villages"].empty:
        return None
    x0, y0, x1, y1 = layers["villages"].total_bounds
    pad = max(x1 - x0, y1 - y0) * 0.03
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def height_for(layers: dict, width: float) -> float:
    """How tall the map is when drawn ``width`` wide (the same unit), north up at its latitude's scale."""
    bounds = extent(layers)
    if bounds is None:
        return width / 2
    x0, y0, x1, y1 = bounds
    return width * (y1 - y0) / ((x1 - x0) * math.cos(math.radians((y0 + y1) / 2)))


def draw(ax, layers: dict) -> None:
    """Draw the report's map on ``ax`` from the layers of ``gisapp.report.data.map_layers``."""
    villages = layers["villages"]
    ax.set_xticks([])
    ax.set_yticks([])
    if villages.empty:
        ax.text(0.5, 0.5, T["no_area"], ha="center", va="center", transform=ax.transAxes)
        return
    x0, y0, x1, y1 = extent(layers)
    lat = (y0 + y1) / 2
    ax.set_aspect(1 / math.cos(math.radians(lat)))
    ax.set_facecolor("#fbfbf8")
    if not layers["grids"].empty:
        layers["grids"].boundary.plot(ax=ax, color="#c8c8c8", lw=0.35, zorder=1)
    roads = layers["roads"]
    for road_class, part in roads.groupby("road_class") if not roads.empty else ():
        part.plot(ax=ax, color="#8c8c8c", lw=ROAD_WIDTHS.get(road_class, 0.4), zorder=2)
    if not layers["gaps_day"].empty:
        layers["gaps_day"].plot(ax=ax, color=DAY_GAP, alpha=0.85, lw=0, zorder=3)
    if not layers["gaps_night"].empty:
        layers["gaps_night"].plot(ax=ax, facecolor="none", edgecolor=NIGHT_GAP, hatch="//////", lw=0.3, zorder=4)
    villages.boundary.plot(ax=ax, color="#3a3a3a", lw=0.9, zorder=5)
    if not layers["hot"].empty:
        layers["hot"].boundary.plot(ax=ax, color=HOT, lw=2.2, zorder=6)
    disputes = layers["disputes"]
    if not disputes.empty:
        late = disputes[disputes["overdue"].fillna(False).astype(bool)]
        ax.scatter(late.geometry.x, late.geometry.y, s=90, facecolors="none", edgecolors="black", linewidths=1.3,
                   zorder=7)
        for grade, part in disputes.groupby("grade"):
            ax.scatter(part.geometry.x, part.geometry.y, s=SIZES.get(grade, 26), marker=MARKERS.get(grade, "o"),
                       color=domain.GRADE_COLOURS.get(grade, "#555555"), edgecolors="white", linewidths=0.5, zorder=8)
    for _, row in villages.iterrows():
        point = row.geom.representative_point()
        ax.text(point.x, point.y, row["name"], ha="center", va="center", fontsize=7.5, color="#202020", zorder=9,
                path_effects=HALO)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_anchor("N")
    _scale_bar(ax, x0, x1, y0, y1, lat)
    _north(ax, x1, y1, x1 - x0, y1 - y0)
    handles = [Line2D([], [], marker=MARKERS[g], color="none", markerfacecolor=domain.GRADE_COLOURS[g],
                      markeredgecolor="white", markersize=7, label=label) for g, label in domain.DISPUTE_GRADES.items()]
    handles += [Line2D([], [], marker="o", color="none", markerfacecolor="none", markeredgecolor="black",
                       markersize=9, label=T["overdue_ring"]),
                Patch(facecolor=DAY_GAP, edgecolor="none", label=T["day_gaps"]),
                Patch(facecolor="none", edgecolor=NIGHT_GAP, hatch="//////", lw=0.3, label=T["night_gaps"]),
                Patch(facecolor="none", edgecolor=HOT, lw=2, label=T["hot_grids"]),
                Line2D([], [], color="#3a3a3a", lw=0.9, label=T["village_bounds"]),
                Line2D([], [], color="#c8c8c8", lw=0.8, label=T["grid_bounds"]),
                Line2D([], [], color="#8c8c8c", lw=1, label=T["roads"])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.01), ncol=3, fontsize=7, frameon=False,
              handlelength=1.8, columnspacing=1.2)


def png(layers: dict, font_family: str, width_in: float = 9.0, height_in: float = 7.5, dpi: int = 150) -> bytes:
    """The map alone as a PNG (for the workbook)."""
    from matplotlib import rc_context
    with DRAWING, rc_context({"font.family": [font_family], "axes.unicode_minus": False}):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_axes((0.02, 0.16, 0.96, 0.82))
        draw(ax, layers)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()

