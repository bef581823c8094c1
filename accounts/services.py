"""Account operations that touch more than one table."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.logging import SUCCESS, security_event


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
