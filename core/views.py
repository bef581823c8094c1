"""The one house mixin: render only a named partial of the page template for htmx requests."""


class HtmxFragmentMixin:
    """For htmx (non-boosted) requests, render only `fragment_name` of the page template."""

    fragment_name = None

    def get_template_names(self):
        names = super().get_template_names()
        if self.fragment_name and self.request.htmx and not self.request.htmx.boosted:
            names = [f"{name}#{self.fragment_name}" for name in names]
        return names
