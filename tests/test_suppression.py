"""Small-cell suppression: no "<5" can be worked out from what a shared table shows.

The property tests pit `suppress` against an attacker written independently of the
module's network check: a brute-force search over every table that agrees with the
published figures (shown numbers exact, "<5" = 1–4, ".." = 5 or more, margins add up).
"""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.manage.suppression import (
    HIDDEN_TEXT,
    SMALL_TEXT,
    Cell,
    Mark,
    Table,
    disclosures,
    one_way,
    suppress,
    two_way,
)

WINDOW = 5  # how far from the truth the brute force looks for another consistent table


def published(cell: Cell, withheld: bool, truth: int) -> range:
    """The values a reader must consider for one figure, near the true one."""
    if withheld:
        return range(max(0, truth - WINDOW), truth + WINDOW + 1)
    if cell.mark == Mark.small:
        return range(1, 5)
    if cell.mark == Mark.hidden:
        return range(max(5, truth - WINDOW), truth + WINDOW + 1)
    return range(cell.value, cell.value + 1)


def possible_two_way(table: Table) -> list[set]:
    """For every figure (cells row by row, row totals, column totals, grand total) the
    values it takes in some matrix a reader cannot rule out. Dynamic programming over the
    rows, with the running column sums as the state."""
    m, n = len(table.rows), len(table.cols)
    w = table.withheld
    cell_domains = [[published(c, w, c.value) for c in row] for row in table.cells]
    row_domains = [published(c, w, c.value) for c in table.row_totals]
    col_domains = [published(c, w, c.value) for c in table.col_totals]
    total_domain = published(table.total, w, table.total.value)
    rows_ok = [
        [vals for vals in product(*cell_domains[i]) if sum(vals) in row_domains[i]]
        for i in range(m)
    ]
    forward = [{(0,) * n}]
    for i in range(m):
        forward.append({
            tuple(a + b for a, b in zip(state, vals, strict=True))
            for state in forward[i] for vals in rows_ok[i]
            if all(a + b < col_domains[j].stop for j, (a, b) in enumerate(
                zip(state, vals, strict=True)))
        })
    good = {s for s in forward[m]
            if all(s[j] in col_domains[j] for j in range(n)) and sum(s) in total_domain}
    seen = [set() for _ in range(m * n + m + n + 1)]
    for state in good:
        for j in range(n):
            seen[m * n + m + j].add(state[j])
        seen[-1].add(sum(state))
    for i in reversed(range(m)):
        reachable = set()
        for state in forward[i]:
            for vals in rows_ok[i]:
                if tuple(a + b for a, b in zip(state, vals, strict=True)) in good:
                    reachable.add(state)
                    for j, v in enumerate(vals):
                        seen[i * n + j].add(v)
                    seen[m * n + i].add(sum(vals))
        good = reachable
    return seen


def possible_one_way(table: Table) -> list[set]:
    """For every figure (categories, then the total) the values a reader cannot rule out."""
    cells = table.column(0)
    total = published(table.total, table.withheld, table.total.value)
    domains = [published(c, table.withheld, c.value) for c in cells]
    seen = [set() for _ in range(len(cells) + 1)]
    for values in product(*domains):
        if sum(values) in total:
            for k, v in enumerate(values):
                seen[k].add(v)
            seen[-1].add(sum(values))
    return seen


def assert_nothing_recoverable(table: Table, seen: list[set]) -> None:
    """Each "<5" could be any of 1–4; every hidden figure could be something else."""
    figures = [c for row in table.cells for c in row]
    if table.two_way:
        figures += [*table.row_totals, *table.col_totals]
    figures.append(table.total)
    for cell, values in zip(figures, seen, strict=True):
        assert cell.value in values, "the true table must agree with what is published"
        if cell.mark == Mark.small:
            assert values >= {1, 2, 3, 4}, f"a <5 narrowed to {sorted(values)}"
        elif cell.suppressed:
            assert len(values) > 1, f"hidden value {cell.value} recoverable"


def assert_publishable(table: Table) -> None:
    for cell in table.all_cells():
        if table.withheld:
            assert cell.text == HIDDEN_TEXT
        elif 1 <= cell.value <= 4:
            assert cell.text == SMALL_TEXT
        elif cell.mark == Mark.hidden:
            assert cell.value >= 5 and cell.text == HIDDEN_TEXT
        else:
            assert cell.text == str(cell.value) and cell.shown == cell.value


counts = st.integers(min_value=0, max_value=14)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=6))
def test_no_small_cell_of_a_one_way_table_can_be_recovered_from_the_total(values):
    table = suppress(one_way([f"c{i}" for i in range(len(values))], values))
    assert_publishable(table)
    assert_nothing_recoverable(table, possible_one_way(table))
    assert disclosures(table) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 3).flatmap(lambda m: st.integers(2, 3).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 9), min_size=n, max_size=n),
                       min_size=m, max_size=m))))
def test_no_small_cell_of_a_two_way_table_can_be_recovered_from_the_margins(matrix):
    m, n = len(matrix), len(matrix[0])
    table = suppress(two_way([f"r{i}" for i in range(m)], [f"k{j}" for j in range(n)], matrix))
    assert_publishable(table)
    assert_nothing_recoverable(table, possible_two_way(table))


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 8).flatmap(lambda m: st.integers(2, 6).flatmap(
    lambda n: st.lists(st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 7, 12, 30]),
                                min_size=n, max_size=n), min_size=m, max_size=m))))
def test_larger_two_way_tables_pass_the_network_audit(matrix):
    m, n = len(matrix), len(matrix[0])
    table = suppress(two_way([f"r{i}" for i in range(m)], [f"k{j}" for j in range(n)], matrix))
    assert_publishable(table)
    assert disclosures(table) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=2, max_size=3), min_size=2, max_size=2))
def test_the_network_audit_agrees_with_brute_force_on_unprotected_tables(matrix):
    """The audit is the module's own check; it must catch what brute force catches."""
    n = min(len(r) for r in matrix)
    matrix = [r[:n] for r in matrix]
    raw = two_way(["a", "b"], [f"k{j}" for j in range(n)], matrix)
    primary_only = _primary_only(raw)
    try:
        assert_nothing_recoverable(primary_only, possible_two_way(primary_only))
        brute_safe = True
    except AssertionError:
        brute_safe = False
    assert (disclosures(primary_only) == []) == brute_safe


def _primary_only(table: Table) -> Table:
    def mark(c):
        return Cell(c.value, Mark.small if 1 <= c.value <= 4 else Mark.shown)

    return Table(
        table.rows, table.cols, tuple(tuple(mark(c) for c in r) for r in table.cells),
        tuple(mark(c) for c in table.row_totals), tuple(mark(c) for c in table.col_totals),
        mark(table.total),
    )


def test_single_small_cell_is_protected_by_its_smallest_neighbour():
    table = suppress(one_way(["flicka", "pojke", "annat"], [12, 15, 3]))
    assert [c.text for c in table.column()] == ["..", "15", "<5"]
    assert table.total.text == "30"


def test_zero_cells_are_shown_and_never_used_as_cover():
    table = suppress(one_way(["a", "b", "c"], [0, 0, 4]))
    assert [c.text for c in table.column()] == ["0", "0", "<5"]
    assert table.total.text == "<5"


def test_two_small_cells_whose_total_would_give_them_away_hide_the_total():
    table = suppress(one_way(["a", "b"], [4, 4]))
    assert [c.text for c in table.column()] == ["<5", "<5"]
    assert table.total.text == ".."


def test_four_ones_adding_up_to_a_small_total_are_withheld_entirely():
    table = suppress(one_way(["a", "b", "c", "d"], [1, 1, 1, 1]))
    assert table.withheld
    assert {c.text for c in table.all_cells()} == {".."}


def test_a_table_without_small_cells_is_unchanged():
    table = suppress(two_way(["a", "b"], ["x", "y"], [[5, 9], [0, 12]]))
    assert not table.any_suppressed and table.total.text == "26"


def test_a_rectangle_of_cells_protects_a_small_inner_cell_and_keeps_the_margins():
    table = suppress(two_way(["a", "b", "c"], ["x", "y", "z"],
                             [[3, 10, 12], [8, 20, 7], [9, 9, 2]]))
    assert [c.text for c in table.row_totals] == ["25", "35", "20"]
    assert [c.text for c in table.col_totals] == ["20", "39", "21"]
    assert table.cells[0][0].text == "<5" and table.cells[2][2].text == "<5"
    assert disclosures(table) == []


def test_unprotected_small_cell_is_reported_by_the_audit():
    raw = one_way(["a", "b"], [3, 9])
    exposed = Table(raw.rows, None, ((Cell(3, Mark.small),), (Cell(9),)), None, None, Cell(12))
    assert disclosures(exposed) == [("cell", 0, 0)]


@pytest.mark.parametrize("values", [[-1, 3], [2, -5]])
def test_negative_counts_are_refused(values):
    with pytest.raises(ValueError):
        one_way(["a", "b"], values)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 5).flatmap(lambda m: st.integers(2, 4).flatmap(
    lambda n: st.lists(st.lists(st.sampled_from([0, 1, 2, 3, 6, 9, 14, 25]),
                                min_size=n, max_size=n), min_size=m, max_size=m))))
def test_pinned_margins_keep_how_another_table_published_them(matrix):
    """A cross table whose margins are a field's own shared breakdown never contradicts it."""
    m, n = len(matrix), len(matrix[0])
    raw = two_way([f"r{i}" for i in range(m)], [f"k{j}" for j in range(n)], matrix)
    rows = suppress(one_way(raw.rows, [c.value for c in raw.row_totals]))
    if rows.withheld:
        return
    pins = {("row", i): rows.cells[i][0].mark for i in range(m)}
    pins[("total",)] = rows.total.mark
    table = suppress(raw, pins)
    assert [c.mark for c in table.row_totals] == [c.mark for c in rows.column()]
    assert table.total.mark == rows.total.mark
    if not table.withheld:
        assert_publishable(table)
        assert disclosures(table) == []
