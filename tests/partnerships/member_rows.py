"""What the partnership form's member rows send: one (unit, role) per row, as the page posts them."""

from partnerships.forms import MEMBERS_PREFIX
from partnerships.models import Membership

SUPPORTED = Membership.Role.SUPPORTED
LEAD = Membership.Role.LEAD_SUPPORTER
CO = Membership.Role.CO_SUPPORTER


def member_rows(*rows) -> dict:
    """POST data for rows of (unit, role) or (unit, role, removed); a unit is a Commune or the text typed."""
    data = {f"{MEMBERS_PREFIX}-TOTAL_FORMS": str(len(rows)), f"{MEMBERS_PREFIX}-INITIAL_FORMS": str(len(rows))}
    for index, (unit, role, *removed) in enumerate(rows):
        data[f"{MEMBERS_PREFIX}-{index}-commune"] = getattr(unit, "code", unit)
        data[f"{MEMBERS_PREFIX}-{index}-role"] = role
        if removed and removed[0]:
            data[f"{MEMBERS_PREFIX}-{index}-DELETE"] = "on"
    return data
