"""The image captioner the app uses: encoder, decoder, beam search and slot filling."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from playground.captioning.encoder import GRID_SIZE, ImageEncoder, load_encoder, preprocess
from playground.captioning.features import top_classes_of
from playground.captioning.images import load_image
from playground.captioning.vocab import CaptionVocab, caption_words, choose_articles
from playground.checkpoint import (
    CheckpointError,
    checkpoint_paths,
    load_checkpoint,
    load_state_into,
)
from playground.errors import InvalidInputError
from playground.models.captioner import CaptionDecoder, CaptionerConfig, beam_search

logger = logging.getLogger(__name__)

MAX_BEAM_SIZE = 5
# Maximum caption length in tokens; the generated scenes' captions have at most 20.
MAX_CAPTION_TOKENS = 24
# How many of the encoder's classes the tab lists as "what the encoder sees".
SHOWN_LABELS = 5


@dataclass
class Caption:
    """One caption: its text, its words, and each word's attention over the grid."""

    text: str
    words: list[str]
    log_prob: float
    # (len(words), GRID_SIZE, GRID_SIZE), each map summing to 1.
    attention: np.ndarray
    # False when the length cap stopped the caption before it ended.
    finished: bool


@dataclass
class CaptionResult:
    captions: list[Caption]
    # The encoder's most likely ImageNet classes: (name, probability), best first.
    top_labels: list[tuple[str, float]]
    # The image as the model saw it before cropping (RGB, at most 1024 px on a side).
    image: Image.Image = field(repr=False)

    @property
    def caption(self) -> str:
        return self.captions[0].text


def check_beam_size(beam_size) -> int:
    """Return ``beam_size`` as an int, or raise InvalidInputError if it is not 1 to 5."""
    if isinstance(beam_size, bool) or not isinstance(beam_size, int | float):
        raise InvalidInputError(f"Beam size must be a whole number from 1 to {MAX_BEAM_SIZE}.")
    # The range check comes first: int() raises on NaN and infinity.
    if not 1 <= beam_size <= MAX_BEAM_SIZE or beam_size != int(beam_size):
        raise InvalidInputError(
            f"Beam size must be a whole number from 1 to {MAX_BEAM_SIZE}, got {beam_size}."
        )
    return int(beam_size)


class ImageCaptioner:
    def __init__(
        self,
        decoder: CaptionDecoder,
        vocab: CaptionVocab,
        label_names: list[str],
        metadata: dict,
        encoder: ImageEncoder | None = None,
    ):
        self.decoder = decoder.eval()
        self.vocab = vocab
        self.label_names = label_names
        self.metadata = metadata
        self._encoder = encoder
        self.num_label_slots = decoder.config.num_label_slots
        # Tokens that never belong in a caption.
        self.banned_ids = (vocab.pad_id, vocab.start_id, vocab.unk_id)
        # A class name fits one object, so each slot fills at most once per caption.
        self.slot_ids = tuple(range(decoder.first_slot, decoder.first_slot + self.num_label_slots))
        self.slot_bias = float(metadata.get("decoding", {}).get("slot_bias", 0.0))

    @property
    def encoder(self) -> ImageEncoder:
        if self._encoder is None:
            self._encoder = load_encoder()
        return self._encoder

    @property
    def device(self) -> torch.device:
        return next(self.decoder.parameters()).device

    @torch.no_grad()
    def caption(self, image, beam_size: int = 3) -> CaptionResult:
        """Caption an image (a path, bytes, PIL image or array) with beam search."""
        beam_size = check_beam_size(beam_size)
        picture = load_image(image)
        output = self.encoder(preprocess(picture).unsqueeze(0))
        log_probs = self.encoder.class_log_probs(picture, output.logits[0]).unsqueeze(0)
        num_classes = max(self.num_label_slots, SHOWN_LABELS)
        top_classes, top_log_probs = top_classes_of(log_probs, num_classes)
        captions = self.caption_features(
            output.features, top_classes[0], top_log_probs[0], beam_size
        )
        top_labels = [
            (self.label_names[index], float(np.exp(log_prob)))
            for index, log_prob in zip(
                top_classes[0, :SHOWN_LABELS].tolist(), top_log_probs[0, :SHOWN_LABELS].tolist()
            )
        ]
        return CaptionResult(captions, top_labels, picture)

    def slot_logit_bias(self) -> torch.Tensor | None:
        """Return the (V,) bias that adds ``slot_bias`` to the slots' logits, or None for 0."""
        if not self.slot_bias:
            return None
        bias = torch.zeros(len(self.vocab), device=self.device)
        bias[list(self.slot_ids)] = self.slot_bias
        return bias

    @torch.no_grad()
    def caption_features(
        self,
        features: torch.Tensor,
        top_classes: torch.Tensor,
        top_log_probs: torch.Tensor,
        beam_size: int = 3,
    ) -> list[Caption]:
        """Caption one image from its features (1, N, F) and top classes (K,); best first."""
        features = features.to(self.device, torch.float32)
        slots = self.num_label_slots
        hypotheses = beam_search(
            self.decoder,
            features,
            top_log_probs[:slots].to(self.device).unsqueeze(0),
            self.vocab.start_id,
            self.vocab.end_id,
            beam_size=beam_size,
            max_length=MAX_CAPTION_TOKENS,
            banned_ids=self.banned_ids,
            single_use_ids=self.slot_ids,
            logit_bias=self.slot_logit_bias(),
        )
        names = [self.label_names[index] for index in top_classes[:slots].tolist()]
        captions = []
        for hypothesis in hypotheses:
            words = choose_articles(caption_words(hypothesis.token_ids, self.vocab, names))
            attention = (
                torch.stack(hypothesis.alphas).float().cpu().numpy()
                if hypothesis.alphas
                else np.zeros((0, features.shape[1]), dtype=np.float32)
            )
            captions.append(
                Caption(
                    text=" ".join(words),
                    words=words,
                    log_prob=hypothesis.log_prob,
                    attention=attention.reshape(len(words), GRID_SIZE, GRID_SIZE),
                    finished=hypothesis.finished,
                )
            )
        return captions


def load_captioner(stem: Path, recreate_command: str, device: torch.device) -> ImageCaptioner:
    """Load a caption decoder checkpoint; the encoder loads on the first caption."""
    tensors, metadata = load_checkpoint(stem, recreate_command)
    weights_path, meta_path = checkpoint_paths(stem)
    try:
        config = CaptionerConfig(**metadata["config"])
        vocab = CaptionVocab(list(metadata["vocab"]["itos"]))
        label_names = [str(name) for name in metadata["label_names"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} is invalid ({exc}). "
            f"Recreate it with: {recreate_command}"
        ) from exc
    if config.vocab_size != len(vocab) or vocab.num_label_slots != config.num_label_slots:
        raise CheckpointError(f"Checkpoint metadata {meta_path} does not match its vocabulary.")
    decoder = CaptionDecoder(config)
    load_state_into(decoder, tensors, weights_path)
    decoder.to(device)
    return ImageCaptioner(decoder, vocab, label_names, metadata)
