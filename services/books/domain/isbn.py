"""ISBN-10 and ISBN-13 check digits, and normalisation to ISBN-13."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]")
# ASCII digits only: `\d` would also take other scripts' digits, which int() reads but the API never returns.
_ISBN10 = re.compile(r"[0-9]{9}[0-9X]")
_ISBN13 = re.compile(r"97[89][0-9]{10}")


class InvalidIsbn(ValueError):
    """The text is not an ISBN-10 or ISBN-13 with a valid check digit."""


def isbn10_check_digit(first_nine: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first_nine))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn13_check_digit(first_twelve: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def normalise(raw: str) -> str:
    """Return the ISBN-13 for an ISBN-10 or ISBN-13 (hyphens and spaces allowed); raise InvalidIsbn."""
    text = _SEPARATORS.sub("", raw).upper()
    if len(text) == 10:
        if not _ISBN10.fullmatch(text):
            raise InvalidIsbn("an ISBN-10 is nine digits and a check digit (0-9 or X)")
        if isbn10_check_digit(text[:9]) != text[9]:
            raise InvalidIsbn("the ISBN-10 check digit is wrong")
        body = "978" + text[:9]
        return body + isbn13_check_digit(body)
    if len(text) == 13:
        if not _ISBN13.fullmatch(text):
            raise InvalidIsbn("an ISBN-13 is 13 digits starting with 978 or 979")
        if isbn13_check_digit(text[:12]) != text[12]:
            raise InvalidIsbn("the ISBN-13 check digit is wrong")
        return text
    raise InvalidIsbn("an ISBN has 10 or 13 digits")
