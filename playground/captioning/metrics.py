"""BLEU-1 to BLEU-4 and CIDEr-D of generated captions against reference captions.

The scorers are pycocoevalcap's pure-Python ones, the implementations that the
COCO caption evaluation uses. The COCO toolkit first runs the Stanford PTB
tokenizer, which needs Java. The captions here are already lowercase word
tokens, so they are joined with spaces and scored as they are.
"""

from collections.abc import Mapping, Sequence

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider


def caption_scores(
    references: Mapping[int, Sequence[Sequence[str]]],
    candidates: Mapping[int, Sequence[str]],
) -> dict[str, float]:
    """Return BLEU-1..4 and CIDEr for ``candidates`` (one token list per image id).

    ``references`` maps the same image ids to their reference captions. Tokens
    that hold spaces (multi-word object names) are scored as their words.
    """
    if set(references) != set(candidates):
        raise ValueError("references and candidates must cover the same image ids")
    if not candidates:
        raise ValueError("there are no captions to score")
    gts = {key: [" ".join(caption) for caption in captions] for key, captions in references.items()}
    res = {key: [" ".join(caption)] for key, caption in candidates.items()}
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    cider, _ = Cider().compute_score(gts, res)
    scores = {f"bleu{n}": round(float(value), 4) for n, value in enumerate(bleu, start=1)}
    scores["cider"] = round(float(cider), 4)
    return scores
