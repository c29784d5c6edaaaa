from django.urls import path

from . import import_views, views
from .affordable import views as affordable_views

app_name = "housing"

# Landlord and tenant pages (housing/views.py), the spreadsheet import (housing/import_views.py) and affordable
# rental housing (housing/affordable/views.py) each add their routes to their own list below.
landlord_urls: list = [
    path("properties/", views.property_list, name="properties"),
    path("properties/new/", views.property_new, name="property_new"),
    path("properties/<int:pk>/", views.property_detail, name="property"),
    path("properties/<int:pk>/move-in/", views.property_move_in, name="property_move_in"),
    path("properties/<int:pk>/poster/", views.property_poster, name="poster"),
    path("properties/<int:pk>/poster/reissue/", views.property_qr_reissue, name="poster_reissue"),
    path("tenancies/", views.tenancy_mine, name="tenancies"),
    path("tenancies/<int:pk>/confirm/", views.tenancy_confirm, name="tenancy_confirm"),
    path("tenancies/<int:pk>/decline/", views.tenancy_decline, name="tenancy_decline"),
    path("tenancies/<int:pk>/move-out/", views.tenancy_end, name="tenancy_end"),
    path("tenancies/<int:pk>/declared/", views.declared, name="declared"),
    path("declare/<str:token>/", views.declare, name="declare"),
]
import_urls: list = [
    path("import/", import_views.import_upload, name="import"),
    path("import/template.csv", import_views.import_template_csv, name="import_template_csv"),
    path("import/template.xlsx", import_views.import_template_xlsx, name="import_template_xlsx"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/rejected.csv", import_views.import_job_rejected_csv, name="import_job_rejected_csv"),
]
affordable_urls: list = [
    path("affordable/", affordable_views.affordable_projects, name="affordable"),
    path("affordable/apply/", affordable_views.affordable_apply, name="affordable_apply"),
    path("affordable/mine/", affordable_views.affordable_mine, name="affordable_mine"),
]

urlpatterns = [*landlord_urls, *import_urls, *affordable_urls]
