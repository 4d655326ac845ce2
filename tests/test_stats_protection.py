"""The cell-key method (models/manage/protection.py): what a shared figure may be.

The differencing attack across overlapping tables is tests/test_stats_differencing.py;
these are the rules each published figure keeps on its own and in a pair.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.manage.protection import (
    BASE,
    KEY_SPACE,
    MAX_NOISE,
    Cell,
    cell,
    noise,
    one_way,
    possible,
    publish,
    two_way,
)

counts = st.integers(0, 10_000)
keys = st.integers(0, KEY_SPACE - 1)


@settings(max_examples=500)
@given(counts, keys)
def test_a_published_figure_is_a_multiple_of_five_within_four_of_the_truth(count, key):
    shown = publish(count, key)
    assert shown % BASE == 0 and abs(shown - count) <= MAX_NOISE
    assert count in possible(shown)


@settings(max_examples=500)
@given(counts, keys)
def test_no_figure_of_one_to_four_ever_leaves_the_unit(count, key):
    assert not 1 <= publish(count, key) <= 4


@given(keys)
def test_zeros_stay_zeros(key):
    assert publish(0, key) == 0


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6, 63, 64])
def test_rounding_is_unbiased_over_the_keys(count):
    """A count 5q + r is rounded up for r/5 of the keys: on average it is right."""
    step = KEY_SPACE // 10_000
    shown = [publish(count, k) for k in range(0, KEY_SPACE, step)]
    assert abs(sum(shown) / len(shown) - count) < 0.01


def test_the_same_cell_gets_the_same_figure_in_every_table():
    """Count and key decide the figure: a cell does not care which table it is in."""
    pairs = [(63, 123_456_789), (2, 4_000_000_000), (0, 5)]
    alone = [cell(n, k, shared=True).shown for n, k in pairs]
    in_table = [c.shown for c in one_way(["a", "b", "c"], pairs, shared=True).column(0)]
    assert alone == in_table


def test_margins_are_cells_of_their_own_keyed_by_their_tallies():
    matrix = [[(3, 10), (4, KEY_SPACE - 5)], [(0, 0), (7, 2**31)]]
    table = two_way(["x", "y"], ["p", "q"], matrix, shared=True)
    assert table.row_totals[0] == Cell(7, 5, protected=True)  # the keys add modulo 2³²
    assert table.col_totals[1] == Cell(11, (KEY_SPACE - 5 + 2**31) % KEY_SPACE, True)
    assert table.total.value == 14
    # rounded on its own: the rows need not add up to the total as published
    assert all(c.shown % BASE == 0 for c in table.all_cells())


def test_the_exact_view_shows_the_true_count():
    assert [c.text for c in one_way(["a", "b"], [(3, 0), (63, 0)]).column(0)] == ["3", "63"]


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        one_way(["a"], [(-1, 0)])


def test_the_noise_is_the_perturbation_table_s():
    assert noise(63, 0) == 2 and noise(63, KEY_SPACE - 1) == -3
    assert noise(65, 0) == 0 and noise(1, KEY_SPACE // 5 - 1) == 4
    assert noise(1, KEY_SPACE // 5 + 1) == -1


def test_no_difference_of_two_figures_pins_a_small_cell():
    """Every (a, b = a − h) with h 1–4 and every rounding of a, b and h: what the two
    figures and h's own figure allow for h always has two values or more. The pairs are
    exhaustive up to 5 × 5 (rounding only depends on the remainder)."""
    tried = 0
    for h in range(1, 5):
        for b in range(0, 30):
            a = b + h
            for pa in {a - a % 5, a - a % 5 + (5 if a % 5 else 0)}:
                for pb in {b - b % 5, b - b % 5 + (5 if b % 5 else 0)}:
                    for ph in {0, 5}:
                        tried += 1
                        values = {x - y for x in possible(pa) for y in possible(pb)}
                        allowed = values & set(possible(ph))
                        assert h in allowed and len(allowed) >= 2, (a, b, pa, pb, ph)
    assert tried > 400
