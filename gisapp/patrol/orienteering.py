"""The team orienteering problem, solved with OR-Tools' routing library: plain arrays in, plain routes out.

Places are indices into a matrix of travel minutes (``travel[a][b]``; ``inf`` where there is no
way). A *stop* is entered at one place and left at another after ``service`` minutes: a dwell at a
hot spot (the same place), or the walk or ride along a road edge (its two ends, one stop per
direction, at most one of the two visited). Each group of stops is worth ``value`` once. The
routes leave ``start`` and end at ``end``, each within ``budget`` minutes, and collect the most
value: dropping a group costs its value, scaled far above any travel time, so that value always
comes first and time only breaks ties. The search starts from several first solutions in turn
(``FIRST_SOLUTIONS``) and keeps the best.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

SECONDS = 60  # the solver counts in whole seconds
# Guided local search started from each of these first solutions, the search time shared, the best
# kept: from any single one the search got stuck on some instances (bench/routes.py: 84 % of the
# optimum at worst, once below greedy; with the three, at the optimum on every instance).
FIRST_SOLUTIONS = (routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
                   routing_enums_pb2.FirstSolutionStrategy.ALL_UNPERFORMED,
                   routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION)


@dataclass(frozen=True)
class Stop:
    arrive: int          # the place the stop is entered at
    leave: int           # the place it is left from (the same for a dwell)
    service: float       # minutes spent at the stop (dwell, or along the edge)
    group: int           # stops of one group are alternatives; the group is worth its value once


def solve(travel, stops: list[Stop], values: dict[int, float], start: int, end: int, budget: float,
          routes: int = 1, seconds: float = 2.0) -> list[list[int]]:
    """The chosen stops of each route, in order (indices into ``stops``); a route may be empty.

    Every route's travel and service minutes add up to at most ``budget``.
    """
    unreachable = int(budget * SECONDS) * 10 + 1
    nodes = [None] + list(range(len(stops))) + ([None] if end != start else [])
    end_node = len(nodes) - 1 if end != start else 0

    def place(node: int, leaving: bool) -> int:
        stop = nodes[node]
        if stop is None:
            return start if node == 0 else end
        return stops[stop].leave if leaving else stops[stop].arrive

    def seconds_between(a: int, b: int) -> int:
        minutes = travel[place(a, True)][place(b, False)]
        service = stops[nodes[b]].service if nodes[b] is not None else 0.0
        return unreachable if not math.isfinite(minutes) else math.ceil((minutes + service) * SECONDS)

    def model_for():
        manager = pywrapcp.RoutingIndexManager(len(nodes), routes, [0] * routes, [end_node] * routes)
        model = pywrapcp.RoutingModel(manager)
        transit = model.RegisterTransitCallback(
            lambda i, j: seconds_between(manager.IndexToNode(i), manager.IndexToNode(j)))
        model.SetArcCostEvaluatorOfAllVehicles(transit)
        model.AddDimension(transit, 0, int(budget * SECONDS), True, "time")
        scale = int(budget * SECONDS) * routes + 1
        groups: dict[int, list[int]] = {}
        for node, stop in enumerate(nodes):
            if stop is not None:
                groups.setdefault(stops[stop].group, []).append(manager.NodeToIndex(node))
        for group, indices in groups.items():
            model.AddDisjunction(indices, max(1, int(round(values[group] * 100))) * scale, 1)
        return manager, model

    best = None
    for strategy in FIRST_SOLUTIONS:
        manager, model = model_for()
        parameters = pywrapcp.DefaultRoutingSearchParameters()
        parameters.first_solution_strategy = strategy
        parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        parameters.time_limit.FromMilliseconds(max(1, int(seconds * 1000 / len(FIRST_SOLUTIONS))))
        solution = model.SolveWithParameters(parameters)
        if solution is not None and (best is None or solution.ObjectiveValue() < best[0]):
            best = (solution.ObjectiveValue(), _routes(manager, model, solution, nodes, routes))
    return best[1] if best else [[] for _ in range(routes)]


def _routes(manager, model, solution, nodes: list, routes: int) -> list[list[int]]:
    """The stops of each route of ``solution``, in order."""
    chosen = []
    for vehicle in range(routes):
        index, order = model.Start(vehicle), []
        while not model.IsEnd(index):
            node = manager.IndexToNode(index)
            if nodes[node] is not None:
                order.append(nodes[node])
            index = solution.Value(model.NextVar(index))
        chosen.append(order)
    return chosen
