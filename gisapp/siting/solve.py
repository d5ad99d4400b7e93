"""The siting problems on a sparse coverage matrix: maximal covering (MCLP) and set covering (LSCP).

An ``Instance`` is what PostGIS found: which candidate option (a site, a kind, a direction)
covers which demand point, each demand point's weight, each option's site and cost. At most one
camera goes to a site. The fast MCLP method is the lazy greedy (each option's gain is computed
again only when it comes to the top; (1 − 1/e) of the optimum under a count budget), then swaps
of one chosen option for another while one gains; the exact one is a MIP solved by HiGHS (through
highspy, with the greedy answer as its start and a time limit). LSCP is a MIP too.
"""
from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.sparse as sp

EPS = 1e-9


@dataclass
class Instance:
    """Options × demand: ``cover`` (CSR, 1 where option j covers demand i), weights, sites and costs."""
    cover: sp.csr_matrix
    weight: np.ndarray     # by demand point
    site: np.ndarray       # by option: the index of its site
    cost: np.ndarray       # by option

    @property
    def options(self) -> int:
        return self.cover.shape[0]


@dataclass
class Budget:
    """At most ``count`` cameras and at most ``cost`` in all (None: no limit of that kind)."""
    count: int | None = None
    cost: float | None = None

    def allows(self, chosen: int, spent: float, extra_cost: float) -> bool:
        return ((self.count is None or chosen + 1 <= self.count)
                and (self.cost is None or spent + extra_cost <= self.cost + EPS))


def value(inst: Instance, chosen: list[int]) -> float:
    """The weight of the demand the options ``chosen`` cover together."""
    if not chosen:
        return 0.0
    covered = np.asarray(inst.cover[chosen].sum(axis=0)).ravel() > 0
    return float(inst.weight[covered].sum())


def marginal(inst: Instance, order: list[int]) -> list[float]:
    """What each option adds, taken in ``order``: the marginal value curve."""
    covered = np.zeros(inst.cover.shape[1], dtype=bool)
    gains = []
    for j in order:
        row = inst.cover.indices[inst.cover.indptr[j]:inst.cover.indptr[j + 1]]
        new = row[~covered[row]]
        gains.append(float(inst.weight[new].sum()))
        covered[new] = True
    return gains


def greedy(inst: Instance, budget: Budget) -> list[int]:
    """The lazy greedy: the option adding most (per yuan, under a cost budget) next, while the budget allows.

    Under a cost budget the best single option is taken instead when it alone is worth more."""
    by_cost = budget.cost is not None
    covered = np.zeros(inst.cover.shape[1], dtype=bool)
    gain = np.asarray(inst.cover @ inst.weight).ravel()

    def score(j: int, g: float) -> float:
        return g / max(inst.cost[j], EPS) if by_cost else g

    # the heap, made at once: (−score, j) in sorted order is a heap (a city has millions of options)
    worth = np.flatnonzero(gain > EPS)
    first = -(gain[worth] / np.maximum(inst.cost[worth], EPS) if by_cost else gain[worth])
    order = np.lexsort((worth, first))
    heap = list(zip(first[order].tolist(), worth[order].tolist()))
    chosen, used_sites, spent = [], set(), 0.0
    cheapest = float(inst.cost.min()) if inst.options else 0.0
    while heap and budget.allows(len(chosen), spent, cheapest):   # else nothing more fits
        _, j = heapq.heappop(heap)
        if inst.site[j] in used_sites or not budget.allows(len(chosen), spent, inst.cost[j]):
            continue
        row = inst.cover.indices[inst.cover.indptr[j]:inst.cover.indptr[j + 1]]
        fresh = float(inst.weight[row[~covered[row]]].sum())
        if fresh <= EPS:
            continue
        if heap and score(j, fresh) < -heap[0][0] - EPS:
            heapq.heappush(heap, (-score(j, fresh), j))   # no longer the best: back in its place
            continue
        chosen.append(j)
        used_sites.add(inst.site[j])
        spent += inst.cost[j]
        covered[row] = True
    if by_cost:
        affordable = np.flatnonzero(inst.cost <= budget.cost + EPS)
        if affordable.size:
            best = int(affordable[np.argmax(gain[affordable])])
            if gain[best] > value(inst, chosen) + EPS:
                return [best]
    return chosen


SMALL = 200_000   # a matrix with fewer pairs + options than this: one product over it per chosen option is cheap


def improve(inst: Instance, chosen: list[int], budget: Budget, seconds: float = 5.0) -> list[int]:
    """Swap one chosen option for another while that gains (the best swap each round), for at most ``seconds``.

    Each round weighs every swap (c out, o in): o's gain is the weight it covers of the demand no chosen
    option covers or only c does, less the weight only c covers. Options at another chosen option's
    site, the chosen ones and (under a cost budget) those the budget cannot take are left out. The best
    swap has the largest gain; on ties the first c in ``chosen``, then the lowest o.

    On a small matrix each c's gains are one product over it. On a large one (a city: millions of
    options) the demand open to o is the same for every c but for c's own, so one product a round gives
    the gain of every option that covers none of c's own demand; the few that do are weighed apart,
    and the best of the others is the first allowed in that product's order (a few thousand at most
    are looked at). Both give the same gains, to the bit, and so the same swaps."""
    chosen = list(chosen)
    if not chosen:
        return chosen
    cover, weight = inst.cover, inst.weight
    small = cover.nnz + inst.options < SMALL
    by_demand = None if small else cover.T.tocsr()     # demand -> the options covering it
    counts = np.asarray(cover[chosen].sum(axis=0)).ravel()
    site_used = np.zeros(int(inst.site.max()) + 1, dtype=bool)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        spent = float(inst.cost[chosen].sum())
        site_used[:] = False
        site_used[inst.site[chosen]] = True
        at_used = site_used[inst.site]    # the chosen options are among these
        free = np.where(counts == 0, weight, 0.0)
        owns = []
        for c in chosen:
            row = np.sort(cover.indices[cover.indptr[c]:cover.indptr[c + 1]])
            owns.append(row[counts[row] == 1])
        if small:
            best = _best_swap_by_products(inst, budget, chosen, at_used, spent, free, owns)
        else:
            best = _best_swap_by_one_product(inst, budget, chosen, at_used, spent, free, owns, by_demand)
        if best[1] is None:
            break
        _, c, o = best
        chosen[chosen.index(c)] = o
        counts[cover.indices[cover.indptr[c]:cover.indptr[c + 1]]] -= 1
        counts[cover.indices[cover.indptr[o]:cover.indptr[o + 1]]] += 1
    return chosen


def _best_swap_by_products(inst, budget, chosen, at_used, spent, free, owns) -> tuple[float, int | None, int | None]:
    """The best swap (gain, c, o), each c's gains one product over the whole matrix."""
    best = (EPS, None, None)
    for c, own in zip(chosen, owns):
        loss = float(inst.weight[own].sum())
        free[own] = inst.weight[own]
        gains = inst.cover @ free - loss
        free[own] = 0.0
        gains[~_allowed(inst, budget, chosen, at_used, c, spent - inst.cost[c], np.arange(inst.options))] = -np.inf
        o = int(np.argmax(gains))
        if gains[o] > best[0]:
            best = (float(gains[o]), c, o)
    return best


def _best_swap_by_one_product(inst, budget, chosen, at_used, spent, free, owns,
                              by_demand) -> tuple[float, int | None, int | None]:
    """The best swap (gain, c, o) from one product a round, the options covering c's own demand weighed apart."""
    cover, weight = inst.cover, inst.weight
    base = cover @ free                   # each option's gain were none of the demand it covers c's alone
    touching = [np.unique(by_demand[own].indices) if own.size else own for own in owns]
    top = _top(base, int(at_used.sum()) + max(t.size for t in touching) + 256)
    best = (EPS, None, None)
    for c, own, touched in zip(chosen, owns, touching):
        loss = float(weight[own].sum())
        allowed = partial(_allowed, inst, budget, chosen, at_used, c, spent - inst.cost[c])
        found = (-np.inf, None)
        if touched.size:                  # their gain with c's own demand open, as one product over all would give
            free[own] = weight[own]
            gains = cover[touched] @ free - loss
            free[own] = 0.0
            gains[~allowed(touched)] = -np.inf
            k = int(np.argmax(gains))
            found = (float(gains[k]), int(touched[k]))
        others = top[~np.isin(top, touched)] if touched.size else top
        fits = np.flatnonzero(allowed(others))
        if fits.size:                     # every option not looked at gains less than these
            o = int(others[fits[0]])
        elif top.size == inst.options:
            o = None
        else:                             # every option looked at is left out: weigh them all
            rest = np.setdiff1d(np.arange(inst.options), touched)
            rest = rest[allowed(rest)]
            o = int(rest[np.lexsort((rest, -base[rest]))[0]]) if rest.size else None
        if o is not None:
            g = float(base[o] - loss)
            if g > found[0] or (g == found[0] and o < found[1]):
                found = (g, o)
        if found[1] is not None and found[0] > best[0]:
            best = (found[0], c, found[1])
    return best


def _allowed(inst: Instance, budget: Budget, chosen: list[int], at_used: np.ndarray, c: int, rest: float,
             o: np.ndarray) -> np.ndarray:
    """Which options ``o`` may replace ``c``: not at another chosen option's site, not chosen, within the budget
    (``rest``: what the others cost)."""
    good = ~at_used[o] | ((inst.site[o] == inst.site[c]) & ~np.isin(o, chosen))
    return good if budget.cost is None else good & ~(rest + inst.cost[o] > budget.cost + EPS)


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """The indices of the ``n`` largest ``values`` and of any equal to the least of them: largest first, then lowest."""
    if n < values.size:
        threshold = np.partition(values, values.size - n)[values.size - n]
        index = np.flatnonzero(values >= threshold)
    else:
        index = np.arange(values.size)
    return index[np.lexsort((index, -values[index]))]


@dataclass
class Exact:
    """A MIP's answer: the options chosen, whether HiGHS proved them optimal, and the gap to its bound."""
    chosen: list[int]
    proven: bool
    gap: float | None       # (bound − value) / bound when stopped by the time limit
    seconds: float


def _solve(columns: int, cost: np.ndarray, integral: np.ndarray, rows: sp.csr_matrix, row_lower: np.ndarray,
           row_upper: np.ndarray, maximise: bool, seconds: float, start: np.ndarray | None):
    """One HiGHS run on columns in [0, 1] (``integral`` ones binary); returns (values, proven, gap, seconds)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = columns, rows.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost.astype(float), np.zeros(columns), np.ones(columns)
    lp.row_lower_, lp.row_upper_ = row_lower.astype(float), row_upper.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = rows.indptr.astype(np.int32), rows.indices.astype(np.int32)
    lp.a_matrix_.value_ = rows.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integral]
    h = highspy.Highs()
    h.silent()
    h.setOptionValue("time_limit", float(seconds))
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(start.astype(float))
        solution.value_valid = True
        h.setSolution(solution)
    began = time.perf_counter()
    h.run()
    took = time.perf_counter() - began
    status = h.getModelStatus()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value) if info.primal_solution_status else None
    proven = status == highspy.HighsModelStatus.kOptimal
    gap = None if proven or values is None else float(info.mip_gap)
    return values, proven, gap, took


def _one_per_site(inst: Instance, width: int) -> sp.csr_matrix:
    """Rows Σ x_j over each site's options (the sites with more than one), ``width`` columns wide."""
    sites, per_site = np.unique(inst.site, return_counts=True)
    shared = sites[per_site > 1]
    members = np.isin(inst.site, shared)
    return sp.csr_matrix((np.ones(members.sum()), (np.searchsorted(shared, inst.site[members]),
                                                   np.flatnonzero(members))), shape=(shared.size, width))


def exact(inst: Instance, budget: Budget, seconds: float, start: list[int] | None = None) -> Exact:
    """The MCLP by a MIP: binary x (options), y in [0, 1] (demand points some option covers); maximise
    the covered weight with y_i ≤ Σ x_j over the options covering i, the budget, one option per site."""
    coverable = np.flatnonzero(np.asarray(inst.cover.sum(axis=0)).ravel() > 0)
    n, m = inst.options, coverable.size
    a = inst.cover[:, coverable].T.tocsr()           # demand rows over options
    blocks = [sp.hstack([-a, sp.identity(m, format="csr")]).tocsr()]   # y_i − Σ x_j ≤ 0
    lower, upper = [np.full(m, -np.inf)], [np.zeros(m)]
    if budget.count is not None:
        blocks.append(sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(m)])[None, :]))
        lower.append([-np.inf]), upper.append([budget.count])
    if budget.cost is not None:
        blocks.append(sp.csr_matrix(np.concatenate([inst.cost, np.zeros(m)])[None, :]))
        lower.append([-np.inf]), upper.append([budget.cost])
    site_rows = _one_per_site(inst, n + m)
    blocks.append(site_rows)
    lower.append(np.full(site_rows.shape[0], -np.inf)), upper.append(np.ones(site_rows.shape[0]))
    warm = None
    if start:
        warm = np.zeros(n + m)
        warm[start] = 1
        warm[n:] = np.asarray(a[:, start].sum(axis=1)).ravel() > 0
    values, proven, gap, took = _solve(n + m, np.concatenate([np.zeros(n), inst.weight[coverable]]),
                                       np.arange(n + m) < n, sp.vstack(blocks).tocsr(), np.concatenate(lower),
                                       np.concatenate(upper), True, seconds, warm)
    chosen = [] if values is None else [int(j) for j in np.flatnonzero(values[:n] > 0.5)]
    return Exact(chosen, proven, gap, took)


def cover_all(inst: Instance, must: np.ndarray, seconds: float) -> tuple[Exact, list[int]]:
    """The LSCP: the fewest options (one per site) covering every demand point in ``must`` (indices) that
    some option reaches. Returns the answer and the must-cover points no option reaches."""
    reach = np.asarray(inst.cover[:, must].sum(axis=0)).ravel()
    unreachable = [int(i) for i in must[reach == 0]]
    reachable = must[reach > 0]
    n = inst.options
    if reachable.size == 0:
        return Exact([], True, None, 0.0), unreachable
    blocks = [inst.cover[:, reachable].T.tocsr()]     # Σ x_j ≥ 1 for each place
    lower, upper = [np.ones(reachable.size)], [np.full(reachable.size, np.inf)]
    site_rows = _one_per_site(inst, n)
    blocks.append(site_rows)
    lower.append(np.full(site_rows.shape[0], -np.inf)), upper.append(np.ones(site_rows.shape[0]))
    values, proven, gap, took = _solve(n, np.ones(n), np.ones(n, dtype=bool), sp.vstack(blocks).tocsr(),
                                       np.concatenate(lower), np.concatenate(upper), False, seconds, None)
    chosen = [] if values is None else [int(j) for j in np.flatnonzero(values > 0.5)]
    return Exact(chosen, proven, gap, took), unreachable
