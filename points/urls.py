from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("", views.points_table, name="table"),
    path("calculator/", views.points_calculator, name="calculator"),
]
