"""The corpus layer: sources, streaming readers, MediaWiki dumps, vocabulary, encoding."""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import random
import re
import time
import tracemalloc
import unicodedata
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pytest

import wordlab.corpus.encode as encode_mod
import wordlab.errors
from wordlab.corpus import Corpus, EncodedCorpus, MAX_SENTENCE_LENGTH, Tokenizer, Vocabulary, tokenize
from wordlab.corpus.embedded import default_corpus_path
from wordlab.corpus.readers import read_text
from wordlab.corpus.sources import is_mediawiki, resolve_inputs
from wordlab.corpus.wiki import iter_pages, strip_wikitext
from wordlab.errors import (CorpusDecodeError, InputFormatError, StoreError, UnknownWordError,
                            WordlabError)

ZWJ = "\u200d"
COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


# -- helpers ----------------------------------------------------------------------------

def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    if path.suffix in COMPRESSORS:
        text = COMPRESSORS[path.suffix](text)
    path.write_bytes(text)
    return path


def read_all(path: Path, tokenizer: Tokenizer | None = None, **kwargs) -> list[list[str]]:
    return [s for batch in read_text(path, tokenizer or Tokenizer(), **kwargs) for s in batch]


def text8_like(nbytes: int, seed: int = 0) -> str:
    """One line of lowercase words with a Zipf-like distribution, no newline."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, size=int(k))) for k in rng.integers(1, 13, size=3000)]
    parts, size = [], 0
    while size < nbytes:
        idx = np.minimum(rng.zipf(1.3, size=50_000), len(vocab)) - 1
        piece = " ".join(vocab[i] for i in idx)
        parts.append(piece)
        size += len(piece) + 1
    return " ".join(parts)[:nbytes].strip()


MIXED_LINES = [
    "තහනම් කර තිබේ.සෞඛ්" + ZWJ + "ය අමාත්" + ZWJ + "ය ශ්" + ZWJ + "රී ලංකා",
    "Diné bizaad kʼehjígo yáʼátʼééh, don't 3,794,101!",
    "",
    "ලිංගිකත්වය ආදරය   ",
    "plain ascii line with 3.5 and e.g. words",
    "ÉCOLE straße naïve café",
]


# -- sources ----------------------------------------------------------------------------

def test_single_file(tmp_path):
    f = write(tmp_path / "a.txt", "Hello world\nsecond LINE\n")
    assert resolve_inputs(f) == [f]
    assert list(Corpus(f)) == [["hello", "world"], ["second", "line"]]
    assert list(Corpus(str(f))) == list(Corpus(f))


def test_several_files_in_given_order(tmp_path):
    a = write(tmp_path / "a.txt", "alpha\n")
    b = write(tmp_path / "b.txt", "beta\n")
    assert list(Corpus([b, a])) == [["beta"], ["alpha"]]
    assert list(Corpus([str(a), str(b)])) == [["alpha"], ["beta"]]
    # the same file given twice (or also through a directory) is read once
    assert resolve_inputs([a, a, tmp_path]) == [a, b]


def test_directory_is_recursive_and_sorted(tmp_path):
    d = tmp_path / "corpus"
    write(d / "d.txt", "four\n")
    write(d / "b" / "c.txt", "three\n")
    write(d / "a.txt", "one\n")
    write(d / "b" / "a.txt.gz", "two\n")
    write(d / ".hidden.txt", "hidden\n")
    write(d / ".DS_Store", "junk\n")
    files = resolve_inputs(d)
    assert [f.relative_to(d).as_posix() for f in files] == ["a.txt", "b/a.txt.gz", "b/c.txt", "d.txt"]
    assert list(Corpus(d)) == [["one"], ["two"], ["three"], ["four"]]


def test_glob_pattern(tmp_path):
    write(tmp_path / "x2.txt", "two\n")
    write(tmp_path / "x1.txt", "one\n")
    write(tmp_path / "y.txt", "other\n")
    write(tmp_path / "sub" / "x3.txt", "three\n")
    assert list(Corpus(str(tmp_path / "x*.txt"))) == [["one"], ["two"]]
    found = resolve_inputs(str(tmp_path / "**" / "x*.txt"))
    assert [f.relative_to(tmp_path).as_posix() for f in found] == ["sub/x3.txt", "x1.txt", "x2.txt"]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_files_read_like_the_plain_file(tmp_path, suffix):
    text = "\n".join(MIXED_LINES * 50) + "\n" + text8_like(200_000, seed=3)
    plain = write(tmp_path / "plain.txt", text)
    packed = write(tmp_path / f"packed.txt{suffix}", text)
    assert packed.read_bytes()[:4] != plain.read_bytes()[:4]  # really compressed
    expected = list(Corpus(plain))
    assert len(expected) > 250
    assert list(Corpus(packed)) == expected
    assert read_all(packed, chunk_bytes=1000) == read_all(plain, chunk_bytes=1000) == expected


def test_missing_file_names_the_input(tmp_path):
    missing = tmp_path / "no-such-corpus.txt"
    with pytest.raises(WordlabError, match="no-such-corpus.txt"):
        Corpus(missing)
    with pytest.raises(WordlabError, match="no-such-corpus.txt"):
        Corpus([write(tmp_path / "ok.txt", "x"), missing])


def test_empty_glob_and_empty_directory_name_the_input(tmp_path):
    pattern = str(tmp_path / "nothing-*.txt")
    with pytest.raises(WordlabError, match=re.escape(pattern)):
        Corpus(pattern)
    empty = tmp_path / "emptydir"
    empty.mkdir()
    with pytest.raises(WordlabError, match="emptydir"):
        Corpus(empty)
    with pytest.raises(WordlabError):
        resolve_inputs([])


def test_mediawiki_detected_by_name_or_content(tmp_path):
    assert is_mediawiki(write(tmp_path / "dump.xml", "<x/>"))
    assert is_mediawiki(write(tmp_path / "dump.xml.bz2", "<x/>"))
    assert is_mediawiki(write(tmp_path / "dump.txt.gz", '<?xml version="1.0"?>\n<mediawiki xmlns="x">'))
    assert not is_mediawiki(write(tmp_path / "text.txt", "mediawiki is a wiki engine\n"))
    assert not is_mediawiki(write(tmp_path / "text.txt.gz", "<notwiki>\n"))


# -- streaming reader ------------------------------------------------------------------

def test_one_line_corpus_streams_in_pieces(tmp_path):
    text = text8_like(3_000_000, seed=1)
    assert "\n" not in text and len(text) >= 2_990_000
    f = write(tmp_path / "text8", text)
    sentences = read_all(f, chunk_bytes=64 * 1024, max_sentence_length=1000)
    expected = text.split()
    assert [w for s in sentences for w in s] == expected      # no token cut at chunk edges
    assert all(len(s) <= 1000 for s in sentences)
    assert all(len(s) == 1000 for s in sentences[:-1])       # split, never truncated
    assert 0 < len(sentences[-1]) <= 1000
    assert len(sentences) == -(-len(expected) // 1000)


def test_one_line_corpus_through_corpus_api(tmp_path):
    text = text8_like(500_000, seed=2)
    f = write(tmp_path / "text8.gz", text)
    sentences = list(Corpus(f, max_sentence_length=777))
    assert [w for s in sentences for w in s] == text.split()
    assert {len(s) for s in sentences[:-1]} == {777}


def test_chunks_smaller_than_words(tmp_path):
    text = text8_like(20_000, seed=4)
    f = write(tmp_path / "t.txt", text)
    for chunk in (1, 2, 3, 5, 13):
        assert [w for s in read_all(f, chunk_bytes=chunk) for w in s] == text.split(), chunk


def test_multibyte_text_across_chunk_boundaries(tmp_path):
    lines = MIXED_LINES * 7
    f = write(tmp_path / "mixed.txt", "\n".join(lines))  # no final newline
    expected = [toks for line in lines if (toks := tokenize(line))]
    for chunk in (1, 2, 3, 5, 7, 64, 1 << 20):
        assert read_all(f, chunk_bytes=chunk) == expected, chunk
    tok = Tokenizer(sentence_split=True)
    expected_split = [s for line in lines for s in tok.sentences(line)]
    for chunk in (1, 3, 7, 1 << 20):
        assert read_all(f, tok, chunk_bytes=chunk) == expected_split, chunk
    assert len(expected_split) > len(expected)


def test_paragraph_mode_joins_wrapped_lines(tmp_path):
    text = ("On the eve of the\nfiftieth anniversary. We\nmeet here\n\n  \nThe Afghan\nnation\r\n\r\n"
            "War and\nconflict\n\n\n\nlast line")
    f = write(tmp_path / "wrapped.txt", text)
    expected = [["on", "the", "eve", "of", "the", "fiftieth", "anniversary", "we", "meet", "here"],
                ["the", "afghan", "nation"], ["war", "and", "conflict"], ["last", "line"]]
    split = [["on", "the", "eve", "of", "the", "fiftieth", "anniversary"], ["we", "meet", "here"]] + expected[1:]
    for chunk in (1, 2, 3, 5, 8, 13, 1 << 20):      # blank lines and wraps across every chunk boundary
        assert read_all(f, chunk_bytes=chunk, paragraphs=True) == expected, chunk
        assert read_all(f, Tokenizer(sentence_split=True), chunk_bytes=chunk, paragraphs=True) == split, chunk
    assert list(Corpus(f, paragraphs=True)) == expected
    assert len(list(Corpus(f))) == 8                   # line mode: every non-blank line
    assert Corpus(f, paragraphs=True).fingerprint() != Corpus(f).fingerprint()


def test_lines_are_sentences_blank_lines_dropped(tmp_path):
    f = write(tmp_path / "lines.txt", "a b\r\n\r\n\n  \nc\nd e f")
    assert list(Corpus(f)) == [["a", "b"], ["c"], ["d", "e", "f"]]
    assert list(Corpus(write(tmp_path / "empty.txt", ""))) == []


def test_sentence_split_in_files(tmp_path):
    f = write(tmp_path / "si.txt", "තහනම් කර තිබේ.සෞඛ්" + ZWJ + "ය අමාත්" + ZWJ + "ය\nit was 3.5 percent. ok\n")
    assert list(Corpus(f, sentence_split=True)) == [
        ["තහනම්", "කර", "තිබේ"], ["සෞඛ්" + ZWJ + "ය", "අමාත්" + ZWJ + "ය"], ["it", "was", "3.5", "percent"], ["ok"]]
    assert len(list(Corpus(f))) == 2


def test_long_lines_split_for_files_and_iterables(tmp_path):
    words = [f"w{i}" for i in range(25)]
    f = write(tmp_path / "long.txt", " ".join(words) + "\nshort\n")
    expected = [words[0:10], words[10:20], words[20:25], ["short"]]
    assert list(Corpus(f, max_sentence_length=10)) == expected
    assert list(Corpus([words, ["short"]], max_sentence_length=10)) == expected
    assert MAX_SENTENCE_LENGTH == 10_000
    with pytest.raises(ValueError):
        Corpus(f, max_sentence_length=0)


def _peak_while_reading(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        n = 0
        for batch in read_text(path, Tokenizer(), max_sentence_length=1000, chunk_bytes=64 * 1024):
            n += sum(map(len, batch))
        return tracemalloc.get_traced_memory()[1], n
    finally:
        tracemalloc.stop()


def test_reading_memory_is_bounded(tmp_path):
    small = write(tmp_path / "small.txt", text8_like(3_000_000, seed=5))
    big_text = text8_like(12_000_000, seed=6)
    big = write(tmp_path / "big.txt", big_text)
    n_big = len(big_text.split())
    del big_text
    peak_small, _ = _peak_while_reading(small)
    peak_big, n = _peak_while_reading(big)
    assert n == n_big
    size = big.stat().st_size
    assert peak_big < size / 3, (peak_big, size)
    # memory does not grow with the length of the (single-line) file
    assert peak_big < 1.5 * peak_small + 256 * 1024, (peak_small, peak_big)


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_progress_reports_on_disk_bytes(tmp_path, suffix):
    f = write(tmp_path / f"p.txt{suffix}", text8_like(300_000, seed=7))
    got = []
    sentences = [s for b in Corpus(f).batches(progress=got.append) for s in b]
    assert sentences
    assert sum(got) == f.stat().st_size
    assert all(x >= 0 for x in got)


# -- invalid UTF-8 ----------------------------------------------------------------------

def _corpus_with_bad_byte(line_no: int = 150, col: int = 7) -> tuple[bytes, int]:
    lines = [f"línea {i} ශ්" + ZWJ + "රී " * 5 for i in range(1, 201)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    offset = sum(len(l.encode()) + 1 for l in lines[:line_no - 1]) + col
    return data[:offset] + b"\xff" + data[offset:], offset


def _decode_error(path: Path, **kwargs) -> str:
    with pytest.raises(CorpusDecodeError) as info:
        read_all(path, **kwargs)
    assert isinstance(info.value, InputFormatError) and isinstance(info.value, ValueError)
    return str(info.value)


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("chunk", [1 << 20, 4096, 100, 7, 1])
def test_invalid_utf8_names_file_offset_and_line(tmp_path, suffix, chunk):
    data, offset = _corpus_with_bad_byte(line_no=150)
    assert offset > 4096  # beyond the first chunk for every chunk size but the default
    f = write(tmp_path / f"broken-file.txt{suffix}", data)
    msg = _decode_error(f, chunk_bytes=chunk)
    assert f.name in msg
    assert re.search(rf"byte offset {offset}\b", msg), msg
    assert re.search(r"\bline 150\b", msg), msg


@pytest.mark.parametrize("chunk", [1 << 20, 5017, 5016, 3, 1])
def test_invalid_continuation_byte_split_across_chunks(tmp_path, chunk):
    data, _ = _corpus_with_bad_byte()
    data = data.replace(b"\xff", b"")
    start = data.index("ශ".encode(), 5000)           # a 3-byte character
    bad = data[:start + 1] + b"A" + data[start + 2:]   # its second byte replaced
    line = bad[:start].count(b"\n") + 1
    f = write(tmp_path / "cont.txt", bad)
    msg = _decode_error(f, chunk_bytes=chunk)
    assert re.search(rf"byte offset {start}\b", msg) and re.search(rf"\bline {line}\b", msg), msg


@pytest.mark.parametrize("chunk", [1 << 20, 5, 1])
def test_truncated_character_at_end_of_file(tmp_path, chunk):
    f = write(tmp_path / "trunc.txt", b"abc\ndef \xe0\xb7")
    msg = _decode_error(f, chunk_bytes=chunk)
    assert "trunc.txt" in msg and re.search(r"byte offset 8\b", msg) and re.search(r"\bline 2\b", msg)


def test_invalid_utf8_through_corpus(tmp_path):
    data, offset = _corpus_with_bad_byte(line_no=150)
    f = write(tmp_path / "bad.txt.gz", data)
    with pytest.raises(CorpusDecodeError, match=rf"bad\.txt\.gz.*byte offset {offset}\b.*line 150\b"):
        list(Corpus(f))
    with pytest.raises(CorpusDecodeError):
        Corpus(f).encode(min_count=1)
    with pytest.raises(ValueError):
        Corpus(f, errors="bogus")


def test_errors_replace_and_ignore_read_through(tmp_path):
    data, _ = _corpus_with_bad_byte(line_no=150, col=7)   # just before "150"
    f = write(tmp_path / "bad.txt", data)
    replaced = list(Corpus(f, errors="replace", tokenizer=r"\S+"))
    assert len(replaced) == 200
    assert replaced[149][:2] == ["línea", "\ufffd150"]
    assert sum(w.count("\ufffd") for s in replaced for w in s) == 1
    # the default tokenizer treats U+FFFD as a separator; everything else is read
    default = list(Corpus(f, errors="replace"))
    assert default[149][:2] == ["línea", "150"] and len(default) == 200
    ignored = list(Corpus(f, errors="ignore", tokenizer=r"\S+"))
    assert ignored[149][:2] == ["línea", "150"]
    clean = data.replace(b"\xff", b"").decode()
    assert ignored == [line.split() for line in clean.splitlines()]


# -- MediaWiki dumps --------------------------------------------------------------------

ARTICLE = """{{Infobox person|name=Zed|birth={{birth date|1900|1|1}}|note={{efn|nested {{lang|fr|texte}}}}}}
'''Alpha Beta''' is a [[Gamma delta|gammalabel]] and [[Epsilon]] word.<ref name="r1">Refword {{cite web|url=http://x.org}}</ref>
== Early Heading ==
{| class="wikitable"
|-
! tablehead
| tablecell {{flag|X}}
|}
[[File:x.jpg|thumb|captionword [[Zeta]]]]
Second paragraph with ''italic'' text.<ref>reftext</ref><!-- commentword -->
* listed item
[[Category:Catword]]
[[fr:Frenchword]]
"""
ARTICLE_SENTENCES = [["alpha", "beta", "is", "a", "gammalabel", "and", "epsilon", "word"],
                     ["early", "heading"], ["second", "paragraph", "with", "italic", "text"],
                     ["listed", "item"]]
MARKUP_WORDS = {"infobox", "zed", "birth", "efn", "nested", "texte", "gamma", "delta", "refword", "cite",
                "web", "http", "x", "org", "reftext", "wikitable", "class", "tablehead", "tablecell", "flag",
                "file", "jpg", "thumb", "captionword", "zeta", "category", "catword", "fr", "frenchword",
                "commentword", "ref", "redirectword", "talkword", "discussion", "redir"}


def _page(title: str, ns: int, text: str, redirect: bool = False) -> str:
    r = f'\n    <redirect title="{title} target" />' if redirect else ""
    return (f"  <page>\n    <title>{title}</title>\n    <ns>{ns}</ns>\n    <id>{abs(hash(title)) % 1000}</id>{r}\n"
            f"    <revision>\n      <id>7</id>\n      <text bytes=\"{len(text)}\" xml:space=\"preserve\">"
            f"{escape(text)}</text>\n    </revision>\n  </page>\n")


def mediawiki_dump(*pages: str) -> str:
    return ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">\n'
            '  <siteinfo>\n    <sitename>Test</sitename>\n    <namespaces>\n'
            '      <namespace key="0" case="first-letter" />\n'
            '      <namespace key="1" case="first-letter">Talk</namespace>\n    </namespaces>\n  </siteinfo>\n'
            + "".join(pages) + "</mediawiki>\n")


STANDARD_DUMP = mediawiki_dump(
    _page("Alpha", 0, ARTICLE),
    _page("Redir", 0, "#REDIRECT [[Alpha]] redirectword", redirect=True),
    _page("Talk:Alpha", 1, "talkword discussion about [[Alpha]]"),
)


@pytest.mark.parametrize("name", ["dump.xml", "dump.xml.bz2", "pages.txt"])
def test_mediawiki_dump_reads_only_the_article(tmp_path, name):
    f = write(tmp_path / name, STANDARD_DUMP)
    sentences = list(Corpus(f))
    assert sentences == ARTICLE_SENTENCES
    words = {w for s in sentences for w in s}
    assert not words & MARKUP_WORDS
    assert [title for title, _ in iter_pages(f)] == ["Alpha"]


def test_redirect_recognised_by_text_alone(tmp_path):
    dump = mediawiki_dump(_page("Redir", 0, "#redirect [[Alpha]] redirectword"),
                          _page("Beta", 0, "Real '''prose''' here."))
    assert list(Corpus(write(tmp_path / "d.xml", dump))) == [["real", "prose", "here"]]


def test_strip_wikitext_known_answers():
    assert strip_wikitext(ARTICLE) == ("Alpha Beta is a gammalabel and Epsilon word.\nEarly Heading\n"
                                       "Second paragraph with italic text.\nlisted item")
    assert strip_wikitext("See [http://example.org the site] or http://example.com/x now") == "See the site or  now"
    assert strip_wikitext("A &amp; B &lt;x&gt; <small>small</small><br/>end") == "A & B <x> smallend"
    assert strip_wikitext("{{a|{{b|{{c}}}}}}kept") == "kept"
    assert strip_wikitext("x<ref name=a/>y<ref>gone</ref>z") == "xyz"
    assert strip_wikitext("=== Sub ===\n# one\n#: two\n__NOTOC__") == "Sub\none\ntwo"


def test_mediawiki_sentence_split(tmp_path):
    dump = mediawiki_dump(_page("S", 0, "First one.Second one! It is 3.5 big"))
    f = write(tmp_path / "s.xml", dump)
    assert list(Corpus(f, sentence_split=True)) == [["first", "one"], ["second", "one"], ["it", "is", "3.5", "big"]]
    assert list(Corpus(f)) == [["first", "one", "second", "one", "it", "is", "3.5", "big"]]


@pytest.mark.parametrize("name", ["broken.xml", "broken.xml.bz2"])
def test_malformed_xml_names_file_and_line(tmp_path, name):
    dump = STANDARD_DUMP.replace("</page>", "</pag>", 2).replace("</pag>", "</page>", 1)
    bad_line = next(i for i, line in enumerate(dump.split("\n"), 1) if "</pag>" in line)
    f = write(tmp_path / name, dump)
    with pytest.raises(InputFormatError) as info:
        list(Corpus(f))
    msg = str(info.value)
    assert name in msg
    assert re.search(rf"\bline {bad_line}\b", msg), (bad_line, msg)


def test_default_corpus_is_the_embedded_wikipedia_sample():
    path = default_corpus_path()
    assert path.is_file() and is_mediawiki(path)
    n_tokens = 0
    n_sentences = 0
    counts = Counter()
    for s in Corpus.default():
        n_tokens += len(s)
        n_sentences += 1
        counts.update(s)
    assert 400_000 < n_tokens < 520_000
    assert n_sentences > 1000
    assert counts.most_common(1)[0][0] == "the"
    assert not {"ref", "thumb", "cite", "nbsp"} & set(w for w, _ in counts.most_common(300))


# -- vocabulary -------------------------------------------------------------------------

SENTS = [["b", "a", "c"], ["a", "d", "c"], ["e", "b", "a"], ["f"], ["c", "g"]]
# counts: a3 c3 b2 d1 e1 f1 g1; first occurrence: b a c d e f g


def test_vocab_order_count_then_first_occurrence():
    v = Vocabulary.from_tokens(SENTS)
    assert v.words == ["a", "c", "b", "d", "e", "f", "g"]
    assert v.counts.tolist() == [3, 3, 2, 1, 1, 1, 1]
    assert v.total_tokens == 12
    assert v.index_of("c") == 1 and "g" in v and "z" not in v and len(v) == 7 and v[0] == "a"
    assert list(v) == v.words


def test_vocab_min_count_and_max_size():
    v = Vocabulary.from_tokens(SENTS, min_count=2)
    assert v.words == ["a", "c", "b"] and v.total_tokens == 12
    assert Vocabulary.from_tokens(SENTS, max_size=4).words == ["a", "c", "b", "d"]
    assert Vocabulary.from_tokens(SENTS, min_count=3, max_size=5).words == ["a", "c"]
    assert Vocabulary.from_tokens(SENTS, min_count=2, max_size=1).words == ["a"]
    assert len(Vocabulary.from_tokens(SENTS, min_count=4)) == 0
    with pytest.raises(ValueError):
        Vocabulary.from_tokens(SENTS, min_count=0)
    with pytest.raises(ValueError):
        Vocabulary.from_tokens(SENTS, max_size=0)


def test_vocab_unknown_word_is_a_keyerror():
    v = Vocabulary.from_tokens(SENTS)
    with pytest.raises(UnknownWordError) as info:
        v.index_of("zzz")
    assert isinstance(info.value, KeyError) and "zzz" in str(info.value)


def test_vocab_matches_corpus_build_vocab(tmp_path):
    lines = ["b a c", "a d c", "e b a", "f", "c g"]
    f = write(tmp_path / "v.txt", "\n".join(lines))
    assert Corpus(f).build_vocab() == Vocabulary.from_tokens(SENTS)
    assert Corpus(SENTS).build_vocab(min_count=2) == Vocabulary.from_tokens(SENTS, min_count=2)
    assert Corpus(f).build_vocab(min_count=2).total_tokens == 12


def test_vocab_tsv_round_trip(tmp_path):
    words = ["the", "ශ්" + ZWJ + "රී", "kʼehjígo", "don't", "3,794,101", "naïve"]
    v = Vocabulary(words, [100, 50, 50, 7, 3, 1])
    path = tmp_path / "sub" / "vocab.tsv"
    v.save(path)
    assert path.read_text(encoding="utf-8").splitlines()[1] == "ශ්" + ZWJ + "රී\t50"
    loaded = Vocabulary.load(path)
    assert loaded == v
    assert loaded.words == words and loaded.counts.tolist() == [100, 50, 50, 7, 3, 1]
    assert loaded.index_of("kʼehjígo") == 2
    assert [p.name for p in path.parent.iterdir()] == ["vocab.tsv"]  # no temporary left behind


def test_vocab_load_bare_words_and_errors(tmp_path):
    bare = write(tmp_path / "bare.tsv", "alpha\nbeta\n\ngamma\n")
    v = Vocabulary.load(bare)
    assert v.words == ["alpha", "beta", "gamma"] and v.counts.tolist() == [0, 0, 0]
    dup = write(tmp_path / "dup.tsv", "a\t3\nb\t2\na\t1\n")
    with pytest.raises(InputFormatError, match=r"dup\.tsv.*'a'"):
        Vocabulary.load(dup)
    bad = write(tmp_path / "badcount.tsv", "a\t3\nb\tmany\n")
    with pytest.raises(InputFormatError, match=r"badcount\.tsv, line 2"):
        Vocabulary.load(bad)
    with pytest.raises(ValueError):
        Vocabulary(["a\tb"], [1]).save(tmp_path / "tab.tsv")
    with pytest.raises(ValueError):
        Vocabulary(["a", "b"], [1])


def test_vocab_coverage_known_numbers():
    sents = [["a"] * 5 + ["b"] * 3 + ["c"] * 3 + ["d", "e"]]   # 13 tokens, 5 types
    v = Vocabulary.from_tokens(sents)
    cov = v.coverage([1, 2, 3, 5, 10])
    assert list(cov.columns) == ["min_count", "types", "tokens", "token_coverage", "type_share"]
    assert cov["min_count"].tolist() == [1, 2, 3, 5, 10]
    assert cov["types"].tolist() == [5, 3, 3, 1, 0]
    assert cov["tokens"].tolist() == [13, 11, 11, 5, 0]
    assert np.allclose(cov["token_coverage"], [1.0, 11 / 13, 11 / 13, 5 / 13, 0.0])
    assert np.allclose(cov["type_share"], [1.0, 0.6, 0.6, 0.2, 0.0])
    # after pruning, coverage is still measured against all corpus tokens
    pruned = Vocabulary.from_tokens(sents, min_count=2)
    assert pruned.coverage([1]).loc[0, "token_coverage"] == pytest.approx(11 / 13)
    stats = Corpus(sents).stats([1, 5])
    assert isinstance(stats, pd.DataFrame) and stats["tokens"].tolist() == [13, 5]


# -- encoding ---------------------------------------------------------------------------

def brute_force_encode(sentences, min_count=1, max_size=None):
    counts: dict[str, int] = {}
    for s in sentences:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    order = sorted(counts, key=lambda w: -counts[w])   # stable: ties keep first occurrence
    words = [w for w in order if counts[w] >= min_count][:max_size]
    ids = {w: i for i, w in enumerate(words)}
    encoded = [[ids[w] for w in s if w in ids] for s in sentences]
    encoded = [s for s in encoded if s]
    total = sum(counts.values())
    return words, [counts[w] for w in words], encoded, total


def random_sentences(seed=0, n=600):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.choice([0, 1, 1, 2, 3, 5, 8, 13])
        out.append([f"w{min(int(rng.paretovariate(0.8)), 300)}" for _ in range(k)])
    return out


def as_lists(encoded: EncodedCorpus) -> list[list[int]]:
    return [s.tolist() for s in encoded]


@pytest.mark.parametrize("chunk", [None, 97, 7, 1])
def test_encode_matches_brute_force(tmp_path, monkeypatch, chunk):
    if chunk is not None:   # exercise the chunked numeric passes
        monkeypatch.setattr(encode_mod, "_CHUNK", chunk)
    sents = random_sentences(seed=11)
    words, counts, expected, total = brute_force_encode(sents, min_count=2)
    enc = Corpus(sents).encode(min_count=2, out=tmp_path / "enc")
    assert enc.vocab.words == words and enc.vocab.counts.tolist() == counts
    assert as_lists(enc) == expected
    assert len(enc) == len(expected) < len(sents)              # empty sentences dropped
    assert enc.meta["total_tokens"] == total == enc.vocab.total_tokens
    n_kept = sum(map(len, expected))
    assert enc.n_tokens == n_kept
    assert enc.dropped_tokens == total - n_kept > 0
    assert enc.tokens.dtype == np.int32 and enc.offsets.dtype == np.int64
    assert enc.offsets[0] == 0 and enc.offsets[-1] == enc.n_tokens
    kept = set(words)
    assert list(enc.sentences()) == [s2 for s in sents if (s2 := [w for w in s if w in kept])]


def test_encode_max_size(tmp_path):
    sents = random_sentences(seed=12)
    words, _, expected, total = brute_force_encode(sents, min_count=1, max_size=10)
    enc = Corpus(sents).encode(min_count=1, max_size=10, out=tmp_path / "enc")
    assert enc.vocab.words == words and len(words) == 10
    assert as_lists(enc) == expected
    assert enc.dropped_tokens == total - sum(map(len, expected))


def test_encode_known_answer(tmp_path):
    enc = Corpus(SENTS).encode(min_count=2, out=tmp_path / "enc")
    # vocab a c b; "f" and "g"-only content vanish, ["f"] becomes empty and is dropped
    assert enc.vocab.words == ["a", "c", "b"]
    assert as_lists(enc) == [[2, 0, 1], [0, 1], [2, 0], [1]]
    assert enc.offsets.tolist() == [0, 3, 5, 7, 8]
    assert enc.dropped_tokens == 4 and enc.meta["n_sentences"] == 4


def test_encode_with_given_vocab(tmp_path):
    vocab = Vocabulary(["c", "a", "zzz"], [10, 9, 8])
    enc = Corpus(SENTS).encode(vocab=vocab, out=tmp_path / "enc")
    assert enc.vocab.words == ["c", "a", "zzz"]
    assert as_lists(enc) == [[1, 0], [1, 0], [1], [0]]
    assert enc.dropped_tokens == 12 - 6
    assert enc.meta["fixed_vocab"] is True and enc.meta["min_count"] is None


def test_encode_empty_corpus(tmp_path):
    enc = Corpus([[], []]).encode(min_count=1, out=tmp_path / "enc")
    assert enc.n_tokens == 0 and len(enc) == 0 and len(enc.vocab) == 0 and list(enc) == []
    enc = Corpus([["a"], ["b", "c"]]).encode(min_count=2, out=tmp_path / "enc2")
    assert enc.n_tokens == 0 and len(enc) == 0 and enc.dropped_tokens == 3


def test_file_corpus_encodes_like_the_same_sentences(tmp_path):
    lines = MIXED_LINES * 30 + [text8_like(30_000, seed=8)]
    f = write(tmp_path / "c.txt.gz", "\n".join(lines))
    from_file = Corpus(f, max_sentence_length=500).encode(min_count=2)
    sentences = list(Corpus(f, max_sentence_length=500))
    from_iter = Corpus(iter(sentences), max_sentence_length=500).encode(min_count=2, out=tmp_path / "it")
    assert from_file.vocab == from_iter.vocab
    assert np.array_equal(from_file.tokens, from_iter.tokens)
    assert np.array_equal(from_file.offsets, from_iter.offsets)
    assert from_file.meta["dropped_tokens"] == from_iter.meta["dropped_tokens"]
    words, _, expected, _ = brute_force_encode(sentences, min_count=2)
    assert from_file.vocab.words == words and as_lists(from_file) == expected


def test_reopened_encoded_corpus_equals_original(tmp_path):
    f = write(tmp_path / "c.txt", "\n".join(MIXED_LINES * 5))
    enc = Corpus(f).encode(min_count=1)
    again = EncodedCorpus(enc.path)
    assert again.vocab == enc.vocab and again.vocab.total_tokens == enc.vocab.total_tokens
    assert np.array_equal(again.tokens, enc.tokens) and np.array_equal(again.offsets, enc.offsets)
    assert again.meta == enc.meta
    assert list(again.sentences()) == list(Corpus(f))
    with pytest.raises(StoreError):
        EncodedCorpus(tmp_path)


def _meta_mtime(enc: EncodedCorpus) -> int:
    return (enc.path / "meta.json").stat().st_mtime_ns


def test_encode_cache_hit(tmp_path, wordlab_cache):
    f = write(tmp_path / "c.txt", "\n".join(MIXED_LINES * 5))
    first = Corpus(f).encode(min_count=2)
    assert wordlab_cache in first.path.parents
    stamp = _meta_mtime(first)
    entries = sorted(p.name for p in first.path.parent.iterdir())
    time.sleep(0.01)
    second = Corpus(f).encode(min_count=2)
    assert second.path == first.path
    assert _meta_mtime(second) == stamp                     # not rewritten: a cache hit
    assert sorted(p.name for p in first.path.parent.iterdir()) == entries
    assert np.array_equal(second.tokens, first.tokens)
    third = Corpus(f).encode(min_count=2, cache=False)      # no cache: written elsewhere
    assert third.path != first.path and np.array_equal(third.tokens, first.tokens)
    own = Corpus(f).encode(min_count=2, cache_dir=tmp_path / "own")
    assert own.path.parent == tmp_path / "own"


def test_encode_cache_misses_when_inputs_or_settings_change(tmp_path):
    f = write(tmp_path / "c.txt", "\n".join(MIXED_LINES * 5))
    base = Corpus(f).encode(min_count=2)
    paths = {base.path}

    def new_path(enc):
        assert enc.path not in paths
        paths.add(enc.path)
        return enc

    new_path(Corpus(f, lowercase=False).encode(min_count=2))
    new_path(Corpus(f, sentence_split=True).encode(min_count=2))
    new_path(Corpus(f, tokenizer=r"\S+").encode(min_count=2))
    new_path(Corpus(f, max_sentence_length=3).encode(min_count=2))
    new_path(Corpus(f).encode(min_count=1))
    new_path(Corpus(f).encode(min_count=2, max_size=3))
    # touching the file (new mtime, same content): the key is the content, a cache hit
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert Corpus(f).encode(min_count=2).path == base.path
    # edited in place with the same size, the mtime put back: a miss, and the new content
    text = f.read_bytes()
    st = f.stat()
    f.write_bytes(text.replace(b"plain", b"plaxn"))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    edited = new_path(Corpus(f).encode(min_count=2))
    assert "plaxn" in edited.vocab and "plain" not in edited.vocab and "plain" in base.vocab
    # modifying the file
    with open(f, "a", encoding="utf-8") as fh:
        fh.write("\nnew words new words\n")
    modified = new_path(Corpus(f).encode(min_count=2))
    assert "new" in modified.vocab and "new" not in base.vocab


def test_encode_cache_key_covers_given_vocab_counts(tmp_path):
    f = write(tmp_path / "c.txt", "a b c\na b\na\n")
    first = Corpus(f).encode(vocab=Vocabulary(["a", "b"], [3, 2]))
    assert first.vocab.counts.tolist() == [3, 2]
    other = Vocabulary(["a", "b"], [1, 1])
    uncached = Corpus(f).encode(vocab=other, cache=False)
    cached = Corpus(f).encode(vocab=other)
    # a cached result must equal what encoding without the cache gives
    assert uncached.vocab.counts.tolist() == [1, 1]
    assert cached.vocab.counts.tolist() == uncached.vocab.counts.tolist()


def _failing_sentences(n_good: int):
    for i in range(n_good):
        yield [f"w{i % 7}", "x", "y"]
    raise RuntimeError("source broke")


def test_failed_encoding_leaves_nothing_at_out(tmp_path):
    parent = tmp_path / "encodings"
    out = parent / "enc"
    with pytest.raises(RuntimeError, match="source broke"):
        Corpus(_failing_sentences(10_000)).encode(min_count=1, out=out)
    assert not out.exists()
    assert not parent.exists() or list(parent.iterdir()) == []   # no partial sibling either
    # an existing encoding at out survives a failed re-encode
    good = Corpus([["a", "b"], ["b"]]).encode(min_count=1, out=out)
    tokens = good.tokens.tolist()
    with pytest.raises(RuntimeError):
        Corpus(_failing_sentences(100)).encode(min_count=1, out=out, overwrite=True)
    assert EncodedCorpus(out).tokens.tolist() == tokens
    assert sorted(p.name for p in parent.iterdir()) == ["enc"]
    # without overwrite the existing encoding is refused before any work
    with pytest.raises(wordlab.errors.OutputExistsError, match="overwrite"):
        Corpus([["c"]]).encode(min_count=1, out=out)
    # and overwrite never replaces a directory that is not an encoded corpus
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(wordlab.errors.OutputExistsError, match="not a wordlab output"):
        Corpus([["c"]]).encode(min_count=1, out=other, overwrite=True)
    assert (other / "notes.txt").read_text() == "keep me"


def test_iterable_of_strings_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="string"):
        list(Corpus(iter(["a sentence as text"])))
    with pytest.raises(TypeError):
        Corpus(42)


# -- shared data ------------------------------------------------------------------------

def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


@pytest.mark.data
def test_navajo_corpus(data_dir):
    path = data_dir / "corpora" / "navajo" / "nvwiki-20200201.txt.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    vocab = Corpus(path).build_vocab()
    assert 600_000 < vocab.total_tokens < 750_000
    top = vocab.words[:50]
    assert sum("\u02bc" in w for w in top) >= 5, top
    assert not [w for w in vocab.words if all(_is_mark(ch) for ch in w)]
    # decomposed accents were composed (NFC): no word keeps a combining acute after a vowel
    assert not [w for w in vocab.words if unicodedata.normalize("NFC", w) != w]


@pytest.mark.data
def test_sinhala_news_corpus(data_dir):
    path = data_dir / "corpora" / "sinhala-news" / "adaderana_2017_sinhala.txt.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    vocab = Corpus(path).build_vocab()
    assert 300_000 < vocab.total_tokens < 400_000
    top = vocab.words[:30]
    with_signs = [w for w in top if any(_is_mark(ch) for ch in w)]
    assert len(with_signs) >= 10
    assert any(len(re.findall(r"\w+", w)) > 1 for w in with_signs)   # \w+ would split them
    # sentence splitting finds the glued sentences
    n_lines = sum(1 for _ in Corpus(path))
    assert sum(1 for _ in Corpus(path, sentence_split=True)) > 1.5 * n_lines
    starts_with_mark = [w for w in vocab.words if _is_mark(w[0])]
    assert starts_with_mark == []


@pytest.mark.data
@pytest.mark.slow
def test_english_text8style_streams(data_dir):
    path = data_dir / "corpora" / "enwiki-text8style.txt.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    # expected token count, computed independently: word starts in the byte stream
    expected = 0
    prev_space = True
    with gzip.open(path, "rb") as fh:
        while chunk := fh.read(8 << 20):
            is_word = np.frombuffer(chunk, dtype=np.uint8) > 32
            starts = is_word & ~np.concatenate(([not prev_space], is_word[:-1]))
            expected += int(np.count_nonzero(starts))
            prev_space = not bool(is_word[-1])
    start = time.perf_counter()
    lengths = []
    first = None
    for batch in Corpus(path).batches():
        if first is None:
            first = batch[0][:5]
        lengths.extend(map(len, batch))
        if time.perf_counter() - start > 20:
            pytest.skip("reading the 100 MB text8-style corpus takes over 20 s here")
    assert sum(lengths) == expected
    assert 16_000_000 < expected < 18_000_000
    assert all(n == MAX_SENTENCE_LENGTH for n in lengths[:-1]) and 0 < lengths[-1] <= MAX_SENTENCE_LENGTH
    with gzip.open(path, "rb") as fh:
        assert first == fh.read(200).decode().split()[:5]


# -- damaged compressed input, byte-order marks, streams ----------------------------------

def _damaged(packed: bytes, how: str) -> bytes:
    half = len(packed) // 2
    if how == "truncated":
        return packed[:half]
    if how == "garbled":
        return packed[:half] + bytes(b ^ 0x5A for b in packed[half:half + 32]) + packed[half + 32:]
    return packed[:half] + b"inserted bytes" + packed[half:]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("how", ["truncated", "garbled", "inserted"])
def test_damaged_compressed_corpus_names_file_and_offset(tmp_path, suffix, how):
    text = "\n".join(MIXED_LINES * 200) + "\n" + text8_like(300_000, seed=5)
    f = tmp_path / f"damaged.txt{suffix}"
    f.write_bytes(_damaged(COMPRESSORS[suffix](text.encode()), how))
    for read in (lambda: list(Corpus(f)), lambda: Corpus(f).build_vocab(),
                 lambda: Corpus(f).encode(min_count=1, cache=False), lambda: read_all(f, chunk_bytes=4096)):
        with pytest.raises(InputFormatError) as info:
            read()
        msg = str(info.value)
        # (garbled xz data may come out as bad UTF-8 before its block's check fails)
        assert "damaged.txt" + suffix in msg and re.search(r"byte offset \d+", msg), msg
        if how == "truncated":
            assert re.search(r"truncated .*decompressed byte offset \d+", msg), msg


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_empty_or_foreign_compressed_file(tmp_path, suffix):
    f = tmp_path / f"x.txt{suffix}"
    f.write_bytes(b"this was never compressed\n")
    with pytest.raises(InputFormatError, match=rf"x\.txt\{suffix}: .* at|x\.txt\{suffix}: .*offset"):
        Corpus(f).build_vocab()


@pytest.mark.parametrize("how", ["truncated", "garbled"])
def test_sniffing_a_damaged_file_is_not_an_error(tmp_path, how):
    # the reader reports the damage; sniffing for a MediaWiki dump just says "no"
    f = tmp_path / "d.txt.gz"
    f.write_bytes(_damaged(gzip.compress(text8_like(200_000).encode()), how)[:40])
    assert not is_mediawiki(f)
    with pytest.raises(InputFormatError, match=r"d\.txt\.gz"):
        list(Corpus(f))


@pytest.mark.parametrize("how", ["truncated", "garbled"])
def test_damaged_mediawiki_dump_names_the_file(tmp_path, how):
    dump = STANDARD_DUMP.replace("</mediawiki>", "".join(_page(f"P{i}", 0, ARTICLE) for i in range(50))
                                 + "</mediawiki>")
    f = tmp_path / "dump.xml.bz2"
    f.write_bytes(_damaged(bz2.compress(dump.encode()), how))
    with pytest.raises(InputFormatError, match=r"dump\.xml\.bz2: .*(offset|line)"):
        list(Corpus(f))


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("chunk", [1 << 20, 2, 1])
def test_byte_order_mark_is_not_a_token(tmp_path, suffix, chunk):
    f = write(tmp_path / f"bom.txt{suffix}", "\ufeffFirst line\nsecond\n")
    expected = [["first", "line"], ["second"]]
    assert read_all(f, chunk_bytes=chunk) == expected
    assert read_all(f, Tokenizer(lowercase=False, function=str.split), chunk_bytes=chunk) == \
        [["First", "line"], ["second"]]
    assert list(Corpus(f, tokenizer=str.split, lowercase=False)) == [["First", "line"], ["second"]]
    # offsets and lines of a decoding error still count the mark's bytes
    bad = write(tmp_path / f"bad.txt{suffix}", b"\xef\xbb\xbfok\n\xff\n")
    assert re.search(r"byte offset 6 \(line 2\)", _decode_error(bad, chunk_bytes=chunk))


def test_mediawiki_dump_with_byte_order_mark(tmp_path):
    f = write(tmp_path / "pages.txt", "\ufeff" + STANDARD_DUMP)
    assert is_mediawiki(f)
    assert list(Corpus(f)) == ARTICLE_SENTENCES


def _feed_fifo(path: Path, data: bytes):
    import threading

    def feed():
        with open(path, "wb") as fh:   # blocks until the reader opens the FIFO
            fh.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("name, pack", [("stream", bytes), ("stream.gz", gzip.compress),
                                        ("dump.xml", bytes), ("text.txt", bytes)])
def test_fifo_is_a_corpus_input(tmp_path, name, pack):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    assert resolve_inputs(fifo) == [fifo]
    data = STANDARD_DUMP if name == "dump.xml" else "Hello world\nsecond LINE\n"
    expected = ARTICLE_SENTENCES if name == "dump.xml" else [["hello", "world"], ["second", "line"]]
    thread = _feed_fifo(fifo, pack(data.encode()))
    corpus = Corpus(fifo)
    assert is_mediawiki(fifo) == (name == "dump.xml")   # by name: the stream is not touched
    assert list(corpus) == expected
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_among_files_and_vocabulary(tmp_path):
    fifo = tmp_path / "piped"
    os.mkfifo(fifo)
    plain = write(tmp_path / "a.txt", "alpha beta\n")
    thread = _feed_fifo(fifo, ("beta gamma\n" * 1000).encode())
    vocab = Corpus([plain, fifo]).build_vocab()
    assert vocab.words == ["beta", "gamma", "alpha"] and vocab.counts.tolist() == [1001, 1000, 1]
    thread.join(5)


def test_directory_and_missing_path_are_still_refused(tmp_path):
    with pytest.raises(WordlabError, match="does not exist"):
        resolve_inputs(tmp_path / "nope")
    if os.path.exists("/dev/null"):   # a character device is a (empty) stream
        assert resolve_inputs("/dev/null") == [Path("/dev/null")]
        assert list(Corpus("/dev/null")) == []


def test_text_lines_of_small_files(tmp_path):
    from wordlab.corpus.sources import text_lines
    f = write(tmp_path / "t.txt", b"\xef\xbb\xbfone\r\ntwo\rthree\n\nfour")
    assert list(text_lines(f)) == [(1, "one"), (2, "two"), (3, "three"), (4, ""), (5, "four")]
    assert list(text_lines(f, universal=False)) == [(1, "one"), (2, "two\rthree"), (3, ""), (4, "four")]
    # an invalid byte beyond the first block of lines: the line and the byte offset of the file
    lines = [f"line {i} with some words" for i in range(60_000)]
    data = ("\n".join(lines) + "\n").encode()
    bad = write(tmp_path / "bad.txt", data + b"caf\xe9\n")
    assert len(data) > 1 << 20
    where = rf"bad\.txt, line 60001: not valid utf-8 .*byte offset {len(data) + 3}\b"
    with pytest.raises(InputFormatError, match=where):
        list(text_lines(bad))
    with pytest.raises(InputFormatError, match=r"bad\.txt:60001: "):
        list(text_lines(bad, where=lambda n: f"{bad}:{n}"))


def test_a_directory_input_reads_its_text_files_and_notes_the_others(tmp_path, runner):
    """A directory holding an image and a README: the image is skipped with a note naming
    it, --include narrows the files, a file named explicitly is always read (issue 24)."""
    import warnings

    from wordlab.cli.main import cli
    from wordlab.errors import WordlabWarning
    d = tmp_path / "corpus"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("the cat sat\n")
    (d / "sub" / "b").write_text("a dog ran\n")
    (d / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.warns(WordlabWarning, match="1 file.*skipped as not text: pic.png"):
        files = wordlab.Corpus(d).files
    assert [f.name for f in files] == ["a.txt", "b"]
    with pytest.warns(WordlabWarning, match="not matching '\\*.txt'"):
        assert [f.name for f in wordlab.Corpus(d, include="*.txt").files] == ["a.txt"]
    with pytest.raises(wordlab.WordlabError, match="no text files matching '\\*.md'"):
        wordlab.Corpus(d, include="*.md")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wordlab.Corpus([d / "a.txt"]).files == [d / "a.txt"]
    r = runner.invoke(cli, ["corpus", "stats", str(d), "--include", "*.txt"])
    assert r.exit_code == 0, r.output
