"""Account operations that touch more than one table."""

import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

logger = logging.getLogger("portal.security")


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
    logger.info("sessions ended: %d for user ids %s by %s", len(ended), sorted(wanted), by.pk)
    return len(ended)
