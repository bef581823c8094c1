"""The access table: for every named route, the status each role gets for GET, htmx GET and POST.

Each app's tests declare their routes in ``tests/<app>/routes.py`` as a ``ROUTES`` list; the walk in
``tests/test_access.py`` runs every entry for every role and fails when a URL pattern has no entry.

Roles (see tests.factories.World): ``anonymous``, ``leader``, ``officer`` (of the supporting unit
that owns ``world.commitment``), ``supported_officer`` (a member that owns nothing), ``outsider``
(officer of a unit in another partnership), ``city`` (city staff) and ``admin``.
"""

import contextlib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse

import tests

ROLES = ("anonymous", "leader", "officer", "supported_officer", "outsider", "city", "admin")
LOGIN = 302  # anonymous users are sent to the login page


def everyone(status: int, **overrides: int) -> dict[str, int]:
    """``status`` for every signed-in role, the login redirect for anonymous, then ``overrides``."""
    table = dict.fromkeys(ROLES, status)
    table["anonymous"] = LOGIN
    table.update(overrides)
    return table


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: Callable = lambda world: {}
    get: dict[str, int] | None = None  # None: GET is not offered (405 is then expected for everyone)
    post: dict[str, int] | None = None  # None: POST is not offered
    post_data: Callable = lambda world: {}
    query: str | Callable = ""  # a query string, or a function of the world returning one
    htmx: bool = True  # also GET with HX-Request and expect the same status
    notes: str = ""
    extra: dict = field(default_factory=dict)


def declared_routes() -> list[Route]:
    """Every app's table (``tests/<app>/routes.py``), read when asked: those modules import this one."""
    routes = []
    for module in pkgutil.iter_modules(tests.__path__):
        if not module.ispkg:
            continue
        try:
            table = importlib.import_module(f"tests.{module.name}.routes")
        except ModuleNotFoundError:
            continue
        routes.extend(table.ROUTES)
    return routes


def user_for(world, role: str):
    """The World's user playing ``role`` (None for anonymous)."""
    return {
        "anonymous": None,
        "leader": world.leader,
        "officer": world.officer,
        "supported_officer": world.supported_officer,
        "outsider": world.outsider_officer,
        "city": world.city,
        "admin": world.admin,
    }[role]


def url_of(route, world) -> str:
    query = route.query(world) if callable(route.query) else route.query
    return reverse(route.name, kwargs=route.kwargs(world)) + query


@contextlib.contextmanager
def rolled_back():
    """Each route builds its own objects (tests/<app>/routes.py); undo them so the next route starts clean."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
