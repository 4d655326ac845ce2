"""A process's memory of what it has verified once (a cookie's signature, a signed CSRF
token): a plain dict, bounded by emptying it when full. Emptying costs one more
verification per entry; an eviction order would cost every request a little."""

from __future__ import annotations

MAX_REMEMBERED = 10_000


def remember(memory: dict, key, value, limit: int = MAX_REMEMBERED) -> None:
    if len(memory) >= limit:
        memory.clear()
    memory[key] = value
