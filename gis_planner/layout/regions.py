"""Region growing for R7 (:mod:`gis_planner.layout.boundaries`, step 4): a connected set of
cells partitioned into k contiguous parts, each within the household range.

A split looks only at the cells of the community it splits, so many splits can run at once in
worker processes (:class:`gis_planner.layout.cells.CommunityPool`): this module, like
:mod:`gis_planner.layout.cells`, imports only numpy, so that a worker starts light.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass
class Cells:
    """The cells of one split, numbered ``0 … n-1``: households, area (at least 1 m²), centroid
    about their mean, and the neighbours of each among them."""

    households: np.ndarray
    area: np.ndarray
    xy: np.ndarray
    nbrs: list[np.ndarray]


def split(cells: Cells, lo: float, hi: float, ks: range, restarts: int) -> list[np.ndarray] | None:
    """The cells split into the first k of ``ks`` contiguous parts that all lie within
    [``lo``, ``hi``] (the most compact of ``restarts`` seedings): the cells of each part, or
    ``None`` when no k of ``ks`` gives such parts."""
    partitioner = Partitioner(cells, lo, hi)
    for k in ks:
        found = partitioner.run(k, restarts)
        if found is not None:
            return found
    return None


def reached(start: int, inside: set[int], neighbours: list[np.ndarray]) -> set[int]:
    """The nodes of ``inside`` reached from ``start`` along ``neighbours`` (breadth first;
    ``start`` included)."""
    seen = {start}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in neighbours[v].tolist():
            if w in inside and w not in seen:
                seen.add(w)
                queue.append(w)
    return seen


def penalty(h: float, lo: float, hi: float) -> float:
    """How far ``h`` households lie outside [``lo``, ``hi``] (0 inside)."""
    return max(0.0, lo - h) + max(0.0, h - hi)


class Partitioner:
    """Partition a connected set of cells into k contiguous parts within [lo, hi] households."""

    def __init__(self, cells: Cells, lo: float, hi: float):
        self.lo, self.hi = lo, hi
        self.h, self.a, self.xy, self.nbrs = cells.households, cells.area, cells.xy, cells.nbrs

    # -- seeds and growth
    def _seeds(self, k: int, rng: np.random.Generator, attempt: int) -> np.ndarray:
        xy, a = self.xy, self.a
        centre = (a[:, None] * xy).sum(axis=0) / a.sum()
        if attempt == 0:
            start = int(np.argmax(((xy - centre) ** 2).sum(axis=1)))
        else:
            start = int(rng.integers(len(xy)))
        chosen = [start]
        d = ((xy - xy[start]) ** 2).sum(axis=1)
        while len(chosen) < k:
            nxt = int(np.argmax(d))
            chosen.append(nxt)
            d = np.minimum(d, ((xy - xy[nxt]) ** 2).sum(axis=1))
        centres = xy[chosen].copy()
        for _ in range(5):
            dist = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
            near = dist.argmin(axis=1)
            for r in range(k):
                mine = near == r
                if mine.any():
                    centres[r] = (a[mine, None] * xy[mine]).sum(axis=0) / a[mine].sum()
        seeds: list[int] = []
        for r in range(k):
            order = np.argsort(((xy - centres[r]) ** 2).sum(axis=1), kind="stable")
            seeds.append(int(next(v for v in order.tolist() if v not in seeds)))
        return np.array(seeds)

    def _grow(self, seeds: np.ndarray) -> np.ndarray | None:
        n, k = len(self.h), len(seeds)
        region = np.full(n, -1, np.int64)
        total = np.zeros(k)
        heap: list[tuple[float, int, int]] = []
        xy = self.xy.tolist()  # plain floats: one distance per push (the same doubles)
        centres = self.xy[seeds].tolist()

        def push(v: int, r: int) -> None:
            cx, cy = centres[r]
            for w in self.nbrs[v].tolist():
                if region[w] < 0:
                    dx, dy = xy[w][0] - cx, xy[w][1] - cy
                    heapq.heappush(heap, (dx * dx + dy * dy, w, r))

        for r, s in enumerate(seeds.tolist()):
            region[s] = r
            total[r] += self.h[s]
        for r, s in enumerate(seeds.tolist()):
            push(s, r)
        while heap:
            _, v, r = heapq.heappop(heap)
            if region[v] >= 0 or total[r] + self.h[v] > self.hi:
                continue
            region[v] = r
            total[r] += self.h[v]
            push(v, r)
        while (region < 0).any():  # what the ceiling left over: to the smallest neighbour
            changed = False
            for v in np.flatnonzero(region < 0).tolist():
                near = [int(region[w]) for w in self.nbrs[v].tolist() if region[w] >= 0]
                if near:
                    r = min(near, key=lambda q: (total[q], q))
                    region[v] = r
                    total[r] += self.h[v]
                    changed = True
            if not changed:
                return None
        return region

    # -- local search
    def _connected_without(self, region: np.ndarray, v: int) -> bool:
        rest = [u for u in np.flatnonzero(region == region[v]).tolist() if u != v]
        if not rest:
            return False
        return len(reached(rest[0], set(rest), self.nbrs)) == len(rest)

    def _improve(self, region: np.ndarray, k: int) -> tuple[float, float]:
        sq_arr = self.a * (self.xy**2).sum(axis=1)
        # the sums per region as numpy computes them, then plain floats: the loop below does
        # scalar arithmetic only, several times faster on Python floats than on numpy scalars
        # (the same IEEE doubles, so the same moves)
        tot_h, tot_a, sx, sy, sq_r = (
            np.bincount(region, weights=w, minlength=k).tolist()
            for w in (self.h, self.a, self.a * self.xy[:, 0], self.a * self.xy[:, 1], sq_arr)
        )
        h, a, sq = self.h.tolist(), self.a.tolist(), sq_arr.tolist()
        xy = [(float(x), float(y)) for x, y in self.xy.tolist()]
        nbrs = [w.tolist() for w in self.nbrs]

        def inertia(ta: float, x: float, y: float, q: float) -> float:
            return q - (x * x + y * y) / ta if ta > 0 else 0.0

        scale = max(float(sq_arr.sum()), 1.0)
        for _ in range(200):
            improved = False
            for v in range(len(h)):
                r = int(region[v])
                options = {int(region[w]) for w in nbrs[v]} - {r}
                if not options:
                    continue
                before_r = inertia(tot_a[r], sx[r], sy[r], sq_r[r])
                after_r = inertia(
                    tot_a[r] - a[v],
                    sx[r] - a[v] * xy[v][0],
                    sy[r] - a[v] * xy[v][1],
                    sq_r[r] - sq[v],
                )
                best = None
                for b in sorted(options):
                    d_pen = (
                        penalty(tot_h[r] - h[v], self.lo, self.hi)
                        + penalty(tot_h[b] + h[v], self.lo, self.hi)
                        - penalty(tot_h[r], self.lo, self.hi)
                        - penalty(tot_h[b], self.lo, self.hi)
                    )
                    d_in = (
                        after_r
                        - before_r
                        + inertia(
                            tot_a[b] + a[v],
                            sx[b] + a[v] * xy[v][0],
                            sy[b] + a[v] * xy[v][1],
                            sq_r[b] + sq[v],
                        )
                        - inertia(tot_a[b], sx[b], sy[b], sq_r[b])
                    )
                    good = d_pen < -1e-9 or (abs(d_pen) <= 1e-9 and d_in < -1e-9 * scale)
                    if good and (best is None or (d_pen, d_in) < best[:2]):
                        best = (d_pen, d_in, b)
                if best is None or not self._connected_without(region, v):
                    continue
                b = best[2]
                region[v] = b
                for arr, val in (
                    (tot_h, h[v]),
                    (tot_a, a[v]),
                    (sx, a[v] * xy[v][0]),
                    (sy, a[v] * xy[v][1]),
                    (sq_r, sq[v]),
                ):
                    arr[r] -= val
                    arr[b] += val
                improved = True
            if not improved:
                break
        left = sum(penalty(t, self.lo, self.hi) for t in tot_h)
        total_inertia = sum(inertia(tot_a[r], sx[r], sy[r], sq_r[r]) for r in range(k))
        return left, total_inertia

    def run(self, k: int, restarts: int) -> list[np.ndarray] | None:
        if k == 1:
            total = self.h.sum()
            return [np.arange(len(self.h))] if self.lo <= total <= self.hi else None
        if k > len(self.h):
            return None
        rng = np.random.default_rng(20200810 + k)
        best: tuple[float, np.ndarray] | None = None
        for attempt in range(max(1, restarts)):
            seeds = self._seeds(k, rng, attempt)
            region = self._grow(seeds)
            if region is None:
                continue
            left, score = self._improve(region, k)
            if left <= 1e-9 and (best is None or score < best[0] - 1e-9):
                best = (score, region.copy())
        if best is None:
            return None
        region = best[1]
        return [np.flatnonzero(region == r) for r in range(k)]
