"""The default tokenizer: Unicode words (Sinhala, Navajo), ASCII fast paths, options."""
from __future__ import annotations

import random
import re
import string
import unicodedata

import pytest

from wordlab.corpus import Tokenizer, tokenize
from wordlab.corpus.tokenizer import _unicode_word_pattern, as_tokenizer

ZWJ = "\u200d"
SRI = "ශ්" + ZWJ + "රී"                     # ශ්‍රී: consonant, virama, ZWJ, consonant, vowel sign
NAVAJO = "k\u02bcehj\u00edgo"              # kʼehjígo, precomposed í (NFC)
NAVAJO_NFD = unicodedata.normalize("NFD", NAVAJO)


def _has_mark(word: str) -> bool:
    return any(unicodedata.category(ch).startswith("M") for ch in word)


# -- Sinhala --------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["ආදරය", "ලිංගිකත්වය", "තිබේ", "සෞඛ්" + ZWJ + "ය", "අමාත්" + ZWJ + "ය"])
def test_sinhala_words_come_out_whole(word):
    assert tokenize(word) == [word]
    assert tokenize(f"  {word}, {word}.") == [word, word]


@pytest.mark.parametrize("word", ["ලිංගිකත්වය", "තිබේ", "සෞඛ්" + ZWJ + "ය"])
def test_naive_word_regex_splits_sinhala_vowel_signs(word):
    # The reason the tokenizer exists: Python's \w does not match Mn/Mc vowel signs.
    assert _has_mark(word)
    pieces = re.findall(r"\w+", word)
    assert len(pieces) > 1
    assert "".join(pieces) != word


def test_lingikatvaya_naive_split_known_answer():
    assert re.findall(r"\w+", "ලිංගිකත්වය") == ["ල", "ග", "කත", "වය"]
    assert tokenize("ලිංගිකත්වය") == ["ලිංගිකත්වය"]


def test_adaraya_has_no_combining_marks():
    # ආදරය is letters only (independent vowel + consonants): \w+ keeps it whole as well;
    # the words with vowel signs above are the ones that tell the two apart.
    assert not _has_mark("ආදරය")
    assert re.findall(r"\w+", "ආදරය") == ["ආදරය"]


def test_sinhala_conjunct_with_zwj_stays_whole():
    assert ZWJ in SRI
    assert tokenize(SRI) == [SRI]
    assert tokenize(f"{SRI} ලංකා") == [SRI, "ලංකා"]
    assert re.findall(r"\w+", SRI) == ["ශ", "ර"]  # virama, ZWJ and vowel sign break \w+


def test_docstring_example():
    assert tokenize(f"{SRI} ලංකා, {NAVAJO}: don't 3,794,101!") == [SRI, "ලංකා", NAVAJO, "don't", "3,794,101"]


def test_no_token_starts_with_a_combining_mark():
    # Real text from the Ada Derana corpus: a vowel sign (kombuva, Mc) typed after a space.
    text = "ජනතාව \u0dd9දාස් සහ බෙනවා.\u0dd2අයර්ලන්තයේ"
    toks = tokenize(text)
    assert "ජනතාව" in toks and "සහ" in toks
    assert all(not unicodedata.category(t[0]).startswith("M") for t in toks), toks


def test_no_token_is_a_lone_combining_mark():
    # A combining accent after a space (NFC cannot attach it to anything).
    toks = tokenize("a \u0301 b \u0dcf c")
    assert "a" in toks and "b" in toks and "c" in toks
    assert all(not all(unicodedata.category(ch).startswith("M") for ch in t) for t in toks), toks


# -- Navajo ---------------------------------------------------------------------------

def test_navajo_modifier_apostrophe_and_accents_stay_whole():
    assert unicodedata.category("\u02bc") == "Lm"
    assert tokenize(NAVAJO) == [NAVAJO]
    assert tokenize(f"Diné {NAVAJO} bizaad.") == ["diné", NAVAJO, "bizaad"]
    # word-final glottal stop (bidaaʼ) is part of the word
    assert tokenize("bidaa\u02bc dóó") == ["bidaa\u02bc", "dóó"]


def test_navajo_nfd_input_gives_the_nfc_token():
    assert NAVAJO_NFD != NAVAJO and "\u0301" in NAVAJO_NFD
    assert tokenize(NAVAJO_NFD) == [NAVAJO]
    assert tokenize(NAVAJO_NFD) == tokenize(NAVAJO)
    # without normalisation the decomposed form survives (so the default really normalises)
    raw = Tokenizer(normalize=None)(NAVAJO_NFD)
    assert raw == [NAVAJO_NFD] and raw != [NAVAJO]


def test_nfkc_normalisation_option():
    assert Tokenizer(normalize="NFKC")("ﬁne ２") == ["fine", "2"]
    assert Tokenizer()("ﬁne") == ["ﬁne"]


# -- case, punctuation, numbers, apostrophes -------------------------------------------

def test_lowercase_on_and_off():
    text = "Hello World ÉCOLE Straße"
    assert tokenize(text) == ["hello", "world", "école", "straße"]
    assert tokenize(text, lowercase=False) == ["Hello", "World", "ÉCOLE", "Straße"]
    assert Tokenizer(lowercase=False)(text) == ["Hello", "World", "ÉCOLE", "Straße"]


def test_punctuation_splits_words():
    assert tokenize("Hello,world!(yes)[no]{x};y:z\"q\" well-known snake_case a/b") == [
        "hello", "world", "yes", "no", "x", "y", "z", "q", "well", "known", "snake", "case", "a", "b"]
    assert tokenize("... --- !!!") == []
    assert tokenize("") == []


def test_apostrophes_inside_words_kept():
    assert tokenize("don't") == ["don't"]
    assert tokenize("Don\u2019t stop") == ["don\u2019t", "stop"]
    assert tokenize("'quoted' rock 'n' roll") == ["quoted", "rock", "n", "roll"]
    assert tokenize("students' books") == ["students", "books"]


def test_numbers_with_groups_kept():
    assert tokenize("3,794,101") == ["3,794,101"]
    assert tokenize("population 3,794,101 in 1990.") == ["population", "3,794,101", "in", "1990"]
    assert tokenize("pi is 3.14159, e is 2.718") == ["pi", "is", "3.14159", "e", "is", "2.718"]
    assert tokenize("१२३ ෧෨") == ["१२३", "෧෨"]  # non-ASCII digits are word characters


# -- custom tokenizers ---------------------------------------------------------------

def test_custom_regex_tokenizer():
    tok = Tokenizer(pattern=r"[a-z]+")
    assert tok("Abc d3f, don't") == ["abc", "d", "f", "don", "t"]
    tok = Tokenizer(pattern=re.compile(r"\S+"), lowercase=False)
    assert tok("Hello, World!") == ["Hello,", "World!"]
    assert as_tokenizer(r"\d+")("a1 b22 c333") == ["1", "22", "333"]


def test_custom_callable_tokenizer():
    seen = []

    def split_dash(text):
        seen.append(text)
        return text.split("-")

    tok = Tokenizer(function=split_dash)
    assert tok("A-B-c") == ["a", "b", "c"]
    assert seen == ["a-b-c"]          # called after lowercasing
    assert Tokenizer(function=split_dash, lowercase=False)("A-B") == ["A", "B"]
    assert as_tokenizer(lambda s: [s[::-1]])("Ab") == ["ba"]
    assert isinstance(as_tokenizer(None), Tokenizer)
    t = Tokenizer(lowercase=False)
    assert as_tokenizer(t) is t


def test_tokenizer_argument_errors():
    with pytest.raises(ValueError):
        Tokenizer(pattern=r"\w+", function=str.split)
    with pytest.raises(ValueError):
        Tokenizer(normalize="NFX")
    with pytest.raises(TypeError):
        as_tokenizer(42)


def test_settings_describe_the_tokenizer():
    assert Tokenizer().settings() == Tokenizer().settings()
    assert Tokenizer().settings() != Tokenizer(lowercase=False).settings()
    assert Tokenizer().settings() != Tokenizer(sentence_split=True).settings()
    assert Tokenizer(pattern=r"\S+").settings() != Tokenizer(pattern=r"\w+").settings()
    assert Tokenizer(function=str.split).settings() is None  # builtins have no source


# -- sentence splitting --------------------------------------------------------------

def test_sentence_split_glued_sinhala():
    tok = Tokenizer(sentence_split=True)
    text = "තහනම් කර තිබේ.සෞඛ්" + ZWJ + "ය අමාත්" + ZWJ + "ය"
    assert tok.sentences(text) == [["තහනම්", "කර", "තිබේ"], ["සෞඛ්" + ZWJ + "ය", "අමාත්" + ZWJ + "ය"]]
    # without sentence_split the same line is one sentence
    assert Tokenizer().sentences(text) == [["තහනම්", "කර", "තිබේ", "සෞඛ්" + ZWJ + "ය", "අමාත්" + ZWJ + "ය"]]


def test_sentence_split_keeps_decimal_numbers():
    tok = Tokenizer(sentence_split=True)
    assert tok.sentences("it grew 3.5 percent") == [["it", "grew", "3.5", "percent"]]
    assert tok.sentences("it grew 3.5 percent.Then it fell") == [["it", "grew", "3.5", "percent"],
                                                                 ["then", "it", "fell"]]
    assert tok.sentences("in 1990.Then 2.0") == [["in", "1990"], ["then", "2.0"]]


def test_sentence_split_other_punctuation():
    tok = Tokenizer(sentence_split=True)
    assert tok.sentences("Why? Because! Done...") == [["why"], ["because"], ["done"]]
    assert tok.sentences("राम घर गया। सीता आई") == [["राम", "घर", "गया"], ["सीता", "आई"]]
    assert tok.sentences("...") == []


# -- ASCII fast paths agree with the Unicode pattern ---------------------------------

def _random_ascii(rng: random.Random, n: int) -> list[str]:
    every = "".join(map(chr, range(128)))
    tricky = string.ascii_letters[:5] + "XYZ" + "0123456789" + "'.,_- \t\n\x0b\x0c\x1c\x1f\x7f\x00!?"
    plain = string.ascii_letters + string.digits + "   \t\n"
    out = []
    for _ in range(n):
        alphabet = rng.choice((every, tricky, plain))
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))))
    return out


PLAIN = set(string.ascii_letters + string.digits + string.whitespace)


def test_ascii_fast_paths_agree_with_unicode_pattern():
    rng = random.Random(20240601)
    pattern = _unicode_word_pattern()
    tok, tok_cased = Tokenizer(), Tokenizer(lowercase=False)
    samples = _random_ascii(rng, 20000) + [
        "don't 3,794,101", "a'b'c", "1.2.3", "1..2", "1,", ",1", "x_y", "A1 b2", "'", "3.5'x",
        "a\x1cb", "a\x1fb c"]
    n_plain = n_regex = 0
    for s in samples:
        assert s.isascii()
        if set(s) <= PLAIN:
            n_plain += 1
        else:
            n_regex += 1
        assert tok(s) == pattern.findall(s.lower()), repr(s)
        assert tok_cased(s) == pattern.findall(s), repr(s)
    assert n_plain > 1000 and n_regex > 1000  # both fast paths were exercised


def test_plain_path_str_split_whitespace_matches_regex():
    # str.split() also splits at \x1c-\x1f; such text must not take the str.split path
    s = "ab\x1ccd\x1fef"
    assert tokenize(s) == _unicode_word_pattern().findall(s) == ["ab", "cd", "ef"]
    s = "ab\tcd\x0bef\x0cgh\r\nij"
    assert tokenize(s) == ["ab", "cd", "ef", "gh", "ij"]
