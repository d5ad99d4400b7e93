"""Security headers on every response, and the pages working under their Content-Security-Policy
in a real Chromium (a violation is caught by the page's own securitypolicyviolation event)."""
import re

import pytest
from sqlalchemy import text

from chromium import new_page, open_map
from conftest import login, serving
from gisapp.headers import image_origins

NONCE = re.compile(r"'nonce-([^']+)'")
# Every violation the page meets, as "directive blocked-URI", gathered before any of the page's scripts run.
WATCH = """window.__csp = []; document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def policy(answer) -> dict[str, str]:
    """The Content-Security-Policy of ``answer``, directive -> its sources."""
    parts = (p.strip().split(" ", 1) for p in answer.headers["Content-Security-Policy"].split(";") if p.strip())
    return {name: rest for name, rest in parts}


def test_every_answer_carries_the_security_headers(demo_client, tokens):
    for answer in (demo_client.get("/login"), demo_client.get("/api/collections", headers=tokens["viewer"]),
                   demo_client.get("/api/nothing-here"), demo_client.get("/static/map.css")):
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        csp = policy(answer)
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        assert "Strict-Transport-Security" not in answer.headers  # plain HTTP: no HSTS


def test_inline_scripts_and_styles_carry_the_nonce_of_their_answer(demo_client, tokens):
    first, second = (demo_client.get("/map", headers=tokens["center"]) for _ in range(2))
    nonces = [NONCE.search(policy(a)["script-src"]).group(1) for a in (first, second)]
    assert nonces[0] != nonces[1]
    page = first.get_data(as_text=True)
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", page)
    assert len(inline) >= 2
    assert all(f'nonce="{nonces[0]}"' in attributes for _, attributes in inline), inline


def test_the_session_cookie_is_secure_over_https_only(app, client, engine):
    from sqlalchemy.orm import Session

    from gisapp import accounts
    with Session(engine) as session:
        accounts.create_user(session, "chief", "password-1", "center", None)
        session.commit()
    plain = login(client, "chief", "password-1")
    assert "session=" in plain.headers["Set-Cookie"] and "Secure" not in plain.headers["Set-Cookie"]
    secure = app.test_client().get("/login", base_url="https://localhost")  # a new session: its CSRF token
    assert "Secure" in secure.headers["Set-Cookie"]
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("basemap, origins", [
    ({"type": "none"}, []),
    ({"type": "local", "url": "/static/tiles/{z}/{x}/{y}.png"}, []),
    ({"type": "local", "url": "http://tiles.lan:8080/{z}/{x}/{y}.png"}, ["http://tiles.lan:8080"]),
    ({"type": "osm"}, ["https://tile.openstreetmap.org"]),
    ({"type": "tianditu", "key": "k"}, ["https://*.tianditu.gov.cn"]),
])
def test_a_base_map_from_elsewhere_is_allowed_as_images(basemap, origins):
    assert image_origins(basemap) == origins


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp")


@pytest.fixture
def own_live(own_demo):
    """This test's copy of the demo served over HTTP (the center's views of parties are audited)."""
    with serving(own_demo.app) as base_url:
        yield base_url, own_demo


def test_pages_work_under_their_policy_in_chromium(browser, own_live):
    """The map (every panel of the center), the dispute list, the report form and a route sheet:
    no violation, and the map draws its tiles and answers a click."""
    live_demo, demo = own_live
    with demo.connect() as conn:
        route = conn.execute(text("SELECT code FROM patrol_route ORDER BY code LIMIT 1")).scalar()
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    page.add_init_script(WATCH)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, live_demo, "center")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-loaded').length > 0")
    with page.expect_response(lambda r: "/api/identify?" in r.url and r.status == 200):
        box = page.locator(".folium-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert _violations(page) == [] and errors == []
    # and the policy is in force: a script injected without the nonce does not run
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__injected = 1'; document.head.appendChild(s); }""")
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("() => window.__injected") is None
    assert _violations(page)[0].startswith("script-src")
    for path in ("/disputes", "/report", f"/patrol/routes/{route}/sheet"):
        answer = page.goto(live_demo + path)
        assert answer.status == 200, path
        page.wait_for_load_state("load")
        assert _violations(page) == [], path
    page.goto(live_demo + "/disputes")
    page.wait_for_function("() => document.querySelectorAll('#dd-table tbody tr').length > 0")  # drawn by its script
    assert _violations(page) == [] and errors == []
