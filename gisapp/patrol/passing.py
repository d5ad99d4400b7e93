"""What a route passes, defined once for the evaluation and the exports: SQL conditions on a route ``r``.

An open dispute ``d`` is passed when it is within the route's sight width (``:width`` metres, the
route's own when it has one); an online alarm ``a`` when it is within ``:reach`` metres in a straight
line (the alarm's reach by road is ``gisapp.patrol.reach``'s). ``:deg`` and ``:reach_deg`` are the
same distances in degrees, for the index.
"""

OPEN_DISPUTE_IN_SIGHT = """d.status <> 'closed' AND d.geom && ST_Expand(r.geom, :deg)
    AND ST_DWithin(d.geom::geography, r.geom::geography, coalesce(r.sight_width_m, :width))"""
ONLINE_ALARM_NEAR = """a.status = 'online' AND a.geom && ST_Expand(r.geom, :reach_deg)
    AND ST_DWithin(a.geom::geography, r.geom::geography, :reach)"""
