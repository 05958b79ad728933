import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Faker("name")
    # Not Faker: a random company could match a search term a test relies on.
    company = factory.Sequence(lambda n: f"Team {n} Labs")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class HostFactory(UserFactory):
    is_host = True
    is_staff = True


# A superuser flag that is not an operator (``User.is_operator``): every operator-only rule
# refuses both. ``parametrize("flags", NOT_OPERATORS.values(), ids=list(NOT_OPERATORS))``.
NOT_OPERATORS = {
    "deactivated-operator": {"is_superuser": True, "is_staff": True, "is_active": False},
    "superuser-flag-without-staff": {"is_superuser": True, "is_staff": False},
}
