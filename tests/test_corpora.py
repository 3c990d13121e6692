import json

import pytest

from playground.data.corpus import held_out_by_hash, keep_printable_ascii, write_corpus
from playground.data.python_stdlib import build_corpus as build_python_corpus


def test_hash_split_is_deterministic_and_stable():
    names = [f"module_{i}.py" for i in range(400)]
    held_out = held_out_by_hash(names, 0.1, salt="x")
    assert held_out == held_out_by_hash(list(reversed(names)), 0.1, salt="x")
    assert 20 <= len(held_out) <= 60
    # Removing other documents does not move a document to the other side.
    assert held_out_by_hash(names[:200], 0.1, salt="x") == {n for n in held_out if n in names[:200]}


def test_keep_printable_ascii():
    text, dropped = keep_printable_ascii("if x:\r\n\treturn '\u00e9t\u00e9'\x00\n")
    assert text == "if x:\n    return 't'\n"
    assert dropped == 3


def test_write_corpus_splits_whole_documents(tmp_path):
    documents = {"a": "alpha", "b": "beta", "c": "gamma"}
    meta = write_corpus(tmp_path, "t", {"package": "p"}, documents, {"b"}, "plain")
    assert (tmp_path / "train.txt").read_text() == "alpha\ngamma"
    assert (tmp_path / "val.txt").read_text() == "beta"
    assert meta["validation_documents"] == ["b"]
    assert json.loads((tmp_path / "meta.json").read_text()) == meta


def test_write_corpus_rejects_empty_split(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        write_corpus(tmp_path, "t", {}, {"a": "x"}, set(), "plain")


def test_python_corpus_skips_tests_and_keeps_split(tmp_path):
    root = tmp_path / "lib"
    for relative in [
        "json/__init__.py",
        "json/decoder.py",
        "os.py",
        "test/test_os.py",
        "unittest/tests/test_case.py",
        "email/utils.py",
        "re.py",
        "abc.py",
    ]:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {relative}\ndef f():\n\treturn 1\n", encoding="utf-8")
    (root / "latin1.py").write_bytes(b"# caf\xe9\n")
    meta = build_python_corpus(tmp_path / "out", val_fraction=0.3, root=root)
    train = (tmp_path / "out" / "train.txt").read_text()
    val = (tmp_path / "out" / "val.txt").read_text()
    assert "test_os" not in train + val
    assert "test_case" not in train + val
    assert "latin1" not in train + val
    assert "\t" not in train + val
    assert meta["train_documents"] + len(meta["validation_documents"]) == 6
    again = build_python_corpus(tmp_path / "again", val_fraction=0.3, root=root)
    assert again["validation_documents"] == meta["validation_documents"]


def test_linux_corpus_reads_only_chosen_folders(tmp_path):
    import tarfile

    from playground.data.linux_c import build_corpus as build_linux_corpus

    tree = tmp_path / "linux-source-6.1"
    files = {
        "kernel/fork.c": "int fork(void)\n{\n\treturn 0;\n}\n",
        "kernel/sched.h": "#define X 1\n",
        "mm/slab.c": "/* slab */\n",
        "drivers/x.c": "/* not included */\n",
        "kernel/Makefile": "obj-y += fork.o\n",
    }
    for relative, text in files.items():
        path = tree / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    tarball = tmp_path / "linux.tar.xz"
    with tarfile.open(tarball, "w:xz") as archive:
        archive.add(tree, arcname="linux-source-6.1")
    meta = build_linux_corpus(tmp_path / "out", ("kernel", "mm"), val_fraction=0.4, tarball=tarball)
    text = (tmp_path / "out" / "train.txt").read_text() + (tmp_path / "out" / "val.txt").read_text()
    assert "not included" not in text
    assert "obj-y" not in text
    assert "        return 0;" in text
    assert meta["train_documents"] + len(meta["validation_documents"]) == 3


def test_latex_corpus_reads_plain_and_gzipped_tex(tmp_path):
    import gzip

    from playground.data.latex import build_corpus as build_latex_corpus

    root = tmp_path / "pkg"
    (root / "doc").mkdir(parents=True)
    (root / "doc" / "a.tex").write_text("\\begin{theorem}x\\end{theorem}\n")
    (root / "doc" / "b.tex.gz").write_bytes(gzip.compress(b"$x^2$ \\cite{y}\n"))
    (root / "doc" / "c.sty").write_text("\\def\\nope{}\n")
    meta = build_latex_corpus(tmp_path / "out", val_fraction=0.5, roots={"pkg": root})
    text = (tmp_path / "out" / "train.txt").read_text() + (tmp_path / "out" / "val.txt").read_text()
    assert "\\begin{theorem}" in text
    assert "$x^2$" in text
    assert "nope" not in text
    assert meta["train_documents"] == 1
    assert len(meta["validation_documents"]) == 1
