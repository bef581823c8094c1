"""The directory of the 94 units: a filtered list and one page per unit."""

from django.db.models import Count, Prefetch
from django.views.generic import DetailView
from django_filters.views import FilterView

from core.views import HtmxFragmentMixin

from .filtersets import CommuneFilterSet
from .models import Commune, Constituent


class CommuneListView(HtmxFragmentMixin, FilterView):
    filterset_class = CommuneFilterSet
    template_name = "communes/commune_list.html"
    fragment_name = "results"
    paginate_by = 25

    def get_queryset(self):
        # "memberships" is the partnerships app's reverse relation, named by string: no import upward.
        return (
            Commune.objects.visible_to(self.request.user)
            .annotate(partnership_count=Count("memberships"))
            .order_by_name()
        )


class CommuneDetailView(DetailView):
    template_name = "communes/commune_detail.html"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_queryset(self):
        constituents = Constituent.objects.order_by("old_province", "old_district", "old_name")
        return Commune.objects.visible_to(self.request.user).prefetch_related(Prefetch("constituents", constituents))
