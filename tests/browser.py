"""Serve the app and drive it in Debian's chromium through Playwright.

Shared by tests/test_browser.py and docs/take_screenshots.py. Playwright's own
browser download is never used: the browser is /usr/bin/chromium from Debian's
``chromium`` package.
"""

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Locator, Page, Route, sync_playwright

logger = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def serve_app(registry=None):
    """Launch the app with its theme and CSS on a free loopback port and return the gr.Blocks.

    The page looks as ``python app.py`` serves it, unlike tests/conftest.py's
    ``launch_app``, which skips the styling. Close the returned app when done.
    """
    from app import CSS, LAUNCH_OPTIONS, THEME, build_app

    demo = build_app(registry)
    demo.launch(
        server_name="127.0.0.1",
        server_port=None,
        prevent_thread_lock=True,
        quiet=True,
        theme=THEME,
        css=CSS,
        **LAUNCH_OPTIONS,
    )
    return demo


@contextlib.contextmanager
def open_chromium(executable: Path = CHROMIUM) -> Iterator[Browser]:
    """Start headless chromium from ``executable`` and close it on exit."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Browser, url: str, blocked: list[str] | None = None) -> Page:
    """Open ``url`` in a new browser context and wait until the app has rendered.

    Requests to any host other than loopback are aborted, so the page behaves
    as it would offline in a lecture hall. Their URLs are appended to ``blocked``.
    """
    context = browser.new_context(viewport=VIEWPORT)

    def keep_on_loopback(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK_HOSTS:
            route.continue_()
            return
        logger.warning("blocked a request to %s", route.request.url)
        if blocked is not None:
            blocked.append(route.request.url)
        route.abort()

    context.route("**/*", keep_on_loopback)
    page = context.new_page()
    page.goto(url)
    # The first tab's main button shows once Gradio has built the page from its config.
    page.get_by_role("button", name="Generate").wait_for(timeout=60_000)
    return page


def textbox_by_label(page: Page, label: str) -> Locator:
    """Return the textarea under a component label, for boxes that get_by_label cannot find.

    Gradio 6.31 puts a textbox's copy button inside its <label>, and chromium
    then gives the textarea no accessible name.
    """
    block_label = page.get_by_test_id("block-info").get_by_text(label, exact=True)
    return page.locator("label").filter(has=block_label).locator("textarea")
