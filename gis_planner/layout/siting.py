"""Premises siting (R7, 一(一) "落实社区用房点位"): where new community premises should go.

Two classic location models, solved exactly with HiGHS (``scipy.optimize.milp``) on a sparse
coverage structure, with the existing premises fixed:

- **set cover** (LSCP): the fewest new sites that put every estate's households within the
  walking distance (``rules.layout.walking_distance_m``, 300 m) of a premises;
- **maximal coverage** (MCLP): the ``p`` new sites that bring the most households within it.

Coverage is a sparse estate × site structure: the pairs within the walking distance, found with
an STRtree (straight-line distance, the default) or by shortest paths on a walking network (a
``paths`` layer of lines: Dijkstra limited to the walking distance from every site). Estates
already within reach of an existing premises need nothing; estates no candidate can reach are
reported, never made infeasible.

Why not spopt: its ``LSCP``/``MCLP`` take a dense demand × facility cost matrix and build the
model constraint by constraint in Python (PuLP); for 5,000 estates and 1,000 sites that is
5 million matrix cells and half a minute of model building for about 10,000 useful pairs. Here
the model is built from the sparse pairs only, identical demand rows are merged (their
households summed) and sites that cover nothing new are dropped before HiGHS sees the model.
``benchmarks/bench_siting.py`` runs both side by side and checks the objectives agree.

All geometry is in the working CRS (EPSG:4549, metres); inputs are never modified.
"""

from __future__ import annotations

import heapq
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

from gis_planner import crs as crs_mod
from gis_planner.crs import check_working_crs
from gis_planner.errors import InputError, PlannerError, Problem, format_rows
from gis_planner.i18n import SITE_PREFIXES, Listing, msg, site_name
from gis_planner.layout.scale import estate_origins
from gis_planner.results import SitingResult, SolveInfo
from gis_planner.rules import RuleSet

if TYPE_CHECKING:
    from gis_planner.io.layers import PlanningData

log = logging.getLogger(__name__)

_EPS_M = 1e-6  # metres: zero-length network edges get this weight (csgraph drops zeros)


class SitingError(PlannerError):
    """The siting models cannot be solved as asked (e.g. the solver found no solution)."""


# --------------------------------------------------------------------------- CRS


# --------------------------------------------------------------------------- coverage


def coverage_pairs(
    origins: np.ndarray, sites: np.ndarray, *, distance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (origin, site) pair within ``distance_m`` straight-line metres.

    Parameters
    ----------
    origins, sites : array of shapely geometries
        In a projected CRS (EPSG:4549). Polygons are measured from their nearest point.
    distance_m : float
        The walking distance in metres.

    Returns
    -------
    (origin, site, distance_m) : three arrays
        Positions into ``origins`` and ``sites`` and the distances, sorted by origin then site.

    Examples
    --------
    >>> o = shapely.points([0, 1000], [0, 0]); s = shapely.points([200, 290, 1500], [0, 0, 0])
    >>> [a.tolist() for a in coverage_pairs(o, s, distance_m=300)]
    [[0, 0], [0, 1], [200.0, 290.0]]
    """
    if len(origins) == 0 or len(sites) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    tree = shapely.STRtree(sites)
    i, j = tree.query(origins, predicate="dwithin", distance=distance_m)
    d = shapely.distance(origins[i], sites[j])
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), d[order]


def coverage_matrix(
    origin: np.ndarray, site: np.ndarray, n_origins: int, n_sites: int
) -> sparse.csr_array:
    """The 0/1 coverage matrix (origins × sites) of the pairs, as a sparse CSR array."""
    data = np.ones(len(origin), dtype=np.int8)
    matrix = sparse.csr_array((data, (origin, site)), shape=(n_origins, n_sites))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


# --------------------------------------------------------------------------- solvers


def _row_keys(matrix: sparse.csr_array) -> np.ndarray:
    """A 128-bit key per row, equal for rows with the same set of columns (random hashing)."""
    rng = np.random.default_rng(20200810)
    keys = rng.integers(
        0, np.iinfo(np.int64).max, size=(2, matrix.shape[1]), dtype=np.int64
    ).astype(np.uint64)
    starts = matrix.indptr[:-1]
    lengths = np.diff(matrix.indptr)
    out = np.zeros((matrix.shape[0], 3), dtype=np.uint64)
    nonempty = lengths > 0
    for k in range(2):
        summed = (
            np.add.reduceat(keys[k][matrix.indices], starts[nonempty])
            if len(matrix.indices)
            else np.zeros(0, np.uint64)
        )
        out[nonempty, k] = summed
    out[:, 2] = lengths.astype(np.uint64)
    return out


def _merge_rows(
    matrix: sparse.csr_array, weights: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray]:
    """Merge identical rows of a 0/1 matrix, summing their weights."""
    keys = _row_keys(matrix)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    merged_weights = np.bincount(inverse.ravel(), weights=weights, minlength=len(first))
    return matrix[first], merged_weights


def _greedy(matrix: sparse.csc_array, weights: np.ndarray, limit: int) -> np.ndarray:
    """Greedy coverage (lazy evaluation): up to ``limit`` columns, each adding the most weight
    still uncovered, until nothing is left. With unit weights and no limit: greedy set cover."""
    left = weights.astype(float).copy()

    def gain(j: int) -> float:
        return float(left[matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]].sum())

    heap = [(-gain(j), j) for j in range(matrix.shape[1])]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(chosen) < limit:
        _, j = heapq.heappop(heap)
        current = gain(j)
        if current <= 0:  # covers nothing new (its stale gain was an upper bound): drop it
            continue
        if heap and -heap[0][0] > current + 1e-9:
            heapq.heappush(heap, (-current, j))
            continue
        chosen.append(j)
        left[matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]] = 0.0
    return np.array(sorted(chosen), dtype=np.int64)


@dataclass
class _Solution:
    x: np.ndarray | None
    status: str
    mip_gap: float
    seconds: float
    bound: float = -np.inf  # HiGHS's dual bound on the minimum; -inf when unknown


# Components with fewer nonzeros than this are solved together in one model (exact all the
# same: the set cover of disjoint components is the union of theirs); a HiGHS run each would
# cost more in set-up than in solving (a province has thousands of components of 2–3 sites).
# A tuning constant of the solver, not a rule.
_SMALL_COMPONENT_NNZ = 1_000


class _Budget:
    """Solver time of one call: each HiGHS run at most ``per_solve_s`` seconds, all of its runs
    together (every component, both models) at most ``total_s`` from the budget's creation."""

    def __init__(self, per_solve_s: float, total_s: float | None = None) -> None:
        self.per_solve_s = float(per_solve_s)
        self.deadline = (
            np.inf if total_s is None else time.perf_counter() + max(0.0, float(total_s))
        )

    def left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())

    def limit(self, share: float = 1.0) -> float:
        """The limit of the next run: ``share`` of the time left, at most ``per_solve_s``."""
        return float(min(self.per_solve_s, self.left() * share))


def _gap(objective: float, bound: float) -> float:
    """HiGHS's relative gap |objective − bound| / |objective| (0 when they meet)."""
    if abs(objective - bound) <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return abs(objective - bound) / abs(objective) if objective else float("inf")


def _quiet_highs(highspy: Any) -> Any:
    """A ``highspy.Highs`` instance, without the banner HiGHS prints on its first creation."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solve(
    costs: np.ndarray,
    integer: np.ndarray,
    matrix: sparse.csc_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    start: np.ndarray,
    time_limit_s: float,
) -> _Solution:
    """min costs·x, row_lower ≤ A x ≤ row_upper, 0 ≤ x ≤ 1, x integer where ``integer``.

    HiGHS through highspy, given the feasible ``start`` (a greedy solution, ``setSolution``,
    in highspy since 1.7) as its first incumbent; scipy's HiGHS (``milp``, which takes no
    start) when highspy is missing. The solution returned is never worse than ``start``: when
    HiGHS stops at the time limit without one, or with a worse one, ``start`` is kept. A time
    limit of 0 returns ``start`` without running HiGHS (status ``time_limit``).
    """
    began = time.perf_counter()
    start = np.asarray(start, dtype=float)
    if time_limit_s <= 0:
        return _Solution(start.copy(), "time_limit", float("nan"), 0.0)
    highspy: Any
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a dependency; scipy's HiGHS otherwise
        highspy = None
    if highspy is None:  # pragma: no cover
        result = milp(
            costs,
            integrality=integer.astype(int),
            bounds=Bounds(np.zeros(len(costs)), np.ones(len(costs))),
            constraints=[LinearConstraint(matrix, lb=row_lower, ub=row_upper)],
            options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0},
        )
        status = {0: "optimal", 1: "time_limit"}.get(result.status, "error")
        x = result.x
        bound = getattr(result, "mip_dual_bound", None)
        bound = -np.inf if bound is None or not np.isfinite(bound) else float(bound)
    else:
        h = _quiet_highs(highspy)
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 0.0)
        lp = highspy.HighsLp()
        n, m = len(costs), matrix.shape[0]
        inf = highspy.kHighsInf
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = costs.astype(float)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.ones(n)
        lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf).astype(float)
        lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf).astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
            for k in integer
        ]
        h.passModel(lp)
        solution = highspy.HighsSolution()
        solution.col_value = start.tolist()
        solution.value_valid = True
        # HiGHS 1.16 with presolve on can report a better objective than the start yet hand
        # back the start's values as its solution (seen on the demo's set cover: 26 reported,
        # the greedy 27 returned); without presolve the values are its own, as fast on the
        # dense benchmark case. The values are checked against the objective all the same.
        h.setOptionValue("presolve", "off")
        h.setOptionValue("time_limit", float(time_limit_s))
        h.setSolution(solution)
        h.run()
        model_status = h.getModelStatus()
        info = h.getInfo()
        status = {
            highspy.HighsModelStatus.kOptimal: "optimal",
            highspy.HighsModelStatus.kTimeLimit: "time_limit",
        }.get(model_status, h.modelStatusToString(model_status).lower())
        bound = float(info.mip_dual_bound)
        bound = bound if np.isfinite(bound) else -np.inf
        x = None
        if info.primal_solution_status == 2:  # feasible
            values = np.asarray(h.getSolution().col_value, dtype=float)
            reported = float(info.objective_function_value)
            if abs(float(costs @ values) - reported) <= 1e-6 * max(1.0, abs(reported)):
                x = values
    consistent = x is not None
    if x is None or float(costs @ x) > float(costs @ start) + 1e-9:
        x = start.copy()
    objective = float(costs @ x)
    if status == "optimal" and consistent:
        bound = objective
    elif status == "optimal":  # proven, but the solution was lost: the start and the bound
        status = "time_limit"
    gap = _gap(objective, bound) if np.isfinite(bound) else float("nan")
    return _Solution(x, status, gap, time.perf_counter() - began, bound)


def coverage_components(
    cover: sparse.csr_array | sparse.csr_matrix,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Connected components of the coverage graph: demand rows and sites, an edge per pair.

    Returns
    -------
    (n, row_label, col_label)
        The number of components and the component of every row and every column (a column
        that covers nothing is a component of its own).

    Examples
    --------
    >>> m = sparse.csr_array(np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]))
    >>> n, rows, cols = coverage_components(m)
    >>> n, rows.tolist(), cols.tolist()
    (3, [0, 0, 1], [0, 0, 1, 2])
    """
    matrix = sparse.csr_array(cover)
    graph = sparse.bmat([[None, matrix], [matrix.T, None]], format="csr")
    n, labels = csgraph.connected_components(graph, directed=False)
    m = matrix.shape[0]
    return int(n), labels[:m].astype(np.int64), labels[m:].astype(np.int64)


@dataclass
class _Blocks:
    """The components of a 0/1 matrix as diagonal blocks: rows and columns reordered so that
    each component's are contiguous (``matrix`` is the reordered matrix)."""

    matrix: sparse.csr_array
    row_order: np.ndarray
    col_order: np.ndarray
    row_start: np.ndarray  # component k: rows row_start[k]:row_start[k + 1] of ``matrix``
    col_start: np.ndarray
    col_label: np.ndarray  # of the original columns
    full_col: np.ndarray  # per component: a column (original position) covering all its rows, or -1

    def block(self, k: int) -> tuple[sparse.csr_array, np.ndarray]:
        """Component ``k``'s submatrix and the original positions of its columns."""
        r0, r1 = self.row_start[k], self.row_start[k + 1]
        c0, c1 = self.col_start[k], self.col_start[k + 1]
        return sparse.csr_array(self.matrix[r0:r1, c0:c1]), self.col_order[c0:c1]


def _blocks(matrix: sparse.csr_array) -> _Blocks:
    """Split a 0/1 matrix (every row and column non-empty) into its connected components."""
    n, row_label, col_label = coverage_components(matrix)
    row_order = np.argsort(row_label, kind="stable")
    col_order = np.argsort(col_label, kind="stable")
    row_count = np.bincount(row_label, minlength=n)
    col_count = np.bincount(col_label, minlength=n)
    degree = np.diff(matrix.tocsc().indptr)
    is_full = degree == row_count[col_label]
    full_col = np.full(n, -1, np.int64)
    full = np.flatnonzero(is_full)[::-1]  # the lowest column of a component written last
    full_col[col_label[full]] = full
    return _Blocks(
        sparse.csr_array(matrix[row_order][:, col_order]),
        row_order,
        col_order,
        np.r_[0, np.cumsum(row_count)],
        np.r_[0, np.cumsum(col_count)],
        col_label,
        full_col,
    )


def _lscp_block(a: sparse.csr_array, time_limit_s: float) -> tuple[np.ndarray, _Solution, float]:
    """Set cover of one block: (chosen local columns, solution, lower bound on its size)."""
    n, m = a.shape[1], a.shape[0]
    csc = a.tocsc()
    x0 = np.zeros(n)
    x0[_greedy(csc, np.ones(m), n)] = 1.0
    result = _solve(
        np.ones(n), np.ones(n, bool), csc, np.ones(m), np.full(m, np.inf), x0, time_limit_s
    )
    assert result.x is not None
    chosen = np.flatnonzero(result.x > 0.5)
    # the size is whole: the dual bound rounds up; a block no column covers alone needs two
    lower = float(np.ceil(result.bound - 1e-6)) if np.isfinite(result.bound) else 1.0
    return chosen, result, max(lower, 1.0)


def solve_lscp(
    cover: sparse.csr_array | sparse.csr_matrix,
    *,
    time_limit_s: float = 600.0,
    total_time_limit_s: float | None = None,
    decompose: bool = True,
) -> tuple[np.ndarray, SolveInfo]:
    """Location set cover: the fewest sites covering every row of ``cover`` (HiGHS MILP).

    minimise Σ xⱼ  subject to  Σ_{j covers i} xⱼ ≥ 1 for every row i,  x binary.
    Identical rows are merged first. With ``decompose`` (the default) the model is solved per
    connected component of the coverage graph (rows ↔ sites): the set cover of a union of
    disjoint components is the union of their set covers, so this is *exact*. A component
    with one site covering all of its rows is solved without HiGHS (that site), the small ones
    together in one model, each large one on its own. Each model
    starts from its greedy cover (the solution returned is never worse than greedy).

    Parameters
    ----------
    cover : sparse (demand × sites) 0/1 matrix
        Each row must have at least one site (leave uncoverable demand out).
    time_limit_s : float
        Time limit of each HiGHS run.
    total_time_limit_s : float, optional
        Time limit of all HiGHS runs together (the components share it: the smaller ones first,
        each given its share of what is left in proportion to its nonzeros).
    decompose : bool
        Solve per component (``False``: one model, for comparison).

    Returns
    -------
    (sites, info)
        Positions of the chosen columns (sorted) and the :class:`SolveInfo`. The optimum is
        proven (``status`` ``optimal``, ``mip_gap`` 0) unless a time limit is hit; then the
        best solution found is returned with ``status`` ``time_limit`` and ``mip_gap`` =
        (sites − lower bound) / sites, the lower bound summed over the components (each
        HiGHS's dual bound rounded up, or 1 for a component HiGHS had no time for).

    Examples
    --------
    >>> m = sparse.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]]))
    >>> solve_lscp(m)[0].tolist()
    [0, 2]
    """
    start = time.perf_counter()
    budget = _Budget(time_limit_s, total_time_limit_s)
    matrix = sparse.csr_array(cover, dtype=np.int8)
    matrix.sum_duplicates()
    if matrix.shape[0] and (np.diff(matrix.indptr) == 0).any():
        raise ValueError("every demand row needs at least one site; leave uncoverable rows out")
    if matrix.shape[0] == 0:
        return np.zeros(0, np.int64), SolveInfo(
            "lscp", 0.0, "optimal", 0.0, time.perf_counter() - start, 0.0, 0, 0, 0
        )
    matrix.data[:] = 1
    matrix, _ = _merge_rows(matrix, np.ones(matrix.shape[0]))
    used = np.unique(matrix.indices)
    a = sparse.csr_array(matrix[:, used])
    n, m = len(used), a.shape[0]
    build_s = time.perf_counter() - start
    solve_began = time.perf_counter()
    chosen_parts: list[np.ndarray] = []
    lower = 0.0
    statuses: list[str] = []
    if decompose:
        blocks = _blocks(a)
        trivial = blocks.full_col >= 0
        chosen_parts.append(blocks.full_col[trivial])  # one site covers the whole component
        lower += float(trivial.sum())
        hard = np.flatnonzero(~trivial)
        n_comp = len(blocks.full_col)
        comp_nnz = np.diff(blocks.matrix.indptr[blocks.row_start])
        small = np.zeros(n_comp, bool)
        small[hard[comp_nnz[hard] < _SMALL_COMPONENT_NNZ]] = True
        # (block, its columns' positions, components in it, nonzeros)
        groups: list[tuple[sparse.csr_array, np.ndarray, int, float]] = []
        if small.any():  # the small components together: one HiGHS run instead of thousands
            row_in = small[np.repeat(np.arange(n_comp), np.diff(blocks.row_start))]
            col_in = small[np.repeat(np.arange(n_comp), np.diff(blocks.col_start))]
            batch = sparse.csr_array(
                blocks.matrix[np.flatnonzero(row_in)][:, np.flatnonzero(col_in)]
            )
            groups.append((batch, blocks.col_order[col_in], int(small.sum()), float(batch.nnz)))
        for k in hard[~small[hard]]:
            block, columns = blocks.block(int(k))
            groups.append((block, columns, 1, float(comp_nnz[k])))
        groups.sort(key=lambda group: group[3])
        remaining = float(sum(group[3] for group in groups))
        for block, columns, count, size in groups:
            local, result, bound = _lscp_block(block, budget.limit(size / remaining))
            remaining -= size
            chosen_parts.append(columns[local])
            lower += max(bound, 2.0 * count)  # no single site covers a non-trivial component
            statuses.append(result.status)
    else:
        local, result, bound = _lscp_block(a, budget.limit())
        chosen_parts.append(local)
        covers_all = np.diff(a.tocsc().indptr).max() == m
        lower += bound if covers_all else max(bound, 2.0)
        statuses.append(result.status)
    chosen = np.sort(used[np.concatenate(chosen_parts).astype(np.int64)])
    objective = float(len(chosen))
    gap = _gap(objective, min(lower, objective))
    # a bound that meets the objective proves it, whichever solve stopped early
    status = next((s for s in statuses if s != "optimal"), "optimal") if gap else "optimal"
    info = SolveInfo(
        "lscp",
        objective,
        status,
        gap,
        build_s,
        time.perf_counter() - solve_began,
        n,
        m,
        int(a.nnz),
    )
    return chosen, info


def _mclp_block(
    c_mat: sparse.csr_array, weights: np.ndarray, p: int, start: np.ndarray, time_limit_s: float
) -> _Solution:
    """Maximal coverage of one block (at most ``p`` of its columns) from the start ``start``
    (0/1 per column); the solution's ``x`` holds the columns' then the rows' values."""
    n, g = c_mat.shape[1], c_mat.shape[0]
    a = sparse.vstack(
        [
            sparse.hstack([-c_mat, sparse.eye_array(g, format="csr")]),
            sparse.hstack([sparse.csr_array(np.ones((1, n))), sparse.csr_array((1, g))]),
        ]
    ).tocsc()
    y0 = (c_mat @ start > 0).astype(float)
    return _solve(
        np.r_[np.zeros(n), -weights],
        np.r_[np.ones(n, bool), np.zeros(g, bool)],
        a,
        np.full(g + 1, -np.inf),
        np.r_[np.zeros(g), float(p)],
        np.r_[start, y0],
        time_limit_s,
    )


def solve_mclp(
    cover: sparse.csr_array | sparse.csr_matrix,
    weights: np.ndarray,
    p: int,
    *,
    time_limit_s: float = 600.0,
    total_time_limit_s: float | None = None,
) -> tuple[np.ndarray, SolveInfo]:
    """Maximal coverage: at most ``p`` sites covering the largest total weight (HiGHS MILP).

    maximise Σ wᵢ yᵢ  subject to  yᵢ ≤ Σ_{j covers i} xⱼ,  Σ xⱼ ≤ p,  x binary, 0 ≤ y ≤ 1
    (y is integral at the optimum once x is). Rows with the same sites are merged first (their
    weights summed); the greedy p sites are the first solution (the one returned is never
    worse). When the greedy sites already cover every row, they are optimal and HiGHS is not
    run.

    Not decomposed: the budget p couples the connected components of the coverage graph, so
    solving them one by one is *not* exact (how many sites each component gets is part of the
    optimum, and a component's best coverage is not concave in its number of sites: greedy or
    marginal allocation can miss the optimum). Starting each component from its greedy share
    and solving it alone was tried on the dense benchmark case and found nothing better than
    greedy in the time while halving the time of the one exact model, so the one model over
    all components is solved, from the greedy start.

    Parameters
    ----------
    time_limit_s, total_time_limit_s
        As for :func:`solve_lscp` (one HiGHS run here, so the smaller of the two applies).

    Returns
    -------
    (sites, info)
        Positions of the chosen columns (sorted) and the :class:`SolveInfo`; ``objective`` is
        the covered weight; when a time limit is hit, ``mip_gap`` = (upper bound − covered) /
        covered (HiGHS's bound; the p heaviest sites' total when HiGHS had no time).

    Examples
    --------
    >>> m = sparse.csr_array(np.array([[1, 0], [1, 1], [0, 1], [0, 1]]))
    >>> solve_mclp(m, np.array([10, 10, 20, 30]), 1)[0].tolist()
    [1]
    """
    start = time.perf_counter()
    budget = _Budget(time_limit_s, total_time_limit_s)
    matrix = sparse.csr_array(cover, dtype=np.int8)
    matrix.sum_duplicates()
    weights = np.asarray(weights, dtype=float)
    keep = (weights > 0) & (np.diff(matrix.indptr) > 0)
    matrix = matrix[np.flatnonzero(keep)]
    weights = weights[keep]
    if matrix.shape[0] == 0 or p <= 0:
        return np.zeros(0, np.int64), SolveInfo(
            "mclp", 0.0, "optimal", 0.0, time.perf_counter() - start, 0.0, 0, 0, 0
        )
    matrix.data[:] = 1
    matrix, weights = _merge_rows(matrix, weights)
    used = np.unique(matrix.indices)
    c_mat = sparse.csr_array(matrix[:, used])
    n, g = len(used), c_mat.shape[0]
    csc = c_mat.tocsc()
    x0 = np.zeros(n)
    x0[_greedy(csc, weights, int(p))] = 1.0
    build_s = time.perf_counter() - start
    solve_began = time.perf_counter()
    total = float(weights.sum())
    if float(weights[c_mat @ x0 > 0].sum()) >= total:
        x, status, bound = x0, "optimal", -total  # everything covered: nothing can do better
    else:
        result = _mclp_block(c_mat, weights, int(p), x0, budget.limit())
        assert result.x is not None
        x, status, bound = result.x[:n], result.status, result.bound
        if not np.isfinite(bound):  # no bound from HiGHS: the p heaviest sites' total
            site_weight = np.sort(np.asarray(csc.T @ weights).ravel())[::-1]
            bound = -min(total, float(site_weight[: int(p)].sum()))
    chosen_local = np.flatnonzero(x > 0.5)
    covered = (c_mat[:, chosen_local].sum(axis=1) > 0) if len(chosen_local) else np.zeros(g, bool)
    objective = float(weights[np.asarray(covered).ravel()].sum())
    gap = 0.0 if status == "optimal" else _gap(objective, max(-bound, objective))
    status = status if gap else "optimal"  # a bound that meets the objective proves it
    info = SolveInfo(
        "mclp",
        objective,
        status,
        gap,
        build_s,
        time.perf_counter() - solve_began,
        n + g,
        g + 1,
        int(c_mat.nnz + g + n),
    )
    return np.sort(used[chosen_local]), info


# --------------------------------------------------------------------------- walking network


def shortest_edges(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n: int
) -> sparse.csr_array:
    """An n × n sparse graph keeping the *shortest* of duplicate edges.

    scipy adds the values of duplicate (row, col) entries, which for a graph adds two walks
    into one longer edge: two premises snapped to one network node, joined to the virtual
    source by their legs of 50 m each, would make a 100 m edge.

    Examples
    --------
    >>> g = shortest_edges(np.array([0, 0]), np.array([1, 1]), np.array([50.0, 80.0]), 2)
    >>> float(g[0, 1])
    50.0
    """
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    weights = np.asarray(weights, float)
    key = rows * n + cols
    order = np.lexsort((weights, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    pick = order[first]
    return sparse.csr_array((weights[pick], (rows[pick], cols[pick])), shape=(n, n))


@dataclass
class WalkNetwork:
    """An undirected walking network in metres (EPSG:4549), from a ``paths`` layer.

    ``node_xy`` are the nodes, ``seg_a``/``seg_b``/``seg_len`` the segments (one per pair of
    consecutive vertices after noding the lines at their crossings), ``component`` the
    connected component of every node.
    """

    node_xy: np.ndarray
    seg_a: np.ndarray
    seg_b: np.ndarray
    seg_len: np.ndarray
    component: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_components(self) -> int:
        return int(self.component.max()) + 1 if len(self.component) else 0

    def graph(self) -> sparse.csr_array:
        n = self.n_nodes
        w = np.maximum(self.seg_len, _EPS_M)
        return shortest_edges(
            np.r_[self.seg_a, self.seg_b], np.r_[self.seg_b, self.seg_a], np.r_[w, w], n
        )

    def segments(self) -> np.ndarray:
        return shapely.linestrings(
            np.stack([self.node_xy[self.seg_a], self.node_xy[self.seg_b]], axis=1)
        )

    def with_components(self) -> WalkNetwork:
        _, labels = csgraph.connected_components(self.graph(), directed=False)
        return replace(self, component=labels.astype(np.int64))


def build_network(paths: gpd.GeoDataFrame) -> WalkNetwork:
    """The walking network of a ``paths`` layer of lines (noded at every crossing).

    Raises
    ------
    InputError
        When the layer holds no line geometry.
    """
    geoms = shapely.get_parts(paths.geometry.values)
    lines = geoms[np.isin(shapely.get_type_id(geoms), (1, 2)) & ~shapely.is_empty(geoms)]
    if len(lines) == 0:
        raise InputError([Problem("paths", msg("paths_no_lines"))])
    lines = shapely.force_2d(lines)
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
    coords, index = shapely.get_coordinates(noded, return_index=True)
    same = index[1:] == index[:-1]
    start, end = coords[:-1][same], coords[1:][same]
    keys = np.round(np.vstack([start, end]), 3)
    node_xy, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    a, b = inverse[: len(start)], inverse[len(start) :]
    length = np.hypot(*(node_xy[b] - node_xy[a]).T)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    lo, hi, length = lo[keep], hi[keep], length[keep]
    order = np.lexsort((length, hi, lo))
    lo, hi, length = lo[order], hi[order], length[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    net = WalkNetwork(node_xy, lo[first], hi[first], length[first])
    return net.with_components()


@dataclass
class _Snap:
    """Points snapped onto network segments: segment, position along it, straight leg."""

    segment: np.ndarray
    along_m: np.ndarray
    leg_m: np.ndarray


def _snap(net: WalkNetwork, xy: np.ndarray, allowed: np.ndarray | None = None) -> _Snap:
    """Snap points to the nearest segment (among ``allowed`` segments when given)."""
    segments = net.segments()
    candidates = np.arange(len(segments)) if allowed is None else np.flatnonzero(allowed)
    points = shapely.points(xy)
    tree = shapely.STRtree(segments[candidates])
    (pi, si), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    seg = np.empty(len(xy), np.int64)
    leg = np.empty(len(xy))
    seg[pi] = candidates[si]
    leg[pi] = dist
    along = shapely.line_locate_point(segments[seg], points)
    return _Snap(seg, np.clip(along, 0.0, net.seg_len[seg]), leg)


def _insert_nodes(net: WalkNetwork, snap: _Snap) -> tuple[WalkNetwork, np.ndarray]:
    """Split segments at snapped points; returns the refined network and each point's node."""
    n = net.n_nodes
    length = net.seg_len[snap.segment]
    node = np.full(len(snap.segment), -1, np.int64)
    at_a = snap.along_m <= _EPS_M
    at_b = ~at_a & (snap.along_m >= length - _EPS_M)
    node[at_a] = net.seg_a[snap.segment[at_a]]
    node[at_b] = net.seg_b[snap.segment[at_b]]
    inner = np.flatnonzero(node < 0)
    if len(inner) == 0:
        return net, node
    seg, along = snap.segment[inner], snap.along_m[inner]
    order = np.lexsort((along, seg))
    seg_s, along_s = seg[order], along[order]
    new = np.r_[True, (seg_s[1:] != seg_s[:-1]) | (np.diff(along_s) > _EPS_M)]
    ids = n + np.cumsum(new) - 1
    node[inner[order]] = ids
    seg_u, along_u, id_u = seg_s[new], along_s[new], ids[new]
    first = np.r_[True, seg_u[1:] != seg_u[:-1]]
    last = np.r_[seg_u[1:] != seg_u[:-1], True]
    prev_node = np.where(first, net.seg_a[seg_u], np.r_[-1, id_u[:-1]])
    prev_along = np.where(first, 0.0, np.r_[0.0, along_u[:-1]])
    a_xy, b_xy = net.node_xy[net.seg_a[seg_u]], net.node_xy[net.seg_b[seg_u]]
    frac = (along_u / np.maximum(net.seg_len[seg_u], _EPS_M))[:, None]
    new_xy = a_xy + (b_xy - a_xy) * frac
    keep = np.ones(len(net.seg_a), bool)
    keep[seg_u] = False
    seg_a = np.r_[net.seg_a[keep], prev_node, id_u[last]]
    seg_b = np.r_[net.seg_b[keep], id_u, net.seg_b[seg_u[last]]]
    seg_len = np.r_[
        net.seg_len[keep], along_u - prev_along, net.seg_len[seg_u[last]] - along_u[last]
    ]
    component = np.r_[net.component, net.component[net.seg_a[seg_u]]]
    refined = WalkNetwork(np.vstack([net.node_xy, new_xy]), seg_a, seg_b, seg_len, component)
    return refined, node


@dataclass
class NetworkCoverage:
    """Pairs within walking distance along a network, and how the points were snapped."""

    origin: np.ndarray
    site: np.ndarray
    distance_m: np.ndarray
    components: pd.DataFrame
    origin_leg_m: np.ndarray
    site_leg_m: np.ndarray
    origins_moved: np.ndarray  # snapped to a farther, reachable component


def network_coverage(
    net: WalkNetwork,
    origins_xy: np.ndarray,
    sites_xy: np.ndarray,
    *,
    distance_m: float,
    legs: bool = True,
    chunk_cells: int = 20_000_000,
) -> NetworkCoverage:
    """Origin × site pairs whose walk along the network is within ``distance_m``.

    Sites are inserted as nodes at the nearest point of the nearest segment; origins are
    snapped to the nearest segment of a component that holds a site ("reachable"), and their
    distance to a site is the shortest of the two ways along their segment. Dijkstra runs from
    every site, limited to ``distance_m`` (scipy.sparse.csgraph), in chunks of sites so that
    memory stays near ``chunk_cells`` distances. With ``legs`` the straight legs from the
    origin and the site to the network count toward the distance.

    Returns
    -------
    NetworkCoverage
        Pairs sorted by origin then site; ``components`` has one row per connected component:
        ``component``, ``length_m``, ``segments``, ``sites``, ``origins``, ``reachable``.
    """
    site_snap = _snap(net, sites_xy)
    refined, site_node = _insert_nodes(net, site_snap)
    served = np.zeros(max(refined.n_components, 1), bool)
    served[refined.component[site_node]] = True
    seg_comp = refined.component[refined.seg_a]
    nearest_any = _snap(refined, origins_xy)
    origin_snap = _snap(refined, origins_xy, allowed=served[seg_comp])
    moved = ~served[seg_comp[nearest_any.segment]]
    site_leg = site_snap.leg_m if legs else np.zeros(len(sites_xy))
    origin_leg = origin_snap.leg_m if legs else np.zeros(len(origins_xy))

    graph = refined.graph()
    a = refined.seg_a[origin_snap.segment]
    b = refined.seg_b[origin_snap.segment]
    t = origin_snap.along_m
    rest = refined.seg_len[origin_snap.segment] - t
    candidates = np.flatnonzero(origin_leg <= distance_m)
    out_o, out_s, out_d = [], [], []
    chunk = max(1, int(chunk_cells // max(refined.n_nodes, 1)))
    reach = np.flatnonzero(site_leg <= distance_m)
    for begin in range(0, len(reach), chunk):
        sites = reach[begin : begin + chunk]
        dist = csgraph.dijkstra(graph, directed=False, indices=site_node[sites], limit=distance_m)
        da = dist[:, a[candidates]] + t[candidates]
        db = dist[:, b[candidates]] + rest[candidates]
        total = np.minimum(da, db) + origin_leg[candidates][None, :] + site_leg[sites][:, None]
        si, oi = np.nonzero(total <= distance_m)
        out_o.append(candidates[oi])
        out_s.append(sites[si])
        out_d.append(total[si, oi])
    origin = np.concatenate(out_o) if out_o else np.zeros(0, np.int64)
    site = np.concatenate(out_s) if out_s else np.zeros(0, np.int64)
    dist_m = np.concatenate(out_d) if out_d else np.zeros(0)
    order = np.lexsort((site, origin))

    comp_ids = np.arange(refined.n_components)
    components = pd.DataFrame(
        {
            "component": comp_ids,
            "length_m": np.round(
                np.bincount(seg_comp, weights=refined.seg_len, minlength=len(comp_ids)), 1
            ),
            "segments": np.bincount(seg_comp, minlength=len(comp_ids)),
            "sites": np.bincount(refined.component[site_node], minlength=len(comp_ids)),
            "origins": np.bincount(seg_comp[origin_snap.segment], minlength=len(comp_ids)),
            "reachable": served[comp_ids],
        }
    )
    return NetworkCoverage(
        origin[order].astype(np.int64),
        site[order].astype(np.int64),
        dist_m[order],
        components,
        origin_leg,
        site_leg,
        moved,
    )


def network_distance_to_nearest(
    net: WalkNetwork, sources_xy: np.ndarray, targets_xy: np.ndarray, *, legs: bool = True
) -> np.ndarray:
    """Walking distance (m) from each target to the nearest source along the network.

    One Dijkstra from a virtual node joined to every source by its straight leg; targets are
    snapped to the nearest segment of a component holding a source. NaN when none is reachable.
    """
    if len(sources_xy) == 0:
        return np.full(len(targets_xy), np.nan)
    snap = _snap(net, sources_xy)
    refined, node = _insert_nodes(net, snap)
    served = np.zeros(max(refined.n_components, 1), bool)
    served[refined.component[node]] = True
    seg_comp = refined.component[refined.seg_a]
    target = _snap(refined, targets_xy, allowed=served[seg_comp])
    n = refined.n_nodes
    leg = snap.leg_m if legs else np.zeros(len(sources_xy))
    w = np.maximum(refined.seg_len, _EPS_M)
    rows = np.r_[refined.seg_a, refined.seg_b, np.full(len(node), n)]
    cols = np.r_[refined.seg_b, refined.seg_a, node]
    # several sources may snap to one node: its edge from the virtual node is the shortest
    # of their legs (a sum would add two walks into one)
    graph = shortest_edges(rows, cols, np.r_[w, w, np.maximum(leg, _EPS_M)], n + 1)
    dist = csgraph.dijkstra(graph, directed=True, indices=n)
    a, b = refined.seg_a[target.segment], refined.seg_b[target.segment]
    along = np.minimum(
        dist[a] + target.along_m, dist[b] + refined.seg_len[target.segment] - target.along_m
    )
    total = along + (target.leg_m if legs else 0.0)
    return np.where(np.isfinite(total), total, np.nan)


# --------------------------------------------------------------------------- candidates


def point_inside(geoms: np.ndarray) -> np.ndarray:
    """The centroid where it lies inside the geometry, else a point on its surface."""
    centroid = shapely.centroid(geoms)
    inside = shapely.intersects(geoms, centroid)
    return np.where(inside, centroid, shapely.point_on_surface(geoms))


def generate_candidates(
    *,
    estates: gpd.GeoDataFrame | None = None,
    development_parcels: gpd.GeoDataFrame | None = None,
    rules: RuleSet,
) -> gpd.GeoDataFrame:
    """Candidate sites when no ``candidate_sites`` layer is given (R7, R2).

    One point in each development parcel (R2 writes premises into its planning conditions) and
    one in each estate (its centroid, or a point on its surface when the centroid falls
    outside), as ``rules.layout.candidate_sources`` lists.

    Returns
    -------
    GeoDataFrame
        EPSG:4549 points: ``site_id`` (``P:<parcel_id>`` / ``E:<estate_id>``), ``name``,
        ``source`` (``development_parcel``/``estate``), ``max_floor_area_m2`` (NaN).
    """
    frames = []
    sources = list(rules.layout.candidate_sources)
    for source, layer, key, prefix in (
        ("development_parcels", development_parcels, "parcel_id", "P:"),
        ("estates", estates, "estate_id", "E:"),
    ):
        if source not in sources or layer is None or len(layer) == 0:
            continue
        names = layer["name"] if "name" in layer else pd.Series(None, index=layer.index)
        frames.append(
            pd.DataFrame(
                {
                    "site_id": (prefix + layer[key].astype(str)).astype(object).to_numpy(),
                    "name": names.astype(object).to_numpy(),
                    "source": {"development_parcels": "development_parcel", "estates": "estate"}[
                        source
                    ],
                    "max_floor_area_m2": np.nan,
                    "geometry": point_inside(layer.geometry.values),
                }
            )
        )
    crs = crs_mod.frame_crs(estates, development_parcels)  # the layers' working CRS
    if not frames:
        return gpd.GeoDataFrame(
            {"site_id": [], "name": [], "source": [], "max_floor_area_m2": []}, geometry=[], crs=crs
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def _named_rows(candidates: pd.DataFrame, limit: int = 10) -> list[Any]:
    """The first ``limit`` candidates for a message, a generated one named by its estate or
    parcel ("小区内 E0353", not its id ``E:E0353``), then how many more (as ``format_rows``)."""
    shown = candidates.iloc[:limit]
    rows: list[Any] = [
        site_name(i, s) if s in SITE_PREFIXES else str(i)
        for i, s in zip(shown["site_id"], shown["source"], strict=True)
    ]
    more = len(candidates) - limit
    return rows + ([f"… (+{more})"] if more > 0 else [])


def _given_candidates(candidate_sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    names = (
        candidate_sites["name"]
        if "name" in candidate_sites
        else pd.Series(None, index=candidate_sites.index)
    )
    area = (
        pd.to_numeric(candidate_sites["max_floor_area_m2"], errors="coerce")
        if "max_floor_area_m2" in candidate_sites
        else pd.Series(np.nan, index=candidate_sites.index)
    )
    return gpd.GeoDataFrame(
        {
            "site_id": candidate_sites["site_id"].astype(str).astype(object).to_numpy(),
            "name": names.astype(object).to_numpy(),
            "source": "candidate_sites",
            "max_floor_area_m2": area.astype(float).to_numpy(),
        },
        geometry=point_inside(candidate_sites.geometry.values),
        crs=crs_mod.frame_crs(candidate_sites),
    )


# --------------------------------------------------------------------------- the proposal


def _priority(chosen: np.ndarray, matrix: sparse.csc_array, weights: np.ndarray) -> np.ndarray:
    """Rank chosen columns greedily: each next one adds the most weight still uncovered.

    Lazy greedy (gains only shrink as rows get covered, so a stale gain is an upper bound);
    ties go to the earlier column. Returns the 1-based rank of each chosen column.
    """
    left = weights.astype(float).copy()

    def gain(j: int) -> float:
        return float(left[matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]].sum())

    heap = [(-gain(int(j)), int(j)) for j in chosen]
    heapq.heapify(heap)
    position: dict[int, int] = {}
    while heap:
        _, j = heapq.heappop(heap)
        current = gain(j)
        if heap and (
            -heap[0][0] > current + 1e-9 or (abs(-heap[0][0] - current) <= 1e-9 and heap[0][1] < j)
        ):
            heapq.heappush(heap, (-current, j))
            continue
        position[j] = len(position) + 1
        left[matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]] = 0.0
    return np.array([position[int(j)] for j in chosen], dtype=np.int64)


def propose_sites(
    estates: gpd.GeoDataFrame,
    premises: gpd.GeoDataFrame | None,
    *,
    rules: RuleSet,
    candidate_sites: gpd.GeoDataFrame | None = None,
    development_parcels: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    paths: gpd.GeoDataFrame | None = None,
    p: int | None = None,
    parcels: gpd.GeoDataFrame | None = None,
) -> SitingResult:
    """Propose new premises sites: set cover and maximal coverage (R7, 一(一)).

    Parameters
    ----------
    estates : GeoDataFrame
        Estates in EPSG:4549 with ``estate_id`` and ``households`` (missing counts as 0).
        Walking distance is measured from ``rules.layout.distance_from`` (centroid) — from the
        centroid along a network.
    premises : GeoDataFrame or None
        The premises that count (existing; planned ones too in a plan year), EPSG:4549. They
        are fixed: an estate within reach of one needs no new site.
    rules : RuleSet
        ``layout.walking_distance_m``, ``new_sites_p``, ``candidate_sources``, ``network_legs``,
        ``solver_time_limit_s`` (each solve) and ``solver_total_time_limit_s`` (all solves of
        the run: the set cover at most half, the best p the rest; when a limit is hit the best
        solution found is kept and a warning gives the remaining gap).
    candidate_sites : GeoDataFrame, optional
        Points where premises could go (``site_id``, ``name``, ``max_floor_area_m2``). When
        absent (or empty), candidates are generated (:func:`generate_candidates`).
    development_parcels : GeoDataFrame, optional
        Used to generate candidates.
    communities : GeoDataFrame, optional
        Candidates in no community are dropped (a warning lists them); the chosen sites get the
        ``community_id`` they lie in.
    paths : GeoDataFrame, optional
        A walking network of lines: distances are shortest paths along it instead of straight
        lines. A network in several pieces is reported (the components) and estates are snapped
        to the nearest piece that reaches a site or premises.
    p : int, optional
        Sites of the maximal-coverage model; default ``rules.layout.new_sites_p``.
    parcels : GeoDataFrame, optional
        In a plan year, the development parcels delivered by then (EPSG:4549, ``parcel_id``,
        whole ``households``; e.g. the parcel units of ``Results.household_units``): demand
        like estates, measured from the same point. Candidates still come from
        ``development_parcels`` and the estates only.

    Returns
    -------
    SitingResult
        With ``parcels`` (the parcels' rows of the estates' table) when parcels were given.

    Raises
    ------
    InputError
        A layer not in EPSG:4549, no candidate sites, or more sites asked than candidates.
    """
    check_working_crs(
        estates=estates,
        premises=premises,
        candidate_sites=candidate_sites,
        development_parcels=development_parcels,
        communities=communities,
        paths=paths,
        parcels=parcels,
    )
    layout = rules.layout
    distance_m = float(layout.walking_distance_m)
    warnings: list[Problem] = []
    crs = crs_mod.frame_crs(estates, communities)  # sites are labelled with the layers' CRS
    p_asked = p is not None
    p = int(layout.new_sites_p if p is None else p)

    if candidate_sites is not None and len(candidate_sites):
        candidates = _given_candidates(candidate_sites)
    else:
        candidates = generate_candidates(
            estates=estates, development_parcels=development_parcels, rules=rules
        )
    if communities is not None and len(candidates):
        tree = shapely.STRtree(communities.geometry.values)
        ci, cj = tree.query(candidates.geometry.values, predicate="intersects")
        first = np.unique(ci, return_index=True)[1]
        community = np.full(len(candidates), None, dtype=object)
        community[ci[first]] = communities["community_id"].astype(str).to_numpy()[cj[first]]
        outside = pd.isna(community)
        if outside.any():
            warnings.append(
                Problem(
                    "candidate_sites",
                    msg(
                        "candidates_outside",
                        n=int(outside.sum()),
                        rows=Listing.of(_named_rows(candidates.loc[outside]), "comma"),
                    ),
                )
            )
        candidates = candidates.assign(community_id=community)[~outside].reset_index(drop=True)
    given_estates = estates
    if parcels is not None and len(parcels):  # plan-year demand: the parcels after the estates
        estates = _with_parcels(estates, parcels)
    if len(candidates) == 0 and p_asked:
        raise InputError([Problem("candidate_sites", msg("no_candidates"))])
    if len(candidates) == 0:
        # e.g. every estate's point falls in a hole or a gap of the communities: no site can
        # be proposed, which the run says instead of refusing a folder `check` accepts
        warnings.append(Problem("candidate_sites", msg("no_candidates_no_sites")))
    if p > len(candidates) and not p_asked:  # the default p: as many as there are
        p = len(candidates)
    if p > len(candidates):
        raise InputError(
            [Problem("candidate_sites", msg("too_many_sites", p=p, n=len(candidates)))]
        )

    households = (
        pd.to_numeric(estates["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
    )
    n_est, n_cand = len(estates), len(candidates)
    prem = premises if premises is not None and len(premises) else None
    start = time.perf_counter()
    network_table = None
    if paths is not None:
        net = build_network(paths)
        origins_xy = shapely.get_coordinates(estates.geometry.centroid.values)
        cand_xy = shapely.get_coordinates(candidates.geometry.values)
        prem_xy = (
            shapely.get_coordinates(point_inside(prem.geometry.values))
            if prem is not None
            else np.zeros((0, 2))
        )
        result = network_coverage(
            net,
            origins_xy,
            np.vstack([cand_xy, prem_xy]),
            distance_m=distance_m,
            legs=bool(layout.network_legs),
        )
        is_prem = result.site >= n_cand
        pe, pd_ = result.origin[is_prem], result.distance_m[is_prem]
        ce, cs, cd = result.origin[~is_prem], result.site[~is_prem], result.distance_m[~is_prem]
        network_table = result.components
        if len(network_table) > 1:
            shown = "; ".join(
                f"#{r.component}: {r.length_m:.0f} m" + ("" if r.reachable else " ✗")
                for r in network_table.head(10).itertuples()
            )
            warnings.append(
                Problem(
                    "paths",
                    msg(
                        "paths_components",
                        n=len(network_table),
                        reachable=int(network_table["reachable"].sum()),
                        components=shown,
                        moved=int(result.origins_moved.sum()),
                    ),
                )
            )
        mode = "network"
    else:
        origins = estate_origins(estates, rules=rules)
        ce, cs, cd = coverage_pairs(origins, candidates.geometry.values, distance_m=distance_m)
        if prem is not None:
            pe, _, pd_ = coverage_pairs(origins, prem.geometry.values, distance_m=distance_m)
        else:
            pe = np.zeros(0, np.int64)
            pd_ = np.zeros(0)
        mode = "straight_line"
    walk = np.full(n_est, np.inf)
    np.minimum.at(walk, pe, pd_)
    covered_existing = np.isfinite(walk)
    need = (households > 0) & ~covered_existing
    keep = need[ce]
    ce, cs, cd = ce[keep], cs[keep], cd[keep]
    cover = coverage_matrix(ce, cs, n_est, n_cand)
    coverable = np.diff(cover.indptr) > 0
    uncoverable = need & ~coverable
    pairs_s = time.perf_counter() - start
    if uncoverable.any():
        warnings.append(
            Problem(
                "estates",
                msg(
                    "estates_uncoverable"
                    if mode == "straight_line"
                    else "estates_uncoverable_network",
                    n=int(uncoverable.sum()),
                    households=int(households[uncoverable].sum()),
                    distance=distance_m,
                    rows=format_rows(estates.loc[uncoverable, "estate_id"]),
                ),
            )
        )

    rows = np.flatnonzero(coverable)
    time_limit = float(layout.solver_time_limit_s)
    # the run's solver time: the set cover may take half of it, the best p what is left
    total_limit = float(layout.solver_total_time_limit_s)
    began = time.perf_counter()
    lscp, lscp_info = solve_lscp(
        cover[rows], time_limit_s=time_limit, total_time_limit_s=total_limit / 2
    )
    mclp, mclp_info = solve_mclp(
        cover[rows],
        households[rows],
        p,
        time_limit_s=time_limit,
        total_time_limit_s=total_limit - (time.perf_counter() - began),
    )
    lscp_info = replace(lscp_info, build_s=lscp_info.build_s + pairs_s)
    mclp_info = replace(mclp_info, build_s=mclp_info.build_s + pairs_s)
    for info in (lscp_info, mclp_info):
        if info.status == "time_limit":
            warnings.append(
                Problem(
                    "siting",
                    msg(
                        "solver_time_budget",
                        model=info.model,
                        seconds=info.solve_s,
                        per_solve=time_limit,
                        total=total_limit,
                        gap=info.mip_gap,
                    ),
                )
            )
        elif info.status != "optimal":
            warnings.append(
                Problem(
                    "siting",
                    msg(
                        "solver_not_optimal",
                        model=info.model,
                        status=info.status,
                        gap=info.mip_gap,
                    ),
                )
            )

    csc = cover.tocsc()
    reach_hh = np.asarray(csc.T @ households).ravel()
    est_table = pd.DataFrame(
        {
            "walk_to_premises_m": np.round(np.where(covered_existing, walk, np.nan), 1),
            "covered_existing": covered_existing,
            "coverable": coverable | covered_existing,
        },
        index=estates.index,
    )
    frames = []
    for model, chosen in (("lscp", lscp), ("mclp", mclp)):
        rank = _priority(chosen, csc, households) if len(chosen) else np.zeros(0, np.int64)
        rank_of = np.zeros(n_cand, np.int64)
        rank_of[chosen] = rank
        credited = np.full(n_est, -1, np.int64)
        mine = np.isin(cs, chosen)
        if mine.any():
            e, s_, rk = ce[mine], cs[mine], rank_of[cs[mine]]
            order = np.lexsort((rk, e))
            e, s_ = e[order], s_[order]
            first = np.r_[True, e[1:] != e[:-1]]
            credited[e[first]] = s_[first]
        est_table[f"covered_{model}"] = covered_existing | (credited >= 0)
        site_of = np.full(n_est, None, dtype=object)
        site_of[credited >= 0] = candidates["site_id"].to_numpy(dtype=object)[
            credited[credited >= 0]
        ]
        est_table[f"site_{model}"] = pd.Series(site_of, index=estates.index, dtype=object)
        gained = np.where(credited >= 0, households, 0.0)
        hh_new = np.bincount(np.maximum(credited, 0), weights=gained, minlength=n_cand)
        est_new = np.bincount(
            np.maximum(credited, 0), weights=(credited >= 0).astype(float), minlength=n_cand
        )
        rows_c = candidates.iloc[chosen]
        frame = gpd.GeoDataFrame(
            {
                "model": model,
                "priority": rank,
                "site_id": rows_c["site_id"].to_numpy(),
                "name": rows_c["name"].to_numpy(),
                "source": rows_c["source"].to_numpy(),
                "community_id": (
                    rows_c["community_id"].to_numpy()
                    if "community_id" in rows_c
                    else np.full(len(chosen), None, dtype=object)
                ),
                "households_newly_covered": hh_new[chosen].astype(np.int64),
                "estates_newly_covered": est_new[chosen].astype(np.int64),
                "households_in_reach": reach_hh[chosen].astype(np.int64),
                "max_floor_area_m2": rows_c["max_floor_area_m2"].to_numpy(),
            },
            geometry=rows_c.geometry.values,
            crs=crs,
        )
        frames.append(frame.sort_values("priority"))
    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
    for column in ("model", "site_id", "name", "source", "community_id"):
        sites[column] = sites[column].astype(object)
    cand_out = candidates.copy()
    cand_out["households_in_reach"] = reach_hh.astype(np.int64)
    cand_out["chosen_lscp"] = np.isin(np.arange(n_cand), lscp)
    cand_out["chosen_mclp"] = np.isin(np.arange(n_cand), mclp)

    total = float(households.sum())
    before = float(households[covered_existing].sum())
    summary = {
        "distance": mode,
        "walking_distance_m": distance_m,
        "candidates": n_cand,
        "estates": n_est,
        "households_total": int(total),
        "households_covered_existing": int(before),
        "households_uncovered": int(households[need].sum()),
        "estates_uncoverable": int(uncoverable.sum()),
        "households_uncoverable": int(households[uncoverable].sum()),
        "lscp_sites": len(lscp),
        "lscp_households_newly_covered": int(
            households[est_table["covered_lscp"].to_numpy() & ~covered_existing].sum()
        ),
        "mclp_p": p,
        "mclp_sites": len(mclp),
        "mclp_households_newly_covered": int(mclp_info.objective),
        "mclp_households_covered": int(before + mclp_info.objective),
        "mclp_share_covered": round((before + mclp_info.objective) / total, 4) if total else 1.0,
    }
    log.info(
        "Sited premises (%s, %.0f m): %d candidates; %d households already within reach, "
        "%d uncoverable; set cover %d sites (+%d households), best %d sites +%d households",
        mode,
        distance_m,
        n_cand,
        int(before),
        summary["households_uncoverable"],
        len(lscp),
        summary["lscp_households_newly_covered"],
        p,
        summary["mclp_households_newly_covered"],
    )
    parcel_table = None
    if estates is not given_estates:
        assert parcels is not None
        n = len(given_estates)
        parcel_table = est_table.iloc[n:].set_axis(parcels.index)
        est_table = est_table.iloc[:n].set_axis(given_estates.index)
    return SitingResult(
        sites,
        cand_out,
        est_table,
        summary,
        {"lscp": lscp_info, "mclp": mclp_info},
        network_table,
        tuple(warnings),
        parcel_table,
    )


def _with_parcels(estates: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The estates then the parcels as one demand layer (``estate_id``, ``households``),
    indexed 0…n-1."""
    demand = pd.concat(
        [
            pd.DataFrame(
                {
                    "estate_id": estates["estate_id"].astype(str).to_numpy(dtype=object),
                    "households": pd.to_numeric(estates["households"], errors="coerce").to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "estate_id": parcels["parcel_id"].astype(str).to_numpy(dtype=object),
                    "households": pd.to_numeric(parcels["households"], errors="coerce").to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    geometry = np.concatenate([estates.geometry.values, parcels.geometry.values])
    return gpd.GeoDataFrame(demand, geometry=geometry, crs=estates.crs)


# --------------------------------------------------------------------------- scenario


def as_planned_premises(
    sites: gpd.GeoDataFrame,
    *,
    rules: RuleSet,
    model: str = "mclp",
    communities: pd.DataFrame | None = None,
    status: str = "planned",
) -> gpd.GeoDataFrame:
    """The chosen sites of ``model`` as premises rows, to evaluate the proposal as a scenario.

    Each site becomes a ``service_centre`` (便民服务中心), ``new_build``, ``status`` planned
    (counted in plan-year checks). Its floor area is the site's ``max_floor_area_m2`` when
    given, else an equal share of its community's ``shortfall_m2`` (when ``communities`` from
    an analysis is given), at least the service centre's minimum floor area.

    Returns
    -------
    GeoDataFrame
        Premises-layer fields (``premises_id`` = ``NEW-<site_id>``, ``community_id``, ``name``,
        ``function``, ``floor_area_m2``, ``floor`` 1, ``tenure``, ``status``), EPSG:4549.
    """
    chosen = sites[sites["model"] == model]
    minimum = float(rules.premises.service_centre.minimum_floor_area_m2)
    area = pd.Series(minimum, index=chosen.index)
    if communities is not None and "shortfall_m2" in communities:
        shortfall = communities.set_index("community_id")["shortfall_m2"].astype(float)
        count = chosen["community_id"].map(chosen["community_id"].value_counts())
        share = chosen["community_id"].map(shortfall) / count
        area = np.maximum(share.fillna(0.0), minimum)
    given = pd.to_numeric(chosen["max_floor_area_m2"], errors="coerce")
    area = pd.Series(np.where(given.notna(), given, area), index=chosen.index)
    return gpd.GeoDataFrame(
        {
            "premises_id": ("NEW-" + chosen["site_id"].astype(str)).astype(object).to_numpy(),
            "community_id": chosen["community_id"].astype(object).to_numpy(),
            "name": chosen["name"].astype(object).to_numpy(),
            "function": rules.premises.service_centre.function,
            "floor_area_m2": area.round(1).to_numpy(),
            "floor": rules.premises.service_centre.ground_floor,
            "tenure": "new_build",
            "status": status,
        },
        geometry=chosen.geometry.values,
        crs=crs_mod.frame_crs(sites),
    )


def apply_sites(
    data: PlanningData,
    siting: SitingResult,
    *,
    model: str = "mclp",
    communities: pd.DataFrame | None = None,
    status: str = "planned",
) -> PlanningData:
    """A copy of ``data`` with the chosen sites added as planned premises (a scenario).

    Run :func:`gis_planner.pipeline.analyse` on it with a plan ``year`` to count them.
    """
    new = as_planned_premises(
        siting.sites, rules=data.rules, model=model, communities=communities, status=status
    )
    new["community_id"] = None  # placed by location in whatever communities the scenario has
    premises = (
        new
        if data.premises is None
        else gpd.GeoDataFrame(
            pd.concat([data.premises, new], ignore_index=True),
            geometry="geometry",
            crs=crs_mod.frame_crs(data.premises),
        )
    )
    return replace(data, premises=premises)
