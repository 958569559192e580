from django.conf import settings
from django.shortcuts import render

DEMO_ACCOUNTS = (
    "demo-sme", "demo-bank-officer", "demo-bank-checker", "demo-insurer", "demo-guarantor", "demo-appraiser",
    "demo-city", "demo-admin",
)  # fmt: skip


def home(request):
    """The start page: where the API, its documentation and the admin are (the web portal comes later)."""
    demo = settings.ENVIRONMENT != "production"
    return render(request, "home.html", {"demo": demo, "demo_accounts": DEMO_ACCOUNTS})
