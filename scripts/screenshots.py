#!/usr/bin/env python
"""Screenshots of the portal's main pages at phone and desktop width, to look at before a release.

Runs Debian's Chromium (never `playwright install`) against a running server that holds the demo data:

    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8000 &
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 /tmp/shots

It only reads: the pages that show form errors are submitted with invalid input, which saves nothing.
Each page is saved full-length as <width>-<nn>-<page>.png, e.g. phone-05-mine.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "yuean-demo-2026"  # noqa: S105 — the published demo password (manage.py seed_demo)
DEMO_EMAIL = "{username}@demo.yuean.example.cn"

VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


def _goto(page: Page, url: str) -> Response | None:
    """page.goto, waiting out a development server that is reloading after a code change."""
    for attempt in range(10):
        try:
            return page.goto(url)
        except PlaywrightError as error:
            if "ERR_CONNECTION_REFUSED" not in str(error) or attempt == 9:
                raise
            time.sleep(1)
    return None


def _submit_signup_with_errors(page: Page) -> None:
    """What a newcomer sees after typing a bare mobile number and two different passwords."""
    form = page.locator("main form")
    form.locator("input[name=phone]").fill("13912345678")
    form.locator("input[name=password1]").fill("yuean-2026-abc")
    form.locator("input[name=password2]").fill("yuean-2026-abd")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _submit_profile_with_bad_id_number(page: Page) -> None:
    page.locator("input[name=id_number]").fill("412827198805123510")  # one digit off: wrong check character
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def _request_login_code(page: Page) -> None:
    """The code-entry page (the same layout as the phone verification after sign-up); the demo server prints
    the SMS instead of sending it."""
    page.locator("main form input[name=phone]").fill("13800000001")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _open_first_resident(page: Page) -> None:
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_load_state()


def _open_first_case(page: Page) -> None:
    page.locator("main h2 a").first.click()
    page.wait_for_load_state()


def _open_first_listed(page: Page) -> None:
    """The first row of a console list (the queue, the permits)."""
    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_load_state()


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    user: str | None = None  # the demo account to sign in as; None: signed out
    locale: str = "zh-CN"  # the browser's language (Accept-Language)
    then: Callable[[Page], None] | None = None  # what to do on the page before the screenshot


SHOTS = [
    Shot("home", "/"),
    Shot("signup", "/accounts/signup/"),
    Shot("signup-errors", "/accounts/signup/", then=_submit_signup_with_errors),
    Shot("login", "/accounts/login/"),
    Shot("login-by-code", "/accounts/login/code/"),
    Shot("login-code-confirm", "/accounts/login/code/", then=_request_login_code),
    Shot("mine", "/me/", user="demo_resident"),
    Shot("profile", "/me/profile/", user="demo_resident"),
    Shot("profile-errors", "/me/profile/", user="demo_resident", then=_submit_profile_with_bad_id_number),
    Shot("child-add", "/me/children/add/", user="demo_resident"),
    Shot("home-signed-in", "/", user="demo_resident"),
    Shot("admin-residents", "/admin/residents/resident/", user="demo_caseworker"),
    Shot("admin-resident", "/admin/residents/resident/", user="demo_caseworker", then=_open_first_resident),
    Shot("residence", "/me/residence/", user="demo_newcomer"),
    Shot("permit", "/me/permit/", user="demo_resident"),
    Shot("cases", "/me/cases/", user="demo_applicant"),
    Shot("case", "/me/cases/", user="demo_applicant", then=_open_first_case),
    Shot("case-delivered", "/me/cases/", user="demo_resident", then=_open_first_case),
    Shot("admin-queue", "/admin/residents/case/", user="demo_caseworker"),
    Shot("admin-case", "/admin/residents/case/", user="demo_caseworker", then=_open_first_listed),
    Shot("admin-permits", "/admin/residents/permit/", user="demo_caseworker"),
    Shot("admin-audit", "/admin/residents/auditevent/", user="demo_admin"),
    Shot("home-en", "/", locale="en-US"),
    Shot("signup-en", "/accounts/signup/", locale="en-US"),
    Shot("mine-en", "/me/", user="demo_resident", locale="en-US"),
]


def _sign_in(context: BrowserContext, base_url: str, username: str) -> None:
    page = context.new_page()
    _goto(page, f"{base_url}/accounts/login/")
    form = page.locator("main form")
    form.locator("input[name=login]").fill(DEMO_EMAIL.format(username=username))
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    if "/accounts/login/" in page.url:
        raise SystemExit(f"could not sign in as {username}: is the demo data loaded (manage.py seed_demo)?")
    page.close()


def _context(browser: Browser, width: str, locale: str) -> BrowserContext:
    return browser.new_context(locale=locale, timezone_id="Asia/Shanghai", **VIEWPORTS[width])


def take(base_url: str, out_dir: Path, only: set[str] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        for width in VIEWPORTS:
            contexts: dict[tuple[str | None, str], BrowserContext] = {}
            for number, shot in enumerate(SHOTS, start=1):
                if only and shot.name not in only:
                    continue
                key = (shot.user, shot.locale)
                if key not in contexts:
                    contexts[key] = _context(browser, width, shot.locale)
                    if shot.user:
                        _sign_in(contexts[key], base_url, shot.user)
                page = contexts[key].new_page()
                response = _goto(page, base_url + shot.path)
                if shot.then:
                    shot.then(page)
                path = out_dir / f"{width}-{number:02d}-{shot.name}.png"
                page.screenshot(path=str(path), full_page=True)
                status = response.status if response else "?"
                print(f"{path}  ({status} {page.url.removeprefix(base_url)})")
                saved.append(path)
                page.close()
            for context in contexts.values():
                context.close()
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("out_dir", nargs="?", default="screenshots", type=Path)
    parser.add_argument("--only", nargs="*", metavar="NAME", help="just these pages, e.g. --only home mine")
    args = parser.parse_args(argv)
    take(args.base_url.rstrip("/"), args.out_dir, set(args.only) if args.only else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
