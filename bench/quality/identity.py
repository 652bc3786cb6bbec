"""A fictitious patient and the many ways a report prints who it is about."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from bench.quality import catalog, dates
from bench.quality.document import Fields, FieldStyle
from bench.quality.truth import Identity

NAME_LABELS = ("Patient", "Pt", "Name", "Patient Name", "PATIENT NAME", "Pt. Name")
DOB_LABELS = ("DOB", "D.O.B.", "Date of Birth", "Birth Date", "DATE OF BIRTH")
MRN_LABELS = ("MRN", "MR#", "UHID", "Patient ID", "Record No.", "Medical Record #", "MR No.")
SEX_LABELS = ("Sex", "Gender", "SEX")


@dataclass(frozen=True)
class Patient:
    """One patient and how this report prints them."""

    name: str
    sex: str  # female | male
    sex_text: str
    age: int
    dob: dates.WrittenDate
    mrn: str

    def identity(self) -> Identity:
        """The truth about who this is."""
        return Identity(self.name, self.dob.truth, self.sex, self.mrn)


def _name(rng: random.Random, sex: str) -> str:
    first = rng.choice(catalog.FIRST_NAMES_FEMALE if sex == "female" else catalog.FIRST_NAMES_MALE)
    last = rng.choice(catalog.LAST_NAMES)
    middle = rng.choice("ABCDEFGHJKLMNPRSTW") + "." if rng.random() < 0.3 else ""
    title = rng.choice(("Mrs.", "Ms.") if sex == "female" else ("Mr.",)) if rng.random() < 0.2 else ""
    if rng.random() < 0.05:
        title = "Dr."
    given = f"{first} {middle}".strip()
    match rng.randrange(5):
        case 0:
            return f"{last.upper()}, {given}"
        case 1:
            return f"{last}, {given}"
        case 2:
            return f"{given} {last}".upper()
        case _:
            return f"{title} {given} {last}".strip()


def _mrn(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(10))
    match rng.randrange(5):
        case 0:
            return digits[:8]
        case 1:
            return f"{rng.choice('ABEKMRT')}{digits[:7]}"
        case 2:
            return f"{digits[:4]}-{digits[4:8]}"
        case 3:
            return f"MVH.{digits[:7]}"
        case _:
            return f"{digits[:3]}-{digits[3:5]}-{digits[5:9]}"


def make_patient(rng: random.Random, date_style: str, on: date) -> Patient:
    """A new patient; about 6 % of birth dates are printed ambiguously (``03/04/1961``)."""
    sex = rng.choice(("female", "male"))
    born = dates.birth_day(rng)
    dob = dates.ambiguous(born, rng) if rng.random() < 0.06 else dates.write(born, rng, date_style)
    sex_text = rng.choice(("F", "Female", "FEMALE") if sex == "female" else ("M", "Male", "MALE"))
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return Patient(_name(rng, sex), sex, sex_text, age, dob, _mrn(rng))


def identity_fields(
    rng: random.Random,
    patient: Patient,
    extra: tuple[tuple[str, str], ...] = (),
    *,
    style: FieldStyle | None = None,
) -> Fields:
    """The demographics block: name, DOB, MRN and sex under varied labels, then ``extra`` (label, value) pairs."""
    colon = ":" if rng.random() < 0.8 else ""
    name_label, dob_label = rng.choice(NAME_LABELS), rng.choice(DOB_LABELS)
    mrn_label, sex_label = rng.choice(MRN_LABELS), rng.choice(SEX_LABELS)
    pairs = [(f"{name_label}{colon}", patient.name), (f"{dob_label}{colon}", patient.dob.text)]
    if rng.random() < 0.35:
        pairs.append((f"Age/{sex_label}{colon}", f"{patient.age} Y / {patient.sex_text}"))
    else:
        pairs.append((f"{sex_label}{colon}", patient.sex_text))
    pairs.append((f"{mrn_label}{colon}", patient.mrn))
    if rng.random() < 0.5:
        pairs[1], pairs[3] = pairs[3], pairs[1]
    pairs += [(f"{label}{colon}", value) for label, value in extra]
    chosen = style or rng.choice(tuple(FieldStyle))
    columns = rng.choice((2, 3)) if chosen is not FieldStyle.INLINE else rng.choice((2, 3, 4))
    return Fields(tuple(pairs), columns, chosen)
