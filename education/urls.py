from django.urls import path

from . import views

app_name = "education"

urlpatterns = [
    path("", views.enrolment_home, name="home"),
    path("apply/", views.enrolment_apply, name="apply"),
    path("applications/<str:reference>/preferences/", views.enrolment_preferences, name="preferences"),
    path("applications/<str:reference>/confirm/", views.enrolment_offer_confirm, name="confirm"),
    path("applications/<str:reference>/decline/", views.enrolment_offer_decline, name="decline"),
]
