"""Security headers on every response (flask-talisman): a Content-Security-Policy with a nonce per
request for the pages' own inline scripts and styles, no framing, no MIME sniffing, a same-origin
referrer; cookies marked Secure when the request came over HTTPS (directly or through a proxy
that says so, see ``gisapp serve --proxies``)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_talisman import Talisman
from markupsafe import Markup

from gisapp.mapping import BASEMAPS

SELF = "'self'"
# Inline <script> and <style> elements run only with the request's nonce; style attributes (the
# legend's colour swatches, Leaflet's positions) are allowed, as they cannot run code.
POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    "style-src-attr": "'unsafe-inline'",
    "img-src": [SELF, "data:", "blob:"],
    "font-src": [SELF, "data:"],
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": SELF,
    "frame-ancestors": "'none'",
}
BARE_TAG = re.compile(r"<(script|style)>")
SUBDOMAIN = re.compile(r"^[^.]*\{s\}[^.]*\.")  # t{s}.tianditu.gov.cn -> *.tianditu.gov.cn


class HttpsAwareSessions(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request itself is secure (or the settings say so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def image_origins(basemap: dict) -> list[str]:
    """The origins the base map's tiles come from when they are not ours ({s} subdomains as ``*``)."""
    url = basemap.get("url", "") if basemap.get("type") == "local" else BASEMAPS.get(basemap.get("type"), ("",))[0]
    parts = urlsplit(url)
    if not parts.scheme:
        return []
    return [f"{parts.scheme}://{SUBDOMAIN.sub('*.', parts.netloc)}"]


def with_nonce(html: str, nonce: str) -> Markup:
    """Trusted HTML (folium's parts) whose bare <script> and <style> elements carry ``nonce``."""
    return Markup(BARE_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}">', html))


def init_app(app: Flask) -> None:
    """Send the security headers on every response of ``app``."""
    policy = dict(POLICY, **{"img-src": POLICY["img-src"] + image_origins(app.config["GISAPP"]["basemap"])})
    talisman = Talisman()
    talisman.init_app(app, content_security_policy=policy, content_security_policy_nonce_in=["script-src", "style-src"],
                      force_https=False, frame_options="DENY", referrer_policy="same-origin",
                      session_cookie_secure=False, strict_transport_security=True)
    app.session_interface = HttpsAwareSessions()
    app.jinja_env.filters["with_nonce"] = lambda html: with_nonce(str(html), app.jinja_env.globals["csp_nonce"]())
