"""MediaWiki XML dumps (``*-pages-articles*.xml[.bz2]``) as a corpus.

The dump is parsed incrementally (``iterparse``; each page is freed once read), so
a multi-gigabyte dump streams in bounded memory. Only articles are kept: namespace
0, not redirects. Their wikitext is reduced to plain prose by
:func:`strip_wikitext`; each remaining line (paragraph) is a sentence.

Malformed XML is an :class:`~wordlab.errors.InputFormatError` naming the file, line
and column; a damaged or truncated ``.bz2`` (``.gz``, ``.xz``) one naming the file and
the decompressed byte offset (raised by the stream of
:func:`~wordlab.corpus.sources.open_binary`).
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

from ..errors import InputFormatError
from .readers import Batch, ProgressCallback, _SentenceAssembler, MAX_SENTENCE_LENGTH
from .sources import open_binary
from .tokenizer import Tokenizer, _SENTENCE_END

_FLAGS = re.DOTALL | re.IGNORECASE
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Elements whose content is not prose: dropped with their content.
_DROP_ELEMENTS = re.compile(
    r"<(ref|math|gallery|timeline|score|syntaxhighlight|source|code|pre|chem|hiero|graph|mapframe|templatedata)"
    r"\b[^>]*?(?:/>|>.*?</\1\s*>)", _FLAGS)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")           # innermost {{...}}
_TABLE = re.compile(r"\{\|(?:(?!\{\|).)*?\|\}", re.DOTALL)  # innermost {| ... |}
_PARAM = re.compile(r"\{\{\{[^{}]*\}\}\}")
# [[Namespace:...]] links that carry no prose (files, categories, interlanguage).
_META_LINK = re.compile(
    r"\[\[\s*(?:file|image|media|category|datei|fichier|imagen|bild|[a-z]{2,3}(?:-[a-z]+)?)\s*:[^\[\]]*\]\]",
    re.IGNORECASE)
_LINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")   # [[target|label]]
_EXTERNAL = re.compile(r"\[(?:https?|ftp)?:?//[^\s\]]*\s*([^\]]*)\]")
_URL = re.compile(r"(?:https?|ftp)://\S+")
_EMPHASIS = re.compile(r"'{2,}")
_HEADING = re.compile(r"^=+\s*(.*?)\s*=+\s*$", re.MULTILINE)
_LIST_MARK = re.compile(r"^[*#:;]+\s*", re.MULTILINE)
_MAGIC = re.compile(r"__[A-Z]+__")
_REDIRECT = re.compile(r"^\s*#redirect", re.IGNORECASE)


def _remove_nested(pattern: re.Pattern, text: str, limit: int = 50) -> str:
    for _ in range(limit):
        text, n = pattern.subn("", text)
        if not n:
            break
    return text


def strip_wikitext(text: str) -> str:
    """Plain prose of a wikitext page: templates, tables, references, files,
    categories, markup and URLs removed; link labels kept; one paragraph per line."""
    text = _COMMENT.sub("", text)
    text = _DROP_ELEMENTS.sub("", text)
    text = _PARAM.sub("", text)
    text = _remove_nested(_TEMPLATE, text)
    text = _remove_nested(_TABLE, text)
    # Links: innermost first, so a file caption's links resolve before the file link goes.
    for _ in range(10):
        new = _META_LINK.sub("", text)
        new = _LINK.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), new)
        if new == text:
            break
        text = new
    text = _EXTERNAL.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _TAG.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _HEADING.sub(r"\1", text)
    text = _LIST_MARK.sub("", text)
    text = _MAGIC.sub("", text)
    text = html.unescape(text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def iter_pages(path: Path, progress: ProgressCallback | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(title, wikitext)`` of the articles (namespace 0, no redirects) of a dump."""
    stream, counter = open_binary(path)
    reported = 0
    title, ns, text, redirect = None, None, None, False
    try:
        with stream:
            for event, elem in ET.iterparse(stream, events=("end",)):
                tag = _local(elem.tag)
                if tag == "title":
                    title = elem.text or ""
                elif tag == "ns":
                    ns = (elem.text or "").strip()
                elif tag == "redirect":
                    redirect = True
                elif tag == "text":
                    text = elem.text or ""
                elif tag == "page":
                    if ns in (None, "0") and not redirect and text and not _REDIRECT.match(text):
                        yield title or "", text
                    title, ns, text, redirect = None, None, None, False
                    elem.clear()
                    if progress is not None:
                        progress(counter.bytes_read - reported)
                        reported = counter.bytes_read
    except ET.ParseError as e:
        line, column = e.position
        raise InputFormatError(f"{path}: malformed MediaWiki XML at line {line}, column {column}: {e}") from None
    if progress is not None:
        progress(counter.bytes_read - reported)


def read_mediawiki(path: Path, tokenizer: Tokenizer, max_sentence_length: int = MAX_SENTENCE_LENGTH,
                   progress: ProgressCallback | None = None) -> Iterator[Batch]:
    """Yield one batch of tokenised sentences per article of a MediaWiki dump."""
    for _title, wikitext in iter_pages(path, progress):
        sentences = _SentenceAssembler(max_sentence_length)
        for line in strip_wikitext(wikitext).split("\n"):
            parts = _SENTENCE_END.split(line) if tokenizer.sentence_split else [line]
            for part in parts:
                sentences.extend(tokenizer(part))
                sentences.end_sentence()
        batch = sentences.take()
        if batch:
            yield batch
