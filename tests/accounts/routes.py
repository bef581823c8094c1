from tests.routes import Route, everyone

ROUTES = [
    # Logging out is a POST; it then redirects to the login page, whoever asks.
    Route(name="accounts:logout", get=None, post=everyone(302, anonymous=302), htmx=False),
]
ROUTES += [
    # Django's language switch: redirects back to the page it came from (login required first).
    Route(name="set_language", get=everyone(302), post=everyone(302), post_data=lambda world: {"language": "en"}),
]
ROUTES += [
    # The second step: whoever is verified (or has no app yet) is sent on; the code page itself is in
    # tests/accounts/test_mfa.py, which signs in through the forms.
    Route(name="accounts:mfa_verify", get=everyone(302), post=everyone(302)),
    # Officers and leadership may enrol (200: the QR code); staff already enrolled see the status page.
    Route(name="accounts:mfa_enrol", get=everyone(200), post=everyone(200)),
]
ROUTES += [
    # Changing one's password: the form for everyone signed in; an empty POST shows it again with errors.
    Route(name="accounts:password_change", get=everyone(200), post=everyone(200)),
    # The public set-password link (RELIABILITY B6); a made-up token is refused on the page itself (200)
    # for anyone, signed in or not. The working link is tested in tests/accounts/test_set_password.py.
    Route(
        name="accounts:set_password",
        kwargs=lambda world: {"uidb64": "MQ", "token": "abc-0123456789abcdef"},
        get=everyone(200, anonymous=200),
        post=everyone(200, anonymous=200),
    ),
]
ROUTES += [
    # Public: asking for a one-time sign-in link (an empty POST shows the form again with its error), and
    # the link itself, which moves its token into the session and redirects (302) to the button page. The
    # working link is tested in tests/accounts/test_lockout.py.
    Route(name="accounts:sign_in_link_request", get=everyone(200, anonymous=200), post=everyone(200, anonymous=200)),
    Route(
        name="accounts:sign_in_link",
        kwargs=lambda world: {"token": "abc:0123456789"},
        get=everyone(302, anonymous=302),
        post=everyone(302, anonymous=302),
        htmx=False,  # opened from an e-mail, never by htmx
    ),
]
