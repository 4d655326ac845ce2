"""The memory of verified cookies and CSRF tokens is bounded (views/remembered.py): a
process serving many sign-ins does not grow without end."""

from views.remembered import remember


def test_a_full_memory_starts_over_with_the_newest_entry():
    memory: dict = {}
    for n in range(5):
        remember(memory, n, f"value {n}", limit=3)
    assert memory == {3: "value 3", 4: "value 4"}


def test_a_memory_below_its_limit_keeps_every_entry():
    memory: dict = {}
    for n in range(3):
        remember(memory, n, n, limit=3)
    assert memory == {0: 0, 1: 1, 2: 2}
