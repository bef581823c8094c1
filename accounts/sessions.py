"""The session engine (SESSION_ENGINE): Django's database sessions, read without compiling SQL each time."""

import datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.precompiled import PrecompiledQuery

_SAMPLE_KEY = "sample-session-key"
_SAMPLE_NOW = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)

# The query of Django's _get_session_from_db: a live session by key.
live_session = PrecompiledQuery(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now), _SAMPLE_KEY, _SAMPLE_NOW
)


class SessionStore(DatabaseSessionStore):
    """Django's database session store; loading a session, done by every request with a cookie, sends
    the same query without compiling it again. Saving, deleting (logout) and expiry are Django's."""

    def _get_session_from_db(self):
        try:
            return live_session.get(self.session_key, timezone.now())
        except Session.DoesNotExist:
            self._session_key = None
            return None
