"""Pictures of sentiment: a needle gauge as SVG, and a text coloured by sentiment.

Both run from red (negative) through white (neutral) to green (positive).
The gauge is a half dial whose needle points left at probability 0, up at
0.5 and right at 1. It contains no script, and svgwrite escapes its text.
"""

import math
import re

import numpy as np
import svgwrite

from playground.neurons import MIN_COLOUR_LEVEL, activation_html

# The gauge's coordinate system (its viewBox) and the dial's geometry, in SVG user units.
GAUGE_WIDTH = 240
GAUGE_HEIGHT = 190
DIAL_CENTRE = (120.0, 125.0)
DIAL_OUTER_RADIUS = 100.0
DIAL_INNER_RADIUS = 68.0
# The coloured band is drawn as this many wedges, each of one colour.
DIAL_WEDGES = 30
OUTLINE_COLOUR = "#888888"
NEEDLE_COLOUR = "#333333"
FONT = "system-ui, sans-serif"

# Characters that XML 1.0 does not allow anywhere in a document.
XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_probability(probability) -> float:
    """Check that ``probability`` is a number in [0, 1] and return it as a float.

    Raises ValueError for anything else, NaN included.
    """
    try:
        value = float(probability)
    except (TypeError, ValueError):
        raise ValueError(f"A probability must be a number, not {probability!r}.") from None
    # NaN fails this comparison too.
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"A probability must be between 0 and 1, not {value}.")
    return value


def sentiment_colour(probability: float) -> str:
    """Map a probability of "positive" to a CSS colour: red at 0, white at 0.5, green at 1."""
    signed = 2.0 * check_probability(probability) - 1.0
    strength = int(round(255 - (255 - MIN_COLOUR_LEVEL) * abs(signed)))
    if signed >= 0:
        return f"rgb({strength},255,{strength})"
    return f"rgb(255,{strength},{strength})"


def percent_positive(probability: float) -> str:
    return f"{check_probability(probability) * 100:.0f} % positive"


def needle_angle(probability: float) -> float:
    """Return the needle's clockwise rotation from straight up, in degrees (-90 to 90)."""
    return (check_probability(probability) - 0.5) * 180.0


def dial_point(probability: float, radius: float) -> tuple[float, float]:
    """Return the point on the dial at ``probability`` and ``radius``, in SVG coordinates."""
    # Probability 0 lies at 180 degrees (left) and 1 at 0 degrees (right). SVG's y points down.
    theta = math.pi * (1.0 - probability)
    cx, cy = DIAL_CENTRE
    return cx + radius * math.cos(theta), cy - radius * math.sin(theta)


def band_path(start: float, end: float) -> str:
    """Return path data for the dial's band between two probabilities (start < end)."""
    outer, inner = DIAL_OUTER_RADIUS, DIAL_INNER_RADIUS
    (x0, y0), (x1, y1) = dial_point(start, outer), dial_point(end, outer)
    (x2, y2), (x3, y3) = dial_point(end, inner), dial_point(start, inner)
    # Sweep flag 1 runs clockwise on screen, so the outer arc goes from left to right over the top.
    return (
        f"M {x0:.2f} {y0:.2f} A {outer:g} {outer:g} 0 0 1 {x1:.2f} {y1:.2f} "
        f"L {x2:.2f} {y2:.2f} A {inner:g} {inner:g} 0 0 0 {x3:.2f} {y3:.2f} Z"
    )


def xml_text(text: str) -> str:
    """Drop the characters that no XML document may contain; svgwrite escapes the rest."""
    return XML_INVALID.sub("", text)


def gauge_svg(probability: float, caption: str = "") -> str:
    """Draw a needle gauge showing a probability of "positive" and return the SVG document.

    Raises ValueError unless ``probability`` is a number in [0, 1]. The
    caption is plain text shown under the reading.
    """
    probability = check_probability(probability)
    if not isinstance(caption, str):
        raise TypeError(f"The caption must be a string, not {type(caption).__name__}.")
    caption = xml_text(caption)
    reading = percent_positive(probability)
    cx, cy = DIAL_CENTRE

    drawing = svgwrite.Drawing(size=(f"{GAUGE_WIDTH}px", f"{GAUGE_HEIGHT}px"), profile="full")
    drawing.viewbox(0, 0, GAUGE_WIDTH, GAUGE_HEIGHT)
    drawing.set_desc(title=f"Sentiment gauge: {reading}", desc=caption or None)

    # The coloured band, one wedge per colour, with a grey outline so its white middle shows.
    band = drawing.g(class_="dial")
    edges = np.linspace(0.0, 1.0, DIAL_WEDGES + 1)
    for start, end in zip(edges[:-1], edges[1:]):
        colour = sentiment_colour((start + end) / 2)
        # A stroke of the fill's colour hides the hairline seams between wedges.
        wedge = drawing.path(d=band_path(start, end), fill=colour, stroke=colour, stroke_width=0.6)
        band.add(wedge)
    band.add(drawing.path(d=band_path(0.0, 1.0), fill="none", stroke=OUTLINE_COLOUR))
    drawing.add(band)

    # The ends and the middle of the scale.
    labels = drawing.g(font_family=FONT, font_size=11, fill="#555555", text_anchor="middle")
    middle_radius = (DIAL_OUTER_RADIUS + DIAL_INNER_RADIUS) / 2
    labels.add(drawing.text("negative", insert=(cx - middle_radius, cy + 15)))
    labels.add(drawing.text("positive", insert=(cx + middle_radius, cy + 15)))
    labels.add(drawing.text("neutral", insert=(cx, cy - DIAL_OUTER_RADIUS - 6)))
    drawing.add(labels)

    # The needle is drawn pointing straight up, then rotated about the dial's centre.
    needle = drawing.g(class_="needle", fill=NEEDLE_COLOUR)
    needle.rotate(round(needle_angle(probability), 3), center=(cx, cy))
    tip = DIAL_OUTER_RADIUS - 4
    needle.add(drawing.polygon([(cx - 4, cy), (cx, cy - tip), (cx + 4, cy)]))
    needle.add(drawing.circle(center=(cx, cy), r=7))
    drawing.add(needle)

    drawing.add(
        drawing.text(
            reading,
            insert=(cx, cy + 38),
            class_="reading",
            font_family=FONT,
            font_size=18,
            font_weight="bold",
            text_anchor="middle",
            fill=NEEDLE_COLOUR,
        )
    )
    if caption:
        drawing.add(
            drawing.text(
                caption,
                insert=(cx, cy + 56),
                class_="caption",
                font_family=FONT,
                font_size=12,
                text_anchor="middle",
                fill="#555555",
            )
        )
    return drawing.tostring()


def sentiment_text_html(text: str, probabilities: np.ndarray) -> str:
    """Render text with each character's background coloured by its probability of "positive".

    The text is escaped; hovering over a character shows its probability.
    """
    return activation_html(text, probabilities, colour=sentiment_colour, tooltip=percent_positive)
