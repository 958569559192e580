from csp.constants import NONCE, SELF
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from tongzhirong.core import health

# The ReDoc bundle inserts two style elements as it loads, before it is handed the page's nonce: allowed by their
# hashes (the sidecar's version pins them; tests/browser/test_csp.py names the new hash when an upgrade moves them).
REDOC_STYLES = {
    "style-src": [
        SELF,
        NONCE,
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    ]
}

urlpatterns = [
    path("", include("tongzhirong.web.urls")),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the Content-Security-Policy allows no inline one.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", csp_replace(REDOC_STYLES)(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
]

# A crash answers problem+json under /api/ and a plain page elsewhere; an outage 503 with Retry-After.
handler500 = "api.middleware.server_error"
