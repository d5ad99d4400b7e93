"""gisapp demo: the township of the source material, loaded once."""
from sqlalchemy import text

COUNTS = {
    "SELECT count(*) FROM admin_area WHERE level = 'village'": 14,
    "SELECT count(*) FROM camera": 140,
    "SELECT count(*) FROM alarm_point": 30,
    "SELECT count(*) FROM patrol_team": 1,
    "SELECT count(*) FROM person WHERE role = 'patroller'": 25,
    "SELECT count(*) FROM person WHERE role = 'community_police'": 1,
    "SELECT count(*) FROM person WHERE role = 'auxiliary_police'": 14,
    "SELECT count(*) FROM person WHERE role = 'coordinator'": 3,
    "SELECT count(*) FROM dispute": 200,
    "SELECT count(DISTINCT grade) FROM dispute": 3,
    "SELECT count(DISTINCT status) FROM dispute": 5,
    "SELECT count(*) FROM dispute WHERE grid_id IS NULL": 0,
    "SELECT count(*) FROM app_user": 5,
    # one auxiliary officer per village
    "SELECT count(DISTINCT pa.area_id) FROM person p JOIN person_assignment pa ON pa.person_id = p.id "
    "WHERE p.role = 'auxiliary_police'": 14,
    # the team has its leader
    "SELECT count(*) FROM patrol_team WHERE leader_id IS NOT NULL": 1,
}


def test_demo_counts_and_idempotence(cli, engine):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert "demo town loaded" in first.output and "center-demo" in first.output
    second = cli("demo")
    assert second.exit_code == 0 and "already loaded" in second.output
    with engine.connect() as conn:
        for sql, expected in COUNTS.items():
            assert conn.scalar(text(sql)) == expected, sql
        grids = conn.scalar(text("SELECT count(*) FROM grid"))
        assert 50 <= grids <= 62  # about four per village
        # a grid worker per grid, assigned to it
        assert conn.scalar(text("SELECT count(*) FROM person WHERE role = 'grid_worker'")) == grids
        assert conn.scalar(text(
            "SELECT count(DISTINCT pa.grid_id) FROM person p JOIN person_assignment pa ON pa.person_id = p.id "
            "WHERE p.role = 'grid_worker'")) == grids
        offline = conn.scalar(text("SELECT count(*) FROM camera WHERE status <> 'online'"))
        assert 5 <= offline <= 20  # a few offline, faulty or planned
        no_night = conn.execute(text(
            "SELECT a.name FROM admin_area a WHERE a.level = 'village' AND NOT EXISTS ("
            " SELECT 1 FROM patrol_route r JOIN patrol_window w ON w.route_id = r.id"
            " WHERE w.ends < w.starts AND ST_Intersects(r.geom, a.geom))")).scalars().all()
        assert no_night == ["杨林村"]
        bullets_off_road = conn.scalar(text(
            "SELECT count(*) FROM camera c WHERE c.kind = 'bullet' AND NOT EXISTS ("
            " SELECT 1 FROM road r WHERE ST_DWithin(r.geom::geography, c.geom::geography, 15))"))
        assert bullets_off_road == 0  # bullets stand on the roads they face along
        assert conn.scalar(text("SELECT count(*) FROM camera WHERE length(code) = 20")) == 140


def test_demo_is_deterministic(engine, settings):
    from gisapp.demo.town import TownBuilder
    a, b = TownBuilder().layers(), TownBuilder().layers()
    for name in a:
        assert a[name].equals(b[name]), name


# The published figures of the whole city (2,324 villages: 15,241 grids, 151,221 disputes, 50,000
# cameras, 3,000 alarms) scaled by hand to 5 villages: 15241 * 5 / 2324 = 32.8 grids,
# 50000 * 5 / 2324 = 107.6 cameras, 3000 * 5 / 2324 = 6.45 alarms, 151221 * 5 / 2324 = 325.3 disputes,
# one patrol route per village; 12 counties and 153 townships scale to less than one: one of each.
FIVE_VILLAGES = {"grids": 33, "cameras": 108, "alarms": 6, "disputes": 325, "routes": 5}


def test_city_scale_counts(cli, engine):
    result = cli("demo", "--scale", "5")
    assert result.exit_code == 0 and "demo 5 loaded" in result.output and "gisapp coverage --all" in result.output
    with engine.connect() as conn:
        counts = {name: conn.scalar(text(f"SELECT count(*) FROM {table}")) for name, table in (
            ("grids", "grid"), ("cameras", "camera"), ("alarms", "alarm_point"), ("disputes", "dispute"),
            ("routes", "patrol_route"))}
        levels = dict(conn.execute(text("SELECT level, count(*) FROM admin_area GROUP BY level")).all())
        assert levels == {"county": 1, "township": 1, "village": 5}
        assert conn.scalar(text("SELECT count(*) FROM dispute WHERE grid_id IS NULL")) == 0
    assert counts == FIVE_VILLAGES
    assert "already loaded" in cli("demo", "--scale", "city").output
    for bad in ("0", "huge", "-3"):
        assert cli("demo", "--scale", bad).exit_code == 2


def test_city_counts_match_the_published_figures():
    from gisapp.demo.city import scaled_counts
    assert scaled_counts(2324) == {"counties": 12, "townships": 153, "villages": 2324, "grids": 15241,
                                   "disputes": 151221, "cameras": 50000, "alarms": 3000}
