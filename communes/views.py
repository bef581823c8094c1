"""One page per unit and the units typed into a form (the list of units, by pairing, is partnerships')."""

from django.db.models import Prefetch
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from core.views import MAX_SUGGESTIONS, render_suggestions, typed_text

from .forms import unit_suggestion
from .models import Commune, Constituent


@require_GET
def unit_suggestions(request):
    """At most 20 units of the directory whose name (without accents) or code matches what was typed."""
    text = typed_text(request)
    units = Commune.objects.visible_to(request.user).search(text).order_by_name()[:MAX_SUGGESTIONS] if text else []
    return render_suggestions(request, [(unit_suggestion(unit), unit.former_district) for unit in units])


class CommuneDetailView(DetailView):
    template_name = "communes/commune_detail.html"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_queryset(self):
        constituents = Constituent.objects.order_by("old_province", "old_district", "old_name")
        return Commune.objects.visible_to(self.request.user).prefetch_related(Prefetch("constituents", constituents))
