"""A small programme for report tests: the World, two fields of commitments and verified progress in 2025-Q4.

Progress is filed and reviewed through commitments.services, as the portal does it. Dates lie in 2025
(quarter IV: 15/09–14/12/2025), so the figures do not depend on the day the tests run.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from commitments.models import Commitment, Field, ProgressUpdate, ReportingPeriod
from commitments.services import submit_progress, verify_progress
from communes.models import Commune
from partnerships.models import Activity, Partnership, StatusChange
from tests import factories
from tests.factories import World


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


@dataclass
class Programme:
    world: World
    q3: ReportingPeriod
    q4: ReportingPeriod
    housing: Field
    health: Field
    house: Commitment  # main partnership, owned by the supporter: 1 of 2 houses verified in Q4
    clinic: Commitment  # other partnership, overdue since 30/11/2025, nothing reported
    pending: ProgressUpdate  # submitted in Q4, not yet verified
    unpaired_supported: Commune
    unknown_unit: Commune

    @classmethod
    def build(cls) -> "Programme":
        world = World.build()
        q3 = factories.period(2025, 3)
        q4 = factories.period(2025, 4)
        housing = factories.field(name="Nhà ở (nhà tình nghĩa, nhà đại đoàn kết)", code="housing", order=1)
        health = factories.field(name="Y tế", code="health", order=2)
        house = factories.commitment(
            partnership=world.partnership,
            field=housing,
            title="Xây dựng nhà đại đoàn kết cho hộ nghèo Trà Tân",
            target_quantity=Decimal(2),
            target_unit="căn nhà",
            target_value_vnd=160_000_000,
            due_on=datetime.date(2026, 6, 30),
        )
        clinic = factories.commitment(
            partnership=world.other_partnership,
            field=health,
            title="Khám bệnh, cấp thuốc miễn phí",
            target_quantity=Decimal(500),
            target_unit="lượt khám",
            target_value_vnd=80_000_000,
            due_on=datetime.date(2025, 11, 30),
        )
        world.commitment.field = housing
        world.commitment.save(update_fields=["field"])
        world.other_commitment.field = health
        world.other_commitment.save(update_fields=["field"])
        reviewer = world.city
        done = submit_progress(
            commitment=house,
            author=world.officer,
            narrative="Bàn giao căn nhà thứ nhất",
            achieved_quantity=Decimal(1),
            achieved_value_vnd=80_000_000,
            at=at(datetime.date(2025, 10, 20)),
        )
        verify_progress(update=done, reviewer=reviewer, at=at(datetime.date(2025, 10, 22)))
        earlier = submit_progress(
            commitment=world.commitment,
            author=world.officer,
            narrative="Khởi công",
            achieved_quantity=Decimal("0.5"),
            at=at(datetime.date(2025, 9, 1)),
        )
        verify_progress(update=earlier, reviewer=reviewer, at=at(datetime.date(2025, 9, 2)))
        pending = submit_progress(
            commitment=world.commitment,
            author=world.officer,
            narrative="Hoàn thiện phần thô",
            achieved_quantity=Decimal("0.5"),
            at=at(datetime.date(2025, 11, 5)),
        )
        factories.activity(partnership=world.partnership, occurred_on=datetime.date(2025, 10, 1), value_vnd=50_000_000)
        factories.activity(
            partnership=world.partnership,
            kind=Activity.Kind.DELEGATION,
            occurred_on=datetime.date(2025, 11, 12),
            value_vnd=None,
            participant_count=12,
        )
        factories.activity(partnership=world.other_partnership, occurred_on=datetime.date(2025, 8, 1))
        unpaired_supported = factories.commune(
            name="Đắc Pring", programme_role=Commune.ProgrammeRole.SUPPORTED, former_district="Nam Giang"
        )
        unknown_unit = factories.commune(name="Hòa Tiến", former_district="Hòa Vang")
        # Assigned (by Công văn 389, 25/8/2025), not signed: its members do not count as paired.
        assigned = factories.partnership(
            supported=unpaired_supported,
            supporters=[
                factories.commune(
                    name="Hải Châu",
                    kind=Commune.Kind.WARD,
                    former_district="Hải Châu",
                    programme_role=Commune.ProgrammeRole.SUPPORTING,
                )
            ],
            status=Partnership.Status.ASSIGNED,
            signed_on=None,
        )
        StatusChange.objects.filter(partnership=assigned).update(effective_on=datetime.date(2025, 8, 25))
        return cls(
            world=world,
            q3=q3,
            q4=q4,
            housing=housing,
            health=health,
            house=house,
            clinic=clinic,
            pending=pending,
            unpaired_supported=unpaired_supported,
            unknown_unit=unknown_unit,
        )


def city_programme(partnerships: int = 1) -> World:
    """The World and ``partnerships`` more partnerships, each with one commitment due in quarter IV/2025."""
    world = World.build()
    for _ in range(partnerships):
        partnership = factories.partnership()
        factories.commitment(partnership=partnership, due_on=datetime.date(2025, 10, 1))
    return world
