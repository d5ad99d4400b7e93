"""Files the API hands out (exports, reports): one shape of answer for all of them."""
from __future__ import annotations

from flask import Response


def attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    """``body`` as a download named ``filename``; never kept by a cache on the way (exports can hold
    personal data)."""
    return Response(body, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
