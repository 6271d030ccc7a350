"""The token every dashboard form carries back: an HMAC of the session, or before sign-in of the
login cookie, under the dashboard's secret."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from bot.appkeys import ADMIN, NEW_LOGIN_COOKIE, SIGNED_IN

LOGIN_COOKIE = "ld_admin_login"  # a random value the login form's CSRF token is bound to


def _sign(request: web.Request, purpose: str, value: str) -> str:
    secret = request.config_dict[ADMIN].secret
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: web.Request) -> str:
    """The token forms on this page must send back: bound to the session, or before sign-in to
    the login cookie."""
    signed = request.get(SIGNED_IN)
    if signed is not None:
        return _sign(request, "csrf", signed.session_id)
    return _sign(request, "login", request.get(NEW_LOGIN_COOKIE) or request.cookies.get(LOGIN_COOKIE) or "")
