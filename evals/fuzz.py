"""Mutation fuzzing of every reader of user files: damaged input must end in the right
result or in ONE wordlab error naming the file (and the line or byte offset).

What is run
-----------
For each reader a few valid seed files are written (word2vec text and binary, GloVe,
fastText ``.vec``, a store directory, similarity / Google analogy / BATS datasets, MUSE
dictionaries, word and pair lists, WEAT set files, vocabulary TSV, plain-text corpora
compressed with gzip, bzip2 and xz, a MediaWiki dump in ``.xml.bz2``). Each input
tried is a seed with one to three random mutations: truncation at a random offset,
flipped, inserted, deleted or duplicated (spliced) bytes, a number replaced by a nasty
one (``1e39``, ``nan``, 5,000 digits, ``0x10``, ...), a byte-order mark, NUL bytes,
CRLF line ends, an empty file, an absurd ``N DIM`` header. Compressed seeds are
damaged either in their compressed bytes or in the text before compression. The
reader is then run as a user would (``wordlab.load(path, cache=False)`` touching
``.words``, ``.counts``, ``.index`` and ``.vectors``; ``Corpus(path).build_vocab()``;
``read_pairs(path)``; ...).

An outcome is *handled* when the reader returned, or raised a subclass of
:class:`wordlab.errors.WordlabError` whose message names the file (and, for line-based
formats, a line, an item or a byte offset); a :class:`~wordlab.errors.WordlabWarning`
must name the file too. Any other exception is *foreign*: a bug. There is no
shrinking (that is what ``tests/test_fuzz.py`` does with hypothesis, on the same
seeds and mutations): inputs are plain seeded random mutations, and every failing
input is written to ``--save-failures`` with a ``.txt`` note of its mutations.

Usage
-----
    python evals/fuzz.py                                  # every reader, 30 s each
    python evals/fuzz.py --seconds 20 --reader w2v-bin --reader corpus-xz
    python evals/fuzz.py --seconds 5 --seed 7 --save-failures /tmp/fuzz-failures
    python evals/fuzz.py --seconds 20 --reader w2v-bin --read-bytes 3   # tiny read buffer

Prints one markdown table (reader, inputs tried, loaded, wordlab errors, foreign
exceptions, messages that do not name the file or place, other warnings, and the
first foreign example: type, message and mutations). Exit status 1 when any input
raised a foreign exception or gave a message that does not name the file.
"""
from __future__ import annotations

import argparse
import bz2
import gzip
import io
import json
import lzma
import os
import random
import re
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402,F401  (--results: the output also goes to evals/results/)

# -- mutations ----------------------------------------------------------------------------------
#: Mutation names; each takes two positions ``a, b`` in [0, 1) and a ``blob`` of bytes.
MUTATIONS = ("truncate", "flip", "insert", "delete", "splice", "number", "bom", "nul", "crlf", "empty", "header")

#: Replacements for a number (or anything): out of float32's range, not numbers, odd bytes.
NASTY = (b"1e39", b"-1e39", b"3.5e38", b"1e-50", b"nan", b"-inf", b"inf", b"NaN", b"99999999999999999999",
         b"1" * 5000, b"0x10", b"1,5", b"1_0", b"1e", b"-", b".", b"", b"\x00", b"\xff\xfe", b"\xe0\xb7",
         b"\t", b" ", b"  ", b"\n", b"\r", b"\r\n", b"\xef\xbb\xbf", b"-0", b"+1", b"1e+", b"\x85", b"\xc2\xa0",
         b"[", b"{", b'"', b"}", b"]", b":", b"#", b"/", b"<", b"&amp;", b"</page>", b"9" * 30)

#: Replacement ``N DIM`` header lines.
HEADERS = (b"0 0", b"1 0", b"0 5", b"100000000000000000000 5", b"5 1000000000000", b"5 1000001", b"999999999 5",
           b"3 5", b"18446744073709551617 5", b"5", b"5 5 5", b"-1 5", b"5 -5", b"", b"5\t5", b"0" * 30 + b"5 5")

_NUMBER = re.compile(rb"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def _at(data: bytes, a: float) -> int:
    return min(int(a * (len(data) + 1)), len(data))


def mutate(data: bytes, op: str, a: float, b: float, blob: bytes) -> bytes:
    """``data`` with one mutation ``op`` applied; ``a`` and ``b`` pick positions (as
    fractions of the length), ``blob`` the bytes to insert."""
    i = _at(data, a)
    if op == "truncate":
        return data[:i]
    if op == "flip":
        if not data:
            return blob[:1]
        i = min(i, len(data) - 1)
        mask = (blob[0] if blob else 0xFF) or 0x80
        return data[:i] + bytes([data[i] ^ mask]) + data[i + 1:]
    if op == "insert":
        return data[:i] + blob + data[i:]
    if op == "delete":
        n = 1 + int(b * 64)
        return data[:i] + data[i + n:]
    if op == "splice":   # a chunk of the file copied elsewhere (a repeated or torn block)
        j = _at(data, b)
        n = 1 + len(blob) * 37
        return data[:i] + data[j:j + n] + data[i:]
    if op == "number":
        numbers = list(_NUMBER.finditer(data))
        if not numbers:
            return data + blob
        m = numbers[min(int(a * len(numbers)), len(numbers) - 1)]
        nasty = NASTY[int(b * len(NASTY))]
        return data[:m.start()] + nasty + data[m.end():]
    if op == "bom":
        return b"\xef\xbb\xbf" + data
    if op == "nul":
        return data[:i] + b"\x00" * (1 + int(b * 8)) + data[i:]
    if op == "crlf":
        return data.replace(b"\n", b"\r\n")
    if op == "empty":
        return b""
    if op == "header":
        end = data.find(b"\n")
        return HEADERS[int(a * len(HEADERS))] + (data[end:] if end >= 0 else b"\n")
    raise ValueError(f"unknown mutation {op!r}")


@dataclass(frozen=True)
class Op:
    """One mutation with its parameters (what a failure report shows)."""
    name: str
    a: float
    b: float
    blob: bytes

    def __str__(self) -> str:
        return f"{self.name}(a={self.a:.3f}, b={self.b:.3f}, blob={self.blob[:16]!r})"


def random_op(rng: random.Random) -> Op:
    blob = rng.choice(NASTY) if rng.random() < 0.5 else bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    return Op(rng.choice(MUTATIONS), rng.random(), rng.random(), blob)


# -- seeds: valid files ---------------------------------------------------------------------------
UNICODE_WORDS = ["ශ්‍රී", "kʼehjígo", "café", "日本語", "don't", "naïve"]


def _vectors(n: int = 12, dim: int = 4, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n - len(UNICODE_WORDS))] + UNICODE_WORDS
    v = (rng.standard_normal((n, dim)) * 10.0 ** rng.integers(-3, 4, (n, dim))).astype(np.float32)
    return words, v


def _text_vectors(header: bool) -> bytes:
    from wordlab.store.formats import write_text_vectors
    fh = io.BytesIO()
    write_text_vectors(fh, *_vectors(), header=header)
    return fh.getvalue()


def _binary_vectors(newline: bool = True) -> bytes:
    from wordlab.store.formats import write_binary_vectors
    fh = io.BytesIO()
    words, v = _vectors()
    write_binary_vectors(fh, words, v)
    data = fh.getvalue()
    if not newline:   # gensim's layout: no newline after each row
        head, rows = data.split(b"\n", 1)
        data = head + b"\n" + b"".join(w.encode() + b" " + r.astype("<f4").tobytes() for w, r in zip(words, v))
    return data


def _store_files() -> dict[str, bytes]:
    from wordlab import Embeddings
    words, v = _vectors()
    with tempfile.TemporaryDirectory() as tmp:
        path = Embeddings(words, v, counts=np.arange(len(words), 0, -1)).save(Path(tmp) / "store")
        return {name: (path / name).read_bytes() for name in ("meta.json", "vocab.tsv", "vectors.npy")}


CORPUS_TEXT = ("The quick brown fox jumps over the lazy dog.\n"
               "තහනම් කර තිබේ.සෞඛ්\u200dය අමාත්\u200dය\n"
               "Diné bizaad kʼehjígo yáʼátʼééh, don't 3,794,101!\n\n"
               "ÉCOLE straße naïve café 3.5 e.g. words\n") * 6

WIKI_DUMP = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">\n'
             "  <page>\n    <title>Alpha</title>\n    <ns>0</ns>\n    <revision><text>"
             "'''Alpha''' is a [[Beta|gamma]] word.{{cite|x}}\n== Heading ==\nSecond &amp; last.</text>"
             "</revision>\n  </page>\n  <page>\n    <title>Talk:Alpha</title>\n    <ns>1</ns>\n"
             "    <revision><text>talk</text></revision>\n  </page>\n</mediawiki>\n")


@dataclass
class Seed:
    """A valid input: ``files`` (name -> bytes; several for a store directory) and how
    the reader is called on its root path (the only file, or the directory)."""
    root: str
    files: dict[str, bytes]
    read: Callable[[Path], object]
    compress: Callable[[bytes], bytes] | None = None   # applied to the (plain) file bytes


# Each reader returns plain data, so that two reads can be compared.
def _load(path: Path, **kwargs) -> tuple:
    """``wordlab.load``, then what a user does first with the store: every lazy part is read."""
    import wordlab
    emb = wordlab.load(path, cache=False, **kwargs)
    emb.index  # noqa: B018 - builds the word index (refusing repeated words)
    return emb.words, emb.counts.tolist(), np.asarray(emb.vectors).tobytes()


def _fasttext_bin() -> bytes:
    """A small fastText model (n-grams 2-4 in 30 buckets), as the fastText tool writes it."""
    import io
    from wordlab.corpus.subwords import SubwordSpec
    from wordlab.store import Embeddings
    from wordlab.store.fasttext_bin import write_fasttext_bin
    words, vectors = _vectors()
    rng = np.random.default_rng(1)
    store = Embeddings(words, vectors, np.arange(len(words), 0, -1),
                       {"method": "fasttext", "subwords": SubwordSpec(2, 4, 30).to_meta()},
                       components={"word_vectors": vectors, "context_vectors": vectors[::-1].copy(),
                                   "ngram_vectors": rng.normal(size=(30, vectors.shape[1])).astype(np.float32)})
    out = io.BytesIO()
    write_fasttext_bin(out, store)
    return out.getvalue()


def _load_subwords(path: Path) -> tuple:
    """``_load``, and a vector composed for an unseen word."""
    import wordlab
    emb = wordlab.load(path, cache=False)
    return _load(path) + (emb["unseen"].tobytes() if emb.has_vector("unseen") else b"",)


def _corpus(path: Path) -> tuple:
    import wordlab
    vocab = wordlab.Corpus(path).build_vocab(progress=False)
    return vocab.words, vocab.counts.tolist()


def _vocab(path: Path) -> tuple:
    from wordlab.corpus.vocab import Vocabulary
    vocab = Vocabulary.load(path)
    return vocab.words, vocab.counts.tolist()


def seeds(name: str) -> list[Seed]:
    """The valid seed inputs of reader ``name``."""
    from wordlab.align.dictionary import Dictionary
    from wordlab.debias.weat import load_weat_sets
    from wordlab.debias.wordlists import read_pairs as read_word_pairs, read_words
    from wordlab.evals.datasets import read_bats, read_google_analogies, read_pairs

    if name == "w2v-text":
        return [Seed("vectors.txt", {"vectors.txt": _text_vectors(True)}, _load),
                Seed("vectors.w2v", {"vectors.w2v": _text_vectors(True).replace(b"\n", b" \n")}, _load)]
    if name == "w2v-bin":
        return [Seed("vectors.bin", {"vectors.bin": _binary_vectors(True)}, _load),
                Seed("gensim.bin", {"gensim.bin": _binary_vectors(False)}, _load)]
    if name == "w2v-gz":
        return [Seed("vectors.txt.gz", {"vectors.txt.gz": _text_vectors(True)}, _load, gzip.compress),
                Seed("vectors.bin.gz", {"vectors.bin.gz": _binary_vectors(True)}, _load, gzip.compress)]
    if name == "glove":
        return [Seed("glove.txt", {"glove.txt": _text_vectors(False)}, _load),
                Seed("glove.glove", {"glove.glove": _text_vectors(False)}, lambda p: _load(p, format="glove"))]
    if name == "vec":
        return [Seed("wiki.vec", {"wiki.vec": _text_vectors(True)}, _load)]
    if name == "fasttext-bin":
        return [Seed("model.bin", {"model.bin": _fasttext_bin()}, _load_subwords)]
    if name == "store":
        return [Seed("store", _store_files(), _load)]
    if name == "similarity":
        text = ("word1\tword2\tscore\ntiger\tcat\t7.35\nbook\tpaper\t7.46\n# note\n"
                "sun sunlight 6.0 QQQ\ncafé\t日本語\t1\n")
        return [Seed("ws.txt", {"ws.txt": text.encode()}, lambda p: read_pairs(p).pairs)]
    if name == "analogy":
        text = (": capital\nAthens Greece Baghdad Iraq\nParis France Rome Italy\n\n# x\n"
                ": family\nboy girl brother sister\n")
        return [Seed("questions.txt", {"questions.txt": text.encode()}, lambda p: read_google_analogies(p).sections)]
    if name == "bats":
        text = "cat\tcats\ndog\tdogs/doggies\n\ncow\tcows\ncafé\tcafés\n"
        return [Seed("plural.txt", {"plural.txt": text.encode()}, lambda p: read_bats(p).sections)]
    if name == "muse":
        text = "gato\tcat\ngato kitten\n\nperro   dog\ncafé\tcoffee\n"
        return [Seed("es-en.txt", {"es-en.txt": text.encode()}, lambda p: Dictionary.read(p).pairs)]
    if name == "wordlist":
        return [Seed("words.txt", {"words.txt": b"he\n# comment\nshe\n\nthey\n"}, read_words),
                Seed("pairs.txt", {"pairs.txt": b"woman man\ngirl,boy  # x\nshe\the\n"}, read_word_pairs),
                Seed("professions.json", {"professions.json": json.dumps(
                    [["nurse", -0.5, 0.2], ["engineer", 0.0, 0.6]]).encode()}, read_words),
                Seed("pairs.json", {"pairs.json": json.dumps([["woman", "man"], ["Mary", "John"]]).encode()},
                     read_word_pairs)]
    if name == "weat":
        sets = {"flowers": ["rose", "tulip", "café"], "insects": ["ant", "bee"], "pleasant": ["joy"]}
        return [Seed("WEAT.json", {"WEAT.json": json.dumps(sets, indent=1, ensure_ascii=False).encode()},
                     load_weat_sets)]
    if name == "vocab":
        return [Seed("vocab.tsv", {"vocab.tsv": "the\t100\nශ්\u200dරී\t50\ncafé\t7\nbare\n".encode()}, _vocab)]
    if name in ("corpus-gz", "corpus-bz2", "corpus-xz"):
        ext, compress = {"corpus-gz": (".gz", gzip.compress), "corpus-bz2": (".bz2", bz2.compress),
                         "corpus-xz": (".xz", lzma.compress)}[name]
        root = "corpus.txt" + ext
        return [Seed(root, {root: CORPUS_TEXT.encode()}, _corpus, compress)]
    if name == "wiki-bz2":
        return [Seed("dump.xml.bz2", {"dump.xml.bz2": WIKI_DUMP.encode()}, _corpus, bz2.compress)]
    raise ValueError(f"unknown reader {name!r}")


#: Readers: name -> whether its messages must name a line, item or byte offset.
READERS: dict[str, bool] = {
    "w2v-text": True, "w2v-bin": True, "w2v-gz": True, "glove": True, "vec": True, "store": False,
    "similarity": True, "analogy": True, "bats": True, "muse": True, "wordlist": True, "weat": False,
    "vocab": True, "corpus-gz": True, "corpus-bz2": True, "corpus-xz": True, "wiki-bz2": True,
    "fasttext-bin": True,
}

_PLACE = re.compile(r"\bline\b|\blines\b|\boffset\b|\bitem\b|:\d+:")


# -- running one input -----------------------------------------------------------------------------
@dataclass
class Outcome:
    kind: str                       # "loaded", "error" (a wordlab error) or "foreign"
    problem: str | None = None      # why the outcome is not acceptable, or None
    exc: BaseException | None = None
    other_warnings: list[str] = field(default_factory=list)


def build(seed: Seed, ops: Sequence[Op], which: float, damage_compressed: bool) -> dict[str, bytes]:
    """The seed's files with ``ops`` applied to one of them (``which`` in [0, 1))."""
    files = dict(seed.files)
    name = sorted(files)[min(int(which * len(files)), len(files) - 1)]
    data = files[name]
    if seed.compress is not None and not damage_compressed:
        for op in ops:
            data = mutate(data, op.name, op.a, op.b, op.blob)
        data = seed.compress(data)
    else:
        if seed.compress is not None:
            data = seed.compress(data)
        for op in ops:
            data = mutate(data, op.name, op.a, op.b, op.blob)
    files[name] = data
    if seed.compress is not None:
        for other in files:
            if other != name:
                files[other] = seed.compress(files[other])
    return files


def write_files(seed: Seed, files: dict[str, bytes], workdir: Path) -> Path:
    """Write ``files`` under ``workdir``; return the root the reader is called on."""
    root = workdir / seed.root
    if len(files) == 1 and seed.root in files:
        root.write_bytes(files[seed.root])
    else:
        root.mkdir()
        for name, data in files.items():
            (root / name).write_bytes(data)
    return root


def run_case(reader: str, seed: Seed, files: dict[str, bytes], workdir: Path) -> Outcome:
    """Write ``files`` under ``workdir`` and run the reader on them."""
    from wordlab.errors import WordlabError, WordlabWarning

    root = write_files(seed, files, workdir)
    outcome = Outcome("loaded")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            seed.read(root)
        except WordlabError as e:
            outcome = Outcome("error", exc=e)
            message = str(e)
            if seed.root not in message:
                outcome.problem = f"the message does not name {seed.root}: {message[:300]}"
            elif READERS[reader] and not _PLACE.search(message):
                outcome.problem = f"the message names no line or offset: {message[:300]}"
        except Exception as e:  # noqa: BLE001 - classifying every escape is the point
            outcome = Outcome("foreign", problem=f"{type(e).__name__}: {str(e)[:300]}", exc=e)
    for w in caught:
        if issubclass(w.category, WordlabWarning):
            if seed.root not in str(w.message) and outcome.problem is None:
                outcome.problem = f"a WordlabWarning does not name {seed.root}: {str(w.message)[:300]}"
        else:
            outcome.other_warnings.append(f"{w.category.__name__}: {str(w.message)[:120]}")
    return outcome


# -- the standalone run ----------------------------------------------------------------------------
@dataclass
class Tally:
    tried: int = 0
    loaded: int = 0
    errors: int = 0
    foreign: int = 0
    bad_messages: int = 0
    other_warnings: int = 0
    first: str = ""


def fuzz_reader(reader: str, seconds: float, rng: random.Random, save: Path | None, scratch: Path) -> Tally:
    candidates = seeds(reader)
    tally = Tally()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seed = rng.choice(candidates)
        ops = [random_op(rng) for _ in range(rng.randint(1, 3))]
        which, damage_compressed = rng.random(), rng.random() < 0.5
        files = build(seed, ops, which, damage_compressed)
        workdir = Path(tempfile.mkdtemp(dir=scratch))
        try:
            outcome = run_case(reader, seed, files, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        tally.tried += 1
        tally.loaded += outcome.kind == "loaded"
        tally.errors += outcome.kind == "error"
        tally.foreign += outcome.kind == "foreign"
        tally.bad_messages += outcome.kind != "foreign" and outcome.problem is not None
        tally.other_warnings += bool(outcome.other_warnings)
        if outcome.problem is not None:
            what = ("compressed bytes" if damage_compressed else "text before compression") \
                if seed.compress is not None else "bytes"
            note = f"{outcome.problem} <- {seed.root}, {what}: " + "; ".join(str(op) for op in ops)
            if not tally.first or (outcome.kind == "foreign" and tally.foreign == 1):
                tally.first = note
            if save is not None:
                _save_failure(save, reader, tally.tried, seed, files, note)
        if tally.tried % 200 == 0:   # the readers' cache entries pile up otherwise
            _clear_cache()
    return tally


def _save_failure(save: Path, reader: str, n: int, seed: Seed, files: dict[str, bytes], note: str) -> None:
    out = save / f"{reader}-{n:06d}"
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    (out / "mutations.txt").write_text(note + "\n", encoding="utf-8")


def _clear_cache() -> None:
    cache = os.environ.get("WORDLAB_CACHE")
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
        Path(cache).mkdir(parents=True, exist_ok=True)


def markdown_table(rows: dict[str, Tally]) -> str:
    lines = ["| reader | inputs tried | loaded | wordlab errors | foreign exceptions | bad messages "
             "| other warnings | first problem (type, message, mutations) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for reader, t in rows.items():
        first = t.first.replace("|", "\\|").replace("\n", " ")[:400]
        lines.append(f"| {reader} | {t.tried:,} | {t.loaded:,} | {t.errors:,} | {t.foreign:,} | {t.bad_messages:,} "
                     f"| {t.other_warnings:,} | {first} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="fuzzing time per reader (default 30)")
    parser.add_argument("--reader", action="append", choices=["all", *READERS],
                        help="a reader to fuzz (repeatable; default all)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--save-failures", type=Path, help="directory for inputs that failed, with their mutations")
    parser.add_argument("--read-bytes", type=int, help="the vector readers' read size (default 4 MB; 1 to 7 "
                        "drives every refill path)")
    parser.add_argument("--results", action="store_true",
                        help="also write the output to evals/results/fuzz.md (included in evals/README.md)")
    args = parser.parse_args(argv)
    if args.read_bytes:
        from wordlab.store import formats
        formats._READ_BYTES = args.read_bytes
    readers = list(READERS) if not args.reader or "all" in args.reader else list(dict.fromkeys(args.reader))
    rows: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory(prefix="wordlab-fuzz-") as tmp:
        os.environ["WORDLAB_CACHE"] = str(Path(tmp) / "cache")   # never the user's cache
        os.environ["TMPDIR"] = tmp
        tempfile.tempdir = None
        for reader in readers:
            rng = random.Random(f"{args.seed}-{reader}")
            rows[reader] = fuzz_reader(reader, args.seconds, rng, args.save_failures, Path(tmp))
            t = rows[reader]
            print(f"{reader}: {t.tried} inputs, {t.foreign} foreign, {t.bad_messages} bad messages",
                  file=sys.stderr, flush=True)
    print(markdown_table(rows))
    return 1 if any(t.foreign or t.bad_messages for t in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
