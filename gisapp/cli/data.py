"""``gisapp import``, ``gisapp export`` and ``gisapp demo``: data in and out."""
from __future__ import annotations

import click

from gisapp.cli.common import fail_cleanly, settings_and_url
from gisapp.coverage import recompute
from gisapp.db import engine_for
from gisapp.demo import DEMO_ACCOUNTS, describe_counts, load_demo
from gisapp.io.export import export_layer
from gisapp.io.load import ImportFailed, import_file
from gisapp.io.reader import ReadError
from gisapp.entities import ENTITIES, LOAD_ORDER, describe
from gisapp.io.validate import FileError

LAYERS = click.Choice(LOAD_ORDER)


@click.command("import", epilog="Layers, in the order they depend on each other: " + ", ".join(LOAD_ORDER))
@click.argument("layer", type=LAYERS)
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--crs", help="The file's CRS when it has none or a wrong one (EPSG:4490, EPSG:4547 ...).")
@click.option("--skip-invalid", is_flag=True, help="Load the good rows; write the refused ones to --rejects.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where refused rows go (default FILE.rejected.csv).")
@click.option("--columns", is_flag=True, help="List the columns LAYER expects and exit.")
@fail_cleanly
def import_command(layer: str, file: str | None, crs: str | None, skip_invalid: bool, rejects: str | None,
                   columns: bool) -> None:
    """Import FILE (GeoJSON, GeoPackage, Shapefile or zipped Shapefile, CSV) into LAYER.

    All or nothing: any bad row aborts the import, naming the row, the field and the problem,
    and the database is left unchanged.
    """
    if columns:
        click.echo(describe(ENTITIES[layer]))
        return
    if not file:
        raise click.UsageError("Missing argument 'FILE'.")
    settings, url = settings_and_url()
    try:
        result = import_file(engine_for(url), layer, file, settings, crs=crs, skip_invalid=skip_invalid,
                             rejects=rejects)
    except (ImportFailed, FileError, ReadError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{layer}: {result.inserted} row(s) imported")
    refreshed = recompute(engine_for(url), settings, only_dirty=True, progress=True)
    if refreshed:
        click.echo(f"coverage recomputed for the {refreshed} grid(s) the import touched")
    if result.ignored_columns:
        click.echo(f"ignored columns: {', '.join(result.ignored_columns)}")
    if result.rejected:
        click.echo(f"{result.rejected} row(s) refused, with reasons, in {result.rejects_path}")


@click.command("export")
@click.argument("layer", type=LAYERS)
@click.argument("file", type=click.Path(dir_okay=False))
@fail_cleanly
def export_command(layer: str, file: str) -> None:
    """Export LAYER to FILE: .geojson, .gpkg or .csv (lon/lat, EPSG:4326).

    The layer's features in the columns its import expects, every field, times to the microsecond: for other
    software, or to edit and import again. Not a backup: it leaves out what the server keeps beside the
    features (the disputes' history, accounts, the audit log); for that, gisapp backup.
    """
    _, url = settings_and_url()
    try:
        count = export_layer(engine_for(url), layer, file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{layer}: {count} row(s) written to {file}")


def _scale(value: str) -> str:
    if value in ("town", "city") or (value.isdigit() and int(value) >= 1):
        return value
    raise click.BadParameter("must be town, city, or a number of villages (1 or more)")


@click.command("demo")
@click.option("--scale", default="town", show_default=True, callback=lambda ctx, param, v: _scale(v),
              help="town (the source material's township), city (赤峰's counts: 2,324 villages, 15,241 grids, "
                   "151,221 disputes, 50,000 cameras), or a number of villages.")
@click.option("--reset", is_flag=True, help="Delete ALL data first, then load the demo data again.")
@fail_cleanly
def demo_command(scale: str, reset: bool) -> None:
    """Load demo data: the township (14 villages, 140 cameras, 30 alarms, patrols, ~200 disputes) or a city.

    Run again, it changes nothing. It also adds the demo accounts, printed at the end.
    """
    settings, url = settings_and_url()
    counts = load_demo(engine_for(url), settings, scale=scale, reset=reset)
    click.echo("data already loaded (use --reset to replace it)" if counts is None
               else f"demo {scale} loaded: {describe_counts(counts)}")
    if counts is not None and scale != "town":
        click.echo("compute its coverage with: gisapp coverage --all")
    click.echo("demo accounts (login / password / role):")
    for login, (password, role) in DEMO_ACCOUNTS.items():
        click.echo(f"  {login:11} {password:16} {role}")
