"""Character vocabulary: the itos list, the stoi map and lenient encoding."""

import unicodedata
from dataclasses import dataclass, field

# Characters that a prime often contains but a plain-text corpus spells in ASCII.
ASCII_LOOKALIKES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2032": "'",
    "\u2033": '"',
    "\u2013": "-",
    "\u2014": "--",
    "\u2015": "--",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u00ab": '"',
    "\u00bb": '"',
    "\t": " ",
    "\u2039": "'",
    "\u203a": "'",
    # Latin letters that Unicode does not decompose into a base letter and a mark.
    "\u00df": "ss",
    "\u00e6": "ae",
    "\u00c6": "AE",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00f8": "o",
    "\u00d8": "O",
    "\u0142": "l",
    "\u0141": "L",
    "\u0111": "d",
    "\u0110": "D",
    "\u00fe": "th",
    "\u00de": "Th",
}


@dataclass
class EncodedPrime:
    """Ids of a prime plus the characters that had to be replaced or dropped."""

    ids: list[int]
    text: str
    replaced: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


class CharVocab:
    def __init__(self, itos: list[str]):
        if len(set(itos)) != len(itos):
            raise ValueError("vocabulary contains duplicate characters")
        if any(len(ch) != 1 for ch in itos):
            raise ValueError("every vocabulary entry must be exactly one character")
        self.itos = list(itos)
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, ch: str) -> bool:
        return ch in self.stoi

    def encode(self, text: str) -> list[int]:
        """Encode text whose characters are all in the vocabulary (raises KeyError otherwise)."""
        return [self.stoi[ch] for ch in text]

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)

    def encode_lenient(self, text: str) -> EncodedPrime:
        """Encode any text: map look-alikes and accents to vocabulary characters, drop the rest."""
        for src, dst in (("\r\n", "\n"), ("\r", "\n")):
            text = text.replace(src, dst)
        ids: list[int] = []
        kept: list[str] = []
        replaced: dict[str, str] = {}
        dropped: list[str] = []
        for ch in text:
            if ch in self.stoi:
                ids.append(self.stoi[ch])
                kept.append(ch)
                continue
            substitute = self._substitute(ch)
            if substitute is None:
                if ch not in dropped:
                    dropped.append(ch)
                continue
            replaced[ch] = substitute
            ids.extend(self.stoi[c] for c in substitute)
            kept.append(substitute)
        return EncodedPrime(ids=ids, text="".join(kept), replaced=replaced, dropped=dropped)

    def _substitute(self, ch: str) -> str | None:
        """Return an in-vocabulary spelling of ``ch``, or None when there is none."""
        candidates = []
        if ch in ASCII_LOOKALIKES:
            candidates.append(ASCII_LOOKALIKES[ch])
        # NFKD splits accented letters into base letter + combining mark ("é" -> "e" + U+0301).
        decomposed = unicodedata.normalize("NFKD", ch)
        candidates.append("".join(c for c in decomposed if not unicodedata.combining(c)))
        candidates.extend([ch.lower(), ch.upper()])
        for candidate in candidates:
            if candidate and candidate != ch and all(c in self.stoi for c in candidate):
                return candidate
        return None
