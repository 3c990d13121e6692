"""Caption vocabulary, label slots and turning token ids back into a sentence.

A caption is a list of tokens. A token is usually a word, but an object name
of several words ("teddy bear") may be a single token, so that one label slot
can stand for it.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from playground.captioning.scene_captions import plural
from playground.models.captioner import END, PAD, SPECIAL_TOKENS, START, UNK, slot_token

VOWEL_SOUNDS = tuple("aeiou")
# A slot after one of these words is filled with the plural of the class name.
COUNT_WORDS = frozenset({"two", "three", "four", "five", "six", "several", "many"})


@dataclass
class CaptionVocab:
    itos: list[str]

    def __post_init__(self) -> None:
        self.stoi = {token: i for i, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("the caption vocabulary has duplicate tokens")
        missing = [token for token in SPECIAL_TOKENS if token not in self.stoi]
        if missing:
            raise ValueError(f"the caption vocabulary lacks the special tokens {missing}")
        self.pad_id, self.start_id = self.stoi[PAD], self.stoi[START]
        self.end_id, self.unk_id = self.stoi[END], self.stoi[UNK]
        self.num_label_slots = sum(1 for token in self.itos if is_slot(token))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str], max_length: int) -> list[int]:
        """Return <start>, up to ``max_length`` token ids (unknown ones as <unk>) and <end>."""
        ids = [self.stoi.get(token, self.unk_id) for token in tokens[:max_length]]
        return [self.start_id, *ids, self.end_id]

    def slot_rank(self, token_id: int) -> int | None:
        """Return the label rank of a slot token, or None for other tokens."""
        token = self.itos[token_id]
        return int(token[len("<label") : -1]) - 1 if is_slot(token) else None


def is_slot(token: str) -> bool:
    return token.startswith("<label") and token.endswith(">")


def build_vocab(
    captions: Iterable[Sequence[str]], min_count: int, num_label_slots: int
) -> CaptionVocab:
    """Return the special tokens, the label slots, then every token seen ``min_count`` times.

    The special tokens take ids 0 to 3 and the slots the ids after them, the
    order that ``playground.models.captioner.CaptionDecoder`` expects.
    """
    counts = Counter(token for caption in captions for token in caption)
    slots = [slot_token(rank) for rank in range(num_label_slots)]
    words = sorted(
        (token for token, count in counts.items() if count >= min_count and not is_slot(token)),
        key=lambda token: (-counts[token], token),
    )
    return CaptionVocab([*SPECIAL_TOKENS, *slots, *words])


def substitute_label_slots(
    tokens: Sequence[str],
    top_classes: Sequence[int],
    label_words: Callable[[int], frozenset[str]],
) -> list[str]:
    """Replace each token that names one of the encoder's top classes by that class's slot.

    ``top_classes`` are the encoder's class indices, most likely first, and
    ``label_words(index)`` the words that name a class (its synonyms and more
    general names). A plural token ("two dogs") matches too, and
    ``caption_words`` fills its slot with a plural after a count word. A token
    takes the slot of the best-ranked matching class that no earlier token
    took, so "a dog next to a dog" can use two slots.
    """

    @cache
    def names(index: int) -> frozenset[str]:
        words = label_words(index)
        return words | {plural(word) for word in words}

    used: set[int] = set()
    out = []
    for token in tokens:
        rank = next(
            (
                rank
                for rank, index in enumerate(top_classes)
                if rank not in used and token in names(index)
            ),
            None,
        )
        if rank is None:
            out.append(token)
        else:
            used.add(rank)
            out.append(slot_token(rank))
    return out


def caption_words(
    token_ids: Sequence[int], vocab: CaptionVocab, label_names: Sequence[str]
) -> list[str]:
    """Return the caption's tokens with slots filled by ``label_names`` (one per rank).

    A slot after a count word ("two") gets the plural of its name.
    """
    words: list[str] = []
    for token_id in token_ids:
        rank = vocab.slot_rank(token_id)
        if rank is None:
            words.append(vocab.itos[token_id])
        elif words and words[-1] in COUNT_WORDS:
            words.append(plural_name(label_names[rank]))
        else:
            words.append(label_names[rank])
    return words


def plural_name(name: str) -> str:
    """Return the plural of a class name; names that end in a lone "s" are kept.

    ImageNet names such as "binoculars", "jeans" and "hen-of-the-woods" are
    plural or uncountable already, while "school bus" and "beer glass" take "es".
    """
    if name.endswith("s") and not name.endswith(("ss", "us")):
        return name
    return plural(name)


def choose_articles(words: Sequence[str]) -> list[str]:
    """Return ``words`` with each "a" or "an" chosen by the next word's first letter.

    A slot filled with a class name can follow an article that the decoder
    chose for another word ("an" + "dog"), so the article is set again here.
    The first letter is used in place of the sound, so "an hour" comes out "a hour".
    """
    out = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word in ("a", "an") and following:
            word = "an" if following.lower().startswith(VOWEL_SOUNDS) else "a"
        out.append(word)
    return out
