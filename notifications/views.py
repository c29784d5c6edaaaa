from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import selectors, services
from .models import Notification

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's messages, newest first, in the language they are reading the site in."""
    before = request.GET.get("before", "")
    rows = selectors.notification_list(user=request.user)
    if before.isdigit():
        rows = rows.filter(id__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    templates = services.notification_templates_for(page)
    messages = [(n, services.notification_render(n, templates=templates)) for n in page]
    return render(
        request,
        "notifications/inbox.html",
        {"messages_": messages, "next_before": page[-1].id if more else None},
    )


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one's own message read and go where it points."""
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    services.notification_mark_read(recipient=request.user, notification_id=notification.pk)
    if notification.link and url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()}):
        return redirect(notification.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(recipient=request.user)
    return redirect("notifications:inbox")
