"""The ``gisapp`` command: database, accounts, import/export, the demo town and the server."""
from __future__ import annotations

import click

from gisapp.cli.backup import backup_command, restore_command
from gisapp.cli.common import fail_cleanly
from gisapp.cli.coverage import coverage
from gisapp.cli.data import demo_command, export_command, import_command
from gisapp.cli.db import db
from gisapp.cli.network import network_group
from gisapp.cli.report import report_command
from gisapp.cli.serve import serve
from gisapp.cli.users import user
from gisapp.config import load_settings
from gisapp.logging_setup import configure_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@fail_cleanly
def main() -> None:
    """Three-net (天网 · 地网 · 人网) map server for comprehensive governance centers."""
    configure_logging(load_settings())


for command in (db, user, import_command, export_command, demo_command, coverage, network_group, report_command,
                serve, backup_command, restore_command):
    main.add_command(command)
