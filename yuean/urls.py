from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.views import language_switch
from cases.api.views import CaseViewSet
from education.api.views import EnrolmentApplicationViewSet, EnrolmentRoundViewSet, SchoolViewSet
from housing.affordable.api.views import HousingApplicationViewSet, HousingProjectViewSet
from housing.api.views import PropertyViewSet, TenancyViewSet
from kernel import schema  # noqa: F401 — registers the session-token scheme with drf-spectacular
from notifications.api.views import NotificationViewSet
from permits.api.views import PermitApplicationViewSet, PermitViewSet
from permits.views import permit_verify
from points.api.views import (
    CalculateViewSet,
    PointsApplicationViewSet,
    PointsRoundViewSet,
    RankingViewSet,
    RuleSetViewSet,
)
from residents.api.views import MeView, RegionViewSet, ResidenceRegistrationViewSet, ResidentViewSet
from residents.views import home

from .api import router

router.register("residents", ResidentViewSet, basename="resident")
router.register("regions", RegionViewSet, basename="region")
router.register("residence-registrations", ResidenceRegistrationViewSet, basename="residence-registration")
router.register("cases", CaseViewSet, basename="case")
router.register("permit-applications", PermitApplicationViewSet, basename="permit-application")
router.register("permits", PermitViewSet, basename="permit")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("properties", PropertyViewSet, basename="property")
router.register("tenancies", TenancyViewSet, basename="tenancy")
router.register("housing-projects", HousingProjectViewSet, basename="housing-project")
router.register("housing-applications", HousingApplicationViewSet, basename="housing-application")
router.register("points/rule-sets", RuleSetViewSet, basename="points-rule-set")
router.register("points/calculate", CalculateViewSet, basename="points-calculate")
router.register("points/rounds", PointsRoundViewSet, basename="points-round")
router.register("points/applications", PointsApplicationViewSet, basename="points-application")
router.register("points/rankings", RankingViewSet, basename="points-ranking")
router.register("schools", SchoolViewSet, basename="school")
router.register("enrolment-rounds", EnrolmentRoundViewSet, basename="enrolment-round")
router.register("enrolment-applications", EnrolmentApplicationViewSet, basename="enrolment-application")

# Staff sign in through allauth (rate limits, two-factor), never through the bare admin login form.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "越安家 · 工作台"
admin.site.site_title = "越安家"
admin.site.index_title = "工作台"

urlpatterns = [
    path("", home, name="home"),
    path("me/inbox/", include("notifications.urls")),
    path("me/", include("residents.urls")),
    path("me/", include("cases.urls")),
    path("me/", include("permits.urls")),
    path("housing/", include("housing.urls")),
    path("points/", include("points.urls")),
    path("education/", include("education.urls")),
    # Public: where a permit's QR code leads (says only whether it is valid, with the name masked).
    path("verify/<str:token>/", permit_verify, name="permit_verify"),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("i18n/setlang/", language_switch, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/me/", MeView.as_view(), name="api-me"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
