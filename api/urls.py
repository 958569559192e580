from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .accounts.views import MeView
from .applications.views import ApplicationViewSet
from .bank_models.views import BankModelTrainingViewSet, BankModelVersionViewSet
from .catalogue.views import IPAssetViewSet, LoanProductViewSet
from .enterprises.views import EnterpriseProfileView
from .facts.views import CreditAuthorisationViewSet, CreditReportViewSet, FactDisputeViewSet, FactViewSet
from .fee_receipts.views import FeeReceiptViewSet
from .loans.views import LoanViewSet
from .monitoring.views import CollateralFlagViewSet
from .notifications.views import NotificationViewSet
from .risksharing.views import (
    AuctionListingViewSet,
    ClaimViewSet,
    CoverPolicyViewSet,
    CoverRequestViewSet,
    DisposalCaseViewSet,
    LoanLossView,
    PoolFilingViewSet,
    PoolViewSet,
)
from .scoring.views import ApplicationRescoreView, ApplicationScoreView, AssetValuationView
from .subsidies.views import SubsidyClaimViewSet, SubsidyPolicyViewSet


class Router(DefaultRouter):
    """Ids are digits: any other path segment is no route (404 problem) instead of reaching a lookup that would
    choke on it."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        value = getattr(viewset, "lookup_value_regex", "[0-9]+")
        return f"(?P<{lookup_prefix}{kwarg}>{value})"


router = Router()
router.register("products", LoanProductViewSet, basename="product")
router.register("ip-assets", IPAssetViewSet, basename="ip-asset")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("applications", ApplicationViewSet, basename="application")
router.register("loans", LoanViewSet, basename="loan")
router.register("cover-policies", CoverPolicyViewSet, basename="cover-policy")
router.register("cover-requests", CoverRequestViewSet, basename="cover-request")
router.register("claims", ClaimViewSet, basename="claim")
router.register("pools", PoolViewSet, basename="pool")
router.register("pool-filings", PoolFilingViewSet, basename="pool-filing")
router.register("disposal-cases", DisposalCaseViewSet, basename="disposal-case")
router.register("auctions", AuctionListingViewSet, basename="auction")
router.register("subsidy-policies", SubsidyPolicyViewSet, basename="subsidy-policy")
router.register("subsidy-claims", SubsidyClaimViewSet, basename="subsidy-claim")
router.register("collateral-flags", CollateralFlagViewSet, basename="collateral-flag")
router.register("facts", FactViewSet, basename="fact")
router.register("fact-disputes", FactDisputeViewSet, basename="fact-dispute")
router.register("credit-authorisations", CreditAuthorisationViewSet, basename="credit-authorisation")
router.register("credit-reports", CreditReportViewSet, basename="credit-report")
router.register("fee-receipts", FeeReceiptViewSet, basename="fee-receipt")
router.register("bank-model-trainings", BankModelTrainingViewSet, basename="bank-model-training")
router.register("bank-models", BankModelVersionViewSet, basename="bank-model")

app_name = "api"
urlpatterns = [
    path("auth/", include("api.auth.urls")),
    path("me/", MeView.as_view(), name="me"),
    path("enterprise/", EnterpriseProfileView.as_view(), name="enterprise"),
    path("ip-assets/<int:pk>/valuation/", AssetValuationView.as_view(), name="ip-asset-valuation"),
    path("applications/<int:pk>/score/", ApplicationScoreView.as_view(), name="application-score"),
    path("applications/<int:pk>/rescore/", ApplicationRescoreView.as_view(), name="application-rescore"),
    path("reporting/", include("api.reporting.urls")),
    path("evidence/", include("api.evidence.urls")),
    path("loans/<int:pk>/loss/", LoanLossView.as_view(), name="loan-loss"),
    path("", include(router.urls)),
]
