from tests.routes import Route, everyone

ROUTES = [
    # Logging out is a POST; it then redirects to the login page, whoever asks.
    Route(name="accounts:logout", get=None, post=everyone(302, anonymous=302), htmx=False),
]
ROUTES += [
    # Django's language switch: redirects back to the page it came from (login required first).
    Route(name="set_language", get=everyone(302), post=everyone(302), post_data=lambda world: {"language": "en"}),
]
