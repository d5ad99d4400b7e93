"""One paged answer for every list of the API: counts, and self, next and prev links."""
from __future__ import annotations

from flask import request, url_for


def page(matched: int, returned: int, limit: int, offset: int, media_type: str = "application/json") -> dict:
    """``numberMatched``, ``numberReturned`` and the links to this page and its neighbours (same query)."""
    def link(rel: str, at: int) -> dict:
        args = {**request.args.to_dict(), "offset": at, "limit": limit}
        return {"href": url_for(request.endpoint, _external=True, **request.view_args, **args), "rel": rel,
                "type": media_type}
    links = [link("self", offset)]
    if offset + returned < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(offset - limit, 0)))
    return {"numberMatched": matched, "numberReturned": returned, "links": links}
