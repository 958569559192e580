from django.urls import include, path
from rest_framework.routers import DefaultRouter

from .accounts.views import MeView
from .catalogue.views import IPAssetViewSet, LoanProductViewSet

router = DefaultRouter()
router.register("products", LoanProductViewSet, basename="product")
router.register("ip-assets", IPAssetViewSet, basename="ip-asset")

app_name = "api"
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
