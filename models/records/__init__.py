"""Records management: deviations and self-checks (quality system, seed 003)."""

from models.records import (  # noqa: F401
    deviations,
    quality,
    quality_pdf,
    rules_quality,
    self_checks,
)
