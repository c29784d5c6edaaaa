"""A URLconf with one trivial view: the framework's own cost (middleware, session, user) with no app work."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def bare_user(request: HttpRequest) -> HttpResponse:
    # Touching request.user loads the session and the user, as every console page does.
    return HttpResponse(str(request.user.pk).encode(), content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), path("bench/bare-user/", bare_user)]
