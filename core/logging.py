"""The security event log (RELIABILITY B7, G4): exactly one JSON line per event on ``portal.security``.

Code reports an event with ``security_event("login", outcome="failure", actor=username)``; the
request (client address, path, signed-in user) comes from the argument or, for code that has none
(forms, upload checks), from ``current_request``, which ``core.middleware.SecurityEventMiddleware``
sets for the duration of each request. ``SecurityEventFormatter`` writes the line: JSON with
``ensure_ascii``, so CR, LF, ESC and every other control or non-ASCII character inside a username or
a path is escaped (``\\r``, ``\\u001b``) and one event can never print a second, forged line.

Only what the call site names is written: never the request body, cookies or headers, so no password,
session id or CSRF token can reach the log by accident.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from django.utils.functional import empty

SECURITY_LOGGER = "portal.security"
logger = logging.getLogger(SECURITY_LOGGER)

# The request being served by this thread (or task), for events raised far from the view.
current_request: ContextVar = ContextVar("security_event_request", default=None)

# What each event says happened (the event name says what was attempted).
SUCCESS = "success"
FAILURE = "failure"  # the person got something wrong: a password, a code
DENIED = "denied"  # the portal refused: lockout, forbidden object, CSRF, tampered field, unsafe file
ERROR = "error"  # the portal failed: an exception answered with 500

LEVELS = {SUCCESS: logging.INFO, FAILURE: logging.WARNING, DENIED: logging.WARNING, ERROR: logging.ERROR}

_UNSET = object()


def security_event(
    event: str,
    *,
    outcome: str,
    request=None,
    actor=_UNSET,
    object_id=None,
    route: str | None = None,
    level: int | None = None,
    **details,
) -> None:
    """Write one security event. ``actor`` defaults to the signed-in user (a user or a username);
    ``route`` to the request's path (pass it when the path itself carries a secret, such as a
    set-password token); ``details`` are extra named values (a reason code, a status), never secrets."""
    request = request if request is not None else current_request.get()
    if actor is _UNSET:
        actor = signed_in_user(request)
    if actor is not None and hasattr(actor, "get_username"):
        actor = actor.get_username()
    fields = {
        "event": event,
        "outcome": outcome,
        "actor": actor,
        "ip": request.META.get("REMOTE_ADDR") if request is not None else None,
        "route": route if route is not None else (request.path if request is not None else None),
        "object_id": None if object_id is None else str(object_id),
        **details,
    }
    if level is None:
        level = LEVELS.get(outcome, logging.INFO)
    logger.log(level, "%s %s", event, outcome, extra={"security_event": fields})


def signed_in_user(request):
    """The request's user if authentication already ran; never a query from inside a log call (a 500
    raised because the database is down must not query it again to name the actor)."""
    if request is None or "user" not in request.__dict__:
        return None
    user = request.__dict__["user"]
    if getattr(user, "_wrapped", None) is empty:
        return None
    return user if user.is_authenticated else None


class SecurityEventFormatter(logging.Formatter):
    """One JSON object per record, on one line, every string value escaped (``ensure_ascii``)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "security_event", None)
        if fields is None:
            # A plain logger.info(...) on portal.security still becomes one escaped line.
            fields = {"event": "message", "outcome": None, "message": record.getMessage()}
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            **fields,
        }
        return json.dumps(line, ensure_ascii=True, default=str, separators=(",", ":"))
