"""The journal room's one blueprint (thread, client file, plans, shift start, log review)."""

from flask import Blueprint

bp = Blueprint("journal", __name__)
