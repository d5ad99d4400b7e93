"""``gisapp coverage``: recompute coverage and list the flagged grids."""
from __future__ import annotations

from pathlib import Path

import click

from gisapp.cli.common import fail_cleanly, settings_and_url
from gisapp.coverage import PERIODS, recompute
from gisapp.coverage.report import coverage_table, readable
from gisapp.db import engine_for
from gisapp.tables import write_table

SHOWN = ["village", "grid_code", "camera_share", "alarm_share", "patrol_share", "covered_share", "gap_m2", "reasons"]


@click.command()
@click.option("--all", "everything", is_flag=True, help="Recompute every grid (default: only those changed).")
@click.option("--period", type=click.Choice(PERIODS), default="day", show_default=True)
@click.option("--village", help="Only this village (12-digit code).")
@click.option("--every-grid", is_flag=True, help="List every grid, not only the flagged ones.")
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the list to a .csv or .xlsx file (Chinese headers and labels).")
@fail_cleanly
def coverage(everything: bool, period: str, village: str | None, every_grid: bool, out: str | None) -> None:
    """Bring coverage up to date and print the flagged grids (shares, gap area, reasons)."""
    if out and Path(out).suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("must end in .csv or .xlsx", param_hint="--out")
    settings, url = settings_and_url()
    engine = engine_for(url)
    count = recompute(engine, settings, only_dirty=not everything, progress=True)
    click.echo(f"{count} grid(s) recomputed")
    with engine.connect() as conn:
        table = coverage_table(conn, period, village=village, flagged=None if every_grid else True)
    if table.empty:
        click.echo(f"no {'' if every_grid else 'flagged '}grids ({period})")
    else:
        click.echo(table[SHOWN].to_string(index=False))
        click.echo(f"{int(table['flagged'].sum())} flagged grid(s) of {len(table)} listed ({period})")
    if out:
        write_table(readable(table), out, Path(out).suffix.lower()[1:], f"coverage-{period}")
        click.echo(f"written to {out}")
