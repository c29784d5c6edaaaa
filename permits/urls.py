from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    path("permit/", views.permit_overview, name="permit"),
    path("permit/apply/", views.permit_apply, name="permit_apply"),
    path("cases/<str:reference>/permit/", views.permit_application_edit, name="permit_application_edit"),
    path("permits/<str:number>/", views.permit_detail, name="permit_detail"),
    path("permits/<str:number>/qr.svg", views.permit_qr, name="permit_qr"),
    path("permits/<str:number>/endorse/", views.permit_endorse, name="permit_endorse"),
    path("permits/<str:number>/replace/", views.permit_replace, name="permit_replace"),
]
