"""The audit log of personal data: every view of a feature's personal properties is written down."""
from __future__ import annotations

from sqlalchemy import text

from gisapp.catalogue import Layer
from gisapp.logging_setup import scrub_query


def shown_personal(layer: Layer, properties: dict) -> bool:
    """True when ``properties`` carry any of the layer's personal properties with a value."""
    return any(properties.get(name) not in (None, "") for name in layer.personal)


def log_views(session, user, layer_id: str, fids: list[str], via: str) -> None:
    """Write one audit row per feature id in ``fids`` seen by ``user`` through ``via`` (personal values in its
    query string filtered), and commit."""
    if not fids:
        return
    session.execute(text(
        "INSERT INTO audit_log (user_id, login, action, layer, fid, via) "
        "SELECT :user_id, :login, 'view_personal', :layer, fid, :via FROM unnest(CAST(:fids AS text[])) AS fid"),
        {"user_id": user.id, "login": user.login, "layer": layer_id, "fids": list(fids),
         "via": scrub_query(via)[:200]})
    session.commit()


def log_features(session, user, layer: Layer, features: list[dict], via: str) -> None:
    """Audit the GeoJSON ``features`` of ``layer`` that show personal properties."""
    if layer.personal:
        log_views(session, user, layer.id,
                  [str(f["id"]) for f in features if shown_personal(layer, f.get("properties") or {})], via)
