from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/documents/", views.case_document_upload, name="case_document_upload"),
    path("cases/<str:reference>/submit/", views.case_submit, name="case_submit"),
    path("cases/<str:reference>/resubmit/", views.case_resubmit, name="case_resubmit"),
    path("cases/<str:reference>/withdraw/", views.case_withdraw, name="case_withdraw"),
    path("documents/<int:pk>/", views.case_document_download, name="case_document"),
]
