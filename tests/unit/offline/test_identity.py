"""Identity fields: labels, strengths, clean values."""

from __future__ import annotations

from lib.documents import TextSource
from lib.offline.facts import DateFact, Findings
from lib.offline.identity import read_identity
from lib.offline.reading import labelled_values
from tests.unit.offline.builders import document, page


def identity(*lines: str) -> Findings:
    findings = Findings()
    read_identity(labelled_values(document(page(*lines))), findings)
    return findings


def test_each_field_is_read_under_its_abbreviations() -> None:
    found = identity("Pt: MR. NOVAK, CHIARA D.O.B.: 1960-02-07 MR#: A817888-96 Gender: F")

    assert found.name is not None and found.name.value == "Chiara Novak"
    assert isinstance(found.date_of_birth, DateFact) and found.date_of_birth.found.iso == "1960-02-07"
    assert found.mrn is not None and found.mrn.value == "A817888-96"
    assert found.sex is not None and found.sex.value == "female"


def test_a_record_number_beats_a_patient_id_and_a_bare_id() -> None:
    found = identity("ID: 111111", "Patient ID: 222222", "UHID: 333333")

    assert found.mrn is not None and found.mrn.value == "333333"


def test_the_first_page_wins_over_a_running_header_with_the_same_label() -> None:
    found = identity("MRN: 36891114 Admitted: 02/07/2026", "MRN: 99999999")

    assert found.mrn is not None and found.mrn.value == "36891114"


def test_an_ambiguous_birth_date_is_kept_as_written_with_a_warning() -> None:
    found = identity("Name: Jane Doe DOB: 04/05/1962 14:00")

    assert isinstance(found.date_of_birth, DateFact)
    assert found.date_of_birth.found.iso is None
    assert found.date_of_birth.written == "04/05/1962"
    assert [(w.code, w.path) for w in found.warnings] == [("ambiguous_date", "/patient/date_of_birth")]


def test_age_and_sex_together_give_the_sex() -> None:
    found = identity("Name: Jane Doe Age/Sex: 74 Y / F")

    assert found.sex is not None and found.sex.value == "female"


def test_facts_keep_their_source_words() -> None:
    found = identity("Name: Jane Doe MRN: 36891114")

    assert found.mrn is not None
    assert found.mrn.source.page == 1
    assert [word.text for word in found.mrn.source.words] == ["36891114"]
    assert found.mrn.source.bbox is not None


def test_a_letter_names_its_patient_after_re() -> None:
    found = identity("RE: Jane Doe DOB: 02/17/1960")

    assert found.name is not None and found.name.value == "Jane Doe"
    assert isinstance(found.date_of_birth, DateFact) and found.date_of_birth.found.iso == "1960-02-17"


def test_labels_a_scan_misread_by_one_letter_still_name_their_fields() -> None:
    found = identity("Date of birtt: 09 August 1986", "Patient IC: 963-40-0468")

    assert isinstance(found.date_of_birth, DateFact) and found.date_of_birth.found.iso == "1986-08-09"
    assert found.mrn is not None and found.mrn.value == "963-40-0468"


def test_a_surname_and_a_first_name_printed_apart_make_the_name() -> None:
    found = identity("Surname: OKOYE First name: Ngozi Middle name: Ada Date of birth: 14/06/1977")
    full = identity("Patient Name: Jane Doe", "Surname: Okoye First name: Ngozi")
    half = identity("Surname: Okoye DOB: 1977-06-14")

    assert found.name is not None and found.name.value == "Ngozi Okoye"
    assert full.name is not None and full.name.value == "Jane Doe"  # a whole name wins
    assert half.name is None  # a surname alone is no name


def test_an_ocr_birth_date_or_record_number_read_unsurely_is_left_out_with_a_warning() -> None:
    findings = Findings()
    lines = ("Name: Rafael Soto DOB: 1947-09-09 MRN: RH-0093821", "Patient ID: 55201983")
    read_identity(labelled_values(document(page(*lines, source=TextSource.OCR, confidence=0.95))), findings)

    assert findings.date_of_birth is None
    assert findings.mrn is not None and findings.mrn.value == "55201983"  # a surer, weaker label
    assert [(w.code, w.path) for w in findings.warnings] == [
        ("unreadable_identity", "/patient/date_of_birth")
    ]
