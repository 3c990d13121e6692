"""From typed text to a handwritten SVG page: checks, character mapping, wrapping, writing."""

import re
from dataclasses import dataclass, replace

from playground.errors import InvalidInputError, describe_json_value
from playground.handwriting.render import PageOptions, max_chars_per_line, render_page, wrap_text
from playground.handwriting.sampler import HandwritingModel, write_lines

MAX_TEXT_LENGTH = 500
MIN_PAGE_WIDTH, MAX_PAGE_WIDTH = 300, 2000
MIN_STROKE_WIDTH, MAX_STROKE_WIDTH = 0.5, 8.0
MIN_LINE_SPACING, MAX_LINE_SPACING = 1.5, 6.0
# Ink colours: #rgb, #rrggbb, or the rgb()/rgba() form that colour pickers send.
COLOUR_PATTERN = re.compile(
    r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}"
    r"|rgba?\(\s*\d{1,3}(\.\d+)?\s*,\s*\d{1,3}(\.\d+)?\s*,\s*\d{1,3}(\.\d+)?\s*"
    r"(,\s*(0|1|0?\.\d+)\s*)?\)"
)


@dataclass
class PreparedText:
    text: str
    replaced: dict[str, str]
    dropped: list[str]

    def describe(self) -> str:
        """Return a sentence on mapped and skipped characters ('' when there were none)."""
        parts = []
        if self.replaced:
            pairs = ", ".join(f"{src!r} as {dst!r}" for src, dst in self.replaced.items())
            parts.append(f"wrote {pairs}")
        if self.dropped:
            parts.append("skipped " + ", ".join(repr(ch) for ch in self.dropped[:20]))
        return ("Characters outside printable ASCII: " + "; ".join(parts) + ".") if parts else ""


def prepare_text(hw: HandwritingModel, text) -> PreparedText:
    """Check the typed text and map it onto the model's alphabet."""
    if text is None:
        raise InvalidInputError("Type some text to write.")
    if not isinstance(text, str):
        raise InvalidInputError(f"The text must be a string, not {describe_json_value(text)}.")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInputError(
            f"The text has {len(text)} characters; the maximum is {MAX_TEXT_LENGTH}."
        )
    # Line breaks separate paragraphs; the alphabet itself has none.
    paragraphs = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    replaced: dict[str, str] = {}
    dropped: list[str] = []
    mapped = []
    for paragraph in paragraphs:
        encoded = hw.vocab.encode_lenient(paragraph)
        replaced.update(encoded.replaced)
        dropped.extend(ch for ch in encoded.dropped if ch not in dropped)
        mapped.append(encoded.text)
    result = "\n".join(mapped)
    if not result.strip():
        raise InvalidInputError(
            "Type some text to write; only printable ASCII characters (and look-alikes) "
            "can be written."
        )
    return PreparedText(result, replaced, dropped)


def check_page_options(options: PageOptions) -> None:
    checks = [
        ("Page width", options.page_width, MIN_PAGE_WIDTH, MAX_PAGE_WIDTH),
        ("Stroke width", options.stroke_width, MIN_STROKE_WIDTH, MAX_STROKE_WIDTH),
        ("Line spacing", options.line_spacing, MIN_LINE_SPACING, MAX_LINE_SPACING),
    ]
    for name, value, low, high in checks:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not low <= value <= high
        ):
            raise InvalidInputError(f"{name} must be between {low:g} and {high:g}, not {value!r}.")
    ink_to_hex(options.ink)


def ink_to_hex(ink: str) -> str:
    """Return the ink colour as #rrggbb; raise InvalidInputError for anything else.

    Colour pickers send #rgb, #rrggbb, rgb() or rgba() with fractional values,
    but SVG 1.1, which svgwrite checks against, takes neither rgba() nor
    fractions in rgb(). The alpha of rgba() is dropped, so the ink is opaque.
    """
    match = COLOUR_PATTERN.fullmatch(ink.strip()) if isinstance(ink, str) else None
    if match is None:
        raise InvalidInputError(
            "Ink must be a colour such as #1a2a6c or rgb(26, 42, 108), "
            f"not {describe_json_value(ink)}."
        )
    colour = ink.strip()
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(digit * 2 for digit in digits)
        return "#" + digits.lower()
    channels = [float(value) for value in re.findall(r"\d+(?:\.\d+)?", colour)[:3]]
    if any(channel > 255 for channel in channels):
        raise InvalidInputError(f"Ink channels must be 0 to 255, not {colour!r}.")
    return "#" + "".join(f"{round(channel):02x}" for channel in channels)


def write_page(
    hw: HandwritingModel,
    text: str,
    hand: int,
    sampling_bias: float,
    options: PageOptions,
    seed: int | None = None,
) -> tuple[str, PreparedText]:
    """Write ``text`` in hand number ``hand``; return the SVG document and the mapping notes."""
    check_page_options(options)
    options = replace(options, ink=ink_to_hex(options.ink))
    prepared = prepare_text(hw, text)
    lines = wrap_text(prepared.text, max_chars_per_line(options.page_width))
    written = write_lines(hw, [line for line in lines if line], hand, sampling_bias, seed=seed)
    written_iter = iter(written)
    lines_points = [next(written_iter) if line else None for line in lines]
    svg = render_page(lines_points, " ".join(lines), hw.char_width, options)
    return svg, prepared
