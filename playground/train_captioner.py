"""Train the attention LSTM caption decoder on a Karpathy-split caption set.

The set is either the generated scenes (``python -m playground.captioning.scenes``
writes ``dataset_scenes.json``) or COCO / Flickr8k / Flickr30k, given as their
Karpathy-split JSON plus the image folder. The encoder is frozen: its features
are computed once and cached, and each epoch trains the decoder on them.

    python -m playground.train_captioner \\
        --dataset ~/.cache/rnn-playground/captioning/scenes/dataset_scenes.json \\
        --images ~/.cache/rnn-playground/captioning/scenes/images \\
        --out checkpoints/captioner
"""

import argparse
import hashlib
import json
import logging
import math
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from playground.captioning.captioner import ImageCaptioner
from playground.captioning.encoder import encoder_provenance
from playground.captioning.features import EncodedImages, cached_encode
from playground.captioning.karpathy import load_karpathy_split
from playground.captioning.labels import display_name, imagenet_class_names, label_words
from playground.captioning.metrics import caption_scores
from playground.captioning.vocab import CaptionVocab, build_vocab, substitute_label_slots
from playground.checkpoint import save_checkpoint
from playground.data.packages import cache_dir
from playground.evaluate_char_lm import autocast
from playground.models.captioner import CaptionDecoder, CaptionerConfig, caption_loss
from playground.train_char_lm import hardware_description

logger = logging.getLogger(__name__)

TRAIN_COMMAND = "python -m playground.train_captioner"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        type=Path,
        required=True,
        help="Karpathy-split JSON (dataset_scenes.json, dataset_coco.json, dataset_flickr8k.json)",
    )
    data.add_argument("--images", type=Path, required=True, help="folder the JSON's images are in")
    data.add_argument(
        "--max-images",
        type=int,
        help="use only the first N images of each split (for quick runs and tests)",
    )
    data.add_argument(
        "--min-count", type=int, default=2, help="keep tokens seen at least this often in training"
    )
    data.add_argument(
        "--max-tokens",
        type=int,
        default=20,
        help="cut training captions to this many tokens (a cut caption teaches the decoder "
        "to stop mid-phrase, so keep it at least as long as the captions)",
    )
    data.add_argument(
        "--copy-labels",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replace caption words that name one of the encoder's top classes by label slots",
    )

    model = parser.add_argument_group("model")
    model.add_argument("--projection-dim", type=int, default=384, help="projected feature size")
    model.add_argument("--embed-dim", type=int, default=192, help="word embedding size")
    model.add_argument("--hidden-size", type=int, default=384, help="LSTM units")
    model.add_argument("--attention-dim", type=int, default=256, help="attention layer size")
    model.add_argument("--label-slots", type=int, default=5, help="encoder classes to copy from")
    model.add_argument("--dropout", type=float, default=0.5, help="dropout before the output")

    optimisation = parser.add_argument_group("optimisation")
    optimisation.add_argument("--epochs", type=int, default=12, help="passes over the captions")
    optimisation.add_argument("--batch-size", type=int, default=64, help="captions per batch")
    optimisation.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    optimisation.add_argument(
        "--attention-penalty",
        type=float,
        default=1.0,
        help="weight of the doubly stochastic attention penalty",
    )
    optimisation.add_argument(
        "--grad-clip", type=float, default=5.0, help="gradient norm clipping threshold"
    )
    optimisation.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train under bf16 autocast; the loss and evaluation stay in fp32",
    )
    optimisation.add_argument("--seed", type=int, default=1337, help="random seed")

    run = parser.add_argument_group("run")
    run.add_argument("--out", type=Path, required=True, help="checkpoint stem")
    run.add_argument(
        "--work-dir",
        type=Path,
        help="folder for the feature cache (default: <data cache>/captioning/features)",
    )
    run.add_argument("--beam-size", type=int, default=3, help="beam size for evaluation")
    run.add_argument(
        "--slot-biases",
        default="0,1,2,3",
        help="comma-separated extra logits for the label slots to try on the validation split; "
        "the one with the best CIDEr is stored and used by the app (above 3, class names "
        "start to replace nouns of the scene phrases, as in 'on a tabby in the fog')",
    )
    run.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: its own)")
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show progress bars",
    )
    return parser.parse_args(argv)


@dataclass
class EncodedSplit:
    """One split: its images' encoder outputs and, per image, its tokenised captions."""

    encoded: EncodedImages
    captions: list[list[list[str]]]
    image_ids: list[int]


def encode_split(items, work_dir: Path, num_classes: int, progress: bool) -> EncodedSplit:
    encoded = cached_encode([item.path for item in items], work_dir, num_classes, progress)
    return EncodedSplit(
        encoded,
        [[list(caption) for caption in item.captions] for item in items],
        list(range(len(items))),
    )


def slotted_captions(split: EncodedSplit, copy_labels: bool) -> list[list[list[str]]]:
    """Return each image's captions with label slots where a word names a top class."""
    if not copy_labels:
        return split.captions
    out = []
    for captions, top_classes in zip(split.captions, split.encoded.top_classes.tolist()):
        out.append(
            [substitute_label_slots(caption, top_classes, label_words) for caption in captions]
        )
    return out


def caption_batches(
    captions: list[list[list[str]]],
    vocab: CaptionVocab,
    max_tokens: int,
    batch_size: int,
    rng: np.random.Generator,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Return (image indices (B,), padded token ids (B, T+2)) batches over all captions."""
    pairs = [
        (image, vocab.encode(caption, max_tokens))
        for image, image_captions in enumerate(captions)
        for caption in image_captions
    ]
    order = rng.permutation(len(pairs))
    batches = []
    for start in range(0, len(order), batch_size):
        chosen = [pairs[i] for i in order[start : start + batch_size]]
        length = max(len(ids) for _, ids in chosen)
        tokens = torch.full((len(chosen), length), vocab.pad_id, dtype=torch.long)
        for row, (_, ids) in enumerate(chosen):
            tokens[row, : len(ids)] = torch.tensor(ids)
        batches.append((torch.tensor([image for image, _ in chosen]), tokens))
    return batches


def slot_share(captions: list[list[list[str]]], vocab: CaptionVocab) -> float:
    """Return the share of captions that use at least one label slot."""
    flat = [caption for image_captions in captions for caption in image_captions]
    with_slot = sum(any(token.startswith("<label") for token in caption) for caption in flat)
    return with_slot / max(1, len(flat))


def evaluate_split(
    captioner: ImageCaptioner, split: EncodedSplit, beam_size: int, progress: bool, desc: str
) -> tuple[dict[str, float], list[str]]:
    """Return BLEU/CIDEr of beam-search captions for ``split`` and the captions themselves."""
    captioner.decoder.eval()
    references, candidates, texts = {}, {}, []
    encoded = split.encoded
    for i in tqdm(range(len(split.image_ids)), desc=desc, disable=not progress, leave=False):
        best = captioner.caption_features(
            encoded.features[i : i + 1],
            encoded.top_classes[i],
            encoded.top_log_probs[i],
            beam_size,
        )[0]
        # Multi-word names ("teddy bear") are scored as their words.
        candidates[i] = " ".join(best.words).split()
        references[i] = [" ".join(caption).split() for caption in split.captions[i]]
        texts.append(best.text)
    return caption_scores(references, candidates), texts


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    work_dir = args.work_dir or cache_dir() / "captioning" / "features"

    # Data: the splits, their encoder features, and captions with label slots.
    splits = load_karpathy_split(args.dataset, args.images)
    for name in ("train", "val", "test"):
        if not splits.get(name):
            raise SystemExit(f"{args.dataset} has no images in its {name!r} split")
        if args.max_images:
            splits[name] = splits[name][: args.max_images]
    encoded = {
        name: encode_split(splits[name], work_dir, args.label_slots, args.progress)
        for name in ("train", "val", "test")
    }
    train_captions = slotted_captions(encoded["train"], args.copy_labels)
    vocab = build_vocab(
        (caption for captions in train_captions for caption in captions),
        args.min_count,
        args.label_slots,
    )
    logger.info(
        "%s: %d / %d / %d images (train / val / test), %d tokens in the vocabulary, "
        "%.0f%% of training captions name an encoder class",
        args.dataset.name,
        *(len(splits[name]) for name in ("train", "val", "test")),
        len(vocab),
        100 * slot_share(train_captions, vocab),
    )

    config = CaptionerConfig(
        vocab_size=len(vocab),
        projection_dim=args.projection_dim,
        embed_dim=args.embed_dim,
        hidden_size=args.hidden_size,
        attention_dim=args.attention_dim,
        num_label_slots=args.label_slots,
        dropout=args.dropout,
        feature_dim=encoded["train"].encoded.features.shape[-1],
    )
    decoder = CaptionDecoder(config)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=args.lr)
    label_names = [display_name(index) for index in range(len(imagenet_class_names()))]
    captioner = ImageCaptioner(decoder, vocab, label_names, metadata={})
    parameters = sum(p.numel() for p in decoder.parameters())
    logger.info("model: %s, %.2fM parameters", config, parameters / 1e6)

    train_features = encoded["train"].encoded.features
    train_log_probs = encoded["train"].encoded.top_log_probs[:, : args.label_slots]
    best_cider, best_state, best_epoch, history = -math.inf, None, 0, []
    started = time.monotonic()
    for epoch in range(1, args.epochs + 1):
        # One pass over every training caption, teacher-forced.
        decoder.train()
        batches = caption_batches(train_captions, vocab, args.max_tokens, args.batch_size, rng)
        total_loss, total_words = 0.0, 0
        progress = tqdm(batches, desc=f"epoch {epoch}", disable=not args.progress, leave=False)
        for images, tokens in progress:
            features = train_features[images].float()
            with autocast(features.device, args.bf16):
                logits, alphas = decoder(features, train_log_probs[images], tokens[:, :-1])
            loss, cross_entropy = caption_loss(
                logits, tokens[:, 1:], alphas.float(), vocab.pad_id, args.attention_penalty
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(decoder.parameters(), args.grad_clip)
            optimizer.step()
            words = int((tokens[:, 1:] != vocab.pad_id).sum())
            total_loss += cross_entropy.item() * words
            total_words += words
            progress.set_postfix(loss=f"{float(cross_entropy):.3f}")

        # Validation: beam-search captions scored against the references.
        scores, samples = evaluate_split(
            captioner, encoded["val"], args.beam_size, args.progress, "validation"
        )
        train_loss = total_loss / max(1, total_words)
        history.append({"epoch": epoch, "train_loss": round(train_loss, 4), "val": scores})
        improved = scores["cider"] > best_cider
        if improved:
            best_cider, best_epoch = scores["cider"], epoch
            best_state = {k: v.detach().clone() for k, v in decoder.state_dict().items()}
        logger.info(
            "epoch %d: train loss %.3f, validation BLEU-4 %.3f, CIDEr %.3f%s; e.g. %r",
            epoch,
            train_loss,
            scores["bleu4"],
            scores["cider"],
            " (best)" if improved else "",
            samples[0],
        )
    elapsed = time.monotonic() - started

    # The best epoch's weights. The validation split names objects that training
    # never showed, which only the slots can name, so it also chooses how much
    # to favour them.
    decoder.load_state_dict(best_state)
    val_scores_by_bias = {}
    for bias in parse_biases(args.slot_biases):
        captioner.slot_bias = bias
        scores, _ = evaluate_split(captioner, encoded["val"], args.beam_size, False, "bias")
        val_scores_by_bias[bias] = scores
        logger.info("slot bias %g: validation CIDEr %.3f", bias, scores["cider"])
    captioner.slot_bias = max(val_scores_by_bias, key=lambda b: val_scores_by_bias[b]["cider"])
    val_scores = val_scores_by_bias[captioner.slot_bias]

    # Scored once on the held-out test split.
    test_scores, test_samples = evaluate_split(
        captioner, encoded["test"], args.beam_size, args.progress, "test"
    )
    logger.info(
        "test split (epoch %d, slot bias %g): %s", best_epoch, captioner.slot_bias, test_scores
    )
    for sample in test_samples[:5]:
        logger.info("test caption: %s", sample)

    command = shlex.join([*TRAIN_COMMAND.split(), *(argv if argv is not None else sys.argv[1:])])
    metadata = {
        "name": args.out.name,
        "task": "captioning",
        "architecture": "CaptionDecoder",
        "config": config.to_dict(),
        "vocab": {"itos": vocab.itos},
        "label_names": label_names,
        "encoder": encoder_provenance(),
        "data": {
            "dataset": args.dataset.name,
            "dataset_sha256": hashlib.sha256(args.dataset.read_bytes()).hexdigest(),
            "images": {name: len(splits[name]) for name in ("train", "val", "test")},
            "copy_labels": args.copy_labels,
            "source": dataset_provenance(args.dataset),
        },
        "training": {
            "command": command,
            "epochs": args.epochs,
            "best_epoch": best_epoch,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "attention_penalty": args.attention_penalty,
            "time_seconds": round(elapsed, 1),
            "hardware": hardware_description(torch.device("cpu"), torch.get_num_threads()),
            "precision": "bf16 autocast" if args.bf16 else "fp32",
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "history": history,
        },
        "decoding": {
            "slot_bias": captioner.slot_bias,
            "val_cider_by_slot_bias": {
                str(bias): scores["cider"] for bias, scores in val_scores_by_bias.items()
            },
        },
        "metrics": {
            "beam_size": args.beam_size,
            "val": val_scores,
            "test": test_scores,
        },
        "parameters": parameters,
    }
    save_checkpoint(args.out, decoder.state_dict(), metadata, dtype=torch.bfloat16)
    logger.info("wrote %s.safetensors and .json", args.out)
    return {
        "test": test_scores,
        "best_epoch": best_epoch,
        "history": history,
        "slot_bias": captioner.slot_bias,
    }


def parse_biases(text: str) -> list[float]:
    try:
        biases = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(
            f"--slot-biases must be numbers separated by commas, not {text!r}"
        ) from None
    if not biases:
        raise SystemExit("--slot-biases needs at least one number")
    return biases


def dataset_provenance(dataset: Path) -> dict:
    """Return the provenance block a generated set stores in its JSON, or {} for COCO/Flickr."""
    try:
        document = json.loads(dataset.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    provenance = document.get("provenance", {}) if isinstance(document, dict) else {}
    return provenance if isinstance(provenance, dict) else {}


if __name__ == "__main__":
    main()
