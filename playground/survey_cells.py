"""Find the cells of a text model that track each feature, and record them in its metadata.

Usage: python -m playground.survey_cells --checkpoint checkpoints/linux-c --text FILE

For each feature of ``playground.neurons.FEATURES``, the command reads the
windows of ``FILE`` (the model's held-out text) in which the feature varies.
It ranks every cell by the correlation of its activation with the feature and
writes the best cells to the ``cell_survey`` entry of the checkpoint's JSON. The training
command runs the same survey on its validation text when it finishes.
"""

import argparse
import json
import logging
from pathlib import Path

import torch

from playground.checkpoint import checkpoint_paths
from playground.neurons import (
    SURVEY_MAX_CHARS,
    SURVEY_TOP_CELLS,
    SURVEY_WINDOW_CHARS,
    describe_cell,
    survey_cells,
)

logger = logging.getLogger(__name__)


def record_cell_survey(stem: Path, text: str, text_name: str) -> dict:
    """Survey the checkpoint at ``stem`` on ``text`` and store the result in its metadata."""
    from playground.textgen import load_char_language_model

    lm = load_char_language_model(Path(stem), "", torch.device("cpu"))
    survey = survey_cells(lm, text)
    _, meta_path = checkpoint_paths(stem)
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    metadata["cell_survey"] = {
        "text": text_name,
        "window_chars": SURVEY_WINDOW_CHARS,
        "max_chars_per_feature": SURVEY_MAX_CHARS,
        "activation": "tanh of the cell state",
        "features": survey,
    }
    meta_path.write_text(
        json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    hidden = lm.stepper_weights.hidden_size
    for feature, result in survey.items():
        best = ", ".join(
            f"{describe_cell(cell, hidden)} (r={r:+.2f})" for cell, r in result["cells"]
        )
        logger.info("%s, over %d characters: %s", feature, result["chars"], best)
    return survey


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="checkpoint stem, e.g. checkpoints/python"
    )
    parser.add_argument(
        "--text", type=Path, required=True, help="UTF-8 text to read, normally the held-out split"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    logger.info("best %d cells per feature of %s", SURVEY_TOP_CELLS, args.checkpoint)
    return record_cell_survey(
        args.checkpoint, args.text.read_text(encoding="utf-8"), args.text.name
    )


if __name__ == "__main__":
    main()
