"""Roles and the decorator every view uses to say who may call it."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from .enums import TitledEnum


class Role(TitledEnum):
    """What a signed-in person may do; display titles for pages."""

    COORDINATOR = "coordinator", "Regional coordinator"
    FINANCE = "finance", "Finance"
    PARTNER = "partner", "Local partner"
    CONTRIBUTOR = "contributor", "Contributor with lived experience"


ROLE_TITLES = Role.titles()
ALL_ROLES = tuple(Role)
STAFF = (Role.COORDINATOR, Role.FINANCE, Role.PARTNER)


def roles_required(*roles: Role):
    """Allow only signed-in users with one of these roles (403 otherwise, sign-in page if anonymous)."""
    allowed = {Role(r) for r in roles} if roles else set(ALL_ROLES)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(allowed)
        return wrapped

    return decorator


signed_in = roles_required()
