from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Tài khoản")

    def ready(self):
        from . import checks, mfa, security_events  # noqa: F401 (register the checks, connect the sign-in signals)
        from .backends import forget_officers, forget_user
        from .models import User

        # The signed-in user's cached copy (accounts.backends) is forgotten when the user or their unit
        # changes. The unit is named by its label, as the user's own foreign key names it.
        post_save.connect(forget_user, sender=User, dispatch_uid="accounts.forget_saved_user")
        post_delete.connect(forget_user, sender=User, dispatch_uid="accounts.forget_deleted_user")
        post_save.connect(forget_officers, sender="communes.Commune", dispatch_uid="accounts.forget_unit_officers")
