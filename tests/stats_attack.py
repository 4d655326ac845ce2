"""A differencing attacker for shared statistics (issue 18 §1), used by
tests/test_stats_differencing.py.

The attacker sees published figures, knows which tallies each figure counts (which
period, units, field values — not the tallies themselves) and knows the perturbation
table: every published figure p stands for a true count in `possible(p)` (p ± 4, never
negative, 0 only if 0 is published). For every small cell H (true count 1–4) it tries
every subtraction that isolates H:

* pairs: a published A whose tallies are H's plus those of one other published B;
* sums: a published A whose tallies are H's plus those of several disjoint published
  B₁ … Bₖ (the year minus its other months, a total minus its other rows, all units
  minus the others, a margin minus the rest of its row …).

Each subtraction narrows what H can be; the attacker intersects all of them with what H's
own figure allows. Protection holds when at least two values are left for every H.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.manage.protection import possible

MAX_COVERS = 40  # sums tried per (A, H): enough to cover every table's own rows
MAX_NODES = 4000  # search effort per (A, H)


@dataclass
class Result:
    attempts: int = 0
    pairs: int = 0
    sums: int = 0
    allowed: dict = field(default_factory=dict)  # H → values consistent with everything

    @property
    def recovered(self) -> dict:
        return {h: v for h, v in self.allowed.items() if len(v) < 2}


def _bounds(published: int) -> tuple[int, int]:
    values = possible(published)
    return values.start, values.stop - 1


def attack(published: dict[frozenset, int]) -> Result:
    """`published`: tally set → published figure (one figure per set)."""
    cells = [s for s in published if s]
    by_element: dict = {}
    for s in cells:
        for t in s:
            by_element.setdefault(t, []).append(s)
    result = Result()
    for hidden in cells:
        if not 1 <= len(hidden) <= 4:
            continue
        low, high = _bounds(published[hidden])
        anchor = min(hidden)
        for whole in by_element[anchor]:
            if len(whole) <= len(hidden) or not hidden <= whole:
                continue
            rest = whole - hidden
            a_low, a_high = _bounds(published[whole])
            for cover in _covers(rest, by_element, published):
                result.attempts += 1
                if len(cover) == 1:
                    result.pairs += 1
                else:
                    result.sums += 1
                b_low = sum(_bounds(published[b])[0] for b in cover)
                b_high = sum(_bounds(published[b])[1] for b in cover)
                low, high = max(low, a_low - b_high), min(high, a_high - b_low)
        result.allowed[hidden] = set(range(low, high + 1))
    return result


def _covers(rest: frozenset, by_element: dict, published: dict):
    """Ways to write `rest` as disjoint published cells (a single cell first)."""
    if rest in published:
        yield (rest,)
    found, nodes = 0, 0
    stack: list[tuple[frozenset, tuple]] = [(rest, ())]
    while stack and found < MAX_COVERS and nodes < MAX_NODES:
        remaining, parts = stack.pop()
        nodes += 1
        if not remaining:
            if len(parts) > 1:
                found += 1
                yield parts
            continue
        first = min(remaining)
        for part in by_element.get(first, ()):
            if part <= remaining and part != rest:
                stack.append((remaining - part, (*parts, part)))
