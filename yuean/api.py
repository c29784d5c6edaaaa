"""The one API router; yuean/urls.py registers every app's viewsets on it."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
