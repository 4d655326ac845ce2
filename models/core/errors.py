"""Domain errors carry a translatable message and, when known, the field it belongs to."""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext


class DomainError(Exception):
    """A rule said no. `message` is a lazy translatable string; `field` names the input."""

    def __init__(self, message, field: str | None = None, **params):
        super().__init__(str(message))
        # with its parameters filled in, still lazily: callers copy `message` into their
        # {field: message} errors, and a bare "%(max)d" must never reach the page
        self.message = LazyString(_format, message, params) if params else message
        self.field = field
        self.params = params

    def __str__(self) -> str:  # the message with its parameters, in the current locale
        return str(self.message)


def _format(message, params: dict) -> str:
    return str(message) % params


class ValidationErrors(DomainError):
    """Several field errors at once: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class SubmissionReused(ValidationErrors):
    """A retry's id (client UUID) names an entry stored with other values: refused with 422,
    and the stored entry stays as it is (the IETF Idempotency-Key draft's "key reused with a
    different payload"). `field` is where the form shows the message."""

    def __init__(self, field: str = "client_uuid"):
        super().__init__({field: lazy_gettext(
            "This submission id was already used for a different entry, so this one was not "
            "saved.")})


class AccessDenied(Exception):
    """The access rules refused. `hide` means answer 404 so existence is not revealed."""

    def __init__(self, action: str, hide: bool):
        super().__init__(action)
        self.action = action
        self.hide = hide
