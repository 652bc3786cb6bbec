"""The fictitious vocabulary reports are made of: people, facilities, tests, drugs, diagnoses.

Names of people and facilities are invented. Lab reference ranges are typical adult
ranges. Every ICD-10-CM code below is a valid billable (leaf) code, with its official
description, checked against ``simple-icd-10-cm`` 1.5.0 (CDC April 2026 release).
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES_FEMALE = (
    "Miriam", "Odile", "Priya", "Henrike", "Lucinda", "Amara", "Greta", "Soledad", "Ines", "Talia",
    "Marisol", "Dagny", "Noor", "Ottilie", "Rosalind", "Yevgenia", "Beatrix", "Chiamaka", "Linnea", "Paloma",
)  # fmt: skip
FIRST_NAMES_MALE = (
    "Anselm", "Caspian", "Devraj", "Emeric", "Florian", "Gideon", "Hollis", "Ivo", "Jorund", "Kwabena",
    "Leander", "Matthias", "Nikolai", "Oswin", "Ptolemy", "Ruairi", "Silvan", "Teodor", "Ulric", "Wendell",
)  # fmt: skip
LAST_NAMES = (
    "Okonkwo-Vale", "Brandquist", "Castellanos", "Delacroix-Penn", "Efferding", "Fairweather", "Gallowmere",
    "Hartigan", "Ishikawa-Lowe", "Jablonski", "Kettleborough", "Lindqvist", "Marchetti", "Nakashima",
    "O'Rourke", "Pemberton-Shaw", "Quennell", "Ravensworth", "Szczepanik", "Thistlewood", "Umberfield",
    "Vanterpool", "Whitcombe", "Yarborough", "Zielinski", "Abernathy-Cole", "Brightwater", "Cavendish-Roe",
)  # fmt: skip

FACILITIES = (
    ("Brackenford General Hospital", "1200 Alder Crescent, Brackenford, OH 43990"),
    ("Meridian Vale Medical Center", "88 Larkspur Way, Meridian Vale, WA 98990"),
    ("Quillfield Reference Laboratory", "4410 Foundry Road, Suite 200, Quillfield, TX 75990"),
    ("Lakeshore Pathology Associates", "17 Harbor Terrace, Lakeshore, MI 49990"),
    ("Summit Ridge Imaging Center", "905 Cairn Avenue, Summit Ridge, CO 80990"),
    ("Alderbrook Diagnostics", "61 Mill Lane, Alderbrook, NC 27990"),
    ("St. Wendeline Community Hospital", "300 Chapel Street, Wendeline, PA 19990"),
    ("Northmoor Clinical Labs", "2 Quarry Park, Northmoor, MN 55990"),
)
CLINICIANS = (
    "Helena Marsh, MD", "Rafael Quintero, MD", "Adaeze Nwosu, DO", "Konrad Bielski, MD", "Saoirse Flynn, MD",
    "Tomasz Wrona, MD", "Imogen Achterberg, MD", "Vikram Sethuraman, MD", "Lorna Peabody, NP", "Elias Mbeki, MD",
)  # fmt: skip


@dataclass(frozen=True)
class LabSpec:
    """A lab test: its printed names, unit spellings, reference range and critical limits.

    ``low``/``high`` of ``None`` make a one-sided range ("<200", ">39"). ``results``
    lists qualitative results, the first being the normal one. ``below`` is a
    "less than" result printed for values under the detection limit.
    """

    names: tuple[str, ...]
    units: tuple[str, ...]
    low: float | None
    high: float | None
    decimals: int = 1
    critical_low: float | None = None
    critical_high: float | None = None
    results: tuple[str, ...] = ()
    below: str | None = None


# Units are spelled with the micro sign (U+00B5), the Greek mu (U+03BC), "u" or "mc", as labs do.
MICRO_UNITS = ("x10^3/\u00b5L", "K/\u00b5L", "10*3/uL", "x10E3/uL", "K/\u03bcL", "thou/mcL")

LAB_PANELS: dict[str, tuple[LabSpec, ...]] = {
    "COMPLETE BLOOD COUNT": (
        LabSpec(("WBC", "White Blood Cell Count", "WBC Count"), MICRO_UNITS, 4.0, 11.0),
        LabSpec(
            ("RBC", "Red Blood Cell Count"), ("x10^6/\u00b5L", "M/uL", "x10E6/uL", "M/\u03bcL"), 4.20, 5.90, 2
        ),
        LabSpec(("Hemoglobin", "HGB", "Haemoglobin"), ("g/dL",), 12.0, 16.0, 1, critical_low=7.0),
        LabSpec(("Hematocrit", "HCT"), ("%",), 36.0, 46.0),
        LabSpec(("MCV", "Mean Corpuscular Volume"), ("fL",), 80.0, 100.0),
        LabSpec(("MCH",), ("pg",), 27.0, 33.0),
        LabSpec(("Platelet Count", "Platelets", "PLT"), MICRO_UNITS, 150, 400, 0, critical_low=20),
        LabSpec(("Neutrophils", "Neutrophils %"), ("%",), 40.0, 75.0),
    ),
    "COMPREHENSIVE METABOLIC PANEL": (
        LabSpec(("Glucose", "Glucose, Serum"), ("mg/dL",), 70, 99, 0, critical_low=40, critical_high=450),
        LabSpec(("BUN", "Urea Nitrogen (BUN)", "Blood Urea Nitrogen"), ("mg/dL",), 7, 20, 0),
        LabSpec(("Creatinine", "Creatinine, Serum"), ("mg/dL",), 0.60, 1.30, 2),
        LabSpec(("Sodium", "Sodium, Serum"), ("mmol/L", "mEq/L"), 136, 145, 0, 120, 160),
        LabSpec(("Potassium", "Potassium, Serum"), ("mmol/L", "mEq/L"), 3.5, 5.1, 1, 2.8, 6.2),
        LabSpec(("Chloride",), ("mmol/L", "mEq/L"), 98, 107, 0),
        LabSpec(("CO2", "Carbon Dioxide, Total", "Bicarbonate"), ("mmol/L",), 22, 29, 0),
        LabSpec(("Calcium", "Calcium, Serum"), ("mg/dL",), 8.6, 10.3),
        LabSpec(("Albumin",), ("g/dL",), 3.5, 5.0),
        LabSpec(("Bilirubin, Total", "Total Bilirubin"), ("mg/dL",), 0.2, 1.2),
        LabSpec(("Alkaline Phosphatase", "ALP"), ("U/L", "IU/L"), 44, 147, 0),
        LabSpec(("AST (SGOT)", "AST"), ("U/L", "IU/L"), 10, 40, 0),
        LabSpec(("ALT (SGPT)", "ALT"), ("U/L", "IU/L"), 7, 56, 0),
        LabSpec(("eGFR",), ("mL/min/1.73m2", "mL/min/1.73 m²"), 60, None, 0),
    ),
    "LIPID PANEL": (
        LabSpec(("Cholesterol, Total", "Total Cholesterol"), ("mg/dL",), None, 200, 0),
        LabSpec(("Triglycerides",), ("mg/dL",), None, 150, 0),
        LabSpec(("HDL Cholesterol", "HDL-C"), ("mg/dL",), 40, None, 0),
        LabSpec(("LDL Cholesterol (calc)", "LDL-C"), ("mg/dL",), None, 100, 0),
    ),
    "THYROID": (
        LabSpec(
            ("TSH", "Thyroid Stimulating Hormone"),
            ("\u00b5IU/mL", "uIU/mL", "mIU/L", "\u03bcIU/mL"),
            0.45,
            4.50,
            2,
        ),
        LabSpec(("Free T4", "T4, Free"), ("ng/dL",), 0.82, 1.77, 2),
    ),
    "DIABETES": (
        LabSpec(("Hemoglobin A1c", "HbA1c", "Glycohemoglobin"), ("%",), 4.0, 5.6),
        LabSpec(("Insulin, Fasting",), ("\u00b5IU/mL", "uIU/mL", "mcIU/mL", "\u03bcIU/mL"), 2.6, 24.9),
    ),
    "IRON AND VITAMINS": (
        LabSpec(("Ferritin",), ("ng/mL",), 15, 150, 0),
        LabSpec(("Vitamin B12", "Cobalamin (B12)"), ("pg/mL",), 232, 1245, 0),
        LabSpec(("Vitamin D, 25-Hydroxy", "25-OH Vitamin D"), ("ng/mL",), 30, 100),
        LabSpec(("Folate, Serum",), ("ng/mL",), 3.0, None),
    ),
    "CARDIAC AND INFLAMMATORY MARKERS": (
        LabSpec(("C-Reactive Protein", "CRP"), ("mg/L",), None, 5.0, 1, below="<0.5"),
        LabSpec(
            ("Troponin I, High Sensitivity", "hs-Troponin I"),
            ("ng/L",),
            None,
            34,
            0,
            critical_high=100,
            below="<3",
        ),
        LabSpec(("NT-proBNP",), ("pg/mL",), None, 125, 0),
        LabSpec(("PSA, Total", "Prostate Specific Antigen"), ("ng/mL",), None, 4.0, 2, below="<0.10"),
    ),
    "URINALYSIS": (
        LabSpec(("Protein, Urine", "Urine Protein"), ("",), None, None, results=("Negative", "Trace", "1+")),
        LabSpec(("Nitrite",), ("",), None, None, results=("Negative", "Positive")),
        LabSpec(("Leukocyte Esterase",), ("",), None, None, results=("Negative", "Small", "Moderate")),
        LabSpec(("Microalbumin, Urine",), ("\u00b5g/mL", "ug/mL", "mcg/mL", "\u03bcg/mL"), None, 30, 1),
    ),
}


@dataclass(frozen=True)
class DrugSpec:
    """A medication as it is prescribed; ``sig`` adds how much of it is taken per dose."""

    name: str
    dose: str
    route: str
    frequency: str
    sig: str = ""


DRUGS = (
    DrugSpec("Metformin", "500 mg", "PO", "BID"),
    DrugSpec("Metformin ER", "1000 mg", "PO", "daily with supper"),
    DrugSpec("Lisinopril", "10 mg", "PO", "daily"),
    DrugSpec("Atorvastatin", "40 mg", "PO", "QHS"),
    DrugSpec("Insulin glargine", "20 units", "SC", "QHS"),
    DrugSpec("Albuterol HFA", "90 mcg/actuation", "inhaled", "q4h PRN wheeze", sig="2 puffs"),
    DrugSpec("Levothyroxine", "75 mcg", "PO", "daily before breakfast"),
    DrugSpec("Amlodipine", "5 mg", "PO", "daily"),
    DrugSpec("Metoprolol succinate", "25 mg", "PO", "daily"),
    DrugSpec("Apixaban", "5 mg", "PO", "BID"),
    DrugSpec("Furosemide", "40 mg", "IV", "BID"),
    DrugSpec("Omeprazole", "20 mg", "PO", "daily"),
    DrugSpec("Sertraline", "50 mg", "PO", "daily"),
    DrugSpec("Gabapentin", "300 mg", "PO", "TID"),
    DrugSpec("Tamsulosin", "0.4 mg", "PO", "QHS"),
    DrugSpec("Prednisone", "10 mg", "PO", "daily x 5 days"),
    DrugSpec("Aspirin", "81 mg", "PO", "daily"),
    DrugSpec("Enoxaparin", "40 mg", "SC", "daily"),
    DrugSpec("Ceftriaxone", "1 g", "IV", "q24h"),
    DrugSpec("Cholecalciferol", "1000 units", "PO", "daily"),
    DrugSpec("Cyanocobalamin", "1000 mcg", "IM", "monthly"),
    DrugSpec("Hydrochlorothiazide", "25 mg", "PO", "daily"),
    DrugSpec("Losartan", "50 mg", "PO", "daily"),
    DrugSpec("Clopidogrel", "75 mg", "PO", "daily"),
    DrugSpec("Pantoprazole", "40 mg", "PO", "daily"),
    DrugSpec("Montelukast", "10 mg", "PO", "QHS"),
    DrugSpec("Fluticasone propionate nasal", "50 mcg/spray", "intranasal", "daily", sig="2 sprays"),
    DrugSpec("Empagliflozin", "10 mg", "PO", "daily"),
    DrugSpec("Semaglutide", "0.5 mg", "SC", "weekly"),
    DrugSpec("Acetaminophen", "650 mg", "PO", "q6h PRN pain"),
    DrugSpec("Ondansetron", "4 mg", "IV", "q8h PRN nausea"),
    DrugSpec("Heparin", "5000 units", "SC", "q8h"),
    DrugSpec("Potassium chloride ER", "20 mEq", "PO", "daily"),
    DrugSpec("Amoxicillin-clavulanate", "875 mg", "PO", "BID x 7 days"),
    DrugSpec("Tiotropium", "18 mcg", "inhaled", "daily", sig="1 capsule"),
    DrugSpec("Carvedilol", "6.25 mg", "PO", "BID"),
    DrugSpec("Spironolactone", "25 mg", "PO", "daily"),
    DrugSpec("Ferrous sulfate", "325 mg", "PO", "daily"),
)
ROUTE_SPELLINGS = {
    "PO": ("PO", "oral", "by mouth"),
    "SC": ("SC", "subcut", "subcutaneous"),
    "IV": ("IV", "intravenous"),
    "IM": ("IM", "intramuscular"),
}
FREQUENCY_SPELLINGS = {
    "BID": ("BID", "twice daily", "b.i.d."),
    "TID": ("TID", "three times daily"),
    "QHS": ("QHS", "at bedtime", "nightly"),
    "daily": ("daily", "once daily", "QD"),
}


@dataclass(frozen=True)
class DiagnosisSpec:
    """A diagnosis: printed phrasings (the first is the ICD-10-CM description), its code, its concepts.

    ``concepts`` name what a negated mention must not be about in the same report.
    """

    phrases: tuple[str, ...]
    code: str
    concepts: frozenset[str]
    kinds: frozenset[str]


def _dx(code: str, phrases: tuple[str, ...], concepts: str, kinds: str = "medical") -> DiagnosisSpec:
    return DiagnosisSpec(phrases, code, frozenset(concepts.split()), frozenset(kinds.split()))


DIAGNOSES = (
    _dx("E11.9", ("Type 2 diabetes mellitus without complications", "Type 2 diabetes mellitus"), "diabetes"),
    _dx("E11.65", ("Type 2 diabetes mellitus with hyperglycemia", "Uncontrolled type 2 diabetes with hyperglycemia"), "diabetes"),
    _dx("I10", ("Essential (primary) hypertension", "Essential hypertension", "Hypertension"), "hypertension"),
    _dx("E78.5", ("Hyperlipidemia, unspecified", "Hyperlipidemia"), "lipids"),
    _dx("J18.9", ("Pneumonia, unspecified organism", "Community-acquired pneumonia"), "pneumonia", "medical imaging"),
    _dx("K21.9", ("Gastro-esophageal reflux disease without esophagitis", "GERD"), "reflux"),
    _dx("N18.30", ("Chronic kidney disease, stage 3 unspecified", "Chronic kidney disease stage 3"), "kidney"),
    _dx("I50.9", ("Heart failure, unspecified", "Congestive heart failure"), "heart-failure"),
    _dx("I48.91", ("Unspecified atrial fibrillation", "Atrial fibrillation"), "arrhythmia"),
    _dx("J44.9", ("Chronic obstructive pulmonary disease, unspecified", "COPD"), "copd"),
    _dx("J45.909", ("Unspecified asthma, uncomplicated", "Asthma"), "asthma"),
    _dx("E03.9", ("Hypothyroidism, unspecified", "Hypothyroidism"), "thyroid"),
    _dx("D64.9", ("Anemia, unspecified", "Anemia"), "anemia"),
    _dx("E55.9", ("Vitamin D deficiency, unspecified", "Vitamin D deficiency"), "vitamin-d"),
    _dx("F32.A", ("Depression, unspecified", "Depression"), "depression"),
    _dx("F41.1", ("Generalized anxiety disorder",), "anxiety"),
    _dx("M54.50", ("Low back pain, unspecified", "Low back pain"), "back-pain"),
    _dx("N39.0", ("Urinary tract infection, site not specified", "Urinary tract infection"), "uti"),
    _dx("G47.33", ("Obstructive sleep apnea (adult) (pediatric)", "Obstructive sleep apnea"), "osa"),
    _dx("E66.9", ("Obesity, unspecified", "Obesity"), "obesity"),
    _dx("I25.10", ("Atherosclerotic heart disease of native coronary artery without angina pectoris", "Coronary artery disease"), "cad myocardial-infarction chest-pain"),
    _dx("M17.11", ("Unilateral primary osteoarthritis, right knee", "Primary osteoarthritis of right knee"), "osteoarthritis fracture"),
    _dx("E87.1", ("Hypo-osmolality and hyponatremia", "Hyponatremia"), "sodium"),
    _dx("D50.9", ("Iron deficiency anemia, unspecified", "Iron deficiency anemia"), "anemia"),
    _dx("I26.99", ("Other pulmonary embolism without acute cor pulmonale", "Acute pulmonary embolism"), "pulmonary-embolism dvt", "medical imaging"),
    _dx("K80.20", ("Calculus of gallbladder without cholecystitis without obstruction", "Cholelithiasis"), "gallbladder cholecystitis", "imaging"),
    _dx("N20.0", ("Calculus of kidney", "Nephrolithiasis"), "kidney-stone hydronephrosis", "imaging"),
    _dx("J90", ("Pleural effusion, not elsewhere classified", "Right pleural effusion"), "pleural-effusion", "imaging"),
    _dx("I63.9", ("Cerebral infarction, unspecified", "Acute ischemic stroke"), "stroke hemorrhage", "medical imaging"),
    _dx("A41.9", ("Sepsis, unspecified organism", "Sepsis"), "sepsis fever"),
    _dx("N17.9", ("Acute kidney failure, unspecified", "Acute kidney injury"), "kidney"),
    _dx("E86.0", ("Dehydration",), "dehydration"),
    _dx("K85.90", ("Acute pancreatitis without necrosis or infection, unspecified", "Acute pancreatitis"), "pancreatitis", "medical imaging"),
    _dx("K29.70", ("Gastritis, unspecified, without bleeding", "Gastritis"), "gastritis"),
    _dx("M81.0", ("Age-related osteoporosis without current pathological fracture", "Osteoporosis"), "osteoporosis fracture"),
    _dx("R91.1", ("Solitary pulmonary nodule",), "lung-nodule malignancy", "imaging"),
    _dx("K76.0", ("Fatty (change of) liver, not elsewhere classified", "Hepatic steatosis"), "liver", "imaging"),
    _dx("E04.1", ("Nontoxic single thyroid nodule", "Thyroid nodule"), "thyroid", "imaging"),
    _dx("J96.01", ("Acute respiratory failure with hypoxia",), "respiratory shortness-of-breath"),
    _dx("L03.115", ("Cellulitis of right lower limb", "Cellulitis of right leg"), "cellulitis dvt"),
    _dx("K35.80", ("Unspecified acute appendicitis", "Acute appendicitis"), "appendicitis", "medical imaging"),
    _dx("E83.52", ("Hypercalcemia",), "calcium"),
    _dx("C50.911", ("Malignant neoplasm of unspecified site of right female breast", "Invasive ductal carcinoma, right breast"), "malignancy breast-cancer", "pathology"),
    _dx("D05.11", ("Intraductal carcinoma in situ of right breast", "Ductal carcinoma in situ, right breast"), "malignancy breast-cancer", "pathology"),
    _dx("C34.11", ("Malignant neoplasm of upper lobe, right bronchus or lung", "Adenocarcinoma of right upper lobe of lung"), "malignancy lung-cancer lung-nodule", "pathology"),
    _dx("C18.7", ("Malignant neoplasm of sigmoid colon", "Adenocarcinoma of sigmoid colon"), "malignancy colon-cancer", "pathology"),
    _dx("C61", ("Malignant neoplasm of prostate", "Prostatic adenocarcinoma"), "malignancy prostate-cancer", "pathology"),
    _dx("D12.5", ("Benign neoplasm of sigmoid colon", "Tubular adenoma of sigmoid colon"), "colon-polyp", "pathology"),
)  # fmt: skip


@dataclass(frozen=True)
class NegationSpec:
    """A sentence that mentions conditions the patient does not have (or might, or a relative has).

    ``mentions`` are the condition phrases as printed; ``concepts`` must not clash with
    a diagnosis of the same report.
    """

    sentence: str
    mentions: tuple[str, ...]
    concepts: frozenset[str]
    kinds: frozenset[str]


def _neg(sentence: str, mentions: str, concepts: str, kinds: str) -> NegationSpec:
    return NegationSpec(
        sentence, tuple(mentions.split("|")), frozenset(concepts.split()), frozenset(kinds.split())
    )


NEGATIONS = (
    _neg("No evidence of pneumonia.", "pneumonia", "pneumonia", "medical imaging"),
    _neg("No focal consolidation to suggest pneumonia.", "pneumonia", "pneumonia", "imaging"),
    _neg("Patient denies chest pain.", "chest pain", "chest-pain cad", "medical"),
    _neg("Denies fever or chills.", "fever|chills", "fever sepsis", "medical"),
    _neg("Denies shortness of breath.", "shortness of breath", "shortness-of-breath respiratory", "medical"),
    _neg("Rule out pulmonary embolism.", "pulmonary embolism", "pulmonary-embolism", "medical imaging"),
    _neg("Family history of breast cancer (mother).", "breast cancer", "breast-cancer malignancy", "medical"),
    _neg("Family history of colon cancer in a paternal uncle.", "colon cancer", "colon-cancer malignancy", "medical"),
    _neg("Family history of type 2 diabetes (father).", "type 2 diabetes", "diabetes", "medical"),
    _neg("No prior history of myocardial infarction.", "myocardial infarction", "myocardial-infarction cad", "medical"),
    _neg("Negative for malignancy.", "malignancy", "malignancy", "pathology"),
    _neg("Negative for high-grade dysplasia.", "high-grade dysplasia", "dysplasia malignancy", "pathology"),
    _neg("ALK rearrangement not detected; ROS1 rearrangement not detected.", "ALK rearrangement|ROS1 rearrangement", "alk", "lung"),
    _neg("Lymphovascular invasion: not identified.", "lymphovascular invasion", "lvi", "pathology"),
    _neg("No acute fracture or dislocation.", "acute fracture|dislocation", "fracture", "imaging"),
    _neg("No sonographic evidence of deep vein thrombosis.", "deep vein thrombosis", "dvt", "imaging"),
    _neg("No pleural effusion or pneumothorax.", "pleural effusion|pneumothorax", "pleural-effusion pneumothorax", "imaging"),
    _neg("No acute intracranial hemorrhage.", "intracranial hemorrhage", "hemorrhage stroke", "imaging"),
    _neg("No hydronephrosis.", "hydronephrosis", "hydronephrosis kidney-stone", "imaging"),
    _neg("Findings are not suggestive of appendicitis.", "appendicitis", "appendicitis", "imaging"),
    _neg("No sonographic evidence of acute cholecystitis.", "acute cholecystitis", "cholecystitis gallbladder", "imaging"),
    _neg("Possible stroke was considered; rule out transient ischemic attack.", "stroke|transient ischemic attack", "stroke", "medical"),
    _neg("Interferon-gamma release assay negative; no evidence of tuberculosis.", "tuberculosis", "tuberculosis", "medical"),
)  # fmt: skip
