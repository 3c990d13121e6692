"""Take the README's screenshot of the text generation tab in Debian's chromium.

Usage, from the repository root: python -m docs.take_screenshots [--url URL]

Without --url it serves the shipped app on a free loopback port and closes it
afterwards. Needs the ``playwright`` package and /usr/bin/chromium
(``apt-get install chromium``); Playwright's own browser download is not used.
"""

import argparse
from pathlib import Path

from tests.browser import CHROMIUM, open_chromium, open_page, serve_app, textbox_by_label

DOCS = Path(__file__).resolve().parent


def take_screenshots(url: str, chromium: Path) -> None:
    """Generate a sample in the app at ``url`` and save the tab as docs/text-generation.png."""
    with open_chromium(chromium) as browser:
        page = open_page(browser, url)
        page.get_by_role("button", name="Generate").click()
        output = textbox_by_label(page, "Generated text")
        # Wait until the sample has filled a dozen lines of the output box.
        page.wait_for_function(
            "el => el.value.split('\\n').length > 12", arg=output.element_handle(), timeout=60_000
        )
        page.screenshot(path=str(DOCS / "text-generation.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="URL of a running app (default: serve the shipped app)")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM, help="Chromium executable")
    args = parser.parse_args()
    if args.url:
        take_screenshots(args.url, args.chromium)
        return
    demo = serve_app()
    try:
        take_screenshots(demo.local_url, args.chromium)
    finally:
        demo.close()


if __name__ == "__main__":
    main()
