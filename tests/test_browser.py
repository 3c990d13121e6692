"""Every tab of the shipped app, used in Debian's headless chromium as a person would.

The app runs with the shipped checkpoints on a free loopback port. Playwright
drives /usr/bin/chromium (Debian's ``chromium`` package), never a browser of its
own. Without that browser the tests are skipped, or fail when ``CI`` is set.
A test also fails when the page raises a JavaScript error, logs a console
error or requests a host other than loopback (such requests are aborted).

Each tab's test saves a full-page PNG of the tab. They go to the folder named
by the ``RNN_PLAYGROUND_SCREENSHOTS`` environment variable, or else to
``screenshots/`` under pytest's temporary folder (``--basetemp``, by default
``/tmp/pytest-of-$USER/pytest-N``). The folder is printed at the end of the run.

Training on your own text runs for the shortest time the panel allows, 5 seconds.
"""

import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from playground.captioning.captioner import SHOWN_LABELS
from playground.catalog import build_registry
from playground.handwriting.sampler import DEFAULT_SAMPLING_BIAS
from playground.neurons import encode_for_explorer
from playground.own_text import MIN_TRAINING_SECONDS
from playground.textgen import DEFAULT_LENGTH, make_sampling_options, stream_text
from tabs.captioning import example_images
from tabs.neuron_explorer import DEFAULT_TEXT as EXPLORER_TEXT
from tabs.sentiment import DEFAULT_WRITE_LENGTH
from tests.browser import CHROMIUM, open_chromium, open_page, serve_app, textbox_by_label
from tests.conftest import make_play_text

SCREENSHOTS_VARIABLE = "RNN_PLAYGROUND_SCREENSHOTS"
# Long enough for a model's first load and a request on a busy 2-core machine.
RESULT_TIMEOUT_MS = 60_000
# Full-page PNGs of the rendered tabs measured 86 to 800 KB, and a blank page is a few KB.
MIN_SCREENSHOT_BYTES = 20_000


@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture(scope="module")
def app_url(registry):
    demo = serve_app(registry)
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} not found; install Debian's chromium package (apt-get install chromium)"
        )
        # CI installs the package (.ci/run), so there a missing browser must fail the tests.
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with open_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, app_url):
    """Open a fresh browser session on the app, and fail on JavaScript errors or other hosts."""
    blocked: list[str] = []
    errors: list[str] = []

    def record_console_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page = open_page(browser, app_url, blocked)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", record_console_error)
    yield page
    page.context.close()
    assert blocked == [], f"the page requested other hosts: {blocked}"
    assert errors == [], f"the page reported JavaScript errors: {errors}"


@pytest.fixture(scope="module")
def screenshot_dir(request, tmp_path_factory):
    configured = os.environ.get(SCREENSHOTS_VARIABLE)
    folder = Path(configured) if configured else tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    # Written past pytest's output capture, so that the folder shows in every run.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"browser screenshots: {folder}")


def save_screenshot(page: Page, folder: Path, name: str) -> None:
    """Save a full-page PNG of the page and check that it shows a rendered page."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    size = path.stat().st_size
    assert size > MIN_SCREENSHOT_BYTES, f"{path} has only {size} bytes"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 1000, f"{path} is {image.width} pixels wide"
        # A blank or single-colour page has very few distinct colours.
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is None or len(colours) > 50, f"{path} has {len(colours)} colours"


def slider_number(page: Page, label: str) -> Locator:
    """Return the number box that Gradio shows beside a slider and keeps in step with it."""
    return page.get_by_role("spinbutton", name=f"number input for {label}")


def drag_slider(page: Page, label: str, fraction: float) -> float:
    """Drag a slider's thumb with the mouse to ``fraction`` of its track and return the value."""
    slider = page.get_by_role("slider", name=f"range slider for {label}")
    number = slider_number(page, label)
    before = number.input_value()
    box = slider.bounding_box()
    low, high = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    y = box["y"] + box["height"] / 2
    thumb_x = box["x"] + box["width"] * (float(before) - low) / (high - low)
    page.mouse.move(thumb_x, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * fraction, y, steps=5)
    page.mouse.up()
    expect(number).not_to_have_value(before)
    return float(number.input_value())


def press_slider(page: Page, label: str, key: str, times: int = 1) -> Locator:
    """Press ``key`` on a focused slider ``times`` times and return the slider's number box."""
    slider = page.get_by_role("slider", name=f"range slider for {label}")
    slider.focus()
    for _ in range(times):
        slider.press(key)
    return slider_number(page, label)


def upload_file(page: Page, drop_zone: str, path: Path | str) -> None:
    """Click an upload area and pick ``path`` in the file chooser it opens."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=drop_zone).click()
    chooser.value.set_files(str(path))


def test_text_generation_tab(page, registry, screenshot_dir):
    prime = "JULIET:\n"
    page.get_by_label("Priming text").fill(prime)
    # Temperature 0 is greedy decoding, so the page must show the library's own text.
    expect(press_slider(page, "Temperature", "Home")).to_have_value("0")
    length = drag_slider(page, "Length (characters)", 0.05)
    assert 50 <= length <= 400, f"the drag set the length to {length}"
    options = make_sampling_options(length, 0.0, 0, None)
    expected = "".join(stream_text(registry.get("shakespeare"), prime, options)[1])
    assert len(re.findall(r"\b[A-Za-z]{2,}\b", expected[:100])) >= 10, expected

    page.get_by_role("button", name="Generate").click()
    output = textbox_by_label(page, "Generated text")
    expect(output).to_have_value(expected, timeout=RESULT_TIMEOUT_MS)
    save_screenshot(page, screenshot_dir, "text-generation")


def test_neuron_explorer_shows_cell(page, registry):
    page.get_by_role("button", name="What do single cells track?").click()
    page.get_by_label("Cell to show").fill("7")
    page.get_by_role("button", name="Show cell").click()

    coloured = page.locator(".neuron-text")
    expect(coloured).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    # One coloured span per character that the model reads.
    read_text, _, _ = encode_for_explorer(registry.get("shakespeare"), EXPLORER_TEXT)
    expect(coloured.locator("span")).to_have_count(len(read_text))
    expect(coloured.locator("span").first).to_have_attribute("style", re.compile(r"^background:"))


def test_own_text_training(page, tmp_path, screenshot_dir):
    text_file = tmp_path / "play.txt"
    text_file.write_text(make_play_text(60, seed=3), encoding="utf-8")
    page.get_by_role("button", name="Train on your own text").click()
    upload_file(page, "Click to upload or drop files", text_file)
    expect(page.get_by_text("Ready to train on")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    seconds = press_slider(page, "Training time (seconds)", "Home")
    expect(seconds).to_have_value(str(MIN_TRAINING_SECONDS))

    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Trained for")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    # The first "Priming text" box belongs to the shipped models above the panel.
    page.get_by_label("Priming text").nth(1).fill("ROMEO:\n")
    page.get_by_role("button", name="Sample from your model").click()
    own_output = page.get_by_label("Text from your model")
    # Its length slider is left at the default.
    whole_sample = re.compile(rf"^[\s\S]{{{DEFAULT_LENGTH}}}$")
    expect(own_output).to_have_value(whole_sample, timeout=RESULT_TIMEOUT_MS)
    save_screenshot(page, screenshot_dir, "own-text")


def test_handwriting_tab(page, screenshot_dir):
    text = "Hello from the lecture hall"
    page.get_by_role("tab", name="Text to handwriting").click()
    page.get_by_label("Text", exact=True).fill(text)
    hand = page.get_by_role("combobox", name="Hand")
    hand.click()
    second_hand = page.get_by_role("option").nth(1)
    hand_name = second_hand.inner_text()
    second_hand.click()
    expect(hand).to_have_value(hand_name)
    # Five steps of 0.1 up from the default.
    raised = f"{DEFAULT_SAMPLING_BIAS + 0.5:g}"
    expect(press_slider(page, "Legibility", "ArrowRight", times=5)).to_have_value(raised)

    page.get_by_role("button", name="Write", exact=True).click()
    # The page's SVG carries the written text as its <title>.
    svg = page.locator("svg", has=page.locator("title", has_text=text))
    expect(svg).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    assert svg.locator("path").count() > len(text.split())
    # gr.File lists the file as a table row whose link is named by the file size.
    link = page.get_by_role("row", name=re.compile(r"handwriting-.*\.svg")).get_by_role("link")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"<title>{text}</title>" in saved
    assert "<path" in saved
    save_screenshot(page, screenshot_dir, "handwriting")


def test_handwriting_empty_text_shows_error(page):
    page.get_by_role("tab", name="Text to handwriting").click()
    page.get_by_label("Text", exact=True).fill("")
    page.get_by_role("button", name="Write", exact=True).click()

    toast = page.get_by_test_id("toast-body")
    expect(toast).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    expect(toast).to_have_class(re.compile(r"\berror\b"))
    expect(toast).to_contain_text("Type some text to write")
    expect(toast).not_to_contain_text("Traceback")


def test_captioning_tab(page, screenshot_dir):
    page.get_by_role("tab", name="Image captioning").click()
    # Gradio's cheetah photo, which the README's captioning example also uses.
    upload_file(page, "Drop an image file here to upload", example_images()[0])
    page.get_by_role("button", name="Caption").click()

    caption = textbox_by_label(page, "Caption")
    expect(caption).to_have_value(re.compile(r"\bcheetah\b"), timeout=RESULT_TIMEOUT_MS)
    words = caption.input_value().split()
    # The attention gallery shows one thumbnail per word of the caption.
    thumbnails = page.get_by_role("button", name=re.compile(r"^Thumbnail \d+ of \d+$"))
    expect(thumbnails).to_have_count(len(words))
    expect(thumbnails.first.get_by_role("img")).to_have_accessible_name(words[0])
    # gr.Label shows its top class as a heading over one meter per class.
    expect(page.get_by_role("heading", name="cheetah", exact=True)).to_be_visible()
    expect(page.get_by_role("meter")).to_have_count(SHOWN_LABELS)
    save_screenshot(page, screenshot_dir, "image-captioning")


def test_sentiment_tab(page, screenshot_dir):
    review = "A warm, beautifully acted film. I laughed, I cried, and I loved every minute."
    page.get_by_role("tab", name="Sentiment").click()
    page.get_by_label("Review", exact=True).fill(review)
    page.get_by_role("button", name="Score").click()

    gauge = page.locator("svg", has=page.locator("title", has_text="Sentiment gauge"))
    expect(gauge).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    title = gauge.locator("title").text_content()
    reading = re.search(r"(\d+) % positive", title)
    assert reading is not None, title
    assert int(reading.group(1)) > 50, title
    # The unit's trace colours every character of the review.
    expect(page.locator(".neuron-text span")).to_have_count(len(review))
    expect(page.get_by_role("heading", name="positive", exact=True)).to_be_visible()

    page.get_by_role("button", name="Write a review").click()
    page.get_by_label("Opening (optional)").fill("The film")
    page.get_by_role("button", name="Write", exact=True).click()
    written = textbox_by_label(page, "Written review (continues the opening)")
    whole_review = re.compile(rf"^[\s\S]{{{DEFAULT_WRITE_LENGTH}}}$")
    expect(written).to_have_value(whole_review, timeout=RESULT_TIMEOUT_MS)
    save_screenshot(page, screenshot_dir, "sentiment")
