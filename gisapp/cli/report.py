"""``gisapp report``: the weekly, monthly or quarterly report as an Excel workbook or a PDF."""
from __future__ import annotations

import os
from pathlib import Path

import click
from tqdm import tqdm

from gisapp import clock, domain
from gisapp.cli.common import fail_cleanly, settings_and_url
from gisapp.db import engine_for
from gisapp.report import (FORMATS, PERIODS, FontMissing, ReportInputError, check_format, check_request, font_for,
                           gather, write)
from gisapp.report.data import STEPS
from gisapp.report.tables import days

OPTIONS = {"period": "--period", "village": "--village", "end": "--end", "out": "--out", "format": "--out"}


def _refused(exc: ReportInputError) -> click.BadParameter:
    return click.BadParameter(str(exc), param_hint=OPTIONS.get(exc.field, exc.field))


def _format(out: str) -> str:
    suffix = Path(out).suffix.lower().lstrip(".")
    try:
        fmt = check_format(suffix, "out")
    except ReportInputError:
        raise click.BadParameter(f"must end in {' or '.join('.' + f for f in FORMATS)}, got {out!r}",
                                 param_hint="--out") from None
    if not Path(out).resolve().parent.is_dir():
        raise click.BadParameter(f"the folder {str(Path(out).parent)!r} does not exist", param_hint="--out")
    return fmt


@click.command("report")
@click.option("--period", type=click.Choice(PERIODS), default="week", show_default=True,
              help="The week, month or quarter up to --end; compared with as long a period just before.")
@click.option("--village", "villages", multiple=True, metavar="CODE",
              help="Only this village (12-digit code); repeat for several. Default: every village.")
@click.option("--end", metavar="YYYY-MM-DD", help="The period's last day (default: today in the configured time zone).")
@click.option("--out", required=True, metavar="FILE", help="The file to write: report.xlsx or report.pdf.")
@fail_cleanly
def report_command(period: str, villages: tuple[str, ...], end: str | None, out: str) -> None:
    """Write the periodic report: disputes against the previous period, the three nets, flagged grids,
    hot spots and a map."""
    fmt = _format(out)
    settings, url = settings_and_url()
    now = clock.now()
    with engine_for(url).connect() as conn:
        try:
            request = check_request(conn, settings, now, period, end, villages)
        except ReportInputError as exc:
            raise _refused(exc) from None
        try:
            font = font_for(fmt, settings)
        except FontMissing as exc:
            raise click.ClickException(str(exc)) from None
        with tqdm(total=len(STEPS) + 1, desc="report", unit="step", leave=False) as bar:
            bar.set_postfix_str(STEPS[0])

            def step(name: str) -> None:  # ``name`` is done: show what comes next
                following = STEPS.index(name) + 1
                bar.set_postfix_str(STEPS[following] if following < len(STEPS) else fmt)
                bar.update()
            report = gather(conn, settings, request, now, step)
            target = Path(out)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            try:
                write(report, partial, fmt, font)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
            bar.update()
    total, before = report.current["total"], report.previous["total"]
    F, N = domain.DISPUTE_FIGURES, domain.NET_FIGURES
    rate = report.nets["camera_online_rate"]
    click.echo(f"{report.area} {domain.REPORT_PERIODS[period]} {days(report.current['start'], report.current['stop'])}")
    click.echo(f"  {F['received']}: {total['received']} ({domain.REPORT_COLUMNS['previous']}: {before['received']}), "
               f"{F['closed']}: {total['closed']}, {F['overdue']}: {total['overdue']}")
    click.echo(f"  {N['camera_online_rate']}: {'—' if rate is None else f'{rate:.1%}'} "
               f"({N['camera_target']}: {report.nets['camera_target']:.0%})")
    click.echo(f"written to {out}")
