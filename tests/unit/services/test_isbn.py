"""ISBN check digits and normalisation to ISBN-13."""

from __future__ import annotations

import pytest
from books.domain import isbn


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9780441172719", "9780441172719"),  # ISBN-13 as is
        ("978-0-441-17271-9", "9780441172719"),  # hyphens dropped
        ("978 0 441 17271 9", "9780441172719"),  # spaces dropped
        ("0441172717", "9780441172719"),  # ISBN-10 converted
        ("0-8044-2957-X", "9780804429573"),  # ISBN-10 with check digit X
        ("080442957x", "9780804429573"),  # lower-case x
        ("9791032305690", "9791032305690"),  # 979 prefix
    ],
)
def test_valid_isbns_normalise_to_isbn13(raw: str, expected: str) -> None:
    assert isbn.normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9780441172710", "ISBN-13 check digit"),
        ("0441172718", "ISBN-10 check digit"),
        ("044117271X", "ISBN-10 check digit"),
        ("1234567890123", "starting with 978 or 979"),
        ("97804411727X9", "starting with 978 or 979"),
        ("04411727A7", "nine digits"),
        ("X441172717", "nine digits"),
        ("12345", "10 or 13 digits"),
        ("", "10 or 13 digits"),
    ],
)
def test_invalid_isbns_are_rejected_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(isbn.InvalidIsbn, match=reason):
        isbn.normalise(raw)


def test_check_digits_follow_the_standard_weights() -> None:
    assert isbn.isbn10_check_digit("044117271") == "7"
    assert isbn.isbn10_check_digit("080442957") == "X"
    assert isbn.isbn13_check_digit("978044117271") == "9"
    assert isbn.isbn13_check_digit("978000000000") == "2"
