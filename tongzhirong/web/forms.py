"""Forms of the pages. They only shape and check input; every rule of the business is the services' (their
refusals come back onto these forms as field errors)."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from scoring.models import AppraisalMethod
from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.identifiers import IdentifierError, normalise_uscc
from tongzhirong.core.reference import District, RepaymentMethod, TechMarker
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.enterprises.services import EDITABLE_FIELDS, PROFILE_FIELDS
from tongzhirong.facts.models import AuthorisationScope
from tongzhirong.financing.models import DocumentKind, Registry, RejectReason
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.risksharing.models import DisposalRoute
from tongzhirong.subsidies.models import SubsidyPolicy
from tongzhirong.subsidies.services import POLICY_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})


class PercentField(forms.DecimalField):
    """A rate typed and shown as a percentage (3.3 means 3.3%), handed to the services as the fraction they
    store (0.033). A stored value (a Decimal: the initial value, or a disabled field's) is a fraction already."""

    def __init__(self, *, max_percent: int = 100, decimal_places: int = 4, **kwargs):
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any"}))
        super().__init__(min_value=0, max_value=max_percent, decimal_places=decimal_places, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return (value * 100).normalize() + 0
        return value

    def clean(self, value):
        if isinstance(value, Decimal):
            return value
        percent = super().clean(value)
        return None if percent is None else percent / 100


class EnterpriseForm(forms.ModelForm):
    """Creating, the whole profile as declared; afterwards only the editable fields are fields at all, so a
    posted verified value (credit history, tax grade, certifications...) is not even read."""

    class Meta:
        model = Enterprise
        fields = ("uscc", *PROFILE_FIELDS)
        widgets = {"founded_on": DATE}

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            for name in set(self.fields) - {"uscc", *EDITABLE_FIELDS}:
                del self.fields[name]
        self.fields["uscc"].widget.attrs.update(
            {"hx-post": "check-uscc/", "hx-trigger": "keyup changed delay:300ms", "hx-target": "#uscc-check"}
        )
        if not creating:
            self.fields["uscc"].disabled = True

    def clean_uscc(self):
        if self.fields["uscc"].disabled:
            return self.initial.get("uscc")
        try:
            return normalise_uscc(self.cleaned_data["uscc"])
        except IdentifierError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def _post_clean(self):
        """Model validation is the service's job (it reports through ``attempt``)."""


ASSET_FIELDS = (
    "ip_type",
    "identifier",
    "title",
    "filing_date",
    "grant_date",
    "expiry_date",
    "legal_status",
    "annual_fee_paid_through",
    "claims_count",
    "forward_citations",
    "family_size",
    "licence_count",
    "licence_revenue",
    # What the valuation scores beyond the above (technical scope, prior art, reach abroad).
    "ipc_classes",
    "backward_citations",
    "overseas_family_members",
    # Marks and copyrights: what their valuation reads (classes, renewals, use, recognition).
    "nice_classes",
    "renewals",
    "use_revenue",
    "well_known",
)


class IPCClassesField(forms.CharField):
    """IPC classes typed as people copy them from the register: "H01L 21/02; G06F 17/30", one per line or
    separated by semicolons or commas (an IPC code never holds either), stored as the list the asset keeps."""

    def prepare_value(self, value):
        return "; ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [code.strip() for code in re.split(r"[;,；，\n]+", text) if code.strip()]


class NiceClassesField(forms.CharField):
    """Nice classes typed as a list of numbers: "3; 25; 35" (or commas, or one per line), kept as integers."""

    def prepare_value(self, value):
        return "; ".join(str(c) for c in value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        parts = [part.strip() for part in re.split(r"[;,；，\s]+", text) if part.strip()]
        if not all(part.isdigit() and 1 <= int(part) <= 45 for part in parts):
            raise forms.ValidationError(_("Nice classes are numbers from 1 to 45."))
        return sorted({int(part) for part in parts})


class AssetForm(forms.ModelForm):
    nice_classes = NiceClassesField(
        required=False,
        max_length=200,
        label=_("Nice classes"),
        help_text=_("Trademarks: the classes of the registration, e.g. 3; 25; 35."),
    )
    ipc_classes = IPCClassesField(
        required=False,
        max_length=1000,
        label=_("IPC classes"),
        help_text=_("Patents: as on the register, separated by semicolons, e.g. H01L 21/02; G06F 17/30."),
    )

    # Counts a firm may not know: left empty they are none.
    OPTIONAL_COUNTS = ("backward_citations", "overseas_family_members", "renewals", "use_revenue")

    class Meta:
        model = IPAsset
        fields = ASSET_FIELDS
        widgets = dict.fromkeys(("filing_date", "grant_date", "expiry_date", "annual_fee_paid_through"), DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.OPTIONAL_COUNTS:
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        for name in self.OPTIONAL_COUNTS:
            if data.get(name) is None and name not in self.errors:
                data[name] = 0
        return data

    def _post_clean(self):
        """The register service validates the whole asset (identifier check digits, dates, uniqueness)."""


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))


class MatchForm(forms.Form):
    assets = forms.ModelMultipleChoiceField(
        queryset=IPAsset.objects.none(), widget=forms.CheckboxSelectMultiple, label=_("IP assets")
    )
    amount = forms.DecimalField(
        label=_("Amount wanted (yuan)"), min_value=1, required=False, max_digits=16, decimal_places=2
    )
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=120, initial=12)

    def __init__(self, *args, assets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assets"].queryset = assets


class ApplyForm(MatchForm):
    product = forms.ModelChoiceField(queryset=None, label=_("Product"))
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=1, max_digits=16, decimal_places=2)
    repayment_method = forms.ChoiceField(choices=RepaymentMethod.choices, label=_("Repayment method"))
    purpose = forms.CharField(max_length=300, required=False, label=_("Purpose"))
    insurance_product = forms.ModelChoiceField(
        queryset=InsuranceProduct.objects.filter(is_active=True), required=False, label=_("IP insurance")
    )
    guarantee_product = forms.ModelChoiceField(
        queryset=GuaranteeProduct.objects.filter(is_active=True), required=False, label=_("Guarantee")
    )

    def __init__(self, *args, assets, products, **kwargs):
        super().__init__(*args, assets=assets, **kwargs)
        self.fields["product"].queryset = products


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Comment"))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices, label=_("Kind"))
    file = forms.FileField(label=_("PDF, PNG or JPEG"))


class FeeReceiptForm(forms.Form):
    paid_through = forms.DateField(
        label=_("Annual fee paid through"),
        widget=DATE,
        help_text=_("The day the office's receipt says the fee is paid through."),
    )
    file = forms.FileField(
        label=_("The receipt (PDF, PNG or JPEG)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


class FeeReceiptRejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label=_("Why the receipt is rejected"),
        help_text=_("The enterprise reads it and uploads a correct receipt."),
    )


class RiskModelTrainingForm(forms.Form):
    file = forms.FileField(
        label=_("The bank's loans (CSV or XLSX)"),
        help_text=_(
            "Oldest first, one loan a row: the platform's risk feature columns and the outcome column; "
            "at most 5 MB and 5,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    target = forms.CharField(max_length=100, label=_("Outcome column"), initial="status")
    bad = forms.CharField(max_length=100, label=_("Value that marks a default"), initial="bad")
    kind = forms.ChoiceField(
        label=_("Model"),
        choices=(("scorecard", _("Scorecard (readable points)")), ("gbm", _("Gradient boosting"))),
        initial="scorecard",
    )


class ApproveForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=1, max_digits=16, decimal_places=2)
    rate = PercentField(label=_("Annual rate (%)"))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=120)
    comment = forms.CharField(
        max_length=2000,
        required=False,
        label=_("Conditions of the offer"),
        help_text=_("The applicant reads them and the pledge contract carries them."),
    )
    internal_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        label=_("Internal note"),
        help_text=_("For the bank only: the applicant never sees it."),
    )


class EngageAppraiserForm(forms.Form):
    appraiser = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Appraisal firm"))

    def __init__(self, *args, firms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appraiser"].queryset = firms


class AppraisalFileForm(forms.Form):
    value = forms.DecimalField(label=_("Appraised value (yuan)"), min_value=1, max_digits=16, decimal_places=2)
    method = forms.ChoiceField(choices=AppraisalMethod.choices, label=_("Method"))
    fee = forms.DecimalField(label=_("Fee (yuan)"), min_value=0, max_digits=16, decimal_places=2)
    report = forms.FileField(label=_("Signed report (PDF)"))


class InsuranceTermsForm(forms.Form):
    premium_rate = PercentField(label=_("Premium rate per year (%)"))
    coverage_ratio = PercentField(decimal_places=2, label=_("Share of the loss covered (%)"))
    coverage_cap = forms.DecimalField(
        label=_("Cover cap per loan (yuan)"), min_value=0, max_digits=16, decimal_places=2
    )


class GuaranteeTermsForm(forms.Form):
    fee_rate = PercentField(label=_("Guarantee fee per year (%)"))
    coverage_ratio = PercentField(decimal_places=2, label=_("Share of the loss covered (%)"))


class CoverAcceptForm(forms.Form):
    """An underwriter's acceptance: the conditions, and the terms (the product's filled in, changed where the
    underwriter prices this loan otherwise)."""

    conditions = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Conditions of cover"),
        help_text=_("What the bank must meet, e.g. quarterly financial statements."),
    )
    rate = PercentField(label=_("Premium or fee per year (%)"))
    coverage_ratio = PercentField(decimal_places=2, label=_("Share of the loss covered (%)"))
    coverage_cap = forms.DecimalField(
        required=False, label=_("Cover cap (yuan)"), min_value=0, max_digits=16, decimal_places=2
    )

    def __init__(self, *args, guarantee: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A guarantor guarantees and compensates (担保, 代偿); it does not underwrite (承保) or pay (赔付).
        if guarantee:
            self.fields["conditions"].label = _("Conditions of the guarantee")
            self.fields["rate"].label = _("Guarantee fee per year (%)")
            self.fields["coverage_cap"].label = _("Compensation cap (yuan)")


class CoverDeclineForm(forms.Form):
    reason = forms.CharField(max_length=2000, label=_("Reason for declining"))

    def __init__(self, *args, guarantee: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if guarantee:
            self.fields["reason"].label = _("Reason for declining the guarantee")


def cover_product_form(kind: str, *, named: bool):
    """The form of an insurer's or a guarantor's terms; ``named`` for posting a product (a revision keeps its name)."""
    terms = InsuranceTermsForm if kind == OrganisationKind.INSURER else GuaranteeTermsForm
    if not named:
        return terms
    return type(f"Named{terms.__name__}", (terms,), {"name": forms.CharField(max_length=120, label=_("Product name"))})


class RejectForm(forms.Form):
    reason_code = forms.ChoiceField(choices=RejectReason.choices, label=_("Reason"))
    comment = forms.CharField(max_length=2000, required=False, label=_("Comment"))


class RegistryField(forms.ChoiceField):
    """The registry a filing's form concerns (a mixed portfolio has one filing per registry); empty: the only one."""

    def __init__(self, **kwargs):
        super().__init__(choices=[("", ""), *Registry.choices], required=False, widget=forms.HiddenInput, **kwargs)

    def clean(self, value):
        return super().clean(value) or None


class RegistrationForm(forms.Form):
    registry = RegistryField()
    registration_number = forms.CharField(max_length=40, label=_("Registration number"))
    registered_on = forms.DateField(widget=DATE, label=_("Registered on"))


class SignForm(forms.Form):
    sha256 = forms.RegexField(r"^[0-9a-fA-F]{64}$", widget=forms.HiddenInput)


class DisburseForm(forms.Form):
    contract_number = forms.CharField(max_length=40, label=_("Loan contract number"))


class RepaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=16, decimal_places=2)
    reference = forms.CharField(max_length=60, required=False, label=_("Bank reference"))


class RepaymentReverseForm(forms.Form):
    """A reversal asks for the reason and an explicit confirmation: it cannot be taken back itself. One form per
    repayment on the page, told apart by its prefix (``reverse-<id>``)."""

    reason = forms.CharField(max_length=200, label=_("Reason for the reversal"))
    confirm = forms.BooleanField(
        label=_("I confirm the reversal: a reversing entry is recorded and cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the reversal.")},
    )


class ReleaseForm(forms.Form):
    registry = RegistryField()
    released_on = forms.DateField(widget=DATE, label=_("Released on"))


class SubsidyQuoteForm(forms.Form):
    """The policy and year whose quote the subsidies page shows."""

    policy = forms.ModelChoiceField(
        queryset=None, label=_("Policy"), error_messages={"invalid_choice": _("No such policy.")}
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = policies


APPRAISAL_FEE = forms.DecimalField(min_value=Decimal("0.01"), max_digits=16, decimal_places=2)


class SubsidyClaimForm(SubsidyQuoteForm):
    """A claim under the policy and year quoted: the loans ticked (the caller's own, refused in the API's words
    otherwise) and, for an appraisal-fee policy, the fee paid for each, posted as ``fee-<loan id>``."""

    loans = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label=_("Loans"),
        error_messages={
            "required": _("Name at least one loan."),
            "invalid_choice": _("Claim only for your own loans."),
        },
    )

    def __init__(self, *args, loans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loans"].queryset = loans

    def clean(self):
        data = super().clean()
        fees = {}
        for loan in data.get("loans", ()):
            typed = self.data.get(f"fee-{loan.pk}", "").strip()
            if not typed:
                continue  # the policy says whether a fee is needed: the claim is refused with the reason
            try:
                fees[loan.pk] = APPRAISAL_FEE.clean(typed)
            except forms.ValidationError as exc:
                for problem in exc.messages:
                    self.add_error(
                        None,
                        _("Appraisal fee of %(contract)s: %(problem)s")
                        % {"contract": loan.contract_number, "problem": problem},
                    )
        data["appraisal_fees"] = fees
        return data


class SubsidyDecisionForm(forms.Form):
    # Required for a rejection: the service says so in its own words, as the API does.
    reason = forms.CharField(max_length=2000, required=False, label=_("Reason"))


class SubsidyPaymentForm(forms.Form):
    paid_on = forms.DateField(widget=DATE, label=_("Paid on"))
    reference = forms.CharField(max_length=60, label=_("Payment reference"))


# --- The bank's disposal of a pledged asset ---------------------------------------------------------------


def _money(label, *, required: bool = True, minimum: Decimal = Decimal("0.01"), help_text: str = ""):
    return forms.DecimalField(
        label=label, min_value=minimum, max_digits=16, decimal_places=2, required=required, help_text=help_text
    )


def _costs():
    return _money(_("Costs (yuan)"), required=False, minimum=Decimal(0), help_text=_("Blank: none."))


ONE_STEP_ROUTES = (DisposalRoute.AGREED_TRANSFER, DisposalRoute.EXCHANGE_LISTING, DisposalRoute.EQUITY_SWAP)
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CostsForm(forms.Form):
    """Costs left blank are none."""

    def clean_costs(self):
        return self.cleaned_data.get("costs") or Decimal(0)


class DirectSaleForm(CostsForm):
    route = forms.ChoiceField(choices=[(r.value, r.label) for r in ONE_STEP_ROUTES], label=_("Route"))
    counterparty = forms.CharField(max_length=200, label=_("Buyer or company"))
    price = _money(_("Price (yuan)"), help_text=_("For an equity swap, the value at which the shares are taken."))
    costs = _costs()
    received_on = forms.DateField(widget=DATE, required=False, label=_("Received on"), help_text=_("Blank: today."))


class AuctionForm(forms.Form):
    opens_at = forms.DateTimeField(widget=DATETIME, label=_("Opens at"))
    closes_at = forms.DateTimeField(widget=DATETIME, label=_("Closes at"))
    reserve_price = _money(
        _("Reserve price (yuan)"), required=False, help_text=_("Blank: the realisable value of the asset's valuation.")
    )


class AuctionCloseForm(CostsForm):
    costs = _costs()


ROYALTY_DATE, ROYALTY_AMOUNT = forms.DateField(), _money("")


class LicenceForm(forms.Form):
    licensee = forms.CharField(max_length=200, label=_("Licensee"))
    royalties = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2027-06-30 120000.00"}),
        label=_("Royalty schedule"),
        help_text=_("One royalty per line: the due date and the amount in yuan."),
    )

    def clean_royalties(self):
        """``[{"due_on", "amount"}]`` from the lines typed; every line that is not a date and an amount is named."""
        schedule, problems = [], []
        for number, line in enumerate(self.cleaned_data["royalties"].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                due_on, amount = line.split()
                schedule.append({"due_on": ROYALTY_DATE.clean(due_on), "amount": ROYALTY_AMOUNT.clean(amount)})
            except (ValueError, forms.ValidationError):
                problems.append(
                    _("Line %(number)s is not a date and an amount: %(line)s") % {"number": number, "line": line}
                )
        if problems:
            raise forms.ValidationError(problems)
        return schedule


class RoyaltyForm(CostsForm):
    amount = _money(_("Royalty received (yuan)"))
    costs = _costs()
    received_on = forms.DateField(widget=DATE, required=False, label=_("Received on"), help_text=_("Blank: today."))


class BidForm(forms.Form):
    amount = _money(_("Your bid (yuan)"))


# --- The city office's subsidy policies ---------------------------------------------------------------


class SubsidyPolicyForm(forms.ModelForm):
    """A policy's terms as the city office types them; the service checks the rules (kind and basis, LPR,
    year range) and, once firms have claimed, keeps the terms they claimed under (those fields show disabled)."""

    eligible_districts = forms.MultipleChoiceField(
        choices=District.choices, required=False, widget=forms.CheckboxSelectMultiple, label=_("Eligible districts")
    )
    required_tech_markers = forms.MultipleChoiceField(
        choices=TechMarker.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Tech markers, any of"),
    )
    lpr_rate = PercentField(required=False, label=_("One-year LPR (%)"))
    share = PercentField(decimal_places=2, label=_("Share (%)"))
    covered_share = PercentField(decimal_places=2, required=False, label=_("Share when insured or guaranteed (%)"))
    loan_cap_rate = PercentField(decimal_places=2, required=False, label=_("Cap per loan (share of principal, %)"))

    class Meta:
        model = SubsidyPolicy
        fields = tuple(f.name for f in SubsidyPolicy._meta.concrete_fields if f.name in POLICY_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, locked: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            if name in locked:
                self.fields[name].disabled = True

    def _post_clean(self):
        """Model validation is the service's job (it reports through ``attempt``)."""


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the source is wrong"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CreditAuthorisationForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("Bank"), queryset=Organisation.objects.filter(kind=OrganisationKind.BANK))
    scope = forms.ChoiceField(label=_("Scope"), choices=AuthorisationScope.choices)
    expires_on = forms.DateField(label=_("Expires on"), widget=DATE)
