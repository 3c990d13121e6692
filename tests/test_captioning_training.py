"""The caption trainer on the COCO-style fixture, and a tiny decoder that learns real scenes."""

import torch
from gradio.media import get_image

from playground.captioning.captioner import load_captioner
from playground.captioning.encoder import load_encoder, preprocess_batch
from playground.captioning.scenes import generate_dataset
from playground.captioning.vocab import build_vocab
from playground.models.captioner import (
    CaptionDecoder,
    CaptionerConfig,
    beam_search,
    caption_loss,
)
from playground.train_captioner import main
from tests.conftest import KARPATHY_FIXTURES, train_needing_wordnet

TINY_MODEL = [
    "--projection-dim",
    "16",
    "--embed-dim",
    "8",
    "--hidden-size",
    "16",
    "--attention-dim",
    "8",
]


def test_trainer_reads_coco_split_and_writes_checkpoint(tmp_path):
    result = train_needing_wordnet(
        main,
        [
            "--dataset",
            str(KARPATHY_FIXTURES / "dataset_coco.json"),
            "--images",
            str(KARPATHY_FIXTURES / "coco"),
            "--out",
            str(tmp_path / "coco-captioner"),
            "--work-dir",
            str(tmp_path / "features"),
            "--min-count",
            "1",
            "--epochs",
            "2",
            "--no-progress",
            *TINY_MODEL,
        ],
    )
    assert set(result["test"]) == {"bleu1", "bleu2", "bleu3", "bleu4", "cider"}
    assert len(result["history"]) == 2
    captioner = load_captioner(tmp_path / "coco-captioner", "", torch.device("cpu"))
    assert captioner.metadata["data"]["images"] == {"train": 2, "val": 1, "test": 1}
    assert captioner.metadata["data"]["dataset"] == "dataset_coco.json"
    assert captioner.caption(get_image("cheetah.jpg"), beam_size=2).caption


def test_feature_cache_is_reused(tmp_path):
    arguments = [
        "--dataset",
        str(KARPATHY_FIXTURES / "dataset_flickr8k.json"),
        "--images",
        str(KARPATHY_FIXTURES / "flickr8k"),
        "--out",
        str(tmp_path / "flickr-captioner"),
        "--work-dir",
        str(tmp_path / "features"),
        "--min-count",
        "1",
        "--epochs",
        "1",
        "--no-progress",
        *TINY_MODEL,
    ]
    train_needing_wordnet(main, arguments)
    cached = sorted((tmp_path / "features").glob("features-*.safetensors"))
    assert len(cached) == 3
    stamps = [path.stat().st_mtime_ns for path in cached]
    main(arguments)
    assert [path.stat().st_mtime_ns for path in cached] == stamps


def test_tiny_decoder_overfits_generated_scenes(catalog):
    scenes = list(generate_dataset(4, seed=3, split="train", catalog=catalog))
    captions = [scene.captions[0] for scene in scenes]
    encoder = load_encoder()
    output = encoder(preprocess_batch([scene.image for scene in scenes]))
    label_log_probs = output.logits.log_softmax(-1).topk(3, dim=-1).values
    vocab = build_vocab(captions, min_count=1, num_label_slots=3)

    torch.manual_seed(0)
    config = CaptionerConfig(
        vocab_size=len(vocab),
        projection_dim=32,
        embed_dim=16,
        hidden_size=64,
        attention_dim=32,
        num_label_slots=3,
        dropout=0.0,
    )
    decoder = CaptionDecoder(config)
    length = max(len(caption) for caption in captions) + 2
    tokens = torch.full((len(captions), length), vocab.pad_id)
    for row, caption in enumerate(captions):
        ids = vocab.encode(caption, 30)
        tokens[row, : len(ids)] = torch.tensor(ids)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=5e-3)
    for _ in range(200):
        logits, alphas = decoder(output.features, label_log_probs, tokens[:, :-1])
        loss, cross_entropy = caption_loss(logits, tokens[:, 1:], alphas, vocab.pad_id, 0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert cross_entropy.item() < 0.05

    decoder.eval()
    for row, caption in enumerate(captions):
        best = beam_search(
            decoder,
            output.features[row : row + 1],
            label_log_probs[row : row + 1],
            vocab.start_id,
            vocab.end_id,
            beam_size=3,
            max_length=30,
        )[0]
        assert [vocab.itos[i] for i in best.token_ids] == caption
