"""Names: reading order, case only for all-caps input, titles dropped, suffixes kept."""

from __future__ import annotations

import pytest

from lib.extraction.names import clean_name


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("NOVAK, CHIARA", "Chiara Novak"),
        ("NOVAK, CHIARA MR#: A817888-96", "Chiara Novak"),
        ("Novak, Chiara", "Chiara Novak"),
        ("CHIARA NOVAK", "Chiara Novak"),
        ("Chiara Novak", "Chiara Novak"),
        ("NOVAK, CHIARA M", "Chiara M Novak"),
        ("NOVAK, CHIARA M.", "Chiara M. Novak"),
        ("MCDONALD, MARY-ANNE", "Mary-Anne McDonald"),
        ("O'BRIEN, SEAN", "Sean O'Brien"),
        ("O\u2019BRIEN, SEAN", "Sean O\u2019Brien"),
        ("SMITH-JONES, ANN", "Ann Smith-Jones"),
        ("DE LA CRUZ, JUAN", "Juan de la Cruz"),
        ("Anna deSouza", "Anna deSouza"),
        ("Ian MacLeod", "Ian MacLeod"),
        ("MR. JOHN O'BRIEN", "John O'Brien"),
        ("Mrs Jane Doe", "Jane Doe"),
        ("Ms. Jane Doe", "Jane Doe"),
        ("Miss Jane Doe", "Jane Doe"),
        ("Dr. Anna Lee", "Anna Lee"),
        ("DOE, MRS. JANE", "Jane Doe"),
        ("NOVAK JR, JOHN", "John Novak Jr."),
        ("NOVAK, JOHN JR.", "John Novak Jr."),
        ("NOVAK, JOHN A III", "John A Novak III"),
        ("John Novak Jr", "John Novak Jr."),
        ("John Novak III", "John Novak III"),
        ("JOHN SMITH DOB: 1/2/1950", "John Smith"),
        ("  NOVAK ,  CHIARA ; ", "Chiara Novak"),
    ],
)
def test_clean_name(value: str, name: str) -> None:
    assert clean_name(value) == name


@pytest.mark.parametrize(
    "value",
    ["", "12345", "Mr.", "NOVAK 2", "---", "A817888-96", "INFORMATION ORDERING", "Ordering Physician"],
)
def test_not_a_name(value: str) -> None:
    assert clean_name(value) is None
