"""Personal data taken out of free text before anything else sees it.

Customers' and staff's comments hold personal data: a full name with a street address, a postcode and a
date of birth, a phone number, an e-mail address, a card or account number, staff first names. cxkit
removes it when it validates the data, so no stored, analysed or shown text ever holds it: each item is
replaced by a typed placeholder (``[name]``, ``[email]`` ...) and counted by type in the data checks.

What is found, in this order (an item found once is not looked at again):

- **email**: ``local@domain.tld``.
- **card**: 13 to 19 digits (spaces or dashes between groups) that pass the Luhn check (ISO/IEC 7812).
- **account**: an IBAN that passes its mod-97 check (ISO 13616); a UK sort code with an account number;
  6 to 20 digits after a word that names a number (account, customer, reference, policy, membership ...).
- **date of birth**: a full date after "born", "DOB" or "date of birth"; and any full date (day, month and
  year) whose year lies 16 or more years back, which is as likely a birthday as anything else.
- **phone**: numbers of seven digits or more that Google's libphonenumber (the ``phonenumbers`` package)
  finds and judges possible for the engagement's region, or in international form for any.
- **postcode**: UK postcodes; US ZIP codes after a state; Canadian postal codes.
- **address**: a house number and one to four capitalised words ending in a street word (Street, Road,
  Avenue, Lane, Close ...), with an optional flat or unit before it.
- **name**: a title and one or two capitalised words (Mr Smith, Dr Jane Okafor); the capitalised words
  after "my name is" or "I am called"; a first name from
  ``templates/first_names.txt`` (Faker's lists, MIT; a firm or an engagement may add its own) written
  with a capital, with a capitalised surname after it if there is one; after a naming phrase ("my name
  is", "spoke to", "called", "thanks to" ...) a first name in any case. First names that are also
  ordinary words (Bill, May, Hope, Grace, Mark ...) count only with a title, a naming phrase or a surname.

The redaction is measured on planted personal data in generated comments and on hand-labelled real ones
(README, "What customers say"); like any pattern-based redaction it misses what it has no rule for (a
surname on its own, a name written in lower case with no naming phrase): the README gives its recall.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import phonenumbers

from ..paths import TEMPLATES

PLACEHOLDERS = {"email": "[email]", "card": "[card]", "account": "[account]", "phone": "[phone]",
                "postcode": "[postcode]", "address": "[address]", "dob": "[date of birth]", "name": "[name]"}
DOB_YEARS = 16   # a full date at least this many years back is taken for a date of birth

# first names that are also ordinary English words: a name only with a title, a naming phrase or a surname
AMBIGUOUS_NAMES = frozenset("""
Amber Amor Angel April Art August Bill Blessing Bob Buck Bud Carol Case Charity Chase Chip Comfort Crystal Dawn
Diamond Dick Don Drew Duke Earl Faith Frank Grace Grant Guy Happy Hardy Harmony Holly Honey Hope Innocent Iris Ivy
Jack Jade Jean Job Joy June King Lane Line Love Lucky Man Mark Max May Mercy Mia Mile Miles Page Pat Peace Pearl
Penny Price Ray Rich Rocky Rose Ruby Said Sandy Sky Star Summer Sunny Sue Tia Will Young
Austin Camden Carolina Chester Dakota Dallas Denver Georgia Houston Orlando Phoenix Virginia
""".split())   # ... and places (states, cities) that are also first names
# a capitalised word after a first name that makes it a company's name, not a person's (Chase Bank)
COMPANY_WORDS = frozenset("""Airline Airlines Associates Bank Banking Branch Capital Card Cards Co Company Corp
Corporation Credit Energy Finance Financial Group Inc Insurance LLC Ltd Media Merchant Mobile Mortgage Motors Pay
Private Servicing Services Telecom""".split())
# in the lists, but ordinary words far more often than names
NOT_NAMES = frozenset("Among COmfort Else Gun Harm Harsh Lone Lot Lowe Mad Made My Odd Per Sad Us".split())
TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|Dame|Lady|Lord)"
NAMING = (r"(?:my name is|name's|i am called|i'm called|called|named|spoke to|spoke with|speaking to|speaking with|"
          r"talked to|talked with|dealt with|thanks to|thank you to|thank you|thanks|ask for|asked for|agent|advisor|"
          r"adviser|engineer|technician|rep|representative|manager|colleague|cc|regards)")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_DIGIT_RUN = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SORT_CODE = re.compile(r"\b\d{2}-\d{2}-\d{2}[ ,/]+\d{8}\b")
_NUMBER_WORDS = (r"(?:account|acct|a/c|customer|membership|member|reference|ref|policy|order|contract|"
                 r"case|ticket|client|loyalty)")
_LABELLED_NUMBER = re.compile(rf"(?i)\b{_NUMBER_WORDS}\s*(?:number|no\.?|num|#|id)?\s*(?:is|:|-)?\s*"
                              r"(?P<value>[A-Z]{0,3}\d(?:[ -]?\d){5,19})\b")
_UK_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}\b", re.IGNORECASE)
_US_ZIP = re.compile(r"\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
                     r"S[CD]|T[NX]|UT|V[AT]|W[AIVY]),? (?P<value>\d{5}(?:-\d{4})?)\b")
_CA_POSTCODE = re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b")
_STREET_WORDS = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Cl|Way|Court|Ct|Place|Pl|Crescent|Cres|"
                 r"Terrace|Gardens|Gdns|Grove|Boulevard|Blvd|Parade|Square|Sq|Hill|Row|Mews|Walk|Park|Rise|View|"
                 r"Green|Vale|Hollow|Circle|Highway|Hwy)")
_ADDRESS = re.compile(r"\b(?:(?:Flat|Apartment|Apt|Unit|Suite)\s+\d+[A-Za-z]?,?\s+)?\d{1,5}[A-Za-z]?,?\s+"
                      rf"(?:[A-Z][\w'-]*\s+){{1,4}}{_STREET_WORDS}\b\.?")
_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
           r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_DATE = (r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|"
         rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}}|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})")
_DOB = re.compile(rf"(?i)\b(?:born(?:\s+on)?|d\.?o\.?b\.?|date of birth|birthday(?:\s+is)?)\s*(?:is|:|-)?\s*(?P<value>{_DATE})")
_FULL_DATE = re.compile(rf"(?i)\b{_DATE}\b")
_YEAR = re.compile(r"(\d{4})|[/.-](\d{2})$")
_ANY_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class Found:
    """One personal item: its type and where it is in the text it was found in."""

    kind: str
    start: int
    end: int


@dataclass
class RedactionReport:
    """What was taken out of a column: items by type and the rows that held any (row labels as given)."""

    counts: Counter = field(default_factory=Counter)
    rows: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """``3 names, 1 phone number`` in the order of :data:`PLACEHOLDERS`."""
        words = {"email": ("e-mail address", "e-mail addresses"), "card": ("card number", "card numbers"),
                 "account": ("account number", "account numbers"), "phone": ("phone number", "phone numbers"),
                 "postcode": ("postcode", "postcodes"), "address": ("street address", "street addresses"),
                 "dob": ("date of birth", "dates of birth"), "name": ("name", "names")}
        return ", ".join(f"{self.counts[k]} {words[k][self.counts[k] != 1]}" for k in PLACEHOLDERS if self.counts[k])


@lru_cache(maxsize=8)
def first_names(extra: tuple[str, ...] = (), path: Path | None = None) -> frozenset[str]:
    """The first names looked for: the kit's list (``templates/first_names.txt``) and any others given."""
    path = path or TEMPLATES / "first_names.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    names = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    names |= {n.strip() for n in extra if n.strip()}
    return frozenset(n for n in names if n not in NOT_NAMES)


def _luhn(digits: str) -> bool:
    """The Luhn check digit test of card numbers (ISO/IEC 7812-1, annex B)."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        k = int(d) * (2 if i % 2 else 1)
        total += k - 9 if k > 9 else k
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    """The IBAN mod-97 check (ISO 13616-1): letters as 10..35, the first four characters moved to the end."""
    s = text.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _dob_year_ok(found: str, today: date) -> bool:
    """Whether a full date's year lies :data:`DOB_YEARS` or more years back (two-digit years read as 19xx/20xx)."""
    four = re.search(r"\d{4}", found)
    if four:
        year = int(four.group())
    else:
        two = re.search(r"(\d{2})\s*$", found)
        if not two:
            return False
        year = 2000 + int(two.group(1)) if int(two.group(1)) <= today.year % 100 else 1900 + int(two.group(1))
    return 1900 <= year <= today.year - DOB_YEARS


def find_personal(text: str, names: frozenset[str] | None = None, region: str = "GB",
                  today: date | None = None) -> list[Found]:
    """Every personal item in ``text``, as :class:`Found` spans that do not overlap, in text order.

    Parameters
    ----------
    text : str
    names : frozenset of str, optional
        First names to look for (:func:`first_names` by default).
    region : str
        ISO 3166 country code for phone numbers written without their country code.
    today : date, optional
        The date full dates are measured from (today by default).
    """
    if not text:
        return []
    names = first_names() if names is None else names
    today = today or date.today()
    taken: list[Found] = []

    def free(start: int, end: int) -> bool:
        return all(end <= f.start or start >= f.end for f in taken)

    def take(kind: str, start: int, end: int) -> None:
        if start < end and free(start, end):
            taken.append(Found(kind, start, end))

    if "@" in text:
        for m in _EMAIL.finditer(text):
            take("email", m.start(), m.end())
    if _ANY_DIGIT.search(text) is None:   # every rule but the names needs a digit: most comments have none
        for start, end in _names(text, names):
            take("name", start, end)
        return sorted(taken, key=lambda f: f.start)
    n_digits = sum(map(str.isdigit, text))
    for m in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            take("card", m.start(), m.end())
    for m in _IBAN.finditer(text):
        if _iban_ok(m.group()):
            take("account", m.start(), m.end())
    for m in _SORT_CODE.finditer(text):
        take("account", m.start(), m.end())
    for m in _LABELLED_NUMBER.finditer(text):
        take("account", m.start("value"), m.end("value"))
    for m in _DOB.finditer(text):
        take("dob", m.start("value"), m.end("value"))
    for m in _FULL_DATE.finditer(text):
        if _dob_year_ok(m.group(), today):
            take("dob", m.start(), m.end())
    for match in (phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
                  if n_digits >= 7 else ()):
        raw = match.raw_string
        money = re.search(r"[.,]\d{2}$", raw) or text[max(0, match.start - 1):match.start] in ("$", "£", "€", "{")
        if sum(c.isdigit() for c in raw) >= 7 and not money and not _FULL_DATE.fullmatch(raw):
            take("phone", match.start, match.end)
    for pattern, group in ((_UK_POSTCODE, 0), (_US_ZIP, "value"), (_CA_POSTCODE, 0)):
        for m in pattern.finditer(text):
            if pattern is _UK_POSTCODE and not _plausible_uk_postcode(m.group()):
                continue
            take("postcode", m.start(group), m.end(group))
    for m in _ADDRESS.finditer(text):
        take("address", m.start(), m.end())
    for start, end in _names(text, names):
        take("name", start, end)
    return sorted(taken, key=lambda f: f.start)


def _plausible_uk_postcode(found: str) -> bool:
    """A UK postcode match that is written as postcodes are (upper case, or with its space), not a word like
    'ha1 2ab' is unlikely to be: lower-case matches need the space and a letter-digit outward code."""
    return found.isupper() or (" " in found and any(c.isdigit() for c in found[:4]))


_AMBIGUOUS_LOWER = frozenset(n.lower() for n in AMBIGUOUS_NAMES)
_MASKED = re.compile(r"(?:X{2,}\s*)+")   # a name the source already masked (XXXX XXXX): nothing left to remove
_NAMING_AT = re.compile(rf"(?i)\b{NAMING}[\s,:]*")
# "my name is" and its kin: the capitalised words after it are a name, listed or not
_OWN_NAME = re.compile(r"(?i:\b(?:my name is|my name's|i am called|i'm called)\s+)"
                       r"(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2})")


_TITLED = re.compile(rf"\b{TITLES}\.?\s+[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?")


def _names(text: str, names: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of people's names (the rules in the module's notes)."""
    spans = [(m.start(), m.end()) for m in _TITLED.finditer(text) if not _MASKED.fullmatch(m.group().split(None, 1)[1])]
    spans += [(m.start("name"), m.end("name")) for m in _OWN_NAME.finditer(text) if not _MASKED.fullmatch(m.group("name"))]
    lowered = _lowered(names)
    # most comments name no one: when no word is a listed name as written, and none in lower case could be one
    # after a naming phrase, the word-by-word rules below would find nothing (the same answer, at a third of the cost)
    tokens = {t[:-2] if t.endswith(("'s", "’s")) else t for t in _WORD.findall(text)}
    if tokens.isdisjoint(names) and (
            lowered.isdisjoint({t.lower() for t in tokens}.difference(_AMBIGUOUS_LOWER)) or not _NAMING_AT.search(text)):
        return spans
    words = list(_WORD.finditer(text))
    named = {m.end() for m in _NAMING_AT.finditer(text)}   # where a naming phrase ("spoke to ") ends
    for i, m in enumerate(words):
        after_naming = m.start() in named
        if not (m.group()[:1].isupper() or after_naming):
            continue   # a word in lower case names no one unless a naming phrase comes before it
        word = m.group()[:-2] if m.group().endswith(("'s", "’s")) else m.group()
        end = m.start() + len(word)
        if word not in names and not (after_naming and word.lower() in lowered and word.lower() not in _AMBIGUOUS_LOWER):
            continue   # not a listed name as written (any case only after a naming phrase: "spoke to sarah")
        surname = None
        if i + 1 < len(words) and word == m.group():
            nxt = words[i + 1]
            if not text[end:nxt.start()].strip() and nxt.group()[:1].isupper() and nxt.group()[1:2].islower():
                surname = nxt
        if surname is not None and surname.group() in COMPANY_WORDS:
            continue   # Chase Bank, Fay Servicing: a company
        if word in AMBIGUOUS_NAMES and (not (after_naming or surname is not None)
                                        or text[max(0, m.start() - 3):m.start()].lower() == "it "):
            continue   # "To Whom It May Concern"
        spans.append((m.start(), surname.end() if surname is not None else end))
    return spans


@lru_cache(maxsize=8)
def _lowered(names: frozenset[str]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


def redact_text(text: str, names: frozenset[str] | None = None, region: str = "GB",
                today: date | None = None) -> tuple[str, Counter]:
    """``text`` with every personal item replaced by its placeholder, and the items counted by type."""
    found = find_personal(text, names, region, today)
    if not found:
        return text, Counter()
    out, last = [], 0
    for item in found:
        out.append(text[last:item.start])
        out.append(PLACEHOLDERS[item.kind])
        last = item.end
    out.append(text[last:])
    return "".join(out), Counter(item.kind for item in found)


PARALLEL_TEXTS = 50_000   # comments in a column from which the redaction is shared out over the cores


def redact_column(values, names: frozenset[str] | None = None, region: str = "GB",
                  today: date | None = None) -> tuple[list, RedactionReport]:
    """A column of free text with personal data removed (missing values kept), and what was removed.

    From :data:`PARALLEL_TEXTS` comments on, the column is cut into one part per core and the parts are redacted
    side by side in fresh processes (the same answer, in row order: each comment is redacted on its own).
    """
    names = first_names() if names is None else names
    today = today or date.today()   # one day for the whole column, however long it takes
    labels, texts = list(values.index), list(values)
    cores = _cores()
    written = sum(isinstance(t, str) and bool(t) for t in texts)
    parts = [(texts, 0)]
    if written >= PARALLEL_TEXTS and cores > 1:
        size = -(-len(texts) // cores)
        parts = [(texts[start:start + size], start) for start in range(0, len(texts), size)]
    results = _redact_parts(parts, names, region, today)
    report, out = RedactionReport(), []
    for (chunk_out, counts, positions), (_, start) in zip(results, parts):
        out.extend(chunk_out)
        report.counts.update(counts)
        report.rows.extend(labels[start + i] for i in positions)
    return out, report


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _redact_parts(parts: list[tuple[list, int]], names: frozenset[str], region: str, today: date) -> list:
    """Each part redacted: the first in this process and the others in fresh ones at the same time, or all here
    where this process may not start others (a daemon, such as a Dask worker) or they cannot start."""
    import multiprocessing

    if len(parts) == 1 or multiprocessing.current_process().daemon:
        return [redact_texts(texts, names, region, today) for texts, _ in parts]
    from concurrent.futures import ProcessPoolExecutor

    try:
        with ProcessPoolExecutor(len(parts) - 1, mp_context=multiprocessing.get_context("spawn")) as pool:
            others = [pool.submit(redact_texts, texts, names, region, today) for texts, _ in parts[1:]]
            first = redact_texts(parts[0][0], names, region, today)
            return [first] + [future.result() for future in others]
    except (OSError, RuntimeError) as exc:   # no processes to be had here (BrokenProcessPool is a RuntimeError)
        import warnings

        warnings.warn(f"redacting comments in one process: {exc}", RuntimeWarning, stacklevel=2)
        return [redact_texts(texts, names, region, today) for texts, _ in parts]


def redact_texts(texts: list, names: frozenset[str], region: str, today: date) -> tuple[list, Counter, list[int]]:
    """Texts with personal data removed (anything not text kept as it is), the items by type, and the positions
    of the texts that held any."""
    counts, positions, out = Counter(), [], []
    for i, value in enumerate(texts):
        if not isinstance(value, str) or not value:
            out.append(value)
            continue
        clean, found = redact_text(value, names, region, today)
        if found:
            counts.update(found)
            positions.append(i)
        out.append(clean)
    return out, counts, positions
