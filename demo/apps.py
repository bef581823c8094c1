from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Illustrative and benchmark data (seed_demo, seed_scale): installed in development, tests and
    bench settings, never in production's."""

    name = "demo"
    verbose_name = "Dữ liệu minh họa"
