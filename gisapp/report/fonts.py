"""The CJK font of the PDF, found at run time: the configured family (``report.font``), else the first of
FAMILIES that matplotlib knows, else any font fontconfig lists for Chinese (``fc-list :lang=zh``).

Debian and Ubuntu: ``apt-get install fonts-noto-cjk`` (``make test`` installs it) gives Noto Sans CJK SC,
in /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
            "WenQuanYi Micro Hei", "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC",
            "Noto Serif CJK SC", "AR PL UMing CN")
# Characters the font must draw (a font without them would print empty boxes).
PROBE = "矛盾纠纷网格"
INSTALL = ("install one (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk), or name an installed CJK font family "
           "in gisapp.toml as report.font")


class FontMissing(RuntimeError):
    """No font that draws Chinese could be found; the message says how to get one."""


@dataclass(frozen=True)
class Font:
    family: str
    path: str


def _draws_chinese(path: str) -> bool:
    from matplotlib.ft2font import FT2Font
    try:
        face = FT2Font(path)
    except (OSError, RuntimeError):
        return False
    return all(face.get_char_index(ord(ch)) for ch in PROBE)


def _fontconfig() -> list[str]:
    """The files fontconfig lists as covering Chinese (none without fc-list)."""
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})


def cjk_font(configured: str = "") -> Font:
    """The font the PDF is written in, or FontMissing naming what was looked for."""
    from matplotlib import font_manager

    known = {}
    for entry in font_manager.fontManager.ttflist:
        known.setdefault(entry.name, entry.fname)
    wanted = [configured] if configured else list(FAMILIES)
    for family in wanted:
        if family in known:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
            if _draws_chinese(path):
                return Font(family, path)
    if configured:
        raise FontMissing(f"report.font: the font family {configured!r} is not installed or does not draw "
                          f"Chinese; {INSTALL} (or leave report.font empty to use the first CJK font found)")
    for path in _fontconfig():  # fonts matplotlib's cache does not know yet
        if _draws_chinese(path):
            font_manager.fontManager.addfont(path)
            family = font_manager.FontProperties(fname=path).get_name()
            return Font(family, font_manager.findfont(font_manager.FontProperties(family=family)))
    raise FontMissing(f"no CJK font found for the report's Chinese text (looked for {', '.join(FAMILIES[:3])} … "
                      f"and asked fontconfig for any font covering Chinese): {INSTALL}")
