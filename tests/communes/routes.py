"""Access table for the communes app (walked by tests/test_access.py): the directory is for everyone signed in."""

from tests.routes import Route, everyone

ROUTES = [
    Route(name="communes:commune_list", get=everyone(200)),
    Route(name="communes:unit_suggestions", get=everyone(200), query="?field=owner&owner=tra"),
    Route(name="communes:commune_detail", kwargs=lambda world: {"code": world.supported.code}, get=everyone(200)),
]
