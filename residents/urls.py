from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("profile/", views.profile, name="profile"),
    path("children/add/", views.child_add, name="child_add"),
    path("residence/", views.residence, name="residence"),
    path("residence/<int:pk>/end/", views.residence_end, name="residence_end"),
]
