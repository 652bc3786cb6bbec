"""Medications as tables (Drug | Dose | Route | Frequency, in varied orders) or as sig lines."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.quality.catalog import DRUGS, FREQUENCY_SPELLINGS, ROUTE_SPELLINGS
from bench.quality.document import Cell, DrawOrder, ItemList, Row, Table, TableStyle
from bench.quality.truth import MedicationTruth

_COLUMN_ORDERS = (
    ("name", "dose", "route", "frequency"),
    ("name", "dose", "frequency", "route"),
    ("name", "route", "dose", "frequency"),
)
_HEADERS = {
    "name": ("Medication", "Drug", "Drug Name", "MEDICATION"),
    "dose": ("Dose", "Strength", "DOSE"),
    "route": ("Route", "ROUTE"),
    "frequency": ("Frequency", "Sig", "How Often"),
}
_WIDTHS = {"name": 0.36, "dose": 0.2, "route": 0.14, "frequency": 0.3}


@dataclass(frozen=True)
class Prescription:
    """A drug spelled as one prescriber writes it; ``amount`` is a per-dose count ("2 puffs")."""

    name: str
    dose: str
    route: str
    frequency: str
    amount: str

    def sig_line(self) -> str:
        """ "Metformin 500 mg PO BID"; "Albuterol HFA 90 mcg/actuation 2 puffs inhaled q4h PRN wheeze"."""
        return " ".join(
            part for part in (self.name, self.dose, self.amount, self.route, self.frequency) if part
        )

    def table_frequency(self) -> str:
        """The frequency cell of a table, where the per-dose amount goes too."""
        return f"{self.amount} {self.frequency}".strip()

    def truth(self, *, table: bool) -> MedicationTruth:
        """What is printed, in the table or sig-line form."""
        frequency = self.table_frequency() if table else self.frequency
        return MedicationTruth(self.name, self.dose, self.route, frequency)


def draw(rng: random.Random, count: int) -> list[Prescription]:
    """``count`` different medications, route, frequency and dose spelled one of their usual ways."""
    prescriptions = []
    for drug in rng.sample(DRUGS, count):
        dose = drug.dose.replace(" mg", "mg") if rng.random() < 0.15 else drug.dose
        prescriptions.append(
            Prescription(
                drug.name,
                dose,
                rng.choice(ROUTE_SPELLINGS.get(drug.route, (drug.route,))),
                rng.choice(FREQUENCY_SPELLINGS.get(drug.frequency, (drug.frequency,))),
                drug.sig,
            )
        )
    return prescriptions


def as_list(
    rng: random.Random, meds: list[Prescription], heading: str | None
) -> tuple[ItemList, list[MedicationTruth]]:
    """Sig lines, numbered or bulleted, and their truth."""
    block = ItemList(tuple(med.sig_line() for med in meds), heading=heading, numbered=rng.random() < 0.5)
    return block, [med.truth(table=False) for med in meds]


def as_table(rng: random.Random, meds: list[Prescription]) -> tuple[Table, list[MedicationTruth]]:
    """A medication table in one of the usual column orders, and its truth."""
    columns = rng.choice(_COLUMN_ORDERS)
    truths = [med.truth(table=True) for med in meds]
    rows = tuple(Row(tuple(Cell(getattr(truth, column) or "") for column in columns)) for truth in truths)
    widths = tuple(_WIDTHS[column] for column in columns)
    table = Table(
        header=tuple(rng.choice(_HEADERS[column]) for column in columns),
        rows=rows,
        widths=widths,
        style=rng.choice((TableStyle.GRID, TableStyle.LINES, TableStyle.PLAIN)),
        order=rng.choice((DrawOrder.ROWS, DrawOrder.ROWS, DrawOrder.COLUMNS)),
    )
    return table, truths


def either(
    rng: random.Random, meds: list[Prescription], heading: str
) -> tuple[list[ItemList | Table], list[MedicationTruth]]:
    """A table or a list of sig lines under ``heading``, at random."""
    if rng.random() < 0.5:
        table, truths = as_table(rng, meds)
        return [ItemList((), heading=heading), table], truths
    block, truths = as_list(rng, meds, heading)
    return [block], truths
