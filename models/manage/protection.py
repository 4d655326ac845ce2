"""Protection of shared statistics: the cell-key method (issue 18 §1).

What leaves the unit — the page marked for sharing, every CSV and XLSX export and the
charts drawn from them — must not let anyone recognise a person, nor work out a count of
1–4 by subtracting one table from another (the month minus a custom period minus a week,
a year minus its months, all units minus one, a cross table minus its margins).

Why the cell-key method (the choice of issue 18; the alternative was a fixed grid of
calendar periods with hierarchical suppression):

* managers, and the issue's own attack, use custom periods and ISO weeks: with cell keys
  they stay shareable, because a figure never depends on which table it is shown in;
* consistency: the same cell (the same set of tallies) gets the same value in every
  table, so asking again, or in another table, teaches nothing new;
* cost: O(cells) — one lookup per figure, its key summed in the same SQL GROUP BY as its
  count — instead of a suppression search (569 ms at 1 M tallies, issue 16);
* it is what the Australian Bureau of Statistics (TableBuilder) and the European
  statistical system (census hypercubes) use for tables built on demand.

How it works

1. Every tally gets a secret random 32-bit *record key* when it is stored
   (models/tally/record.py, copied onto its value rows; migration 0016_stats18).
2. A cell's *key* is the sum of its tallies' record keys modulo 2³² — SUM(record_key) in
   the GROUP BY that counts it. The same tallies always give the same key; a different
   set gives an unrelated one (a sum of independent uniform keys is uniform).
3. A fixed *perturbation table* (PTABLE) maps (count, key) to a noise, and the cell is
   published as count + noise. Our table is unbiased random rounding to a multiple of 5:
   a count 5q + r (0 < r < 5) becomes 5q + 5 when key < r/5 · 2³² and 5q otherwise, so on
   average the figure is right; multiples of 5 (and zeros) are published exactly.

Why rounding to 5 and not a smaller noise (±1, ±2): the reader may know the table. With
any noise of at most ±2 that can take other values than multiples of 5, one subtraction
can already pin a small cell (A − B = 8 with noise +2 and −2 means the hidden cell is 4).
With every published figure a multiple of 5 and the truth within ±4 of it, what a
difference of two figures allows for the hidden cell runs from ≡ 1 or 2 to ≡ 3 or 4
(mod 5), and so does the cell's own figure: any number of such differences together still
leave at least two values. Sums of three or more figures can only narrow a cell when
several of them sit at the very edge of their range at once; the differencing test
(tests/test_stats_differencing.py) tries every such subtraction on overlapping tables.

No "<5" on top. Every published figure is 0 or at least 5, so no 1–4 ever leaves the unit
(DESIGN) without it. Marking the true 1–4 as "<5" would tell an attacker *exactly* that a
cell is 1–4, and sums of such cells then give them away: nine days shown "<5" in a month
published as 5 (true 5–9) can only be nine ones. A true zero stays 0 (nothing is invented),
and a published 0 honestly means "none or a few" — the page and the files say so.

Margins and totals are cells of their own, rounded on their own: rows need not add up to
their total exactly (the page says so). The exact view inside the unit is unchanged:
`Cell.value` is the true count, and only `Cell.shown`/`Cell.text` may leave the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KEY_BITS = 32
KEY_SPACE = 2**KEY_BITS  # cell keys are 0 ≤ key < 2³²
BASE = 5  # published figures are multiples of BASE
MAX_NOISE = BASE - 1  # what a reader who knows PTABLE knows: |published − true| ≤ 4

# The perturbation table: for a count's remainder r = count mod 5, the cell keys below
# `r/5 · 2³²` add 5 − r (round up), the others subtract r (round down). Remainder 0: none.
PTABLE: dict[int, tuple[tuple[float, int], tuple[float, int]]] = {
    r: ((r / BASE, BASE - r), (1.0, -r)) for r in range(1, BASE)
}


def noise(count: int, key: int) -> int:
    """The perturbation table's noise for a cell of `count` with cell key `key`."""
    remainder = count % BASE
    if count <= 0 or remainder == 0:
        return 0
    # key < r/5 · 2³², in whole numbers
    return BASE - remainder if key % KEY_SPACE * BASE < remainder * KEY_SPACE else -remainder


def publish(count: int, key: int) -> int:
    """The figure as it may leave the unit: a multiple of 5, 0 only for 0–4."""
    return count + noise(count, key)


def possible(published: int) -> range:
    """Every true count consistent with a published figure, for a reader who knows the
    perturbation table: within ±4, never negative, and 0 only when 0 is published."""
    low = max(published - MAX_NOISE, 0 if published == 0 else 1)
    return range(low, published + MAX_NOISE + 1)


def combine_keys(keys) -> int:
    """The key of a cell made of other cells' tallies (a margin, a total)."""
    return sum(keys) % KEY_SPACE


@dataclass(frozen=True)
class Cell:
    """One figure of a table. `value` and `key` are internal: anything that leaves the
    unit must use `shown` or `text`, which are the published figure when protected."""

    value: int
    key: int = 0
    protected: bool = False

    @property
    def shown(self) -> int:
        """The number as shown: the rounded figure when protected, else the exact one."""
        return publish(self.value, self.key) if self.protected else self.value

    @property
    def text(self) -> str:
        return str(self.shown)


def cell(count: int, key: int = 0, shared: bool = False) -> Cell:
    if count < 0:
        raise ValueError("counts cannot be negative")
    return Cell(int(count), int(key) % KEY_SPACE, shared)


def _pair(item) -> tuple[int, int]:
    """(count, key) from a count or a (count, key) pair."""
    return (int(item[0]), int(item[1])) if isinstance(item, tuple) else (int(item), 0)


@dataclass(frozen=True)
class Table:
    """A one-way (cols is None) or two-way table with its margins; every figure, margins
    and total included, is a cell of its own."""

    rows: tuple[str, ...]
    cols: tuple[str, ...] | None
    cells: tuple[tuple[Cell, ...], ...]  # one-way: a single column
    row_totals: tuple[Cell, ...] | None  # two-way only
    col_totals: tuple[Cell, ...] | None  # two-way only
    total: Cell

    @property
    def two_way(self) -> bool:
        return self.cols is not None

    def all_cells(self):
        for row in self.cells:
            yield from row
        yield from self.row_totals or ()
        yield from self.col_totals or ()
        yield self.total

    def column(self, index: int = 0) -> tuple[Cell, ...]:
        return tuple(row[index] for row in self.cells)


def _sum(cells) -> tuple[int, int]:
    cells = list(cells)
    return sum(c.value for c in cells), combine_keys(c.key for c in cells)


def one_way(labels: Sequence[str], counts: Sequence, shared: bool = False) -> Table:
    """A one-way table; `counts` are counts or (count, cell key) pairs."""
    pairs = [_pair(c) for c in counts]
    cells = tuple((cell(n, k, shared),) for n, k in pairs)
    return Table(tuple(labels), None, cells, None, None,
                 cell(*_sum(row[0] for row in cells), shared))


def two_way(row_labels: Sequence[str], col_labels: Sequence[str], matrix: Sequence[Sequence],
            shared: bool = False) -> Table:
    """A two-way table with its margins; each margin's key is its cells' keys added."""
    if len(matrix) != len(row_labels):
        raise ValueError("one row of values per row label")
    for row in matrix:
        if len(row) != len(col_labels):
            raise ValueError("every row needs one value per column")
    cells = tuple(tuple(cell(*_pair(v), shared) for v in row) for row in matrix)
    row_totals = tuple(cell(*_sum(row), shared) for row in cells)
    col_totals = tuple(cell(*_sum(row[j] for row in cells), shared)
                       for j in range(len(col_labels)))
    total = cell(*_sum(row_totals), shared)
    return Table(tuple(row_labels), tuple(col_labels), cells, row_totals, col_totals, total)
