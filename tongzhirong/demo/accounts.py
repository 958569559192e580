"""The demo world's institutions (banks, insurer, guarantor, appraiser, city office, platform) and their
people, one demo account per role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password

from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
from tongzhirong.accounts.services import organisation_create, user_create
from tongzhirong.core.money import wan
from tongzhirong.core.reference import District

from .reference import (
    APPRAISER,
    BANKS,
    CITY_DIVISION,
    CITY_OFFICE,
    DEMO_BANK,
    GUARANTOR,
    INSURER,
    LAUNCH,
    PLATFORM,
)
from .world import DemoWorld


def seed_institutions(world: DemoWorld) -> None:
    password = settings.DEMO_PASSWORD
    for code, name, short, threshold in BANKS:
        bank = organisation_create(
            kind=OrganisationKind.BANK,
            name=name,
            short_name=short,
            uscc=world.uscc(prefix="91", division=CITY_DIVISION, modern=False),
            maker_checker_threshold=wan(threshold),
            address=world.address(District.CHONGCHUAN, name),
        )
        world.banks[code] = bank
        world.bank_code[bank.pk] = code
        world.stamp(bank, created_at=world.at(LAUNCH))
        if code == DEMO_BANK:
            officer = user_create(
                username="demo-bank-officer",
                password=password,
                organisation=bank,
                role=Role.BANK_OFFICER,
                **world.person(),
            )
            checker = user_create(
                username="demo-bank-checker",
                password=password,
                organisation=bank,
                role=Role.BANK_CHECKER,
                **world.person(),
            )
        else:
            officer = staff(world, bank, f"{code.lower()}-officer", Role.BANK_OFFICER)
            checker = staff(world, bank, f"{code.lower()}-checker", Role.BANK_CHECKER)
        world.officers[bank.pk], world.checkers[bank.pk] = officer, checker

    others = (
        (OrganisationKind.INSURER, INSURER, "91", "demo-insurer", Role.UNDERWRITER, {}),
        (OrganisationKind.GUARANTOR, GUARANTOR, "91", "demo-guarantor", Role.UNDERWRITER, {}),
        (OrganisationKind.APPRAISER, APPRAISER, "91", "demo-appraiser", Role.APPRAISER, {}),
        (OrganisationKind.CITY_OFFICE, CITY_OFFICE, "11", "demo-city", Role.ANALYST, {}),
        (
            OrganisationKind.PLATFORM,
            PLATFORM,
            "91",
            "demo-admin",
            Role.PLATFORM_ADMIN,
            {"is_staff": True, "is_superuser": True},
        ),
    )
    for kind, (name, short), prefix, username, role, flags in others:
        org = organisation_create(
            kind=kind,
            name=name,
            short_name=short,
            uscc=world.uscc(prefix=prefix, division=CITY_DIVISION, modern=kind == OrganisationKind.PLATFORM),
            address=world.address(District.CHONGCHUAN, name),
        )
        world.stamp(org, created_at=world.at(LAUNCH))
        user_create(username=username, password=password, organisation=org, role=role, **flags, **world.person())
        if kind == OrganisationKind.INSURER:
            world.insurer = org
        elif kind == OrganisationKind.GUARANTOR:
            world.guarantor = org


def staff(world: DemoWorld, organisation: Organisation, username: str, role: str) -> User:
    """A person who never logs in to the demo: no usable password, no hashing cost."""
    user = User(username=username, organisation=organisation, role=role, password=make_password(None), **world.person())
    user.save()
    return user
