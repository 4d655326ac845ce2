"""Records management: deviations and self-checks (quality system, seed 003)."""

from models.records import deviations, quality, rules_quality, self_checks  # noqa: F401
