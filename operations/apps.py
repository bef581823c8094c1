from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate


def grant_after_migrate(sender, using, **kwargs):
    """After every ``migrate`` (run by the owner), the application role gets the new tables' grants."""
    if settings.DATABASE_APP_ROLE:
        from .privileges import grant_app_privileges

        grant_app_privileges(role=settings.DATABASE_APP_ROLE, using=using)


class OperationsConfig(AppConfig):
    """Running the portal: backups and restores, database grants, media checks, the container health probe."""

    name = "operations"
    verbose_name = "Operations"

    def ready(self):
        # Sent once per installed app after the whole plan has run; connected for this app only, so once.
        post_migrate.connect(grant_after_migrate, sender=self)
