"""Benchmark how legible the handwriting model writes, measured by OCR.

Usage: python -m bench.handwriting_legibility [--checkpoint checkpoints/handwriting]
       [--legibility 2.5] [--hands 0,1,2] [--out-dir DIR]

For every hand, the model writes each held-out sentence (sentences that are
not in the training text) at the given legibility. Each page is rendered to
PNG with cairosvg and read by Tesseract (Debian ``tesseract-ocr`` and
``tesseract-ocr-eng``, one text line per image: ``--psm 7``). The character
error rate (edit distance over the sentence length) is compared with the rate
of the same sentences drawn straight from that hand's font, without
variation, through the same renderer. Tesseract reads some fonts badly
(cursive above all), so the font's own rate is the baseline, not zero.
"""

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import cairosvg
import numpy as np
import torch
from PIL import Image, ImageOps
from rapidfuzz.distance import Levenshtein
from tqdm import tqdm

from playground.handwriting.fonts import load_hands
from playground.handwriting.render import PageOptions, render_page
from playground.handwriting.sampler import (
    DEFAULT_SAMPLING_BIAS,
    load_handwriting_model,
    write_lines,
)
from playground.handwriting.strokes import strokes_to_offsets
from playground.handwriting.synthetic import held_out_sentences, render_line

logger = logging.getLogger(__name__)

OCR_OPTIONS = PageOptions(page_width=1400, stroke_width=3.0, ink="#000000")
# Tesseract reads the page cropped to its ink, with a white margin, and scaled by
# OCR_SCALE. The scale was chosen on the fonts alone, never on the model's writing:
# over 20 held-out sentences, the fonts' mean error rate was 0.127 at full size,
# 0.103 at 0.75 and 0.103 at 0.5. At full size Tesseract 5 returned nothing for many
# clean Hershey Cursive lines, and at 0.5 the thin EMS fonts lost detail.
OCR_SCALE = 0.75
OCR_MARGIN_PIXELS = 20


def read_with_tesseract(svg: str, work_dir: Path, name: str) -> str:
    png = work_dir / f"{name}.png"
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(png), background_color="white")
    page = Image.open(png).convert("L")
    ink_box = ImageOps.invert(page).getbbox()
    if ink_box is not None:
        page = page.crop(ink_box)
    size = (max(1, round(page.width * OCR_SCALE)), max(1, round(page.height * OCR_SCALE)))
    page = page.resize(size, Image.Resampling.LANCZOS)
    ImageOps.expand(page, border=OCR_MARGIN_PIXELS, fill=255).save(png)
    result = subprocess.run(
        ["tesseract", str(png), "stdout", "--psm", "7", "-l", "eng"],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(result.stdout.split())


def character_error_rate(read: str, truth: str) -> float:
    return Levenshtein.distance(read, truth) / max(1, len(truth))


def font_points(hand, sentence: str) -> np.ndarray:
    """Return the sentence drawn straight from the font, as offsets in x-heights.

    These are the units of the model's written lines, so both render alike.
    """
    return strokes_to_offsets(render_line(hand, sentence, augment=False))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint", type=Path, default=Path("checkpoints/handwriting"), help="checkpoint stem"
    )
    parser.add_argument(
        "--legibility",
        type=float,
        default=DEFAULT_SAMPLING_BIAS,
        help="sampling bias to write with (default: the app's, %(default)s)",
    )
    parser.add_argument("--hands", help="comma-separated hand numbers (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument(
        "--limit", type=int, help="read only the first N held-out sentences (a quick check)"
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        help="keep the rendered PNG files here (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract not found: apt-get install tesseract-ocr tesseract-ocr-eng")

    hw = load_handwriting_model(args.checkpoint, "", torch.device("cpu"))
    font_hands = {hand.name: hand for hand in load_hands()}
    sentences = held_out_sentences()[: args.limit]
    chosen = [int(h) for h in args.hands.split(",")] if args.hands else range(len(hw.hand_names))
    work_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="legibility-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    char_width = hw.char_width
    results = {}
    for hand in chosen:
        name = hw.hand_names[hand]
        written = write_lines(hw, sentences, hand, args.legibility, seed=args.seed)
        model_rates, font_rates = [], []
        for index, (sentence, points) in enumerate(
            tqdm(list(zip(sentences, written)), desc=name, unit="sentence")
        ):
            model_svg = render_page([points], sentence, char_width, OCR_OPTIONS)
            font_svg = render_page(
                [font_points(font_hands[name], sentence)], sentence, char_width, OCR_OPTIONS
            )
            stem = f"{hand}-{index:02d}"
            model_read = read_with_tesseract(model_svg, work_dir, f"{stem}-model")
            font_read = read_with_tesseract(font_svg, work_dir, f"{stem}-font")
            model_rates.append(character_error_rate(model_read, sentence))
            font_rates.append(character_error_rate(font_read, sentence))
        results[name] = {
            "model_cer": round(statistics.mean(model_rates), 4),
            "font_cer": round(statistics.mean(font_rates), 4),
        }
        results[name]["gap"] = round(results[name]["model_cer"] - results[name]["font_cer"], 4)
        logger.info("%s: %s", name, results[name])
    gaps = [r["gap"] for r in results.values()]
    summary = {
        "checkpoint": str(args.checkpoint),
        "legibility": args.legibility,
        "sentences": len(sentences),
        "hands": results,
        "mean_gap": round(statistics.mean(gaps), 4),
    }
    print(f"{'hand':<24} {'model CER':>10} {'font CER':>10} {'gap':>8}")
    for name, r in results.items():
        print(f"{name:<24} {r['model_cer']:>10.3f} {r['font_cer']:>10.3f} {r['gap']:>+8.3f}")
    print(f"mean gap over hands: {summary['mean_gap']:+.3f} (PNG files in {work_dir})")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
