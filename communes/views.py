"""The directory of the 94 units: a filtered list and one page per unit."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.views.decorators.http import require_GET
from django.views.generic import DetailView
from django_filters.views import FilterView

from core.views import MAX_SUGGESTIONS, HtmxFragmentMixin, render_suggestions, typed_text

from .filtersets import CommuneFilterSet
from .forms import unit_suggestion
from .models import Commune, Constituent


@require_GET
def unit_suggestions(request):
    """At most 20 units of the directory whose name (without accents) or code matches what was typed."""
    text = typed_text(request)
    units = Commune.objects.visible_to(request.user).search(text).order_by_name()[:MAX_SUGGESTIONS] if text else []
    return render_suggestions(request, [(unit_suggestion(unit), unit.former_district) for unit in units])


class CommuneListView(HtmxFragmentMixin, FilterView):
    filterset_class = CommuneFilterSet
    template_name = "communes/commune_list.html"
    fragment_name = "results"
    paginate_by = 25

    def get_queryset(self):
        # "memberships" is the partnerships app's reverse relation, reached through _meta: no import upward.
        # A correlated count, not a JOIN + GROUP BY: PostgreSQL evaluates it for the 25 rows shown only,
        # and the paginator's COUNT(*) stays a plain count of units.
        # Only partnerships signed or active today count, as "chưa kết nghĩa" is defined everywhere
        # (CommuneQuerySet.with_pairing): a unit whose count is 0 is the one the "paired" filter calls unpaired.
        membership = Commune._meta.get_field("memberships").related_model
        active = membership._meta.get_field("partnership").related_model.objects.active_on().values("pk")
        memberships = (
            membership.objects.filter(commune=OuterRef("pk"), partnership__in=active).order_by().values("commune")
        )
        partnership_count = Coalesce(
            Subquery(memberships.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
        )
        return (
            Commune.objects.visible_to(self.request.user).annotate(partnership_count=partnership_count).order_by_name()
        )


class CommuneDetailView(DetailView):
    template_name = "communes/commune_detail.html"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_queryset(self):
        constituents = Constituent.objects.order_by("old_province", "old_district", "old_name")
        return Commune.objects.visible_to(self.request.user).prefetch_related(Prefetch("constituents", constituents))
