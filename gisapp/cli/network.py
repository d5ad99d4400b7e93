"""``gisapp network``: build the routable road network and report on it."""
from __future__ import annotations

import click

from gisapp.cli.common import fail_cleanly, settings_and_url
from gisapp.db import engine_for
from gisapp.patrol import network

LABELS = {"edges": "边 edges", "vertices": "节点 vertices", "length_km": "长度 length (km)",
          "components": "连通分量 connected components", "largest_share": "最大分量占比 largest component's share",
          "dangling_ends": "断头 dangling ends", "tolerance_m": "捕捉容差 snapping tolerance (m)"}


def _print(figures: network.NetworkStatus) -> None:
    values = figures.as_dict()
    for key, label in LABELS.items():
        value = values[key]
        if key == "components" and value is None:
            value = "unknown: pgRouting is not installed in this database"
        elif key == "largest_share" and value is not None:
            value = f"{value:.1%}"
        elif isinstance(value, float):
            value = f"{value:,.2f}"
        click.echo(f"{label}: {value}")
    if not figures.built:
        click.echo("not built yet: run `gisapp network build`")
    elif figures.stale:
        click.echo("stale: the roads changed since it was built; run `gisapp network build`")


@click.group("network")
def network_group() -> None:
    """The road network patrol routes are planned on (pgRouting)."""


@network_group.command("build")
@fail_cleanly
def build_command() -> None:
    """Rebuild the network from the road layer: noded, measured in metres."""
    settings, url = settings_and_url()
    with engine_for(url).begin() as conn:
        figures = network.build(conn, settings, progress=True)
    _print(figures)


@network_group.command("status")
@fail_cleanly
def status_command() -> None:
    """Edges, vertices, connected components, the largest one's share, dangling ends; exit 3 when stale."""
    _, url = settings_and_url()
    with engine_for(url).connect() as conn:
        figures = network.status(conn)
    _print(figures)
    if figures.stale:
        raise SystemExit(3)
