from django.urls import path

from . import permit_views, views

app_name = "residents"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("profile/", views.profile, name="profile"),
    path("children/add/", views.child_add, name="child_add"),
    path("residence/", views.residence, name="residence"),
    path("residence/<int:pk>/end/", views.residence_end, name="residence_end"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/documents/", views.case_document_upload, name="case_document_upload"),
    path("cases/<str:reference>/submit/", views.case_submit, name="case_submit"),
    path("cases/<str:reference>/resubmit/", views.case_resubmit, name="case_resubmit"),
    path("cases/<str:reference>/withdraw/", views.case_withdraw, name="case_withdraw"),
    path("documents/<int:pk>/", views.case_document_download, name="case_document"),
    path("permit/", permit_views.permit_overview, name="permit"),
    path("permit/apply/", permit_views.permit_apply, name="permit_apply"),
    path("cases/<str:reference>/permit/", permit_views.permit_application_edit, name="permit_application_edit"),
    path("permits/<str:number>/", permit_views.permit_detail, name="permit_detail"),
    path("permits/<str:number>/qr.svg", permit_views.permit_qr, name="permit_qr"),
    path("permits/<str:number>/endorse/", permit_views.permit_endorse, name="permit_endorse"),
    path("permits/<str:number>/replace/", permit_views.permit_replace, name="permit_replace"),
]
