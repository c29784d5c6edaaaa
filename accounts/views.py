from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .services import user_language_set


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice for the user's messages."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user=request.user, language=language)
    return response
