"""The web views (blueprints) of the application, registered in one place."""
from __future__ import annotations


def register_views(app) -> None:
    """Register every blueprint: the pages with Flask, the JSON API with its OpenAPI document."""
    from gisapp.api import init_api
    from gisapp.auth import bp as auth_pages
    from gisapp.views import (coverage_api, disputes_api, home, identify, map as map_view, ogcapi, patrol_api,
                              patrol_pages, report_pages, siting_api, tiles, users_api)
    for blueprint in (auth_pages, home.bp, map_view.bp, patrol_pages.bp, report_pages.bp):
        app.register_blueprint(blueprint)
    from gisapp.views import dispute_pages
    app.register_blueprint(dispute_pages.bp)
    api = init_api(app)
    for blueprint in (users_api.bp, ogcapi.bp, tiles.bp, identify.bp, coverage_api.bp, disputes_api.bp,
                      patrol_api.bp, siting_api.bp):
        api.register_blueprint(blueprint)
    app.extensions["openapi"] = api
