import factory

from accounts.tests.factories import UserFactory
from teams.models import Membership, Team


class TeamFactory(factory.django.DjangoModelFactory):
    """A team row with its admin (``admin``: a user, made if not given)."""

    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Crew {n}")
    billing_email = factory.Sequence(lambda n: f"billing{n}@crew.test")

    @factory.post_generation
    def admin(obj, create, extracted, **kwargs):
        if create:
            Membership.objects.create(
                team=obj, user=extracted or UserFactory(), role=Membership.Role.ADMIN
            )


def add_member(team: Team, user=None) -> Membership:
    return Membership.objects.create(team=team, user=user or UserFactory())
