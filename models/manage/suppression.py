"""Small-cell suppression for tables that leave the unit (DESIGN: "never a cell with 1–4").

A table (one-way: categories and a total; two-way: cells, row and column totals and a
grand total) is published with three kinds of figure:

* a number, shown exactly;
* "<5" (primary): the true value is 1–4;
* ".." (complementary): a value of 5 or more hidden only so that a "<5" cannot be worked
  out from the totals. Zeros are never chosen, so ".." honestly means "5 or more".

The attacker we protect against knows all of that, every shown number and every total,
and solves the table's additive equations (rows and columns add up to their totals).
The guarantee, checked by `disclosures()` and by the property tests:

1. every "<5" could still be any of 1, 2, 3 and 4 — the published figures narrow it down
   to nothing smaller than what "<5" already says;
2. no hidden figure (either kind) is determined exactly.

How it is checked: a two-way table with margins is a circulation in a small network
(source → row → column → sink → source; each cell, margin and the grand total is one
edge), and "could this hidden cell equal k?" is "is there a feasible circulation with that
edge fixed to k and every other edge within what the attacker knows?". Network matrices
are totally unimodular, so a feasible real solution means a feasible whole-number one and
the values a cell can take form an unbroken range: testing the end points is enough.

Complementary cells are chosen greedily (the smallest figure next to the exposed one,
inner cells before totals) until nothing is exposed. Hiding more only widens what the
attacker must consider, so a cell that was safe stays safe and each cell is settled once.
If even hiding every non-zero figure is not enough, the whole table is withheld.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

SMALL_MAX = 4  # DESIGN / seed 001: cells of 1–4 individuals never leave the unit
SMALL_TEXT = "<5"
HIDDEN_TEXT = ".."
_COMPLEMENT_MIN = SMALL_MAX + 1


class Mark(StrEnum):
    shown = "shown"
    small = "small"  # primary suppression, published as "<5"
    hidden = "hidden"  # complementary suppression, published as ".."


@dataclass(frozen=True)
class Cell:
    """One figure of a published table. `value` is the true count: internal use only —
    anything that leaves the unit must use `text` or `shown`."""

    value: int
    mark: Mark = Mark.shown

    @property
    def suppressed(self) -> bool:
        return self.mark != Mark.shown

    @property
    def shown(self) -> int | None:
        """The number as published, or None when it is suppressed."""
        return self.value if self.mark == Mark.shown else None

    @property
    def text(self) -> str:
        if self.mark == Mark.small:
            return SMALL_TEXT
        if self.mark == Mark.hidden:
            return HIDDEN_TEXT
        return str(self.value)


@dataclass(frozen=True)
class Table:
    """A one-way (cols is None) or two-way table with its margins, suppressed or not."""

    rows: tuple[str, ...]
    cols: tuple[str, ...] | None
    cells: tuple[tuple[Cell, ...], ...]  # one-way: a single column
    row_totals: tuple[Cell, ...] | None  # two-way only
    col_totals: tuple[Cell, ...] | None  # two-way only
    total: Cell
    withheld: bool = False  # everything hidden: too few to publish any breakdown
    suppressed_applied: bool = False

    @property
    def two_way(self) -> bool:
        return self.cols is not None

    @property
    def any_suppressed(self) -> bool:
        return any(c.suppressed for c in self.all_cells())

    def all_cells(self):
        for row in self.cells:
            yield from row
        yield from self.row_totals or ()
        yield from self.col_totals or ()
        yield self.total

    def column(self, index: int = 0) -> tuple[Cell, ...]:
        return tuple(row[index] for row in self.cells)


def one_way(labels: Sequence[str], counts: Sequence[int]) -> Table:
    """An unsuppressed one-way table (the unit's own exact figures)."""
    _check_counts(counts)
    cells = tuple((Cell(int(v)),) for v in counts)
    return Table(tuple(labels), None, cells, None, None, Cell(sum(int(v) for v in counts)))


def two_way(
    row_labels: Sequence[str], col_labels: Sequence[str], matrix: Sequence[Sequence[int]]
) -> Table:
    """An unsuppressed two-way table with its margins."""
    for row in matrix:
        if len(row) != len(col_labels):
            raise ValueError("every row needs one value per column")
        _check_counts(row)
    if len(matrix) != len(row_labels):
        raise ValueError("one row of values per row label")
    cells = tuple(tuple(Cell(int(v)) for v in row) for row in matrix)
    row_totals = tuple(Cell(sum(c.value for c in row)) for row in cells)
    col_totals = tuple(
        Cell(sum(row[j].value for row in cells)) for j in range(len(col_labels))
    )
    total = Cell(sum(c.value for c in row_totals))
    return Table(tuple(row_labels), tuple(col_labels), cells, row_totals, col_totals, total)


def _check_counts(values: Sequence[int]) -> None:
    if any(int(v) < 0 for v in values):
        raise ValueError("counts cannot be negative")


# --- the network view of a table ------------------------------------------------------

Key = tuple  # ("cell", i, j) | ("row", i) | ("col", j) | ("total",)


@dataclass
class _Network:
    nodes: int
    keys: list[Key]
    ends: list[tuple[int, int]]
    values: list[int]


def _network(table: Table) -> _Network:
    if not table.two_way:
        # source 0 → sink 1 once per category; the total flows back from sink to source.
        keys = [("cell", i, 0) for i in range(len(table.rows))] + [("total",)]
        ends = [(0, 1)] * len(table.rows) + [(1, 0)]
        values = [row[0].value for row in table.cells] + [table.total.value]
        return _Network(2, keys, ends, values)
    m, n = len(table.rows), len(table.cols)
    source, sink = 0, 1 + m + n

    def row_node(i):
        return 1 + i

    def col_node(j):
        return 1 + m + j

    keys, ends, values = [], [], []
    for i in range(m):
        for j in range(n):
            keys.append(("cell", i, j))
            ends.append((row_node(i), col_node(j)))
            values.append(table.cells[i][j].value)
    for i in range(m):
        keys.append(("row", i))
        ends.append((source, row_node(i)))
        values.append(table.row_totals[i].value)
    for j in range(n):
        keys.append(("col", j))
        ends.append((col_node(j), sink))
        values.append(table.col_totals[j].value)
    keys.append(("total",))
    ends.append((sink, source))
    values.append(table.total.value)
    return _Network(m + n + 2, keys, ends, values)


def _marks(table: Table, net: _Network) -> list[Mark]:
    return [_cell_at(table, key).mark for key in net.keys]


def _cell_at(table: Table, key: Key) -> Cell:
    kind = key[0]
    if kind == "cell":
        return table.cells[key[1]][key[2]]
    if kind == "row":
        return table.row_totals[key[1]]
    if kind == "col":
        return table.col_totals[key[1]]
    return table.total


def _knowledge(mark: Mark, value: int, withheld: bool, ceiling: int) -> tuple[int, int]:
    """What a reader of the published table knows about one figure: [low, high]."""
    if mark == Mark.small:
        return (1, SMALL_MAX)
    if mark == Mark.hidden:
        # In a withheld table ".." may stand for anything, zeros included.
        return (0 if withheld else _COMPLEMENT_MIN, ceiling)
    return (value, value)


# --- feasibility: a circulation with lower and upper bounds ---------------------------


class _MaxFlow:
    """Edmonds–Karp on a small graph (a table has tens of nodes): shortest augmenting
    paths, so the work does not depend on how large the counts are."""

    def __init__(self, n: int):
        self.n = n
        self.graph: list[list[int]] = [[] for _ in range(n)]
        self.to: list[int] = []
        self.cap: list[int] = []

    def add(self, u: int, v: int, cap: int) -> None:
        self.graph[u].append(len(self.to))
        self.to.append(v)
        self.cap.append(cap)
        self.graph[v].append(len(self.to))
        self.to.append(u)
        self.cap.append(0)

    def run(self, s: int, t: int, limit: int) -> int:
        flow = 0
        while flow < limit:
            via = [-1] * self.n
            via[s] = -2
            queue = deque([s])
            while queue and via[t] == -1:
                u = queue.popleft()
                for e in self.graph[u]:
                    v = self.to[e]
                    if self.cap[e] > 0 and via[v] == -1:
                        via[v] = e
                        queue.append(v)
            if via[t] == -1:
                break
            pushed, node = limit - flow, t
            while node != s:
                e = via[node]
                pushed = min(pushed, self.cap[e])
                node = self.to[e ^ 1]
            node = t
            while node != s:
                e = via[node]
                self.cap[e] -= pushed
                self.cap[e ^ 1] += pushed
                node = self.to[e ^ 1]
            flow += pushed
        return flow


def _feasible(net: _Network, bounds: list[tuple[int, int]]) -> bool:
    excess = [0] * net.nodes
    flow = _MaxFlow(net.nodes + 2)
    for (u, v), (low, high) in zip(net.ends, bounds, strict=True):
        if low > high:
            return False
        if high > low:
            flow.add(u, v, high - low)
        excess[v] += low
        excess[u] -= low
    s, t = net.nodes, net.nodes + 1
    need = 0
    for node, amount in enumerate(excess):
        if amount > 0:
            flow.add(s, node, amount)
            need += amount
        elif amount < 0:
            flow.add(node, t, -amount)
    return flow.run(s, t, need) == need


def _could_be(net: _Network, bounds, index: int, value: int) -> bool:
    low, high = bounds[index]
    if not low <= value <= high:
        return False
    trial = list(bounds)
    trial[index] = (value, value)
    return _feasible(net, trial)


def _exposed(net: _Network, bounds, marks: list[Mark], index: int) -> bool:
    """Does the published table give away more about this hidden figure than allowed?"""
    value = net.values[index]
    if marks[index] == Mark.small:
        return not all(
            k == value or _could_be(net, bounds, index, k) for k in (1, SMALL_MAX)
        )
    return not (
        _could_be(net, bounds, index, value - 1) or _could_be(net, bounds, index, value + 1)
    )


def _ceiling(net: _Network) -> int:
    return 10 * (sum(net.values) + SMALL_MAX + 1)


def disclosures(table: Table) -> list[Key]:
    """The hidden figures a reader could pin down (or narrow a "<5") from the rest.

    Empty for every table `suppress` returns; the property tests hold it to that.
    """
    net = _network(table)
    marks = _marks(table, net)
    ceiling = _ceiling(net)
    bounds = [
        _knowledge(mark, value, table.withheld, ceiling)
        for mark, value in zip(marks, net.values, strict=True)
    ]
    return [
        net.keys[i]
        for i, mark in enumerate(marks)
        if mark != Mark.shown and _exposed(net, bounds, marks, i)
    ]


# --- suppression -----------------------------------------------------------------------

def suppress(table: Table, pinned: dict[Key, Mark] | None = None) -> Table:
    """The table as it may leave the unit: "<5" for 1–4 and ".." where needed.

    `pinned` fixes how some figures are published because another table of the same
    data already publishes them (the period's total, a field's own breakdown used as the
    margin of a cross table): those keep their mark and are never chosen as cover, so
    two tables never disagree about a figure.
    """
    pinned = pinned or {}
    net = _network(table)
    fixed = [key in pinned for key in net.keys]
    marks = [
        pinned.get(key) or (Mark.small if 1 <= v <= SMALL_MAX else Mark.shown)
        for key, v in zip(net.keys, net.values, strict=True)
    ]
    ceiling = _ceiling(net)
    bounds = [_knowledge(m, v, False, ceiling) for m, v in zip(marks, net.values, strict=True)]
    pending = deque(i for i, m in enumerate(marks) if m != Mark.shown)
    withheld = False
    while pending:
        index = pending[0]
        if not _exposed(net, bounds, marks, index):
            pending.popleft()
            continue
        partners = _rectangle_for(table, net, marks, fixed, index) or _neighbour_for(
            net, marks, fixed, index
        )
        if not partners:
            withheld = True
            break
        for partner in partners:
            marks[partner] = Mark.hidden
            bounds[partner] = _knowledge(Mark.hidden, net.values[partner], False, ceiling)
            pending.append(partner)
    if withheld:
        marks = [m if fixed[i] else Mark.hidden for i, m in enumerate(marks)]
    return _rebuild(table, net, marks, withheld)


def _hideable(net: _Network, marks: list[Mark], fixed: list[bool], i: int) -> bool:
    # Zeros are never hidden: ".." must honestly mean "5 or more".
    return marks[i] == Mark.shown and net.values[i] > 0 and not fixed[i]


def _rectangle_for(
    table: Table, net: _Network, marks: list[Mark], fixed: list[bool], index: int
) -> list[int]:
    """For an inner cell of a two-way table: the cheapest rectangle of cells through it
    (rows i, k × columns j, l) whose other corners are hidden or can be hidden — the
    classic pattern that lets the exposed cell move up or down without touching a total."""
    key = net.keys[index]
    if not table.two_way or key[0] != "cell":
        return []
    _kind, i, j = key
    n = len(table.cols)
    best, best_cost = [], None
    for k in range(len(table.rows)):
        for col in range(n):
            if k == i or col == j:
                continue
            corners = [i * n + col, k * n + j, k * n + col]
            if any(marks[c] == Mark.shown and (net.values[c] == 0 or fixed[c])
                   for c in corners):
                continue
            new = [c for c in corners if _hideable(net, marks, fixed, c)]
            if not new:
                continue
            cost = (sum(net.values[c] for c in new), len(new))
            if best_cost is None or cost < best_cost:
                best, best_cost = new, cost
    return best


_KIND_ORDER = {"cell": 0, "row": 1, "col": 1, "total": 2}


def _neighbour_for(
    net: _Network, marks: list[Mark], fixed: list[bool], index: int
) -> list[int]:
    """One more figure to hide: next to the exposed one if possible (same row, column or
    total), inner cells before totals, then the smallest."""
    u, v = net.ends[index]
    best, best_score = [], None
    for i in range(len(marks)):
        if not _hideable(net, marks, fixed, i):
            continue
        a, b = net.ends[i]
        near = 0 if {a, b} & {u, v} else 1
        score = (near, _KIND_ORDER[net.keys[i][0]], net.values[i], i)
        if best_score is None or score < best_score:
            best, best_score = [i], score
    return best


def _rebuild(table: Table, net: _Network, marks: list[Mark], withheld: bool) -> Table:
    by_key = {
        key: Cell(value, mark)
        for key, value, mark in zip(net.keys, net.values, marks, strict=True)
    }
    if not table.two_way:
        cells = tuple((by_key[("cell", i, 0)],) for i in range(len(table.rows)))
        return Table(table.rows, None, cells, None, None, by_key[("total",)],
                     withheld=withheld, suppressed_applied=True)
    m, n = len(table.rows), len(table.cols)
    cells = tuple(tuple(by_key[("cell", i, j)] for j in range(n)) for i in range(m))
    return Table(
        table.rows, table.cols, cells,
        tuple(by_key[("row", i)] for i in range(m)),
        tuple(by_key[("col", j)] for j in range(n)),
        by_key[("total",)], withheld=withheld, suppressed_applied=True,
    )
