from playground.vocab import CharVocab


def test_round_trip_every_character():
    text = "ROMEO:\nBut soft! what light through yonder window breaks?\n"
    vocab = CharVocab.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert len(vocab) == len(set(text))
    assert vocab.itos == sorted(set(text))


def test_vocab_rejects_duplicates_and_multichar_entries():
    for itos in (["a", "a"], ["ab"]):
        try:
            CharVocab(itos)
        except ValueError:
            continue
        raise AssertionError(f"CharVocab accepted {itos!r}")


def test_lenient_encoding_maps_lookalikes():
    vocab = CharVocab.from_text("abcdefinostuv'\" -.\n")
    encoded = vocab.encode_lenient("\u201cnaïve caf\u00e9\u201d \u2014 it\u2019s")
    assert encoded.text == '"naive cafe" -- it\'s'
    assert encoded.replaced["\u00e9"] == "e"
    assert encoded.replaced["\u2019"] == "'"
    assert encoded.dropped == []
    assert vocab.decode(encoded.ids) == encoded.text


def test_lenient_encoding_drops_unknown_characters():
    vocab = CharVocab.from_text("abc ")
    encoded = vocab.encode_lenient("a\U0001f600b\u05d0c\x00a\U0001f600")
    assert encoded.text == "abca"
    assert encoded.dropped == ["\U0001f600", "\u05d0", "\x00"]


def test_lenient_encoding_uses_other_case():
    vocab = CharVocab.from_text("ABC ")
    assert vocab.encode_lenient("abc").text == "ABC"


def test_lenient_encoding_normalises_newlines():
    vocab = CharVocab.from_text("a\n")
    assert vocab.encode_lenient("a\r\na\ra").text == "a\na\na"


def test_letters_without_decomposition_are_spelled_out():
    vocab = CharVocab(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ '"))
    encoded = vocab.encode_lenient("Straße, Ærø, Łódź \u2039x\u203a")
    assert encoded.text == "Strasse AEro Lodz 'x'"
    assert encoded.dropped == [","]
