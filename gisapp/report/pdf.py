"""The report as a PDF: A4 pages drawn by matplotlib, every text in the CJK font found at run time.

Page one has the title, the period, the dispute figures against the previous period and the nets'
state; page two the map; then the figures by grade and category (charts and tables), by village, the
flagged grids and the hot spots. Tables wrap their cells and continue on the next page with their header.
The font's glyphs are embedded as Type 3 procedures (``pdf.fonttype`` 3) with their Unicode map, so the
text can be searched and copied; TrueType embedding (42) of a CJK font takes twice as long (fontTools subsetting).
"""
from __future__ import annotations

import re

from matplotlib import rc_context
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle

from gisapp import domain
from gisapp.report import mapimage
from gisapp.report.data import Report
from gisapp.report.fonts import Font
from gisapp.report.tables import Change, Rate, Table, Time, all_tables, days

T = domain.REPORT_TEXT
PAGE_W, PAGE_H = 8.27, 11.69          # A4, inches
LEFT, RIGHT, TOP, BOTTOM = 0.6, 0.6, 0.55, 0.65
WIDTH = PAGE_W - LEFT - RIGHT
ALERT = "#c0392b"
INK, MUTED, RULE, HEAD_BG, ZEBRA = "#1e1e1e", "#666666", "#b9c3cf", "#e6ecf3", "#f6f7f9"
KEEP_TOGETHER = 3.5                   # inches: a table shorter than this is not split across pages
NOW_COLOUR, BEFORE_COLOUR = "#12355b", "#a9b8c9"
# What a line may break after: a CJK character, or a word with its spaces; closing punctuation stays with
# what it follows (a line never starts with "、").
CJK, CLOSE = "\u2e80-\u9fff\uf900-\ufaff\uff01-\uff07\uff0a-\uff5e", "、，。：；）)\uff09"
TOKENS = re.compile(rf"[{CJK}（(][{CLOSE}]*|[^\s{CJK}{CLOSE}（(]+[{CLOSE}]*\s*|[{CLOSE}]+|\s+")


def cell_text(value) -> str:
    """A cell as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, Rate):
        return "—" if value.value is None else f"{value.value * 100:.1f}%"
    if isinstance(value, Change):
        if value.value is None:
            return "—"
        if value.points:
            return f"{value.value * 100:+.1f} {T['points']}"
        change = f"{value.value:+g}" if value.value else "0"
        if value.previous and value.value:
            change += f" ({value.value / value.previous * 100:+.0f}%)"
        return change
    if isinstance(value, Time):
        return value.text()
    if isinstance(value, bool):
        return domain.TARGET_MET[value]
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float, Rate, Change)) and not isinstance(value, bool)


class Pages:
    """A4 pages filled from the top: headings, paragraphs, tables and drawings, a new page when one is full."""

    def __init__(self, pdf: PdfPages, header: str, font: Font, preview=None):
        self.pdf, self.header, self.font, self.preview = pdf, header, font, preview
        self.fig: Figure | None = None
        self.y = TOP
        self.number = 0
        self._renderer = RendererAgg(10, 10, 72)
        self._widths: dict[tuple, float] = {}

    # -- measuring and wrapping -------------------------------------------------------------
    def width(self, text: str, size: float, bold: bool = False) -> float:
        """The width of ``text`` in inches."""
        key = (text, size, bold)
        if key not in self._widths:
            prop = FontProperties(family=self.font.family, size=size, weight="bold" if bold else "normal")
            self._widths[key] = self._renderer.get_text_width_height_descent(text, prop, ismath=False)[0] / 72
        return self._widths[key]

    def wrap(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        """``text`` in lines no wider than ``width`` inches (broken between words or CJK characters)."""
        lines: list[str] = []
        for paragraph in str(text).split("\n"):
            if self.width(paragraph, size, bold) <= width:
                lines.append(paragraph)
                continue
            line = ""
            for token in TOKENS.findall(paragraph):
                if line and self.width((line + token).rstrip(), size, bold) > width:
                    lines.append(line.rstrip())
                    line = token.lstrip()
                else:
                    line += token
            lines.append(line.rstrip())
        return lines or [""]

    # -- pages ------------------------------------------------------------------------------
    def page(self) -> None:
        self.finish()
        self.number += 1
        self.fig = Figure(figsize=(PAGE_W, PAGE_H))
        self.fig.text(LEFT / PAGE_W, 1 - 0.32 / PAGE_H, self.header, fontsize=7, color=MUTED, va="center")
        self.fig.text(1 - RIGHT / PAGE_W, 0.35 / PAGE_H, T["page"].format(n=self.number), fontsize=7, color=MUTED,
                      ha="right", va="center")
        self.fig.add_artist(Rectangle((LEFT / PAGE_W, 1 - 0.42 / PAGE_H), WIDTH / PAGE_W, 0.6 / PAGE_H / 72,
                                      transform=self.fig.transFigure, color=RULE, lw=0))
        self.y = TOP

    def finish(self) -> None:
        if self.fig is not None:
            if self.preview:
                self.preview(self.number, self.fig)
            self.pdf.savefig(self.fig)
            self.fig = None

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` inches still fit on this one."""
        if self.fig is None or self.y + height > PAGE_H - BOTTOM:
            self.page()

    def _text(self, x: float, y: float, text: str, **kw) -> None:
        self.fig.text(x / PAGE_W, 1 - y / PAGE_H, text, va="top", **kw)

    def text(self, text: str, size: float = 9, bold: bool = False, color: str = INK, after: float = 0.06,
             keep: float = 0.0) -> None:
        lines = self.wrap(text, WIDTH, size, bold)
        line_h = size * 1.4 / 72
        self.room(line_h * len(lines) + keep)
        for line in lines:
            self._text(LEFT, self.y, line, fontsize=size, fontweight="bold" if bold else "normal", color=color)
            self.y += line_h
        self.y += after

    def heading(self, text: str, size: float = 12.5) -> None:
        self.y += 0.12
        self.text(text, size=size, bold=True, color="#12355b", after=0.08, keep=0.9)

    def axes(self, height: float, left: float = 0.0, width: float | None = None, advance: bool = True):
        """Axes ``height`` inches tall at the current place (``left`` inches in, ``width`` wide)."""
        self.room(height)
        width = WIDTH - left if width is None else width
        ax = self.fig.add_axes(((LEFT + left) / PAGE_W, 1 - (self.y + height) / PAGE_H, width / PAGE_W,
                                height / PAGE_H))
        if advance:
            self.y += height
        return ax

    def table(self, table: Table, size: float = 7.5, width: float = WIDTH) -> None:
        widths = table.widths or [1 / len(table.columns)] * len(table.columns)
        scale = width / sum(widths)
        cols = [w * scale for w in widths]
        xs = [LEFT + sum(cols[:i]) for i in range(len(cols))]
        pad, line_h = 0.05, size * 1.35 / 72
        head = [self.wrap(label, c - 2 * pad, size, bold=True) for label, c in zip(table.columns, cols)]
        head_h = max(len(h) for h in head) * line_h + 2 * pad
        numeric = [bool(table.rows) and all(is_number(r[i]) or r[i] is None for r in table.rows)
                   for i in range(len(cols))]

        def header() -> None:
            self.fig.add_artist(Rectangle((LEFT / PAGE_W, 1 - (self.y + head_h) / PAGE_H), width / PAGE_W,
                                          head_h / PAGE_H, transform=self.fig.transFigure, color=HEAD_BG, lw=0))
            for x, c, lines, num in zip(xs, cols, head, numeric):
                for n, line in enumerate(lines):
                    self._text(x + c - pad if num else x + pad, self.y + pad + n * line_h, line, fontsize=size,
                               fontweight="bold", ha="right" if num else "left", color=INK)
            self.y += head_h

        cells = [[self.wrap(cell_text(v), c - 2 * pad, size) for v, c in zip(row, cols)] for row in table.rows]
        heights = [max(len(t) for t in texts) * line_h + 2 * pad for texts in cells]
        whole = head_h + sum(heights)
        # A short table stays on one page; a long one starts with at least its header and three rows.
        self.room(whole if whole < KEEP_TOGETHER else head_h + sum(heights[:3]))
        header()
        for r, (row, texts, row_h) in enumerate(zip(table.rows, cells, heights)):
            if self.y + row_h > PAGE_H - BOTTOM:
                self.page()
                header()
            if r % 2:
                self.fig.add_artist(Rectangle((LEFT / PAGE_W, 1 - (self.y + row_h) / PAGE_H), width / PAGE_W,
                                              row_h / PAGE_H, transform=self.fig.transFigure, color=ZEBRA, lw=0))
            for x, c, lines, value, num in zip(xs, cols, texts, row, numeric):
                alert = value == domain.TARGET_MET[False]
                for n, line in enumerate(lines):
                    self._text(x + c - pad if num else x + pad, self.y + pad + n * line_h, line, fontsize=size,
                               ha="right" if num else "left", color=ALERT if alert else INK,
                               fontweight="bold" if alert else "normal")
            self.y += row_h
        self.fig.add_artist(Rectangle((LEFT / PAGE_W, 1 - self.y / PAGE_H), width / PAGE_W, 0.6 / PAGE_H / 72,
                                      transform=self.fig.transFigure, color=RULE, lw=0))
        self.y += 0.08
        if table.note:
            self.text(table.note, size=7, color=MUTED)
        self.y += 0.05


def _bars(ax, table: Table, colours: list[str] | None = None) -> None:
    """This period against the previous one, as horizontal bars (the table's first column names them)."""
    labels = [row[0] for row in table.rows][::-1]
    now = [row[1] or 0 for row in table.rows][::-1]
    before = [row[2] or 0 for row in table.rows][::-1]
    ys = range(len(labels))
    colours = colours[::-1] if colours else [NOW_COLOUR] * len(labels)
    ax.barh([y + 0.2 for y in ys], now, height=0.38, color=colours, label=domain.REPORT_COLUMNS["current"])
    ax.barh([y - 0.2 for y in ys], before, height=0.38, color=BEFORE_COLOUR, label=domain.REPORT_COLUMNS["previous"])
    for y, n in zip(ys, now):
        ax.text(n, y + 0.2, f" {n}", va="center", fontsize=6.5, color=INK)
    ax.set_yticks(list(ys), labels, fontsize=7)
    ax.tick_params(axis="x", labelsize=6.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    handles = [Patch(color=NOW_COLOUR if len(set(colours)) == 1 else "#555555", label=domain.REPORT_COLUMNS["current"]),
               Patch(color=BEFORE_COLOUR, label=domain.REPORT_COLUMNS["previous"])]
    ax.legend(handles=handles, fontsize=6.5, frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncol=2)


def write_pdf(report: Report, target, font: Font, preview=None) -> None:
    """Write ``report`` as a PDF to ``target`` (a path or a binary file) in ``font``; ``preview(number, figure)``
    is called with each page before it is written (to save it as an image too)."""
    tables = {t.section: t for t in all_tables(report)}
    period = domain.REPORT_PERIODS[report.request.period]
    dates = days(report.current["start"], report.current["stop"])
    header = f"{report.area} · {period} · {dates}"
    settings = {"font.family": [font.family], "axes.unicode_minus": False, "pdf.fonttype": 3,
                "font.size": 8}
    with mapimage.DRAWING, rc_context(settings), PdfPages(target, metadata={
            "Title": f"{report.area} {period} {dates}", "Subject": T["title"], "Creator": "gisapp report"}) as pdf:
        pages = Pages(pdf, header, font, preview)
        pages.page()
        pages.text(f"{report.area} · {period}", size=19, bold=True, color="#12355b", after=0.04)
        pages.text(T["title"], size=11, color=MUTED, after=0.1)
        pages.table(tables["summary"], size=8, width=WIDTH * 0.75)
        pages.heading(domain.REPORT_SECTIONS["disputes"])
        pages.table(tables["disputes"], size=8.5)
        pages.heading(domain.REPORT_SECTIONS["nets"])
        pages.table(tables["nets"], size=8, width=WIDTH * 0.75)

        pages.page()
        pages.heading(domain.REPORT_SECTIONS["map"])
        pages.text(T["map_note"], size=7.5, color=MUTED)
        room = PAGE_H - BOTTOM - pages.y - 1.0  # the legend goes under the map
        mapimage.draw(pages.axes(min(mapimage.height_for(report.layers, WIDTH), room)), report.layers)
        pages.y += 0.9
        for section, colours in (("grades", [domain.GRADE_COLOURS[g] for g in domain.DISPUTE_GRADES]),
                                 ("categories", None)):
            table = tables[section]
            chart = 0.3 * len(table.rows) + 0.3
            pages.room(chart + 1.0)  # the heading stays with its chart
            pages.heading(domain.REPORT_SECTIONS[section])
            pages.y += 0.1
            _bars(pages.axes(chart, left=1.7, width=WIDTH - 2.0), table, colours)
            pages.y += 0.4
            pages.table(table, size=8)
        for section in ("villages", "nets_villages", "flagged", "hotspots"):
            table = tables[section]
            pages.heading(domain.REPORT_SECTIONS[section])
            if section == "flagged" and table.rows:  # one table per time of day, without that column
                for period in (T["day"], T["night"]):
                    rows = [row[1:] for row in table.rows if row[0] == period]
                    pages.text(f"{period} · {len(rows)}", size=9.5, bold=True, after=0.04, keep=0.6)
                    pages.table(Table(section, table.columns[1:], rows, table.widths[1:]), size=6.8)
                pages.text(table.note, size=7, color=MUTED)
                continue
            if not table.rows:
                empty = {"flagged": "no_flagged", "hotspots": "no_hotspots"}.get(section, "no_disputes")
                pages.text(T[empty], size=8.5, color=MUTED)
                if table.note:
                    pages.text(table.note, size=7, color=MUTED)
                continue
            pages.table(table, size=6.8 if section in ("flagged", "nets_villages", "villages") else 7.5)
        pages.finish()
