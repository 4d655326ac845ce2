"""The one route converter for ids: `<id:client_id>`.

Werkzeug's `int` converter matches any run of Unicode digits (`/journal/٣` is client 3)
and has no upper bound, so `/journal/9999999999999999999999999` reached the database and
raised OverflowError. `id` takes ASCII digits, 1 … 2**63-1; anything else is a 404.
"""

from __future__ import annotations

from werkzeug.routing import BaseConverter, ValidationError

from models.core.parse import parse_id


class IdConverter(BaseConverter):
    regex = r"[0-9]{1,19}"
    weight = 50  # as specific as Werkzeug's own number converters

    def to_python(self, value: str) -> int:
        ident = parse_id(value)
        if ident is None:
            raise ValidationError()
        return ident

    def to_url(self, value) -> str:
        return str(int(value))
