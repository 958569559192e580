from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models import F
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from tongzhirong.core.models import TimeStampedModel


class OrganisationKind(models.TextChoices):
    SME = "sme", _("SME 企业")
    BANK = "bank", _("Bank 银行")
    INSURER = "insurer", _("Insurer 保险机构")
    GUARANTOR = "guarantor", _("Guarantor 担保机构")
    APPRAISER = "appraiser", _("Appraiser 评估机构")
    CITY_OFFICE = "city_office", _("City office 市级主管部门")
    PLATFORM = "platform", _("Platform 平台运营")


class Role(models.TextChoices):
    SME_OWNER = "sme_owner", _("SME owner 企业负责人")
    SME_STAFF = "sme_staff", _("SME staff 企业经办人")
    BANK_OFFICER = "bank_officer", _("Bank officer 客户经理")
    BANK_CHECKER = "bank_checker", _("Bank checker 审批复核")
    BANK_MANAGER = "bank_manager", _("Bank manager 银行管理员")
    UNDERWRITER = "underwriter", _("Underwriter 核保/担保审查")
    APPRAISER = "appraiser", _("Appraiser 评估师")
    ANALYST = "analyst", _("Analyst 分析员")
    PLATFORM_ADMIN = "platform_admin", _("Platform admin 平台管理员")


# An enterprise's people and a bank's: the services check an actor's role against these.
SME_ROLES = frozenset({Role.SME_OWNER, Role.SME_STAFF})
BANK_ROLES = frozenset({Role.BANK_OFFICER, Role.BANK_CHECKER, Role.BANK_MANAGER})
# Who may confirm terms a maker proposed above the bank's threshold (never the maker).
CHECKER_ROLES = frozenset({Role.BANK_CHECKER, Role.BANK_MANAGER})

# Which roles a person may hold in which kind of organisation.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.SME: SME_ROLES,
    OrganisationKind.BANK: BANK_ROLES,
    OrganisationKind.INSURER: frozenset({Role.UNDERWRITER}),
    OrganisationKind.GUARANTOR: frozenset({Role.UNDERWRITER}),
    OrganisationKind.APPRAISER: frozenset({Role.APPRAISER}),
    OrganisationKind.CITY_OFFICE: frozenset({Role.ANALYST}),
    OrganisationKind.PLATFORM: frozenset({Role.PLATFORM_ADMIN, Role.ANALYST}),
}


class Organisation(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        help_text=_("GB 32100-2015, 18 characters with a check character."),
    )
    # The registered address: a pledge contract must name both parties' addresses (BRIEF §4).
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Maker-checker threshold for banks: approvals above it need a second person (yuan).
    maker_checker_threshold = models.DecimalField(
        _("maker-checker threshold (yuan)"), max_digits=16, decimal_places=2, default=5_000_000
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(maker_checker_threshold__gte=0), name="organisation_threshold_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


# Changing any of these ends every sign-in the person holds (API tokens and browser sessions): what they could do
# when they signed in is no longer what they may do, or someone else may know their password.
SIGN_IN_FIELDS = ("password", "is_active", "role", "organisation_id", "is_staff", "is_superuser")


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Every API token carries the epoch it was issued in and every session hashes it (get_session_auth_hash):
    # moving it on revokes them all at once, with no per-token bookkeeping and no query beyond loading the user,
    # which authentication does anyway. It only ever moves forward, in the database (see save()).
    auth_epoch = models.PositiveIntegerField(
        _("sign-in epoch"),
        default=0,
        editable=False,
        help_text=_("Raised when the password, role, organisation or active flag changes; ends every sign-in."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=[*Role.values, ""]), name="user_role_valid"),
            # A person with a role belongs to an organisation; only bare superusers may have neither.
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(organisation__isnull=False),
                name="user_role_needs_organisation",
            ),
        ]

    def get_full_name(self) -> str:
        """Chinese names as they are written, family name first and unspaced (缪磊, not Django's "磊 缪"); others
        given name first."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if any("\u3400" <= ch <= "\u9fff" for ch in first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()

    @property
    def kind(self) -> str | None:
        return self.organisation.kind if self.organisation_id else None

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._signed_in_as = user._sign_in_state()
        return user

    def _sign_in_state(self) -> dict:
        # Only what was loaded: reading a deferred field here would cost a query per user.
        return {name: self.__dict__[name] for name in SIGN_IN_FIELDS if name in self.__dict__}

    def _sign_in_changed(self) -> bool:
        before = getattr(self, "_signed_in_as", None)
        if before is None or getattr(self, "_rehashing_password", False):
            return False
        now = self._sign_in_state()
        # A field loaded only after the instance was (deferred) counts as changed: revoking once too often is safe.
        return any(name not in before or before[name] != value for name, value in now.items())

    def save(self, *args, **kwargs):
        if self._state.adding:
            super().save(*args, **kwargs)
            self._signed_in_as = self._sign_in_state()
            return
        # The epoch is never written from memory: a copy loaded before a revocation and saved after it would
        # otherwise set the epoch back and revive the revoked tokens.
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            deferred = self.get_deferred_fields()
            update_fields = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.attname not in deferred
            ]
        kwargs["update_fields"] = [name for name in update_fields if name != "auth_epoch"]
        revoke = self._sign_in_changed()
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if revoke:
                type(self)._base_manager.filter(pk=self.pk).update(auth_epoch=F("auth_epoch") + 1)
                self.refresh_from_db(fields=["auth_epoch"])
        self._signed_in_as = self._sign_in_state()

    def check_password(self, raw_password):
        # Django re-hashes a stored password under a newer hasher when it is checked; that is not a change.
        self._rehashing_password = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing_password = False

    async def acheck_password(self, raw_password):
        self._rehashing_password = True
        try:
            return await super().acheck_password(raw_password)
        finally:
            self._rehashing_password = False

    def get_session_auth_hash(self):
        """Django's HMAC of the password hash, with the epoch: a session ends with a role change or
        deactivation too, not only with a new password."""
        return self._session_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def _session_auth_hash(self, *, secret):
        key_salt = "tongzhirong.accounts.models.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.auth_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()
