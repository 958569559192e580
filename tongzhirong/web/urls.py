from django.contrib.auth import views as auth_views
from django.urls import path

from . import bank, city, partners, platform, risk_models, sme, subsidies, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:home"), name="logout"),
    path("notifications/", views.notifications, name="notifications"),
    path("sme/", sme.overview, name="sme"),
    path("sme/profile/", sme.profile, name="sme-profile"),
    path("sme/profile/check-uscc/", sme.check_uscc, name="sme-check-uscc"),
    path("sme/assets/", sme.assets, name="sme-assets"),
    path("sme/assets/import/", sme.assets_import, name="sme-assets-import"),
    path("sme/assets/<int:pk>/", sme.asset, name="sme-asset"),
    path("sme/products/", sme.matches, name="sme-matches"),
    path("sme/apply/", sme.apply, name="sme-apply"),
    path("sme/applications/<int:pk>/", sme.application, name="sme-application"),
    path("sme/loans/<int:pk>/", sme.loan, name="sme-loan"),
    path("sme/subsidies/", subsidies.sme_subsidies, name="sme-subsidies"),
    path("sme/auctions/", sme.auctions, name="sme-auctions"),
    path("bank/", bank.queue, name="bank-queue"),
    path("bank/applications/<int:pk>/", bank.application, name="bank-application"),
    path("bank/applications/<int:pk>/asset-list.xlsx", bank.package_asset_list, name="bank-asset-list"),
    path("bank/applications/<int:pk>/cover/", partners.bank_cover, name="bank-cover"),
    path("bank/loans/", bank.loans, name="bank-loans"),
    path("bank/loans/<int:pk>/", bank.loan, name="bank-loan"),
    path("bank/disposal/", partners.disposal_desk, name="bank-disposal"),
    path("bank/risk-models/", risk_models.risk_models, name="bank-risk-models"),
    path("bank/disposal/<int:pk>/", partners.disposal_case, name="bank-disposal-case"),
    path("city/", city.dashboard, name="city"),
    path("city/subsidies/", subsidies.city_subsidies, name="city-subsidies"),
    path("city/subsidies/policies/", subsidies.city_policies, name="city-policies"),
    path("city/subsidies/policies/new/", subsidies.city_policy, name="city-policy-new"),
    path("city/subsidies/policies/<int:pk>/", subsidies.city_policy, name="city-policy"),
    path("cover/", partners.provider_home, name="provider"),
    path("appraiser/", partners.appraiser_home, name="appraiser"),
    path("platform/disputes/", platform.disputes, name="platform-disputes"),
    path("appraisals/<int:pk>/report.pdf", partners.appraisal_report, name="appraisal-report"),
    path("applications/<int:pk>/filing-package.pdf", views.package_pdf, name="package-pdf"),
]
