"""Plain factory functions: each builds a valid row with sensible defaults and takes overrides."""

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import must_use_mfa
from accounts.models import Role, User
from commitments.models import Commitment, Field, ProgressUpdate, ReportingPeriod
from communes.models import Commune
from partnerships.models import Activity, LegalBasis, Membership, Partnership

_sequence = itertools.count(1)
PASSWORD = "a-long-test-password-2025"


def commune(**overrides) -> Commune:
    number = next(_sequence)
    values = {
        "code": f"9{number % 10000:04d}",  # 9xxxx: never a real Đà Nẵng code
        "name": f"Đơn vị {number}",
        "kind": Commune.Kind.COMMUNE,
        "former_district": "Hòa Vang",
    }
    values.update(overrides)
    return Commune.objects.create(**values)


def legal_basis(**overrides) -> LegalBasis:
    values = {
        "number": f"{next(_sequence)}-NQ/TU",
        "kind": LegalBasis.Kind.RESOLUTION,
        "issuer": "Thành ủy Đà Nẵng",
        "title": "Nghị quyết",
    }
    values.update(overrides)
    return LegalBasis.objects.create(**values)


@transaction.atomic  # members are checked together at commit (deferred trigger)
def partnership(
    *, supported: Commune | None = None, supporters: list[Commune] | None = None, **overrides
) -> Partnership:
    values = {
        "legal_basis": overrides.pop("legal_basis", None) or legal_basis(),
        "status": Partnership.Status.SIGNED,
        "signed_on": datetime.date(2025, 8, 8),
    }
    values.update(overrides)
    created = Partnership.objects.create(**values)
    supported = supported or commune(programme_role=Commune.ProgrammeRole.SUPPORTED)
    supporters = supporters or [commune(kind=Commune.Kind.WARD, programme_role=Commune.ProgrammeRole.SUPPORTING)]
    Membership.objects.create(partnership=created, commune=supported, role=Membership.Role.SUPPORTED)
    for index, supporter in enumerate(supporters):
        role = Membership.Role.LEAD_SUPPORTER if index == 0 else Membership.Role.CO_SUPPORTER
        Membership.objects.create(partnership=created, commune=supporter, role=role)
    return created


def field(**overrides) -> Field:
    number = next(_sequence)
    values = {"code": f"field-{number}", "name": f"Lĩnh vực {number}", "order": number}
    values.update(overrides)
    return Field.objects.create(**values)


def commitment(*, partnership: Partnership, owner: Commune | None = None, **overrides) -> Commitment:
    owner = owner or partnership.memberships.exclude(role=Membership.Role.SUPPORTED).first().commune
    values = {
        "field": overrides.pop("field", None) or field(),
        "title": "Xây dựng nhà đại đoàn kết",
        "support_form": Commitment.SupportForm.HOUSING,
        "target_quantity": Decimal(2),
        "target_unit": "căn nhà",
        "target_value_vnd": 160_000_000,
        "start_on": datetime.date(2025, 9, 1),
        "due_on": datetime.date(2026, 12, 31),
    }
    values.update(overrides)
    return Commitment.objects.create(partnership=partnership, owner=owner, **values)


def period(year: int = 2025, number: int = 4, **overrides) -> ReportingPeriod:
    start, end = ReportingPeriod.quarter_bounds(year, number, ReportingPeriod.Convention.DECREE_09)
    values = {"kind": ReportingPeriod.Kind.QUARTER, "year": year, "number": number, "starts_on": start, "ends_on": end}
    values.update(overrides)
    return ReportingPeriod.objects.get_or_create(
        kind=values.pop("kind"),
        convention=values.pop("convention", ReportingPeriod.Convention.DECREE_09),
        year=values.pop("year"),
        number=values.pop("number"),
        defaults=values,
    )[0]


def current_period() -> ReportingPeriod:
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        for number in range(1, 5):
            start, end = ReportingPeriod.quarter_bounds(year, number, ReportingPeriod.Convention.DECREE_09)
            if start <= today <= end:
                return period(year, number)
    raise AssertionError("no quarter contains today")  # unreachable: the quarters tile the calendar


def progress(*, commitment: Commitment, author: User, **overrides) -> ProgressUpdate:
    values = {
        "period": overrides.pop("period", None) or period(),
        "narrative": "Đã bàn giao 1 căn nhà",
        "achieved_quantity": Decimal(1),
    }
    values.update(overrides)
    return ProgressUpdate.objects.create(commitment=commitment, author=author, **values)


def activity(*, partnership: Partnership, **overrides) -> Activity:
    values = {
        "kind": Activity.Kind.HANDOVER,
        "occurred_on": datetime.date(2025, 10, 1),
        "title": "Trao quà",
        "value_vnd": 50_000_000,
    }
    values.update(overrides)
    return Activity.objects.create(partnership=partnership, **values)


def user(role: str = Role.CITY_STAFF, commune: Commune | None = None, **overrides) -> User:
    created = User(
        username=overrides.pop("username", f"user-{next(_sequence)}"), role=role, commune=commune, **overrides
    )
    created.set_password(PASSWORD)
    created.save()
    if must_use_mfa(created):
        # Signing in needs an authenticator app (RELIABILITY B5); the key is random, as enrolment makes it.
        TOTPDevice.objects.create(user=created, name="test", confirmed=True)
    return created


@dataclass
class World:
    """Two partnerships and one user per role, the usual cast of a permission test."""

    partnership: Partnership
    other_partnership: Partnership
    supported: Commune
    supporter: Commune
    outsider: Commune
    commitment: Commitment
    other_commitment: Commitment
    city: User
    leader: User
    admin: User
    officer: User  # of the supporting unit, which owns `commitment`
    supported_officer: User  # of the supported commune: a member, but owns nothing
    outsider_officer: User  # of a unit in another partnership
    current_period: ReportingPeriod  # the open quarter containing today, where new progress is filed

    @classmethod
    def build(cls) -> "World":
        supported = commune(name="Trà Tân", programme_role=Commune.ProgrammeRole.SUPPORTED, is_mountainous=True)
        supporter = commune(name="Hòa Cường", kind=Commune.Kind.WARD, programme_role=Commune.ProgrammeRole.SUPPORTING)
        outsider = commune(name="Sơn Trà", kind=Commune.Kind.WARD, programme_role=Commune.ProgrammeRole.SUPPORTING)
        main = partnership(supported=supported, supporters=[supporter])
        other = partnership(supporters=[outsider])
        return cls(
            partnership=main,
            other_partnership=other,
            supported=supported,
            supporter=supporter,
            outsider=outsider,
            commitment=commitment(partnership=main),
            other_commitment=commitment(partnership=other),
            city=user(Role.CITY_STAFF, username="city"),
            leader=user(Role.LEADERSHIP, username="leader"),
            admin=user(Role.ADMINISTRATOR, username="admin", is_staff=True, is_superuser=True),
            officer=user(Role.UNIT_OFFICER, commune=supporter, username="officer-supporter"),
            supported_officer=user(Role.UNIT_OFFICER, commune=supported, username="officer-supported"),
            outsider_officer=user(Role.UNIT_OFFICER, commune=outsider, username="officer-outsider"),
            current_period=current_period(),
        )
