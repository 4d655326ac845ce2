"""Nära as served (`app:serve()`), plus one route that only the benchmarks have.

POST /bench/floor is a signed-in, CSRF-checked POST that does nothing else: the session
cookie is read, the user loaded by session token, the idle clock and the CSRF token
checked, the security headers added. What a save costs above this line is the save's own
work; what this line costs is the stack every request pays (Flask, Flask-Login, Flask-WTF,
SQLAlchemy's connection, Babel). It is never part of the product.
"""

from __future__ import annotations

from app import serve
from views import signed_in, user

app = serve()


@app.post("/bench/floor")
@signed_in("inbox.view")
def floor():
    return f"{user().id}", 201
