"""Captions for generated scenes, built from templates over the objects and the background.

A caption is a list of lowercase, punctuation-free tokens. Each object noun
is ONE token even when it has spaces ("teddy bear"), and so is its plural
("teddy bears"), so that a decoder can emit a noun as a unit and a trainer
can match it against class names. The scene phrase ("on a sand dune") is
split into words. ``raw`` is the same sentence with a capital, commas
between listed objects and a full stop.
"""

from dataclasses import dataclass

import numpy as np

NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}

# Plurals that the suffix rules in plural() get wrong.
IRREGULAR_PLURALS = {
    "mouse": "mice",
    "goose": "geese",
    "woodlouse": "woodlice",
    "tooth": "teeth",
    "foot": "feet",
    "man": "men",
    "woman": "women",
    "child": "children",
    "person": "people",
    "scarf": "scarves",
    "leaf": "leaves",
    "knife": "knives",
    "wolf": "wolves",
    "calf": "calves",
    "shelf": "shelves",
    "potato": "potatoes",
    "tomato": "tomatoes",
    "mango": "mangoes",
    "volcano": "volcanoes",
    "hero": "heroes",
    "cactus": "cacti",
}
# Nouns whose plural is the same word.
UNCHANGED_PLURALS = {
    "sheep", "deer", "fish", "bison", "wildebeest", "reindeer", "elk", "moose", "fowl",
    "lionfish", "clownfish", "butterflyfish", "squid", "salmon", "trout", "aircraft", "yak",
}  # fmt: skip
# Words that start with a vowel letter but not a vowel sound, and the reverse.
CONSONANT_SOUND_PREFIXES = ("uni", "use", "usu", "eu", "one", "ukulele")
VOWEL_SOUND_WORDS = ("hour", "honest", "honour", "heir")


def plural(noun: str) -> str:
    """Return the plural of a noun of one to three words.

    "X of Y" nouns take the plural on X ("pair of scissors" -> "pairs of
    scissors"); other multi-word nouns on their last word ("teddy bears").
    """
    if " of " in noun:
        head, tail = noun.split(" of ", 1)
        return f"{plural(head)} of {tail}"
    *first, last = noun.split(" ")
    return " ".join([*first, plural_word(last)])


def plural_word(word: str) -> str:
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if word in UNCHANGED_PLURALS:
        return word
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def article(word: str) -> str:
    """Return "a" or "an" for the word that follows it."""
    if word.startswith(VOWEL_SOUND_WORDS):
        return "an"
    if word.startswith(CONSONANT_SOUND_PREFIXES):
        return "a"
    return "an" if word[:1] in "aeiou" else "a"


@dataclass(frozen=True)
class SceneObject:
    """An object as captions see it: its noun, its box in pixels and its visible area."""

    noun: str
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1)
    area: float  # visible (alpha-weighted) pixels as a share of the image


@dataclass(frozen=True)
class ObjectGroup:
    """The objects of one noun: one phrase ("a dog", "two dogs") in a caption."""

    noun: str
    count: int
    box: tuple[int, int, int, int]  # the union of the members' boxes
    area: float  # the members' summed area share

    def phrase(self, adjective: str | None = None) -> list[str]:
        """Return the group's tokens: article or number, optional adjective, noun token."""
        if self.count == 1:
            head = adjective or self.noun
            return [article(head), *([adjective] if adjective else []), self.noun]
        return [NUMBER_WORDS[self.count], *([adjective] if adjective else []), plural(self.noun)]


def group_objects(objects: list[SceneObject]) -> list[ObjectGroup]:
    """Group objects by noun, the group with the largest object first."""
    by_noun: dict[str, list[SceneObject]] = {}
    for obj in sorted(objects, key=lambda o: -o.area):
        by_noun.setdefault(obj.noun, []).append(obj)
    groups = []
    for noun, members in by_noun.items():
        boxes = np.array([m.box for m in members])
        box = (*boxes[:, :2].min(0).tolist(), *boxes[:, 2:].max(0).tolist())
        groups.append(ObjectGroup(noun, len(members), box, sum(m.area for m in members)))
    return groups


# ---------------------------------------------------------------------------
# Sentence pieces. A sentence is a list of tokens plus "," markers, which
# only the raw text keeps.

COMMA = ","


def list_phrase(groups: list[ObjectGroup]) -> list[str]:
    """Return "a dog", "a dog and a cat" or "a dog , a cat and a ball" (with comma markers)."""
    words: list[str] = []
    for i, group in enumerate(groups):
        if i > 0:
            words.append("and" if i == len(groups) - 1 else COMMA)
        words.extend(group.phrase())
    return words


def verb_for(group: ObjectGroup) -> str:
    return "is" if group.count == 1 else "are"


def position_words(box: tuple[int, int, int, int], size: int) -> list[str]:
    """Return where a box's centre lies: "on the left", "at the top", "in the middle", ..."""
    x0, y0, x1, y1 = box
    dx = (x0 + x1) / 2 / size - 0.5
    dy = (y0 + y1) / 2 / size - 0.5
    if max(abs(dx), abs(dy)) < 0.15:
        return ["in", "the", "middle"]
    if abs(dx) >= abs(dy):
        return ["on", "the", "left" if dx < 0 else "right"]
    return ["at", "the", "top" if dy < 0 else "bottom"]


def relation_words(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> list[str]:
    """Return where box ``a`` lies relative to box ``b``, along the larger centre offset."""
    dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2
    dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
    if abs(dx) >= abs(dy):
        return ["to", "the", "left" if dx < 0 else "right", "of"]
    return ["above"] if dy < 0 else ["below"]


# Size words are used only when one group is at least this many times larger.
SIZE_RATIO = 3.0
LARGE_AREA = 0.2  # an object covering a fifth of the image is "large"
SMALL_AREA = 0.03
SIZE_ADJECTIVES = [("large", "small"), ("big", "small"), ("big", "little")]
PICTURE_WORDS = [["a", "photo", "of"], ["a", "picture", "of"], ["an", "image", "of"]]


def candidate_sentences(
    groups: list[ObjectGroup], scene: list[str], size: int, rng: np.random.Generator
) -> list[list[str]]:
    """Return every template's sentence for these groups; each names all groups and the scene."""
    everything = list_phrase(groups)
    first = groups[0]
    sentences = [
        everything + scene,
        ["there", verb_for(first), *everything, *scene],
        scene + [COMMA, "there", verb_for(first), *everything],
        *[words + everything + scene for words in PICTURE_WORDS],
    ]

    # Where each group is in the picture; three positions make too long a sentence.
    if len(groups) <= 2:
        placed = first.phrase() + position_words(first.box, size)
        for group in groups[1:]:
            placed += ["and", *group.phrase(), *position_words(group.box, size)]
        sentences.append(placed + scene)
        sentences.append(scene + [COMMA, "there", verb_for(first), *placed])

    if len(groups) == 1:
        if first.count == 1 and first.area >= LARGE_AREA:
            sentences.append(["a", "close", "up", "of", *first.phrase(), *scene])
        adjective = size_adjective(first.area, rng)
        if adjective:
            sentences.append(first.phrase(adjective) + scene)
        return sentences

    # The first two groups related by position, then the rest listed.
    second, rest = groups[1], groups[2:]
    related = first.phrase() + relation_words(first.box, second.box) + second.phrase()
    if rest:
        related += ["and", *list_phrase(rest)]
    sentences.append(related + scene)
    sentences.append([*first.phrase(), verb_for(first), *related[len(first.phrase()) :], *scene])

    # Relative size, when the difference is plain to see.
    if first.area >= SIZE_RATIO * second.area:
        big, small = SIZE_ADJECTIVES[rng.integers(len(SIZE_ADJECTIVES))]
        if rest:
            sized = [*first.phrase(big), COMMA, *second.phrase(small), "and", *list_phrase(rest)]
        else:
            sized = [*first.phrase(big), "and", *second.phrase(small)]
        next_to = [*first.phrase(big), "next", "to", *second.phrase(small)]
        if rest:
            next_to += ["and", *list_phrase(rest)]
        sentences.append(sized + scene)
        sentences.append(next_to + scene)
    return sentences


def size_adjective(area: float, rng: np.random.Generator) -> str | None:
    if area >= LARGE_AREA:
        return ["large", "big"][rng.integers(2)]
    if area <= SMALL_AREA:
        return ["small", "little"][rng.integers(2)]
    return None


def to_tokens(sentence: list[str]) -> list[str]:
    return [word for word in sentence if word != COMMA]


def to_raw(sentence: list[str]) -> str:
    text = ""
    for word in sentence:
        text += word if word == COMMA or not text else " " + word
    return text[:1].upper() + text[1:] + "."


def make_captions(
    objects: list[SceneObject],
    scene: str,
    size: int,
    rng: np.random.Generator,
    num_captions: int = 5,
    largest_first: float = 0.8,
) -> tuple[list[list[str]], list[str]]:
    """Return ``num_captions`` (tokens, raw) captions of the objects in the scene.

    The groups are ordered largest first with probability ``largest_first``
    and shuffled otherwise. Each caption comes from a different template
    unless ``num_captions`` exceeds the templates that apply (at least eight).
    """
    groups = group_objects(objects)
    if len(groups) > 1 and rng.random() >= largest_first:
        groups = [groups[i] for i in rng.permutation(len(groups))]
    scene_words = scene.split(" ")
    sentences = candidate_sentences(groups, scene_words, size, rng)
    order = rng.permutation(len(sentences))
    chosen = [sentences[i] for i in order[:num_captions]]
    while len(chosen) < num_captions:
        chosen.append(sentences[order[len(chosen) % len(sentences)]])
    return [to_tokens(s) for s in chosen], [to_raw(s) for s in chosen]
