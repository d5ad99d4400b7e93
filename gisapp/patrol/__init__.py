"""Patrol planning for team leaders (人网): the road network, and routes on it.

``network`` builds the routable network from the road layer in PostGIS and reports on it;
the routing SQL that needs pgRouting lives in ``routing``.
"""
