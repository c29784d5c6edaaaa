from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("", views.points_table, name="table"),
    path("calculator/", views.points_calculator, name="calculator"),
    path("apply/", views.points_apply, name="apply"),
    path("mine/", views.points_mine, name="mine"),
    path("rounds/", views.points_round_list, name="rounds"),
    path("rounds/<int:pk>/ranking/", views.points_ranking, name="ranking"),
    path("applications/<str:reference>/edit/", views.points_application_edit, name="application_edit"),
    path("applications/<str:reference>/objection/", views.points_objection, name="objection"),
]
