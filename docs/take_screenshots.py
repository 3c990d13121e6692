"""Take the README's screenshots from a running app in Debian's Chromium.

Usage: python app.py &   then   python docs/take_screenshots.py [--url http://127.0.0.1:7860]

Needs the ``playwright`` package and /usr/bin/chromium (``apt-get install chromium``);
Playwright's own browser download is not used.
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860", help="address of the app")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(args.url)
        page.get_by_role("button", name="Generate").click()
        output = page.locator(".generated-text textarea")
        # Wait until the sample has filled a dozen lines of the output box.
        page.wait_for_function(
            "el => el.value.split('\\n').length > 12", arg=output.element_handle(), timeout=60_000
        )
        page.screenshot(path=str(DOCS / "text-generation.png"))
        browser.close()


if __name__ == "__main__":
    main()
