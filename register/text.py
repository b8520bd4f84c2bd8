"""Name handling shared by the register, the importer and the annotation help."""

import re
import unicodedata

from django.utils.text import slugify

# Arabic definite article and its common transliterations: al-/el- joined by a
# hyphen or a space (al-Serraj, Al Zintan), the assimilated forms (as-Sarraj)
# only with a hyphen, so English "as" and "at" are left alone.
_ARTICLE_PREFIX = re.compile(r"\b(?:(?:al|el)[-\s]|(?:ad|adh|ar|as|ash|at|az|an|ad|ath|ud)-)(?=\w)", re.IGNORECASE)
_ARABIC_ARTICLE = re.compile(r"(?<!\S)ال(?=\w)")
# "the Islamic State" and "Islamic State" are one name.
_LEADING_THE = re.compile(r"^\s*the\s+(?=\w)", re.IGNORECASE)
_POSSESSIVE = re.compile(r"'s\b")
_NON_WORD = re.compile(r"[^\w]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "‐": "-", "–": "-", "—": "-"})


def strip_diacritics(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_name(value: str) -> str:
    """
    The key two spellings of one name share: case, diacritics, punctuation and
    the Arabic article do not count, so "al-Sarraj", "Al Sarraj" and "Sarraj"
    meet, and "Ṣabrī" meets "Sabri".
    """
    value = strip_diacritics(value.translate(_APOSTROPHES)).casefold()
    value = _POSSESSIVE.sub("", value).replace("'", "")
    value = _ARTICLE_PREFIX.sub("", value)
    value = _LEADING_THE.sub("", value)
    value = _ARABIC_ARTICLE.sub("", value)
    return " ".join(_NON_WORD.sub(" ", value).split())


def make_slug(value: str, max_length: int = 100) -> str:
    """A URL slug that keeps non-Latin letters and is never empty."""
    slug = slugify(value, allow_unicode=True)[:max_length].strip("-")
    if not slug:
        slug = slugify(strip_diacritics(value))[:max_length].strip("-")
    return slug or "item"


def unique_slug(model, value: str, *, instance_pk=None, field: str = "slug", max_length: int = 100) -> str:
    """make_slug(value), suffixed with -2, -3... until no other row has it."""
    base = make_slug(value, max_length=max_length - 6)
    candidate, n = base, 1
    qs = model._default_manager.all()
    if instance_pk is not None:
        qs = qs.exclude(pk=instance_pk)
    while qs.filter(**{field: candidate}).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate
