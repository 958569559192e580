"""Organisations and users of every kind, each with a working password (TEST_PASSWORD)."""

import factory

from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User

TEST_PASSWORD = "pw-for-tests-1"  # every factory-made user's password, for sign-in tests


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.SME
    name = factory.Sequence(lambda n: f"Organisation {n}")
    address = factory.Sequence(lambda n: f"江苏省南通市崇川区工农路{n}号")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.SME_OWNER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class BankFactory(OrganisationFactory):
    kind = OrganisationKind.BANK
    name = factory.Sequence(lambda n: f"Bank {n}")


class BankOfficerFactory(UserFactory):
    organisation = factory.SubFactory(BankFactory)
    role = Role.BANK_OFFICER


class InsurerFactory(OrganisationFactory):
    kind = OrganisationKind.INSURER
    name = factory.Sequence(lambda n: f"Insurer {n}")


class GuarantorFactory(OrganisationFactory):
    kind = OrganisationKind.GUARANTOR
    name = factory.Sequence(lambda n: f"Guarantor {n}")


class PlatformFactory(OrganisationFactory):
    kind = OrganisationKind.PLATFORM
    name = factory.Sequence(lambda n: f"Platform {n}")


class PlatformAdminFactory(UserFactory):
    organisation = factory.SubFactory(PlatformFactory)
    role = Role.PLATFORM_ADMIN


class SuperuserFactory(UserFactory):
    organisation = None
    role = ""
    is_superuser = True
    is_staff = True


class CityOfficeFactory(OrganisationFactory):
    kind = OrganisationKind.CITY_OFFICE
    name = factory.Sequence(lambda n: f"City office {n}")


class CityAnalystFactory(UserFactory):
    organisation = factory.SubFactory(CityOfficeFactory)
    role = Role.ANALYST
