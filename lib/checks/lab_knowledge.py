"""Common lab tests: their names, the units each is reported in, and hard physiological limits.

What the limits are
    Survivable extremes, not reference or critical ranges: each bound lies beyond
    the most extreme value reported in a patient (with a margin), so a value outside
    it is a misread number, decimal point or unit, not an ill patient. Where a
    published case sets the bound it is cited beside it; otherwise the comment gives
    the reasoning (a fraction cannot pass 100 %, an assay's reportable range, a
    bound well beyond cases the author knows of). The uncited bounds have not been
    reviewed by a clinician yet and are deliberately wide.

Units
    Each test lists every UCUM unit it may be reported in (conventional and SI, and
    the equal-valued spellings of international and enzyme units); the limits are
    given once and converted. A unit outside the list does not fit the test.

Names
    A printed name is matched on its words in any order (``Protein, Total`` is
    ``total protein``), without blood-specimen words (``serum``, ``plasma``,
    ``S-``), with or without a parenthesised part (``Potassium (K)``). A name with a
    non-blood specimen word (``urine``, ``CSF``, ``U-``, ``24 h`` ...) names no test
    here: urine and fluid values have other limits. One name may stand for several
    tests told apart by unit (``Neutrophils`` in % or as a count; ``CO2`` in mmol/L as
    total CO2, in mmHg as pCO2); without a unit that tells them apart, it names none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from lib.checks.units import UNITY

__all__ = ["LAB_TESTS", "LabTest", "Limits", "identify_test", "name_key"]


@dataclass(frozen=True)
class Limits:
    """Hard limits of a value in one unit, both inclusive."""

    low: float
    high: float

    def admits(self, number: float, comparator: str | None) -> bool:
        """Whether a value (``<0.01`` is anything below 0.01) can lie within the limits."""
        if comparator in ("<", "<="):
            return number >= self.low
        if comparator in (">", ">="):
            return number <= self.high
        return self.low <= number <= self.high


@dataclass(frozen=True)
class LabTest:
    """A test: its key, the words used for it in messages, its printed names, and limits per unit."""

    key: str
    label: str
    names: tuple[str, ...]
    limits: Mapping[str, Limits]

    def limits_in_any_unit(self) -> Limits:
        """The widest limits over all units: what no unit of this test can exceed."""
        return Limits(min(x.low for x in self.limits.values()), max(x.high for x in self.limits.values()))


def _in(low: float, high: float, unit: str) -> dict[str, Limits]:
    """Limits of a test reported in one unit only."""
    return {unit: Limits(low, high)}


def _scaled(low: float, high: float, factors: Mapping[str, float]) -> dict[str, Limits]:
    """Limits given in the first unit of ``factors`` (factor 1), converted to the others."""
    return {unit: Limits(low * factor, high * factor) for unit, factor in factors.items()}


def _test(key: str, names: str, limits: dict[str, Limits], label: str | None = None) -> LabTest:
    """A test; ``names`` are its printed names, separated by ``|``."""
    return LabTest(key, label or key, tuple(names.split("|")), limits)


# Units that are numerically the same quantity for a test.
_MOLAR_ION = {"mmol/L": 1.0, "meq/L": 1.0}  # monovalent ions: 1 mmol/L = 1 mEq/L
_ENZYME = {"U/L": 1.0, "[IU]/L": 1.0}
_TSH = {"m[IU]/L": 1.0, "u[IU]/mL": 1.0, "mU/L": 1.0, "uU/mL": 1.0}
_PER_ML_AS_PER_L = {"ng/mL": 1.0, "ug/L": 1.0}
_CELLS = {"10*3/uL": 1.0, "/uL": 1000.0}
_PERCENT = {"%": 1.0}
_SECONDS = {"s": 1.0}

LAB_TESTS: Final[tuple[LabTest, ...]] = (
    # --- electrolytes -------------------------------------------------------------------
    # Sodium: 94 mmol/L with a good outcome (Endocrine Abstracts 2024;99:P70) and 98 (Case Rep
    # Nephrol 2017:1371804); 196 survived without deficit (Carlberg et al., J Emerg Med 2013,
    # soy sauce ingestion); a handful of cases above 200 are reported
    # (synapse.koreamed.org/articles/1019160).
    _test("sodium", "sodium|na|na+", _scaled(80, 250, _MOLAR_ION)),
    # Potassium: 14 mmol/L survived (Tran, South Med J 2005;98:729-732); up to 24.5 was measured
    # in avalanche victims in cardiac arrest, none of whom survived (Schaller et al., JAMA
    # 1990;264:1842). Below 1 mmol/L the author knows of no survivor; 0.8 leaves a margin.
    _test("potassium", "potassium|k|k+", _scaled(0.8, 16, _MOLAR_ION)),
    # Chloride: 60 mmol/L in a survivor with sodium 98 (beer potomania case,
    # smrj.scholasticahq.com/article/143751); the upper bound follows sodium's.
    _test("chloride", "chloride|cl|cl-", _scaled(40, 200, _MOLAR_ION)),
    # Bicarbonate / total CO2: from near 0 in extreme acidosis (pH 6.53, Di Rollo et al., BMJ
    # Case Rep 2013) to about 60-70 in severe metabolic alkalosis; author's bound.
    _test(
        "bicarbonate",
        "bicarbonate|hco3|hco3-|total co2|tco2|co2|co2 total|carbon dioxide",
        _scaled(0, 80, _MOLAR_ION),
    ),
    # Anion gap: can be negative (bromide, lithium, IgG myeloma); author's bound.
    _test("anion gap", "anion gap|ag", _scaled(-20, 80, _MOLAR_ION)),
    # Calcium: author's bound beyond hypercalcaemic crises (~20 mg/dL) and tetany (~3 mg/dL).
    _test(
        "calcium",
        "calcium|ca|total calcium|ca total",
        _scaled(2, 25, {"mg/dL": 1.0, "mmol/L": 0.2495}),
    ),
    _test(
        "ionised calcium",
        "ionized calcium|ionised calcium|calcium ionized|ica|ca++|ca2+|free calcium",
        _scaled(0.2, 4.0, {"mmol/L": 1.0, "mg/dL": 4.008}),
    ),
    # Magnesium: magnesium sulfate overdoses have been survived near 20 mg/dL; author's bound.
    _test(
        "magnesium",
        "magnesium|mg|mg++",
        _scaled(0.2, 25, {"mg/dL": 1.0, "mmol/L": 0.4114, "meq/L": 0.8229}),
    ),
    _test(
        "phosphate",
        "phosphate|phosphorus|phos|inorganic phosphate|po4",
        _scaled(0.1, 30, {"mg/dL": 1.0, "mmol/L": 0.3229}),
    ),
    # --- metabolic ----------------------------------------------------------------------
    # Glucose: 2,656 mg/dL (147.6 mmol/L) survived (Guinness World Records, 2008); 0 is the
    # floor. g/L is how France reports glucose.
    _test(
        "glucose",
        "glucose|glu|blood glucose|fasting glucose|glucose fasting|random glucose|fbs|rbs",
        _scaled(0, 3000, {"mg/dL": 1.0, "mmol/L": 1 / 18.016, "g/L": 0.01}),
    ),
    # Creatinine: above 30 mg/dL in untreated renal failure and rhabdomyolysis; author's bound.
    _test(
        "creatinine",
        "creatinine|creat|cr|crea",
        _scaled(0.05, 40, {"mg/dL": 1.0, "umol/L": 88.42}),
    ),
    # Urea nitrogen: about 300 mg/dL in extreme uraemia; author's bound.
    _test(
        "urea nitrogen",
        "bun|urea nitrogen|blood urea nitrogen",
        _scaled(1, 350, {"mg/dL": 1.0, "mmol/L": 0.357}),
    ),
    _test("urea", "urea", _scaled(0.3, 125, {"mmol/L": 1.0, "mg/dL": 6.006, "g/L": 0.06006})),
    _test("egfr", "egfr|gfr|estimated gfr|gfr estimated", _in(0, 250, "mL/min/{1.73_m2}"), "eGFR"),
    # Uric acid: tumour lysis reaches about 30 mg/dL; author's bound.
    _test("uric acid", "uric acid|urate", _scaled(0, 40, {"mg/dL": 1.0, "umol/L": 59.48})),
    # Lactate: above 20 mmol/L survived after arrest (Spencer & Butler, Emerg Med J 2010;27:800,
    # lactate 22 mmol/L); author's bound beyond.
    _test("lactate", "lactate|lactic acid", _scaled(0, 50, {"mmol/L": 1.0, "mg/dL": 9.008})),
    # HbA1c: a fraction of haemoglobin; assays rarely report above 20 %. IFCC mmol/mol =
    # (NGSP % - 2.15) x 10.929, so the limits are given in both.
    _test(
        "hba1c",
        "hba1c|hb a1c|a1c|hemoglobin a1c|haemoglobin a1c|glycated hemoglobin|glycohemoglobin|glycosylated hemoglobin",
        {"%": Limits(2, 25), "mmol/mol": Limits(0, 250)},
        "HbA1c",
    ),
    _test("osmolality", "osmolality|osmolality serum|osmo", _in(150, 500, "mosm/kg")),
    # --- liver and pancreas -------------------------------------------------------------
    # Aminotransferases reach tens of thousands U/L in ischaemic hepatitis; author's bound.
    _test(
        "alt",
        "alt|sgpt|alanine aminotransferase|alanine transaminase|alat",
        _scaled(0, 60000, _ENZYME),
        "ALT",
    ),
    _test(
        "ast",
        "ast|sgot|aspartate aminotransferase|aspartate transaminase|asat",
        _scaled(0, 60000, _ENZYME),
        "AST",
    ),
    _test(
        "alkaline phosphatase",
        "alkaline phosphatase|alk phos|alp|alkp",
        _scaled(0, 15000, _ENZYME),
    ),
    _test("ggt", "ggt|gamma gt|gamma glutamyl transferase|ggtp", _scaled(0, 15000, _ENZYME), "GGT"),
    _test("ldh", "ldh|ld|lactate dehydrogenase", _scaled(0, 100000, _ENZYME), "LDH"),
    # Creatine kinase: rhabdomyolysis has reached several hundred thousand U/L; author's bound.
    _test(
        "creatine kinase",
        "ck|cpk|creatine kinase|creatine phosphokinase",
        _scaled(0, 2000000, _ENZYME),
    ),
    _test("amylase", "amylase", _scaled(0, 100000, _ENZYME)),
    _test("lipase", "lipase", _scaled(0, 100000, _ENZYME)),
    # Bilirubin: neonatal and haemolytic extremes near 50-70 mg/dL; author's bound.
    _test(
        "total bilirubin",
        "bilirubin|total bilirubin|tbil|t bili|bili total",
        _scaled(0, 90, {"mg/dL": 1.0, "umol/L": 17.1}),
    ),
    _test(
        "direct bilirubin",
        "direct bilirubin|conjugated bilirubin|dbil|d bili|bili direct",
        _scaled(0, 70, {"mg/dL": 1.0, "umol/L": 17.1}),
    ),
    _test("albumin", "albumin|alb", _scaled(0.5, 7, {"g/dL": 1.0, "g/L": 10.0})),
    # Total protein: myeloma can pass 12 g/dL; author's bound.
    _test(
        "total protein",
        "total protein|tp|protein total",
        _scaled(1.5, 16, {"g/dL": 1.0, "g/L": 10.0}),
    ),
    _test("ammonia", "ammonia|nh3", _scaled(0, 2000, {"umol/L": 1.0, "ug/dL": 1.703})),
    # --- blood count --------------------------------------------------------------------
    # Haemoglobin: survival reported at 1.4-2 g/dL without transfusion (Blood 2013;122(21):4657,
    # 2 g/dL; Viele & Weiskopf, Transfusion 1994;34:396, survivors at 5 g/dL or below), and
    # as low as 0.7 g/dL (Dai et al., cited by bloodless-medicine reviews); neonatal
    # polycythaemia stays below about 25 g/dL. mmol/L (Hb monomer) is the Dutch unit.
    _test(
        "haemoglobin",
        "hemoglobin|haemoglobin|hgb|hb",
        _scaled(0.5, 27, {"g/dL": 1.0, "g/L": 10.0, "mmol/L": 0.6206}),
    ),
    _test("haematocrit", "hematocrit|haematocrit|hct|pcv", _scaled(2, 80, {"%": 1.0, "L/L": 0.01})),
    # White cells: hyperleukocytosis in leukaemia approaches 1,000 x 10^3/uL; author's bound.
    _test(
        "wbc",
        "wbc|white blood cells|white blood cell count|white cell count|leukocytes|leucocytes|wbc count|total leukocyte count|tlc",
        _scaled(0, 1500, _CELLS),
        "white cell count",
    ),
    _test(
        "rbc",
        "rbc|red blood cells|red blood cell count|red cell count|erythrocytes|rbc count",
        _in(0.1, 12, "10*6/uL"),
        "red cell count",
    ),
    # Platelets: essential thrombocythaemia can pass 3,000 x 10^3/uL; author's bound.
    _test(
        "platelets",
        "platelets|platelet count|plt|thrombocytes|plt count",
        _scaled(0, 5000, _CELLS),
    ),
    _test("mcv", "mcv|mean corpuscular volume|mean cell volume", _in(40, 160, "fL"), "MCV"),
    _test("mch", "mch|mean corpuscular hemoglobin|mean cell hemoglobin", _in(8, 60, "pg"), "MCH"),
    _test(
        "mchc",
        "mchc|mean corpuscular hemoglobin concentration",
        _scaled(15, 50, {"g/dL": 1.0, "g/L": 10.0}),
        "MCHC",
    ),
    _test("rdw", "rdw|rdw cv|red cell distribution width", _in(5, 50, "%"), "RDW"),
    _test("mpv", "mpv|mean platelet volume", _in(3, 25, "fL"), "MPV"),
    # Differential: a percentage cannot leave 0-100; counts bounded like the white count.
    _test(
        "neutrophils %",
        "neutrophils|neut|neutrophil|segs|polys|neutrophils %|neut %",
        _scaled(0, 100, _PERCENT),
        "neutrophils",
    ),
    _test(
        "neutrophils count",
        "neutrophils|neut|neutrophil|anc|absolute neutrophil count|neutrophils absolute|neut abs",
        _scaled(0, 1000, _CELLS),
        "neutrophils",
    ),
    _test(
        "lymphocytes %",
        "lymphocytes|lymph|lymphs|lymphocyte|lymphocytes %|lymph %",
        _scaled(0, 100, _PERCENT),
        "lymphocytes",
    ),
    _test(
        "lymphocytes count",
        "lymphocytes|lymph|lymphs|lymphocyte|alc|absolute lymphocyte count|lymphocytes absolute|lymph abs",
        _scaled(0, 1500, _CELLS),
        "lymphocytes",
    ),
    _test(
        "monocytes %",
        "monocytes|mono|monos|monocyte|monocytes %",
        _scaled(0, 100, _PERCENT),
        "monocytes",
    ),
    _test(
        "eosinophils %",
        "eosinophils|eos|eosinophil|eosinophils %",
        _scaled(0, 100, _PERCENT),
        "eosinophils",
    ),
    _test(
        "basophils %",
        "basophils|baso|basos|basophil|basophils %",
        _scaled(0, 100, _PERCENT),
        "basophils",
    ),
    # --- coagulation --------------------------------------------------------------------
    # INR: warfarin overdoses are reported above 20; author's bound.
    _test(
        "inr",
        "inr|pt inr|inr pt|international normalized ratio|international normalised ratio",
        _in(0.4, 30, UNITY),
        "INR",
    ),
    _test("prothrombin time", "pt|prothrombin time|protime", _scaled(5, 200, _SECONDS)),
    _test(
        "aptt",
        "aptt|ptt|activated partial thromboplastin time|partial thromboplastin time",
        _scaled(10, 300, _SECONDS),
        "aPTT",
    ),
    _test("fibrinogen", "fibrinogen", _scaled(0, 2000, {"mg/dL": 1.0, "g/L": 0.01})),
    _test(
        "d-dimer",
        "d dimer|ddimer|d-dimer",
        _scaled(0, 200000, {"ng/mL": 1.0, "ug/L": 1.0, "ug/mL": 0.001, "mg/L": 0.001}),
    ),
    # --- inflammation -------------------------------------------------------------------
    _test(
        "crp",
        "crp|c reactive protein|hs crp|hscrp|high sensitivity crp",
        _scaled(0, 1000, {"mg/L": 1.0, "mg/dL": 0.1}),
        "CRP",
    ),
    # ESR: the Westergren tube is 200 mm long.
    _test(
        "esr",
        "esr|sed rate|erythrocyte sedimentation rate|sedimentation rate",
        _in(0, 200, "mm/h"),
        "ESR",
    ),
    _test("procalcitonin", "procalcitonin|pct", _scaled(0, 5000, _PER_ML_AS_PER_L)),
    _test("ferritin", "ferritin", _scaled(0, 1000000, _PER_ML_AS_PER_L)),
    # --- cardiac ------------------------------------------------------------------------
    # Troponins: large infarcts reach a few hundred ng/mL; author's bound.
    *(
        _test(key, names, _scaled(0, 1000, {"ng/mL": 1.0, "ug/L": 1.0, "ng/L": 1000.0, "pg/mL": 1000.0}))
        for key, names in (
            (
                "troponin i",
                "troponin i|tni|ctni|hs tni|hs troponin i|high sensitivity troponin i|cardiac troponin i",
            ),
            (
                "troponin t",
                "troponin t|tnt|ctnt|hs tnt|hs troponin t|high sensitivity troponin t|cardiac troponin t",
            ),
            ("troponin", "troponin|hs troponin|cardiac troponin|high sensitivity troponin"),
        )
    ),
    _test(
        "bnp",
        "bnp|b type natriuretic peptide|brain natriuretic peptide",
        _scaled(0, 100000, {"pg/mL": 1.0, "ng/L": 1.0}),
        "BNP",
    ),
    _test(
        "nt-probnp",
        "nt probnp|ntprobnp|nt pro bnp|pro bnp|probnp",
        _scaled(0, 1000000, {"pg/mL": 1.0, "ng/L": 1.0}),
        "NT-proBNP",
    ),
    # --- lipids -------------------------------------------------------------------------
    _test(
        "total cholesterol",
        "cholesterol|total cholesterol|chol|tc|cholesterol total",
        _scaled(20, 3000, {"mg/dL": 1.0, "mmol/L": 0.02586}),
    ),
    _test(
        "ldl cholesterol",
        "ldl|ldl c|ldl cholesterol|ldl calculated|ldl direct",
        _scaled(0, 2000, {"mg/dL": 1.0, "mmol/L": 0.02586}),
    ),
    _test(
        "hdl cholesterol",
        "hdl|hdl c|hdl cholesterol",
        _scaled(0, 300, {"mg/dL": 1.0, "mmol/L": 0.02586}),
    ),
    # Triglycerides: chylomicronaemia passes 10,000 mg/dL; author's bound.
    _test(
        "triglycerides",
        "triglycerides|triglyceride|tg|trig|trigs",
        _scaled(0, 40000, {"mg/dL": 1.0, "mmol/L": 0.01129}),
    ),
    # --- endocrine, vitamins, iron, tumour marker ---------------------------------------
    # TSH: the international-unit and unit spellings are the same number.
    _test("tsh", "tsh|thyroid stimulating hormone|thyrotropin", _scaled(0, 2000, _TSH), "TSH"),
    _test(
        "free t4",
        "free t4|ft4|t4 free|free thyroxine",
        _scaled(0, 15, {"ng/dL": 1.0, "pmol/L": 12.87}),
    ),
    _test(
        "free t3",
        "free t3|ft3|t3 free|free triiodothyronine",
        _scaled(0, 50, {"pg/mL": 1.0, "pmol/L": 1.536}),
    ),
    _test("iron", "iron|fe|serum iron", _scaled(0, 2000, {"ug/dL": 1.0, "umol/L": 0.1791})),
    _test(
        "vitamin b12",
        "vitamin b12|b12|cobalamin|cyanocobalamin",
        _scaled(0, 50000, {"pg/mL": 1.0, "ng/L": 1.0, "pmol/L": 0.738}),
    ),
    _test("folate", "folate|folic acid", _scaled(0, 200, {"ng/mL": 1.0, "ug/L": 1.0, "nmol/L": 2.266})),
    _test(
        "vitamin d",
        "vitamin d|25 oh vitamin d|25 hydroxyvitamin d|vitamin d 25 oh|25 oh d|vit d",
        _scaled(0, 1000, {"ng/mL": 1.0, "nmol/L": 2.496}),
    ),
    _test("psa", "psa|prostate specific antigen|total psa", _scaled(0, 100000, _PER_ML_AS_PER_L), "PSA"),
    # --- blood gases --------------------------------------------------------------------
    # Blood pH: survival at 6.53 (Di Rollo et al., BMJ Case Rep 2013) and 6.61 (Spencer &
    # Butler 2010); above 7.8 is rarely survived. A bare "pH" may be a urine pH (4.5-8.5),
    # so it gets only the bounds both share.
    _test(
        "blood ph",
        "arterial ph|ph arterial|venous ph|ph venous",
        _in(6.3, 8.0, UNITY),
        "blood pH",
    ),
    _test("ph", "ph", _in(4.0, 9.5, UNITY), "pH"),
    _test(
        "pco2",
        "pco2|paco2|pvco2|co2|partial pressure of carbon dioxide",
        _scaled(5, 250, {"mm[Hg]": 1.0, "kPa": 0.1333}),
        "pCO2",
    ),
    _test(
        "po2",
        "po2|pao2|pvo2|partial pressure of oxygen",
        _scaled(5, 750, {"mm[Hg]": 1.0, "kPa": 0.1333}),
        "pO2",
    ),
)

# Words that name the specimen as blood: dropped. "S-Potassium", "P-Glucose", "B-Hb"
# are Nordic specimen prefixes.
_BLOOD_WORDS: Final = frozenset(
    {"serum", "plasma", "blood", "whole", "s", "p", "b", "level", "lvl", "value", "result"}
)
# Words that name another specimen: such a name is no test here.
_OTHER_SPECIMEN: Final = frozenset(
    {
        "urine",
        "urinary",
        "ur",
        "u",
        "csf",
        "fluid",
        "pleural",
        "peritoneal",
        "ascitic",
        "synovial",
        "stool",
        "fecal",
        "faecal",
        "sweat",
        "saliva",
        "24h",
        "24hr",
        "24",
        "hour",
        "timed",
        "dipstick",
        "ua",
    }
)
_PARENTHESISED = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).lower().replace("ß", "ss")
    return re.findall(r"[a-z0-9]+(?:[+-]+(?![a-z0-9]))?|%", folded)


@lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """A printed test name as its words in sorted order, blood-specimen words dropped.

    Two names with the same key name the same thing ("Protein, Total" and "Total
    Protein"); this is also how unknown tests are compared for duplicates.
    """
    words = [word for word in _words(name) if word not in _BLOOD_WORDS]
    return " ".join(sorted(words))


def _index(tests: Iterable[LabTest]) -> dict[str, tuple[LabTest, ...]]:
    index: dict[str, list[LabTest]] = {}
    for test in tests:
        for name in {name_key(name) for name in test.names}:
            index.setdefault(name, []).append(test)
    return {key: tuple(found) for key, found in index.items()}


_BY_NAME: Final = _index(LAB_TESTS)


def _candidates(name: str) -> list[str]:
    """The whole name, the name without its parenthesised parts, then each parenthesised part."""
    inner = [group for match in _PARENTHESISED.finditer(name) for group in match.groups() if group]
    return [name, _PARENTHESISED.sub(" ", name), *inner]


# Test names and units are a small vocabulary (never values): cached.
@lru_cache(maxsize=4096)
def identify_test(name: str, unit_ucum: str | None) -> LabTest | None:
    """The known test a printed name stands for, or ``None`` (unknown, or not a blood test).

    When a name stands for several tests, the one whose units include ``unit_ucum``
    wins; without a fitting unit the name is ambiguous and gives ``None``.
    """
    if any(word in _OTHER_SPECIMEN for word in _words(name)):
        return None
    for candidate in _candidates(name):
        tests = _BY_NAME.get(name_key(candidate))
        if tests:
            if len(tests) == 1:
                return tests[0]
            return next((test for test in tests if unit_ucum in test.limits), None)
    return None
