"""The entities of the three nets, one description each (``gisapp.entities.<layer>.ENTITY``).

Everything about an importable, editable layer follows from its description: the import's
columns and checks (``gisapp.io.validate``), how its rows and their links are written
(``gisapp.io.load``), its export, the order in which layers load, the API's editing, the home
page's figures. Adding one is its migration, its model in ``gisapp.models``, a module here and
its line in ``REGISTERED``.
"""
from __future__ import annotations

from gisapp.entities import (alarms, areas, bases, cameras, disputes, grids, key_places, people, roads, routes, sites,
                             teams)
from gisapp.entities.entity import Entity, Field

# In the order the documentation lists them; LOAD_ORDER keeps it where dependencies allow.
REGISTERED = (areas, grids, teams, people, bases, cameras, alarms, routes, disputes, roads, sites, key_places)
ENTITIES: dict[str, Entity] = {module.ENTITY.name: module.ENTITY for module in REGISTERED}


def referable() -> dict[str, tuple[Entity, str, str]]:
    """What a ``ref`` field may name: layer or subset name -> (entity, SQL condition, noun)."""
    named = {}
    for entity in ENTITIES.values():
        named[entity.name] = (entity, "TRUE", entity.noun)
        for name, subset in entity.subsets.items():
            named[name] = (entity, subset.where, subset.noun)
    return named


REFERABLE = referable()


def dependencies(entity: Entity) -> set[str]:
    """The layers whose rows ``entity``'s rows refer to (by a field, or by ``after``)."""
    named = {REFERABLE[f.ref][0].name for f in entity.fields if f.ref}
    return (named | set(entity.after)) - {entity.name}


def load_order() -> list[str]:
    """Layer names such that each comes after every layer it depends on (else registry order)."""
    order: list[str] = []
    waiting = list(ENTITIES.values())
    while waiting:
        ready = next((e for e in waiting if dependencies(e) <= set(order)), None)
        if ready is None:
            raise ValueError(f"layers depend on each other in a circle: {', '.join(e.name for e in waiting)}")
        order.append(ready.name)
        waiting.remove(ready)
    return order


LOAD_ORDER = load_order()


def describe(entity: Entity) -> str:
    """A listing of the columns a layer's file may have, for error messages and --help."""
    lines = [f"{entity.name}: {entity.title}"]
    if entity.geometry:
        lines.append(f"  geometry: {entity.geometry} (CSV: longitude/latitude columns"
                     f"{'' if entity.geometry == 'point' else ' or a wkt column'})")
    for f in entity.fields:
        kind = f"one of {', '.join(f.values)}" if f.values else f.kind
        extra = f"; also named {', '.join(f.aliases)}" if f.aliases else ""
        lines.append(f"  {f.name:18} {'required' if f.required else 'optional'}, {kind}"
                     f"{'; ' + f.help if f.help else ''}{extra}")
    return "\n".join(lines)


__all__ = ["ENTITIES", "LOAD_ORDER", "REFERABLE", "Entity", "Field", "describe"]
