from tests.routes import Route, everyone

ROUTES = [
    # The health check answers everyone, signed in or not, and only to GET and HEAD (RELIABILITY K4).
    Route(name="healthz", get=everyone(200, anonymous=200), post=everyone(405, anonymous=405)),
]
