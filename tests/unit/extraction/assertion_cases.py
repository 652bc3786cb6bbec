"""Clinical phrases with the assertion a reader would give one mention in each.

Plain data, shared by the assertion tests and by the measurement that compared
medspaCy's ConText with ours (see ``lib/extraction/assertion.py``). Each row is
``(text, target, expected)``: ``target`` is the mention, as it appears in ``text``.
"""

from __future__ import annotations

CASES: tuple[tuple[str, str, str], ...] = (
    # negated
    ("No evidence of pneumonia", "pneumonia", "negated"),
    ("Negative for malignancy", "malignancy", "negated"),
    ("Patient denies chest pain", "chest pain", "negated"),
    ("Without signs of infection", "infection", "negated"),
    ("Diabetes: no", "Diabetes", "negated"),
    ("No acute intracranial hemorrhage", "acute intracranial hemorrhage", "negated"),
    ("Pneumonia has been ruled out", "Pneumonia", "negated"),
    ("Appendicitis ruled out", "Appendicitis", "negated"),
    ("No history of MI", "MI", "negated"),
    ("Free of tumor recurrence", "tumor recurrence", "negated"),
    ("Absence of edema", "edema", "negated"),
    ("The patient was not febrile", "febrile", "negated"),
    ("Negative for DVT in the left leg", "DVT", "negated"),
    ("No new lesions", "lesions", "negated"),
    ("Denies fever, chills or night sweats", "night sweats", "negated"),
    ("No fracture or dislocation", "dislocation", "negated"),
    ("Chest X-ray showed no infiltrate", "infiltrate", "negated"),
    ("Lungs are clear. No pleural effusion.", "pleural effusion", "negated"),
    ("Chest pain but no shortness of breath", "shortness of breath", "negated"),
    ("Cough, no fever", "fever", "negated"),
    ("Not consistent with tuberculosis", "tuberculosis", "negated"),
    ("Smoking: none", "Smoking", "negated"),
    # possible (uncertain or hypothetical)
    ("Rule out PE", "PE", "possible"),
    ("Possible early appendicitis", "early appendicitis", "possible"),
    ("Suspected pulmonary embolism", "pulmonary embolism", "possible"),
    ("Malignancy cannot be excluded", "Malignancy", "possible"),
    ("Pulmonary embolism is not excluded", "Pulmonary embolism", "possible"),
    ("? fracture of the left radius", "fracture of the left radius", "possible"),
    ("Findings suggestive of pneumonia", "pneumonia", "possible"),
    ("Concerning for sepsis", "sepsis", "possible"),
    ("Probable viral gastroenteritis", "viral gastroenteritis", "possible"),
    ("Likely community-acquired pneumonia", "community-acquired pneumonia", "possible"),
    ("R/O sepsis", "sepsis", "possible"),
    ("Return if chest pain recurs", "chest pain", "possible"),
    ("Evaluate for appendicitis", "appendicitis", "possible"),
    ("Query pancreatitis", "pancreatitis", "possible"),
    # historical
    ("History of MI", "MI", "historical"),
    ("s/p appendectomy", "appendectomy", "historical"),
    ("Status post CABG", "CABG", "historical"),
    ("Prior stroke", "stroke", "historical"),
    ("Past medical history of asthma", "asthma", "historical"),
    ("Hx of DVT", "DVT", "historical"),
    ("h/o seizures", "seizures", "historical"),
    ("Previous myocardial infarction", "myocardial infarction", "historical"),
    # family
    ("Family history of breast cancer", "breast cancer", "family"),
    ("Mother had breast cancer", "breast cancer", "family"),
    ("Father with colon cancer", "colon cancer", "family"),
    ("Brother with type 1 diabetes", "type 1 diabetes", "family"),
    ("Family history: mother had ovarian cancer", "ovarian cancer", "family"),
    # present
    ("Type 2 diabetes mellitus", "Type 2 diabetes mellitus", "present"),
    ("Hypertension, well controlled", "Hypertension", "present"),
    ("Diabetes mellitus, type 2 (E11.9)", "Diabetes mellitus, type 2", "present"),
    ("Chest pain but no shortness of breath", "Chest pain", "present"),
    ("Cough, no fever", "Cough", "present"),
    ("Hypertension: yes", "Hypertension", "present"),
    ("Acute appendicitis confirmed on CT", "Acute appendicitis", "present"),
    ("Community-acquired pneumonia, improving", "Community-acquired pneumonia", "present"),
    ("Knee pain (no trauma)", "Knee pain", "present"),
)
