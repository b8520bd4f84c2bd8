"""
Browser journeys: Debian's Chromium, driven by Playwright for Python, against
the archive served by pytest-django's live server.

These tests need /usr/bin/chromium (the apt package; a browser that a tool
downloads for itself cannot be fetched where the archive is built) and the
dev extra (playwright, axe-playwright-python). Without them they are skipped
with the reason, so `make test` still runs everywhere; with ARCHIVE_E2E_REQUIRED
set (as .ci/run does) a missing browser fails the run instead.
"""

import json
import os
import re
import tempfile
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
# The README's pictures are rewritten only when asked (make screenshots), so a
# test run leaves the working tree as it was; otherwise they go to a scratch folder.
SCREENSHOTS = (
    HERE.parent.parent / "docs" / "screenshots"
    if os.environ.get("ARCHIVE_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "archive-screenshots"
)
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "archive-e2e-passphrase"

# Quiet, reproducible browser: nothing fetched from elsewhere, no updater, no sandbox (CI runs as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"e2e: Debian chromium not found at {CHROMIUM} (apt-get install chromium)"
    for module, package in (("playwright", "playwright"), ("axe_playwright_python", "axe-playwright-python")):
        if find_spec(module) is None:
            return f"e2e: {package} is not installed (pip install -e '.[dev]')"
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config, items):
    if SKIP_REASON is None:
        return
    if os.environ.get("ARCHIVE_E2E_REQUIRED"):
        # CI installs the browser; there a missing one is an error, not a skip.
        raise pytest.UsageError(f"{SKIP_REASON}; ARCHIVE_E2E_REQUIRED is set")
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(skip)


# --------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(django_db_setup, live_server):
    """
    One Chromium per module. While Playwright's sync API is open it keeps an
    event loop marked running in this thread; Django would then refuse the
    database (nothing here is async, so that check is lifted while it is open)
    and hand out other connections than the test's, without the serialized
    data a flush restores from. The test's own connections are put back.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    own = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            for alias, connection in own.items():
                connections[alias] = connection
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()


class ConsoleErrors(list):
    """
    What went wrong on the page: a script or style the CSP blocked, an exception, a
    stylesheet, script or image that failed to load (the browser's own favicon probe aside).
    """

    def attach(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.append(f"exception: {error}"))
        page.on("response", self._response)

    def _console(self, message):
        # Failed loads are reported with their address by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.append(message.text)

    def _response(self, response):
        request = response.request
        if response.status >= 400 and request.resource_type != "document" and not request.url.endswith("/favicon.ico"):
            self.append(f"{response.status} {request.url}")


@pytest.fixture
def new_page(browser, live_server):
    """A factory of pages, each in its own context (its own cookies: one per person in a journey)."""
    contexts = []

    def open_page(*, viewport=DESKTOP):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="en-GB", reduced_motion="reduce"
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = ConsoleErrors()
        page.console_errors.attach(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


# --------------------------------------------------------------------------
# The archive behind it
# --------------------------------------------------------------------------


@pytest.fixture
def sample_site(transactional_db, django_db_serialized_rollback, live_server):
    """
    The sample archive, served. The live server needs committed data, so each
    test flushes the database afterwards; the serialized rollback brings back
    what the migrations made (the Editors and Publishers groups) for the next.
    """
    call_command("load_sample", verbosity=0)
    return live_server


def make_staff(username: str, group: str):
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def sign_in(page, username: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out")).wait_for()


# --------------------------------------------------------------------------
# Accessibility and screenshots
# --------------------------------------------------------------------------

BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is, each with its impact, rule and the elements at fault."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "count": len(violation["nodes"]),
            "nodes": [node["target"][-1] for node in violation["nodes"]],
        }
        for violation in results.response["violations"]
    ]


def inside(page, violations: list[dict], container: str) -> list[dict]:
    """The violations, narrowed to the elements within `container` (a CSS selector list)."""
    narrowed = []
    for violation in violations:
        nodes = page.evaluate(
            "([targets, container]) => targets.filter(t => document.querySelector(t)?.closest(container))",
            [violation["nodes"], container],
        )
        if nodes:
            narrowed.append({**violation, "count": len(nodes), "nodes": nodes})
    return narrowed


def blocking(violations: list[dict]) -> list[dict]:
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=2, ensure_ascii=False)


def screenshot(target, name: str, *, max_height: int = 1400) -> Path:
    """
    A PNG for the README at desktop width: a whole page (cut at `max_height`
    so the file stays small) or one element of it.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if not hasattr(target, "goto"):
        target.screenshot(path=path, animations="disabled")
        return path
    height = target.evaluate("document.documentElement.scrollHeight")
    clip = {"x": 0, "y": 0, "width": DESKTOP["width"], "height": min(height, max_height)}
    target.screenshot(path=path, full_page=True, clip=clip, animations="disabled")
    return path


def slug_path(kind: str, slug: str) -> re.Pattern:
    return re.compile(rf"/{kind}/{re.escape(slug)}/(#.*)?$")
