from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = _("Cam kết và tiến độ")

    def ready(self):
        from partnerships.signals import partnership_contents

        from .services import partnership_contents as commitments_of_partnership

        partnership_contents.connect(commitments_of_partnership, dispatch_uid="commitments.partnership_contents")
