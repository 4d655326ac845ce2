"""Records management (seeds 002–004): retention and destruction, archive packages for
born-day files, the right to read with a secrecy review, log review, deviations and
self-checks (the quality system).

Modules: retention (periods as data, due dates, legal holds, the run, the destruction log),
archive (E-ARK CSIP packages), right_to_read (the person's copy, the secrecy review and the
release), log_review (loggkontroll), log_retention (the access log's own retention),
deviations, self_checks, quality (the year's figures)
and quality_pdf. Each part registers its access rules from its rules_<part> module.
"""

from models.records import (  # noqa: F401  (tables and access rules)
    archive,
    deviations,
    log_retention,
    log_review,
    quality,
    quality_pdf,
    retention,
    right_to_read,
    rules_log_review,
    rules_quality,
    rules_retention,
    rules_right_to_read,
    self_checks,
)
