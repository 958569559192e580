from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .accounts.views import MeView
from .applications.views import ApplicationViewSet
from .catalogue.views import IPAssetViewSet, LoanProductViewSet
from .enterprises.views import EnterpriseProfileView
from .loans.views import LoanViewSet
from .notifications.views import NotificationViewSet
from .scoring.views import ApplicationScoreView, AssetValuationView

router = DefaultRouter()
router.register("products", LoanProductViewSet, basename="product")
router.register("ip-assets", IPAssetViewSet, basename="ip-asset")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("applications", ApplicationViewSet, basename="application")
router.register("loans", LoanViewSet, basename="loan")

app_name = "api"
urlpatterns = [
    path("auth/", include("api.auth.urls")),
    path("me/", MeView.as_view(), name="me"),
    path("enterprise/", EnterpriseProfileView.as_view(), name="enterprise"),
    path("ip-assets/<int:pk>/valuation/", AssetValuationView.as_view(), name="ip-asset-valuation"),
    path("applications/<int:pk>/score/", ApplicationScoreView.as_view(), name="application-score"),
    path("", include(router.urls)),
]
