"""Benchmark settings for a real browser (P8): the bench's, with static files served by WhiteNoise from
the source folders, as production serves its collected files, so that the page loads whole."""

from bench.settings import *  # noqa: F403

MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
WHITENOISE_USE_FINDERS = True
