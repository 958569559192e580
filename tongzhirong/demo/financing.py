"""Applications in every status, loans with schedules and repayments (a few overdue, a couple defaulted),
through the domain services."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.db.models import prefetch_related_objects
from django.utils import timezone

from tongzhirong.accounts.models import Role, User
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.money import WAN, to_rate, wan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS, PATENT_TYPES, RepaymentMethod
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.eligibility import asset_reasons, pledge_facts
from tongzhirong.financing.filing import filing_package_sign, filing_packages_generate
from tongzhirong.financing.models import (
    REGISTRY_OF_TYPE,
    Application,
    Loan,
    PledgeRegistration,
    RejectReason,
)
from tongzhirong.financing.models import ApplicationStatus as S
from tongzhirong.financing.schedule import add_months
from tongzhirong.financing.services import (
    application_accept_offer,
    application_create,
    application_request_info,
    application_respond,
    application_start_review,
    pledge_registration_file,
    pledge_registration_record,
    repayment_record,
)
from tongzhirong.lending.applications import (
    application_approve,
    application_confirm_approval,
    application_decline_offer,
    application_reject,
    application_submit,
    application_withdraw,
)
from tongzhirong.lending.endings import application_expire
from tongzhirong.lending.loans import loan_disburse, loans_refresh_delinquency
from tongzhirong.products.models import LoanProduct
from tongzhirong.risksharing.models import CoverRequest, CoverRequestStatus
from tongzhirong.risksharing.services import cover_request_accept

from .facts import overdue_reported
from .reference import (
    APPLICATION_MIX,
    APPROVAL,
    BANK_WEIGHTS,
    CHECKER_APPROVAL,
    COVER_CONDITION,
    DECLINE_REASON,
    DEMO_BANK,
    EXPIRY_REASON,
    FAILED,
    FIRST_DISBURSEMENT,
    GAP_DAYS,
    INFO_REQUEST,
    MAX_PORTFOLIO,
    PURPOSES,
    REJECTIONS,
    REPLY_COMMENT,
    REPLY_GAP_DAYS,
    TERMS,
    TROUBLED_LOANS,
    WITHDRAW_REASON,
)
from .world import DemoWorld


@dataclass
class _Plan:
    """One application of the world: where it ends and when each move happens."""

    final: str
    path: list[str]
    times: list[datetime]  # created, then one per move
    fate: str = "performing"  # disbursed loans: performing, overdue or defaulted
    demo: bool = False
    bank: str | None = None
    term: int | None = None
    enterprise: Enterprise | None = None
    requested: Decimal = Decimal("0")
    approved: Decimal = Decimal("0")
    product: LoanProduct | None = None
    assets: list[IPAsset] = field(default_factory=list)


def seed_applications(world: DemoWorld) -> None:
    plans = plan_applications(world)
    plans.sort(key=lambda p: p.times[0])
    for plan in plans:
        place_plan(world, plan)
        run_plan(world, plan)
    loans_refresh_delinquency(as_of=world.as_of)


def plan_applications(world: DemoWorld) -> list[_Plan]:
    plans = [
        # The demo SME: a loan repaid, a loan running, one application under review and one draft.
        make_plan(world, S.DISBURSED, demo=True, bank=DEMO_BANK, term=12, end=world.days_ago(600, 640)),
        make_plan(world, S.DISBURSED, demo=True, bank=DEMO_BANK, term=24, end=world.days_ago(150, 180)),
        make_plan(world, S.UNDER_REVIEW, demo=True, bank=DEMO_BANK),
        make_plan(world, S.DRAFT, demo=True),
    ]
    for final, count in APPLICATION_MIX:
        for n in range(count):
            if final == S.DISBURSED and n < len(TROUBLED_LOANS):
                fate, bank = TROUBLED_LOANS[n]
                lo, hi = (200, 420) if fate == "overdue" else (260, 480)
                plans.append(make_plan(world, final, fate=fate, bank=bank, term=36, end=world.days_ago(lo, hi)))
            else:
                plans.append(make_plan(world, final))
    return plans


def make_plan(
    world: DemoWorld,
    final: str,
    *,
    demo: bool = False,
    bank: str | None = None,
    term: int | None = None,
    fate: str = "performing",
    end: date | None = None,
) -> _Plan:
    path = path_to(world, final)
    if end is not None:
        end_at = world.at(end)
    elif final == S.DISBURSED:
        span = (world.as_of - timedelta(days=10) - FIRST_DISBURSEMENT).days
        end_at = world.at(FIRST_DISBURSEMENT + timedelta(days=int(span * world.rng.random() ** 0.75)))
    elif final in FAILED:
        span = (world.as_of - timedelta(days=5) - FIRST_DISBURSEMENT).days
        end_at = world.at(FIRST_DISBURSEMENT + timedelta(days=int(span * world.rng.random() ** 0.8)))
    else:  # still in the pipeline: the last move was recent
        end_at = world.at(world.days_ago(1, 18))
    times = [end_at]
    for previous, move in zip(reversed([None, *path][: len(path)]), reversed(path), strict=True):
        lo, hi = REPLY_GAP_DAYS if (previous, move) == (S.INFO_REQUESTED, S.UNDER_REVIEW) else GAP_DAYS[move]
        step = timedelta(days=world.rng.randint(lo, hi), minutes=world.rng.randint(20, 300))
        times.insert(0, times[0] - step)
    return _Plan(final=final, path=path, times=times, fate=fate, demo=demo, bank=bank, term=term)


def path_to(world: DemoWorld, final: str) -> list[str]:
    rng = world.rng
    review = [S.SUBMITTED, S.UNDER_REVIEW]
    if rng.random() < 0.3:
        review += [S.INFO_REQUESTED, S.UNDER_REVIEW]
    offer = [*review, S.APPROVED, S.OFFER_ACCEPTED]
    paths = {
        S.DRAFT: [],
        S.SUBMITTED: [S.SUBMITTED],
        S.UNDER_REVIEW: review,
        S.INFO_REQUESTED: [S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED],
        S.APPROVED: [*review, S.APPROVED],
        S.OFFER_ACCEPTED: offer,
        S.PLEDGE_REGISTRATION: [*offer, S.PLEDGE_REGISTRATION],
        S.REGISTERED: [*offer, S.PLEDGE_REGISTRATION, S.REGISTERED],
        S.DISBURSED: [*offer, S.PLEDGE_REGISTRATION, S.REGISTERED, S.DISBURSED],
    }
    if final in paths:
        return paths[final]
    options = {
        S.REJECTED: ([*review, S.REJECTED], [*review, S.REJECTED], [*offer, S.PLEDGE_REGISTRATION, S.REJECTED]),
        S.WITHDRAWN: ([S.SUBMITTED, S.WITHDRAWN], [*review, S.WITHDRAWN], [*review, S.APPROVED, S.WITHDRAWN]),
        S.EXPIRED: (
            [S.SUBMITTED, S.EXPIRED],
            [S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED, S.EXPIRED],
            [*review, S.APPROVED, S.EXPIRED],
        ),
    }[final]
    return list(rng.choice(options))


def eligible_products(world: DemoWorld, enterprise: Enterprise, bank: str | None) -> list[LoanProduct]:
    markers = set(enterprise.tech_markers)
    return [
        p
        for p in world.loan_products
        if (bank is None or world.bank_code[p.bank_id] == bank)
        and (not p.eligible_districts or enterprise.district in p.eligible_districts)
        and (not p.eligible_clusters or enterprise.cluster in p.eligible_clusters)
        and (not p.required_tech_markers or markers & set(p.required_tech_markers))
    ]


def pledgeable(world: DemoWorld, plan: _Plan, enterprise: Enterprise, product: LoanProduct, term: int) -> list[IPAsset]:
    """Assets this application may pledge, best collateral first.

    Every application takes only rights the eligibility rule accepts when it is made (``financing.eligibility``,
    run today on the records so far: not pledged, in force, fees paid, consented, outliving the term);
    applications that end well take no right with a legal cloud nor one still pledged elsewhere in the world's
    story either."""
    created = plan.times[0].date()
    clean = plan.final not in FAILED
    owned = world.assets_of[enterprise.pk]
    prefetch_related_objects(owned, "co_owners")
    facts = pledge_facts(owned)
    assets = []
    for a in owned:
        pledged = world.pledged_until.get(a.pk, date.min) >= created
        usable = a.pk in world.p50 and world.asset_since[a.pk] < created
        refused = asset_reasons(
            a,
            enterprise_id=enterprise.pk,
            caps=world.caps[product.pk],
            term_months=term,
            facts=facts[a.pk],
            today=world.as_of,
        )
        if not usable or refused or (clean and a.pk in world.risky_assets) or pledged:
            continue
        assets.append(a)
    # Best collateral first; a right under a cloud comes last unless the plan is refused for it.
    return sorted(assets, key=lambda a: (a.pk in world.risky_assets, -collateral(world, product, [a]), a.pk))


def collateral(world: DemoWorld, product: LoanProduct, assets: list[IPAsset]) -> Decimal:
    """What the bank lends on at most: Σ P50 × the product's pledge-rate cap (as the approval service)."""
    return sum((world.p50[a.pk] * world.caps[product.pk][a.ip_type] for a in assets), Decimal("0"))


def place_plan(world: DemoWorld, plan: _Plan) -> None:
    """Choose the enterprise, product, term, assets and amounts of a plan, or fail loudly."""
    rng = world.rng
    created = plan.times[0].date()
    approves = S.APPROVED in plan.path
    if plan.demo:
        candidates = [world.enterprises[0]]
    else:
        candidates = [e for e in world.enterprises[1:] if world.joined[e.pk] < created]
    # Firms with valuable IP borrow more often.
    weights = [float(world.potential[e.pk] / WAN) ** 0.8 + 10 for e in candidates]
    for _ in range(300):
        enterprise = rng.choices(candidates, weights=weights)[0]
        products = eligible_products(world, enterprise, plan.bank)
        if not products:
            continue
        product = rng.choices(products, weights=[BANK_WEIGHTS[world.bank_code[p.bank_id]] for p in products])[0]
        terms = [t for t in TERMS if product.min_term_months <= t <= product.max_term_months]
        term = plan.term or rng.choice(terms)
        if not product.min_term_months <= term <= product.max_term_months:
            continue
        assets = pledgeable(world, plan, enterprise, product, term)
        if plan.final == S.REJECTED and plan.path[-2] == S.PLEDGE_REGISTRATION:
            # Refused at registration: filed with invalidation proceedings pending, the office says no.
            assets = sorted(assets, key=lambda a: a.pk not in world.contested)
        # The firm wants a lognormal amount around 350万 and pledges its best rights until they cover it.
        wanted = wan(round(rng.lognormvariate(math.log(350), 0.6)))
        portfolio = []
        for asset in assets:
            if len(portfolio) == MAX_PORTFOLIO:
                break
            if portfolio and REGISTRY_OF_TYPE[asset.ip_type] != REGISTRY_OF_TYPE[portfolio[0].ip_type]:
                continue  # one portfolio, one registry
            portfolio.append(asset)
            if collateral(world, product, portfolio) >= wanted:
                break
        if not portfolio:
            continue
        limit = collateral(world, product, portfolio)
        if approves and limit < product.min_amount:
            continue
        plan.enterprise, plan.product, plan.term, plan.assets = enterprise, product, term, portfolio
        plan.requested, plan.approved = amounts(world, product, limit, wanted)
        if plan.final not in FAILED:
            if plan.final == S.DISBURSED and plan.fate == "performing":
                released = add_months(plan.times[-1].date(), term) + timedelta(days=7)
            else:
                released = date.max
            world.pledged_until.update((a.pk, released) for a in portfolio)
        return
    raise RuntimeError(f"No enterprise can make a {plan.final} application on {created}.")  # pragma: no cover


def amounts(world: DemoWorld, product: LoanProduct, limit: Decimal, wanted: Decimal) -> tuple[Decimal, Decimal]:
    """Requested and approved yuan, in steps of 10万 within the product: the bank approves what the
    collateral limit allows, sometimes cutting the request."""
    step = wan(10)

    def within(amount: Decimal) -> Decimal:
        return min(max(amount, product.min_amount), product.max_amount)

    if limit < product.min_amount:  # never approved: the firm asks for what it wants
        return within((wanted / step).quantize(Decimal("1")) * step), product.min_amount
    approved = within((min(limit, wanted) / step).to_integral_value(rounding=ROUND_FLOOR) * step)
    requested = approved / Decimal(world.rng.choice(("1", "1", "1", "0.9", "0.8")))
    return within((requested / step).to_integral_value(rounding=ROUND_CEILING) * step), approved


def run_plan(world: DemoWorld, plan: _Plan) -> None:
    rng, product = world.rng, plan.product
    sme_user = world.owners[plan.enterprise.pk]
    methods = product.repayment_methods
    if plan.term <= 12 and RepaymentMethod.INTEREST_ONLY in methods and rng.random() < 0.5:
        method = RepaymentMethod.INTEREST_ONLY.value
    elif RepaymentMethod.EQUAL_PRINCIPAL in methods and rng.random() < 0.3:
        method = RepaymentMethod.EQUAL_PRINCIPAL.value
    else:
        method = RepaymentMethod.EQUAL_INSTALMENT.value
    application = application_create(
        actor=sme_user,
        enterprise=plan.enterprise,
        product=product,
        assets=plan.assets,
        requested_amount=plan.requested,
        requested_term_months=plan.term,
        repayment_method=method,
        purpose=rng.choice(PURPOSES),
        # A product that requires cover is applied for with it (approval may pick another, below).
        insurance_product=world.insurance[0] if product.requires_insurance else None,
        guarantee_product=world.guarantees[0] if product.requires_guarantee else None,
    )
    officer = world.officers[product.bank_id]
    loan, times, stamps = None, plan.times, {}
    for k, move in enumerate(plan.path, start=1):
        previous = plan.path[k - 2] if k > 1 else S.DRAFT
        if move == S.SUBMITTED:
            application_submit(actor=sme_user, application=application)
        elif move == S.UNDER_REVIEW and previous == S.INFO_REQUESTED:
            application_respond(actor=sme_user, application=application, comment=REPLY_COMMENT)
        elif move == S.UNDER_REVIEW:
            application_start_review(actor=officer, application=application)
        elif move == S.INFO_REQUESTED:
            application_request_info(actor=officer, application=application, comment=INFO_REQUEST)
        elif move == S.APPROVED:
            proposed_at = times[k - 1] + (times[k] - times[k - 1]) / 2
            if approve(world, application, plan):
                stamps["approval_proposed_at"] = proposed_at
            for request in CoverRequest.objects.filter(application=application):  # asked for on approval
                world.stamp(request, created_at=times[k], updated_at=times[k])
        elif move == S.REJECTED:
            code, comment = rejection(world, plan)
            application_reject(actor=officer, application=application, reason_code=code, comment=comment)
        elif move == S.WITHDRAWN and previous == S.APPROVED:
            application_decline_offer(actor=sme_user, application=application, reason=DECLINE_REASON)
        elif move == S.WITHDRAWN:
            application_withdraw(actor=sme_user, application=application, reason=WITHDRAW_REASON)
        elif move == S.OFFER_ACCEPTED:
            application_accept_offer(actor=sme_user, application=application)
        elif move == S.PLEDGE_REGISTRATION:
            for package in filing_packages_generate(actor=officer, application=application):
                for signer in (sme_user, officer):
                    filing_package_sign(actor=signer, application=application, sha256=package.sha256)
            for registration in pledge_registration_file(actor=officer, application=application):
                world.stamp(registration, filed_at=times[k], created_at=times[k], updated_at=times[k])
        elif move == S.REGISTERED:
            for filed in PledgeRegistration.objects.filter(application=application).order_by("pk"):
                registration = pledge_registration_record(
                    actor=officer,
                    application=application,
                    registry=filed.registry,
                    registration_number=registration_number(world, plan, times[k]),
                    registered_on=times[k].date(),
                )
                world.stamp(registration, updated_at=times[k])
        elif move == S.DISBURSED:
            contract = contract_number(world, product, times[k])
            application.refresh_from_db()  # the approval services saved the terms on their own copy
            underwrite(world, application, times[k] - timedelta(days=1))
            loan = loan_disburse(
                actor=officer, application=application, contract_number=contract, disbursed_at=times[k]
            )
        else:  # expiry: the platform's schedule moves it, no actor
            application_expire(application=application, reason=EXPIRY_REASON)
        world.change_times[(Application, application.pk)].append(times[k])
    decided = [t for m, t in zip(plan.path, times[1:], strict=True) if m in (S.APPROVED, S.REJECTED)]
    submitted = [t for m, t in zip(plan.path, times[1:], strict=True) if m == S.SUBMITTED]
    world.stamp(
        application,
        created_at=times[0],
        updated_at=times[-1],
        submitted_at=submitted[0] if submitted else None,
        decided_at=decided[-1] if decided else None,
        **stamps,
    )
    if loan is not None:
        service_loan(world, loan, plan)


def underwrite(world: DemoWorld, application: Application, moment: datetime) -> None:
    """Before disbursement the insurer and the guarantor accept the cover asked for on approval, with a condition."""
    for request in CoverRequest.objects.filter(application=application, status=CoverRequestStatus.REQUESTED):
        underwriter = (
            User.objects.filter(organisation_id=request.provider_id, role=Role.UNDERWRITER, is_active=True)
            .order_by("pk")
            .first()
        )
        cover_request_accept(actor=underwriter, cover=request, conditions=COVER_CONDITION)
        world.stamp(request, updated_at=moment, decided_at=moment)


def approve(world: DemoWorld, application: Application, plan: _Plan) -> bool:
    """Approve at the plan's terms; above the bank's threshold the officer proposes and the checker
    confirms. Returns whether it went through maker-checker."""
    product, rng = plan.product, world.rng
    officer, checker = world.officers[product.bank_id], world.checkers[product.bank_id]
    # Better tax credit, lower rate: place the rate within the product's band.
    position = {"A": 0.2, "B": 0.45, "M": 0.6}.get(plan.enterprise.tax_credit_grade, 0.8)
    position = min(1.0, max(0.0, position + rng.uniform(-0.2, 0.2)))
    rate = to_rate(round(product.min_rate + (product.max_rate - product.min_rate) * Decimal(str(position)), 4))
    # Insurance and guarantee are bound with the terms (no service yet binds them on their own).
    # A loan planned to default is insured, so the insurer has a claim to decide whichever firm the plan fell
    # to (the values decide that); asked after the 10% draw, which every plan still makes as before.
    application.insurance_product = (
        rng.choice(world.insurance)
        if (product.requires_insurance or rng.random() < 0.1 or plan.fate == "defaulted")
        else None
    )
    application.guarantee_product = (
        rng.choice(world.guarantees) if (product.requires_guarantee or rng.random() < 0.1) else None
    )
    application.save(update_fields=["insurance_product", "guarantee_product", "updated_at"])
    # plan.approved lies within Σ P50 × cap, the same collateral limit the service checks.
    application_approve(
        actor=officer,
        application=application,
        amount=plan.approved,
        rate=rate,
        term_months=plan.term,
        comment=APPROVAL,
    )
    if plan.approved <= product.bank.maker_checker_threshold:
        return False
    application_confirm_approval(actor=checker, application=application, comment=CHECKER_APPROVAL)
    return True


def rejection(world: DemoWorld, plan: _Plan) -> tuple[str, str]:
    if plan.path[-2] == S.PLEDGE_REGISTRATION and any(a.pk in world.contested for a in plan.assets):
        return RejectReason.IP_LEGAL_DEFECT.value, "登记机关不予登记：质押专利无效宣告程序尚未终结。"
    if plan.path[-2] == S.PLEDGE_REGISTRATION:
        return RejectReason.INCOMPLETE_DOCUMENTS.value, "登记机关不予登记：质押合同要素与登记申请不一致。"
    if any(a.pk in world.risky_assets for a in plan.assets):
        return RejectReason.IP_LEGAL_DEFECT.value, "质押专利存在无效宣告请求、权属纠纷或共有人未同意。"
    return world.rng.choice(REJECTIONS)


def registration_number(world: DemoWorld, plan: _Plan, moment: datetime) -> str:
    """Patents register at CNIPA (Y + year + serial); trademarks and copyrights under their own series."""
    patents = any(a.ip_type in PATENT_TYPES for a in plan.assets)
    world.registrations[patents] += 1
    if patents:
        return f"Y{moment.year}980{world.registrations[patents]:06d}"
    return f"ZY{moment.year}{world.registrations[patents]:06d}"


def contract_number(world: DemoWorld, product: LoanProduct, moment: datetime) -> str:
    code = world.bank_code[product.bank_id]
    world.contracts[(code, moment.year)] += 1
    return f"{code}-ZY-{moment.year}-{world.contracts[(code, moment.year)]:04d}"


def service_loan(world: DemoWorld, loan: Loan, plan: _Plan) -> None:
    """Repay what fell due before the as-of day; leave the tail unpaid for overdue and defaulted loans."""
    officer = world.officers[loan.bank_id]
    lines = list(loan.schedule.order_by("sequence"))
    due = [line for line in lines if line.due_date < world.as_of]
    unpaid = 0
    if plan.fate == "overdue":
        unpaid = max(k for k in (1, 2) if (world.as_of - due[-k].due_date).days < 90)
    elif plan.fate == "defaulted":
        unpaid = min(k for k in range(1, len(due)) if (world.as_of - due[-k].due_date).days >= 95)
    paid = due[: len(due) - unpaid]
    last_event = loan.disbursed_at
    for line in paid:
        late = world.rng.randint(1, 4) if world.rng.random() < 0.05 else 0
        day = min(line.due_date + timedelta(days=late), world.as_of - timedelta(days=1))
        last_event = world.at(day, minutes=world.rng.randint(9 * 60, 16 * 60))
        repayment_record(
            actor=officer,
            loan=loan,
            amount=line.principal_due + line.interest_due,
            paid_at=last_event,
            reference=f"{loan.contract_number}-{line.sequence:02d}",
        )
    if len(paid) == len(lines):  # the service closed the loan on its last payment; the pledge is released
        world.change_times[(Loan, loan.pk)].append(last_event)
        for released in PledgeRegistration.objects.filter(application_id=loan.application_id):
            world.stamp(released, released_on=min(last_event.date() + timedelta(days=5), world.as_of))
    if unpaid:
        # The platform's daily delinquency refresh (run at the end) finds the missed instalments.
        first_missed = due[len(paid)].due_date
        days_past_due = (world.as_of - first_missed).days
        last_event = world.at(first_missed + timedelta(days=1), minutes=2 * 60)
        world.change_times[(Loan, loan.pk)].append(last_event)
        if days_past_due > DEFAULT_AFTER_DAYS:
            last_event = world.at(first_missed + timedelta(days=DEFAULT_AFTER_DAYS + 1), minutes=2 * 60)
            world.change_times[(Loan, loan.pk)].append(last_event)
        borrower = Enterprise.objects.get(pk=loan.borrower_id)
        overdue_reported(
            world,
            borrower,
            officer=officer,
            overdue_events=borrower.overdue_events_24m + 1,
            worst_days=max(borrower.max_days_past_due_24m, days_past_due),
            when=min(last_event, timezone.now()),
        )
    world.stamp(loan, created_at=loan.disbursed_at, updated_at=last_event)
