"""The coverage statement: one set-based query per batch of grids and time of day.

Everything is measured in metres in the projected CRS ``:srid``. Inputs come through the GiST
indexes on grid.geom, camera.view_geom, alarm_point.reach_geom, patrol_route.geom and road.geom,
and each grid's area of concern and road pieces are read from grid_concern and grid_road_piece
(made by the CONCERN statements below, which the coverage statement requires to be current).
Both periods are computed in one pass: only the patrol corridors depend on the time of day, so the
gap the cameras and alarms leave is cut once per grid and each period's patrols are cut from it.
Covered figures follow from the gap (the area of concern but the gap), so no union of all the nets is built.
Parameters: ids (grid ids), day and night (times of day), srid, widths (JSON sight width by mode),
min_gap, target, alarm_reach (metres, the straight-line fallback), alarm_reach_min (minutes by road),
deg (a margin in degrees wide enough for any corridor or alarm reach), plan (a siting plan whose
planned cameras count as online, or NULL).
"""

# Each grid's area of concern (:ids): the grid within :road_buffer metres of a road when there are roads
# (:has_roads; :road_deg, the buffer in degrees, finds them by index), else the whole grid; with its area.
# Upserted first: its row lock orders concurrent builders of a grid.
CONCERN_SQL = """
WITH g AS (
    SELECT gr.id, gr.geom AS g4326, ST_Transform(gr.geom, :srid) AS geom FROM grid gr WHERE gr.id = ANY(:ids)
),
concern AS MATERIALIZED (
    SELECT g.id, CASE WHEN NOT :has_roads THEN g.geom ELSE coalesce(ST_Intersection(g.geom, (
        SELECT ST_Union(ST_Buffer(ST_Transform(rd.geom, :srid), :road_buffer, 'quad_segs=4'))
        FROM road rd WHERE rd.geom && ST_Expand(g.g4326, :road_deg))), ST_GeomFromText('POLYGON EMPTY', :srid))
        END AS geom
    FROM g
)
INSERT INTO grid_concern (grid_id, srid, road_buffer_m, near_roads, geom, area_m2)
SELECT id, :srid, :road_buffer, :has_roads, geom, ST_Area(geom) FROM concern
ON CONFLICT (grid_id) DO UPDATE SET srid = EXCLUDED.srid, road_buffer_m = EXCLUDED.road_buffer_m,
    near_roads = EXCLUDED.near_roads, geom = EXCLUDED.geom, area_m2 = EXCLUDED.area_m2
"""
# Then its road pieces, made anew: each road cut by the grid (all inside its area of concern); pieces of
# no length (a road touching the grid) count for nothing and are not kept. The cut is a function in FROM,
# made once a pair (as a column tested and kept, it was made twice).
CONCERN_PIECES_SQL = [
    "DELETE FROM grid_road_piece WHERE grid_id = ANY(:ids)",
    """INSERT INTO grid_road_piece (grid_id, road_id, geom)
    SELECT gr.id, rd.id, part
    FROM grid gr JOIN road rd ON rd.geom && gr.geom AND ST_Intersects(rd.geom, gr.geom)
    CROSS JOIN LATERAL ST_Intersection(ST_Transform(rd.geom, :srid), ST_Transform(gr.geom, :srid)) AS part
    WHERE gr.id = ANY(:ids) AND ST_Length(part) > 0""",
]
# The grids of :ids whose area of concern is missing or was made with other settings.
STALE_CONCERN_SQL = """
SELECT id FROM unnest(CAST(:ids AS integer[])) AS id WHERE NOT EXISTS (
    SELECT 1 FROM grid_concern c WHERE c.grid_id = id AND c.srid = :srid AND c.road_buffer_m = :road_buffer
    AND c.near_roads = :has_roads)
ORDER BY id
"""

# A route patrols at time t when one of its windows contains t (a window may cross midnight);
# a route without windows patrols all day.
ACTIVE_AT = """(NOT EXISTS (SELECT 1 FROM patrol_window w WHERE w.route_id = r.id) OR EXISTS (
    SELECT 1 FROM patrol_window w WHERE w.route_id = r.id AND CASE WHEN w.starts < w.ends
        THEN {t} >= w.starts AND {t} < w.ends ELSE {t} >= w.starts OR {t} < w.ends END))"""

IN_PLAN = "(c.status = 'planned' AND c.plan_id = CAST(:plan AS integer))"
ONLINE = f"(c.status = 'online' OR {IN_PLAN})"

COVERAGE_SQL = f"""
WITH g AS (  -- each grid with its stored area of concern (CONCERN_SQL), one row a grid as the planner sees it
    -- (a join would be estimated from grid_concern's statistics, absent while it is being filled: bad plans)
    SELECT gr.id, gr.geom AS g4326, ST_Transform(gr.geom, :srid) AS geom, cn.geom AS concern, cn.area_m2 AS concern_m2
    FROM grid gr CROSS JOIN LATERAL (SELECT c.geom, c.area_m2 FROM grid_concern c WHERE c.grid_id = gr.id OFFSET 0) cn
    WHERE gr.id = ANY(:ids)
),
cams AS (  -- a siting plan's cameras (:plan; NULL: none) count as online
    SELECT g.id,
           ST_Union(ST_Transform(c.view_geom, :srid)) FILTER (WHERE {ONLINE}) AS u,
           count(*) FILTER (WHERE c.status <> 'planned' OR {IN_PLAN}) AS reaching,
           count(*) FILTER (WHERE {ONLINE}) AS online,
           count(*) FILTER (WHERE c.status IN ('offline', 'faulty')) AS down
    FROM g JOIN camera c ON c.view_geom && g.g4326 AND ST_Intersects(c.view_geom, g.g4326)
    GROUP BY g.id
),
alarms AS (
    SELECT g.id, ST_Union(ST_Transform(a.reach_geom, :srid)) FILTER (WHERE a.status = 'online') AS u
    FROM g JOIN alarm_point a ON a.reach_geom && g.g4326 AND ST_Intersects(a.reach_geom, g.g4326)
    GROUP BY g.id
),
rt AS (  -- each route transformed once a statement (pgeom), not once a grid near it
    SELECT r.id, r.geom, ST_Transform(r.geom, :srid) AS pgeom,
           coalesce(r.sight_width_m, (CAST(:widths AS jsonb) ->> r.mode)::float) AS width,
           {ACTIVE_AT.format(t="CAST(:day AS time)")} AS day_on, {ACTIVE_AT.format(t="CAST(:night AS time)")} AS night_on
    FROM patrol_route r  -- only routes near the batch's grids, found by index
    WHERE r.active AND r.geom && (SELECT ST_Expand(ST_Extent(g.g4326)::geometry, :deg) FROM g)
),
near AS (  -- each route's corridor near each grid, from the route clipped to the grid's neighbourhood
    -- (buffered once, whether it patrols by day, by night or both: a function in FROM is made once a row)
    SELECT g.id, rt.day_on, rt.night_on, zone
    FROM g JOIN rt ON rt.geom && ST_Expand(g.g4326, :deg) AND ST_DWithin(rt.pgeom, g.geom, rt.width)
    CROSS JOIN LATERAL ST_Buffer(ST_ClipByBox2D(rt.pgeom, ST_Expand(Box2D(g.geom), rt.width + 1)), rt.width,
                                 'quad_segs=8') AS zone
),
patrols AS (
    SELECT id, ST_Union(zone) FILTER (WHERE day_on) AS u_day, ST_Union(zone) FILTER (WHERE night_on) AS u_night,
           count(*) AS any_n, count(*) FILTER (WHERE night_on) AS night_n
    FROM near GROUP BY id
),
per_grid AS MATERIALIZED (  -- each net's cover of the grid, uncut, and the gaps the cameras and then the alarms leave
    -- (the cameras' area follows from theirs): gaps are cut from the area of concern itself, never from pieces
    -- already cut by it (whose recomputed edges left slivers along its own)
    SELECT g.id, g.geom AS grid, g.g4326, g.concern, g.concern_m2,
           c.u AS cam_u, a.u AS alarm_u, p.u_day, p.u_night,
           greatest(g.concern_m2 - ST_Area(cg.cam_gap), 0) AS cam_m2,
           coalesce(ST_Area(ST_Intersection(g.concern, a.u)), 0) AS alarm_m2,
           coalesce(ST_Difference(cg.cam_gap, a.u), cg.cam_gap) AS fixed_gap,
           coalesce(c.reaching, 0) AS reaching, coalesce(c.online, 0) AS online, coalesce(c.down, 0) AS down,
           coalesce(p.any_n, 0) AS any_n, coalesce(p.night_n, 0) AS night_n
    FROM g LEFT JOIN cams c ON c.id = g.id
    LEFT JOIN alarms a ON a.id = g.id LEFT JOIN patrols p ON p.id = g.id
    CROSS JOIN LATERAL (SELECT coalesce(ST_Difference(g.concern, c.u), g.concern) AS cam_gap OFFSET 0) cg  -- computed once
),
gapped AS MATERIALIZED (  -- one row per grid and period: that period's patrols, and what no net covers then
    SELECT pg.*, pp.period, pp.patrol_u, coalesce(ST_Area(ST_Intersection(pg.concern, pp.patrol_u)), 0) AS patrol_m2,
           coalesce(ST_Difference(pg.fixed_gap, pp.patrol_u), pg.fixed_gap) AS raw_gap
    FROM per_grid pg CROSS JOIN LATERAL (VALUES ('day', pg.u_day), ('night', pg.u_night)) AS pp(period, patrol_u)
),
kept AS (  -- gap parts at least min_gap square metres; smaller ones are slivers
    SELECT gapped.id, gapped.period, ST_Multi(ST_Collect(d.geom)) AS gap
    FROM gapped CROSS JOIN LATERAL ST_Dump(gapped.raw_gap) d
    WHERE ST_Area(d.geom) >= :min_gap GROUP BY gapped.id, gapped.period
),
dispute_pts AS MATERIALIZED (  -- each grid's disputes, transformed once; whether each lies in the area of concern
    -- and, if so, under a camera or an alarm's reach (neither depends on the time of day: tested once, not per period)
    SELECT x.id, x.open, x.p, x.in_concern,
           x.in_concern AND (ST_Intersects(x.p, x.cam_u) OR ST_Intersects(x.p, x.alarm_u)) AS fixed_in
    FROM (SELECT d.grid_id AS id, d.status <> 'closed' AS open, p, pg.cam_u, pg.alarm_u,
                 ST_Intersects(p, pg.concern) AS in_concern
          FROM dispute d CROSS JOIN LATERAL ST_Transform(d.geom, :srid) AS p JOIN per_grid pg ON pg.id = d.grid_id
          WHERE d.grid_id = ANY(:ids) OFFSET 0) x
),
alarm_pts AS MATERIALIZED (  -- each grid's alarm points; whether the patrols of each period reach them in time by road
    -- (reach_alarm, kept by gisapp.patrol.reach) or, where that was not computed (no pgRouting, no
    -- roads), whether any active route is within the straight-line reach
    SELECT g.id, ST_Transform(a.geom, :srid) AS p,
           CASE WHEN rd.alarm_id IS NOT NULL THEN coalesce(rd.patrol_min > :alarm_reach_min, true) ELSE line.far END AS far_day,
           CASE WHEN rn.alarm_id IS NOT NULL THEN coalesce(rn.patrol_min > :alarm_reach_min, true) ELSE line.far END AS far_night
    FROM g JOIN alarm_point a ON a.geom && g.g4326 AND ST_Covers(g.g4326, a.geom)
    LEFT JOIN reach_alarm rd ON rd.alarm_id = a.id AND rd.period = 'day'
    LEFT JOIN reach_alarm rn ON rn.alarm_id = a.id AND rn.period = 'night'
    LEFT JOIN LATERAL (
        SELECT NOT EXISTS (SELECT 1 FROM rt WHERE rt.geom && ST_Expand(a.geom, :deg)
                           AND ST_DWithin(rt.pgeom, ST_Transform(a.geom, :srid), :alarm_reach)) AS far
        WHERE rd.alarm_id IS NULL OR rn.alarm_id IS NULL) line ON true
),
counted AS (  -- each area computed once (an expression's column used n times is computed n times)
    SELECT gp.*, k.gap, ar.*, dc.*, ac.*, rc.*
    FROM gapped gp LEFT JOIN kept k ON k.id = gp.id AND k.period = gp.period
    CROSS JOIN LATERAL (SELECT coalesce(ST_Area(k.gap), 0) AS gap_m2, ST_Area(gp.raw_gap) AS raw_gap_m2 OFFSET 0) ar
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE dp.fixed_in OR dp.in_concern AND ST_Intersects(dp.p, gp.patrol_u)) AS disputes_in,
               count(*) AS disputes_all,
               count(*) FILTER (WHERE dp.open AND k.gap IS NOT NULL AND ST_Intersects(dp.p, k.gap)) AS open_in_gap
        FROM dispute_pts dp WHERE dp.id = gp.id) dc
    CROSS JOIN LATERAL (  -- an alarm is watched where a camera or a patrol covers its area of concern
        SELECT count(*) FILTER (WHERE ST_Intersects(ap.p, gp.concern) AND (ST_Intersects(ap.p, gp.cam_u)
                                   OR ST_Intersects(ap.p, gp.patrol_u))) AS alarms_in, count(*) AS alarms_all,
               count(*) FILTER (WHERE CASE gp.period WHEN 'day' THEN ap.far_day ELSE ap.far_night END) AS alarms_far
        FROM alarm_pts ap WHERE ap.id = gp.id) ac
    CROSS JOIN LATERAL (  -- the stored road pieces' length, and in the gap
        SELECT coalesce(sum(ST_Length(rp.geom)), 0) AS road_all,
               coalesce(sum(CASE WHEN rp.geom && gp.raw_gap THEN ST_Length(ST_Intersection(rp.geom, gp.raw_gap)) END),
                        0) AS road_gap
        FROM grid_road_piece rp WHERE rp.grid_id = gp.id) rc
),
result AS (  -- covered: the area of concern but its gap; road in: the road pieces but their length in the gap
    SELECT c.*, greatest(c.concern_m2 - c.raw_gap_m2, 0) AS covered_m2, greatest(road_all - road_gap, 0) AS road_in,
           CASE WHEN c.concern_m2 > 0 THEN greatest(1 - c.raw_gap_m2 / c.concern_m2, 0) ELSE 1 END AS share
    FROM counted c
)
INSERT INTO {{table}} ({{key}}grid_id, period, concern_m2, camera_m2, alarm_m2, patrol_m2, covered_m2, covered_share,
    gap_m2, gap_geom, cameras_reaching, cameras_online, disputes_in, disputes_out, alarms_in, alarms_out,
    road_m_in, road_m_out, flagged, reasons, computed_at)
SELECT {{key_value}}id, period, concern_m2, cam_m2, alarm_m2, patrol_m2, covered_m2, share,
    gap_m2, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(gap, 4326)), 3)), reaching, online, disputes_in, disputes_all - disputes_in,
    alarms_in, alarms_all - alarms_in, road_in, road_all - road_in,
    gap_m2 > 0 OR share < :target,
    array_remove(ARRAY[
        CASE WHEN gap_m2 > 0 THEN 'gap' END,
        CASE WHEN share < :target THEN 'share_below_target' END,
        CASE WHEN reaching = 0 THEN 'no_camera' END,
        CASE WHEN down > 0 THEN 'cameras_offline' END,
        CASE WHEN any_n = 0 THEN 'no_patrol' END,
        CASE WHEN any_n > 0 AND night_n = 0 THEN 'no_night_patrol' END,
        CASE WHEN open_in_gap > 0 THEN 'open_dispute_in_gap' END,
        CASE WHEN alarms_far > 0 THEN 'alarm_beyond_patrol_reach' END], NULL),
    now()
FROM result
ON CONFLICT ({{key}}grid_id, period) DO UPDATE SET
    concern_m2 = EXCLUDED.concern_m2, camera_m2 = EXCLUDED.camera_m2, alarm_m2 = EXCLUDED.alarm_m2,
    patrol_m2 = EXCLUDED.patrol_m2, covered_m2 = EXCLUDED.covered_m2, covered_share = EXCLUDED.covered_share,
    gap_m2 = EXCLUDED.gap_m2, gap_geom = EXCLUDED.gap_geom, cameras_reaching = EXCLUDED.cameras_reaching,
    cameras_online = EXCLUDED.cameras_online, disputes_in = EXCLUDED.disputes_in,
    disputes_out = EXCLUDED.disputes_out, alarms_in = EXCLUDED.alarms_in, alarms_out = EXCLUDED.alarms_out,
    road_m_in = EXCLUDED.road_m_in, road_m_out = EXCLUDED.road_m_out, flagged = EXCLUDED.flagged,
    reasons = EXCLUDED.reasons, computed_at = EXCLUDED.computed_at
"""


def coverage_sql(plan: bool = False) -> str:
    """The statement writing into grid_coverage, or (``plan``) into plan_coverage for the plan ``:plan``."""
    if plan:
        return COVERAGE_SQL.format(table="plan_coverage", key="plan_id, ", key_value="CAST(:plan AS integer), ")
    return COVERAGE_SQL.format(table="grid_coverage", key="", key_value="")
