"""Account operations that touch more than one table."""

import pghistory
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from core.logging import SUCCESS, security_event

from .models import PASSWORD_CHANGED_EVENT, PASSWORD_SET_BY_LINK_EVENT


def end_sessions(users, *, by) -> int:
    """Delete every live session of ``users`` (a lost phone, a person leaving): their next request is
    anonymous. Sessions are stored signed, not indexed by user, so each live one is decoded; a portal
    of a few hundred accounts has at most a few thousand."""
    wanted = {str(pk) for pk in users.values_list("pk", flat=True)}
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) in wanted
    ]
    Session.objects.filter(session_key__in=ended).delete()
    security_event("sessions_ended", outcome=SUCCESS, actor=by, sessions=len(ended), user_ids=sorted(wanted))
    return len(ended)


@transaction.atomic
def change_password(*, user, new_password: str, event: str = PASSWORD_CHANGED_EVENT) -> None:
    """Store a new password (already validated by the form) and record the change in the user's
    history: the hash column is not tracked, so the event is written here, with the request's actor.

    Every other session of the user ends at its next request: Django checks each session's copy of the
    password hash (``get_session_auth_hash``). The caller keeps its own session with
    ``update_session_auth_hash``.
    """
    user.set_password(new_password)
    user.save(update_fields=["password"])
    pghistory.create_event(user, label=event)


def set_password_by_link(*, user, new_password: str) -> None:
    """The first password chosen at a set-password link; the person proved by the link is the actor.
    Changing the hash spends the link (Django's token is derived from it)."""
    with pghistory.context(user=user.pk):
        change_password(user=user, new_password=new_password, event=PASSWORD_SET_BY_LINK_EVENT)
