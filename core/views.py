"""The house mixins (render only a named partial for htmx requests, cache a list's filter form), suggestion
lists, the error pages, the health check."""

import logging
import sys

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views import csrf
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

from core import params
from core.cache import FILTER_CHOICES_COUNTER, change_version
from core.forms import VoidForm
from core.logging import DENIED, ERROR, security_event

logger = logging.getLogger(__name__)
DATABASE_RETRY_AFTER_SECONDS = 30
MAX_SUGGESTIONS = 20  # what a <datalist> of suggestions shows: enough to spot a name, light to send


def typed_text(request) -> str:
    """What a suggestion input sent: under its own name (``?field=<name>&<name>=…``) or as ``q``; ""
    for what no one types (a NUL byte, a page of text), read through a form field (core/params.py)."""
    return params.typed_text(request.GET.get(request.GET.get("field") or "q", ""))


def render_suggestions(request, options):
    """``<option>``s for a ``<datalist>``: (value put in the field, label shown beside it)."""
    return render(request, "components/suggestions.html", {"options": options})


class HtmxFragmentMixin:
    """For htmx (non-boosted) requests, render only `fragment_name` of the page template."""

    fragment_name = None

    def get_template_names(self):
        names = super().get_template_names()
        if self.fragment_name and self.request.htmx and not self.request.htmx.boosted:
            names = [f"{name}#{self.fragment_name}" for name in names]
        return names


FILTER_FORM_CACHE_SECONDS = 60 * 60


class CachedFilterFormMixin:
    """For a FilterView whose template renders its filter form in ``{% cache %}``: selects of choices
    read from the database cost more to render than the rows of a page, and change rarely.

    ``filter_form_cache`` says how long to keep the fragment and what it varies on besides the
    language: the choices' change counter, the day (the periods already begun), the user's role and
    unit, and the filter values sent. Only forms of chosen values are kept, so that their number stays
    bounded: not one with typed text (a search, a unit named by hand), nor one with errors, nor
    anything without the counter. Read by the template only, so a request for the results alone
    (htmx) does not read the counter.
    """

    def filter_choices_version(self) -> str | None:
        """The change counter of the tables the form's choices are read from: units, fields, periods."""
        return change_version(FILTER_CHOICES_COUNTER)

    @cached_property
    def filter_form_cache(self) -> dict:
        filterset, user, sent = self.filterset, self.request.user, self.request.GET
        typed = any(sent.get(name) for name, declared in filterset.filters.items() if is_typed(declared))
        kept = not typed and not (filterset.is_bound and filterset.errors)
        # The choices' tables; a form that will not be kept need not read it.
        version = self.filter_choices_version() if kept else None
        values = [sent.get(name, "") for name in filterset.filters]
        return {
            "seconds": FILTER_FORM_CACHE_SECONDS if version is not None else 0,
            "key": [version, timezone.localdate(), user.role, user.commune_id, values],
        }


def is_typed(declared) -> bool:
    """Whether a filter takes text as typed (a CharField: a search, or a row named by typing) rather
    than one of its choices."""
    return issubclass(declared.field_class, forms.CharField)


@requires_csrf_token
def server_error(request):
    """handler500: a plain 500 page, or a 503 "try again shortly" while the database is unreachable.

    Django calls this for every uncaught exception, including those raised by middleware before any
    view runs (sessions, authentication), so one place covers a PostgreSQL outage everywhere. The
    connection's health check (CONN_HEALTH_CHECKS) reconnects by itself once the server is back.
    """
    error = sys.exc_info()[1]
    database_down = isinstance(error, (OperationalError, InterfaceError))
    security_event(
        "server_error",
        outcome=ERROR,
        request=request,
        status=503 if database_down else 500,
        error=type(error).__name__ if error is not None else None,
    )
    if database_down:
        logger.error("database unavailable while serving %s", request.path)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(render_to_string("500.html"), status=500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's page (templates/403_csrf.html), plus one security event.

    ``reason`` is Django's fixed text ("CSRF token missing.", "Origin checking failed - … does not
    match …"); it never contains a token.

    An htmx request gets a bare 403: htmx shows no page for it, and rendering one would set a new
    CSRF cookie when the request came without one. That is what the phone's outbox sends once the
    session is gone (static/js/outbox-core.js), and the new cookie would replace the one under the
    login form being filled in at that moment, which then fails.
    """
    security_event("csrf_failure", outcome=DENIED, request=request, reason=reason)
    if getattr(request, "htmx", False):
        return HttpResponse(status=403)
    return csrf.csrf_failure(request, reason=reason)


@login_not_required
@require_safe
def healthz(request):
    """``/healthz`` for load balancers and container health checks: the web process answers.

    Public, and reads neither the database nor the session (a probe without a cookie makes no query),
    so a probe every few seconds costs almost nothing; RELIABILITY K4 measures its throughput.
    """
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def void_page(request, record, *, void, back_url: str, done_url: str, contents_note: str = ""):
    """The "hủy do nhập sai" form of ``record``: GET shows it, POST calls ``void(record=…, user=…,
    reason=…)`` (the app's service) and goes to ``done_url``; a record already voided goes back."""
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            void(record=record, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, gettext("Đã hủy “%(record)s”. Có thể khôi phục trong mục “Đã hủy”.") % {"record": record}
            )
            return redirect(done_url)
    context = {
        "record": record,
        "form": form,
        "kind_label": record._meta.verbose_name,
        "cancel_url": back_url,
        "contents_note": contents_note,
    }
    return render(request, "components/void_form.html", context)


def restore_page(request, record, *, restore, done_url: str):
    """POST only: restore a voided ``record`` through the app's service, then show ``done_url``."""
    try:
        restore(record=record, user=request.user)
    except ValidationError as error:
        messages.info(request, error.messages[0])
    else:
        messages.success(request, gettext("Đã khôi phục “%(record)s”.") % {"record": record})
    return redirect(done_url)
