"""The staff console's admin site: Django's, except that a model's pages may keep an address of their own.

A model that moved between apps (a case, a permit: docs/adr/0012) keeps the address caseworkers bookmarked
and that messages already sent link to (``/admin/residents/case/``): its ModelAdmin says so with
``console_path``. Everything else is Django's admin as it is.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import URLPattern, URLResolver, include, path


class ConsoleSite(admin.AdminSite):
    def get_urls(self) -> list[URLPattern | URLResolver]:
        moved = {
            f"{model._meta.app_label}/{model._meta.model_name}/": (f"{prefix.strip('/')}/", model_admin)
            for model, model_admin in self._registry.items()
            if (prefix := getattr(model_admin, "console_path", None))
        }
        urls: list[URLPattern | URLResolver] = []
        for url in super().get_urls():
            route = str(url.pattern)
            if isinstance(url, URLResolver) and route in moved:
                new_route, model_admin = moved[route]
                url = path(new_route, include(model_admin.urls))
            urls.append(url)
        return urls


class ConsoleAdminConfig(AdminConfig):
    default_site = "kernel.admin_site.ConsoleSite"
