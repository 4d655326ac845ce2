"""The person page's "Koppla till inloggning": link a person to their identity at the
identity provider (the value of the claim OIDC_USER_CLAIM names), or remove the link."""

from __future__ import annotations

from flask import current_app, redirect, url_for

from models.access import idp
from models.admin import log as admin_log
from models.core.errors import DomainError
from views import db, request, signed_in, user
from views.admin.routes import _person_page, _target, bp
from views.auth import oidc


def link_of_person(person) -> idp.IdpLink | None:
    """For the partial templates/admin/_idp_link.html: the person's link, if any."""
    return idp.link_of(db(), person)


def idp_context() -> dict:
    return {"configured": oidc.configured(),
            "claim": current_app.config.get("OIDC_USER_CLAIM") or "sub"}


@bp.route("/users/<id:user_id>/idp-link", methods=["POST"])
@signed_in("admin.manage")
def set_idp_link(user_id: int):
    """Link (or re-link) a person to an identity at the configured identity provider; an
    empty field with `unlink` removes the link."""
    target = _target(user_id)
    before = idp.link_of(db(), target)
    before = {"subject": before.subject if before else None}
    try:
        if request.form.get("unlink") == "1":
            idp.unlink(db(), target)
        else:
            if not oidc.configured():
                raise DomainError(oidc.not_configured_text(), "subject")
            idp.link(db(), target, current_app.config["OIDC_ISSUER"],
                     request.form.get("subject", ""), by=user())
        after = idp.link_of(db(), target)
        admin_log.write(db(), user(), "user.idp_link", target.username, before,
                        {"subject": after.subject if after else None})
        db().commit()
    except DomainError as error:
        db().rollback()
        return _person_page(target, 422, {"subject": str(error)})
    return redirect(url_for("admin.person", user_id=user_id, done="idp"))
