from django.urls import path

app_name = "housing"

# Landlord and tenant pages (housing/views.py), the spreadsheet import (housing/import_views.py) and affordable
# rental housing (housing/affordable_views.py) each add their routes to their own list below.
landlord_urls: list = []
import_urls: list = []
affordable_urls: list = []

urlpatterns = [*landlord_urls, *import_urls, *affordable_urls]
