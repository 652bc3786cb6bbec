"""The ConText rule set: trigger phrases, what they assert, and which way they reach.

Ported from medspaCy's default English rules (``resources/en/context_rules.json`` in
medspacy 1.3.1, MIT licence, Copyright (c) 2020 medspacy), themselves derived from
the original ConText lexicon (Harkema et al., J Biomed Inform 2009) and the US
Department of Veterans Affairs' use of it. ``PUBLISHED`` is that list, rule for
rule, except that "ruled out" reaches both ways (marked ``# changed``) and that
"evaluate for" and "test for" moved to ``CHANGED``; ``ADDITIONS`` are ours, for
phrases reports use that the published list misses.

A pattern is space-separated tokens; ``a|b`` is either token, a trailing ``?``
makes a token optional. Tokens are lower-case words as
:func:`lib.extraction.assertion.tokens` cuts them (``s/p``, ``h/o``, ``n't`` and
``'s`` are single tokens; punctuation marks are tokens of their own).
"""

from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    """What a trigger says about the mentions in its scope."""

    NEGATED = "negated"
    POSSIBLE = "possible"  # ConText's POSSIBLE_EXISTENCE
    HYPOTHETICAL = "hypothetical"  # reported as possible: not asserted as present
    HISTORICAL = "historical"
    FAMILY = "family"
    PSEUDO = "pseudo"  # looks like a trigger but is none ("gram negative"): shields shorter ones


class Direction(str, Enum):
    """Which way a trigger's scope reaches within its sentence."""

    FORWARD = "forward"
    BACKWARD = "backward"
    BIDIRECTIONAL = "bidirectional"
    TERMINATE = "terminate"  # ends the scope of triggers that reach across it


NEG, POS, HYP, HIST, FAM, PSEUDO = (
    Category.NEGATED,
    Category.POSSIBLE,
    Category.HYPOTHETICAL,
    Category.HISTORICAL,
    Category.FAMILY,
    Category.PSEUDO,
)
FWD, BWD, BI, TERM = Direction.FORWARD, Direction.BACKWARD, Direction.BIDIRECTIONAL, Direction.TERMINATE

Rule = tuple[Category, Direction, str]

# Blood relatives, for the rules that find one named after the finding (not "child": in a
# paediatric report that is the patient).
_RELATIVES = (
    "aunt|aunts|brother|brothers|cousin|cousins|dad|daughter|daughters|family|father|fathers|grandfather|"
    "grandfathers|grandmother|grandmothers|grandparent|grandparents|mom|mother|mothers|nephew|nephews|"
    "niece|nieces|parent|parents|sibling|siblings|sister|sisters|son|sons|uncle|uncles"
)

PUBLISHED: tuple[Rule, ...] = (
    (NEG, FWD, "absence of"),
    (NEG, FWD, "adequate|sufficient to rule him|her|them|patient|pt? out against|for?"),
    (NEG, FWD, "adequate|sufficient to rule the patient|pt out against|for?"),
    (NEG, FWD, "any other"),
    (NEG, TERM, "apart for|from"),
    (NEG, BWD, "are|is|was ruled out"),
    (NEG, TERM, "as a|an|the secondary? cause|etiology|source|reason for|of"),
    (NEG, TERM, "as has"),
    (HYP, FWD, "as needed"),
    (NEG, FWD, "as well as any"),
    (NEG, TERM, "aside from"),
    (
        FAM,
        FWD,
        "aunt|aunts|brother|brothers|child|children|cousin|cousins|dad|dads|daughter|daughters|fam|"
        "family|families|father|fathers|grandchild|grandchildren|granddaughter|granddaughters|"
        "grandfather|grandfathers|grandmother|grandmothers|grandparent|grandparents|grandson|"
        "grandsons|husband|mom|moms|mother|mothers|nephew|nephews|niece|nieces|parent|parents|"
        "partner|sibling|siblings|sister|sisters|son|sons|spouse|uncle|uncles|wife"
        " 's|'?",
    ),
    (HYP, TERM, "because|since"),
    (HYP, FWD, "risks|risk of"),
    (NEG, TERM, "but|however|nevertheless|still|except|though|although|yet"),
    (NEG, FWD, "can|did rule him|her|them|patient|pt? out against|for?"),
    (NEG, FWD, "can|did rule the patient|pt out against|for?"),
    (NEG, TERM, "cause|causes|reason|reasons|etiology for|of"),
    (NEG, FWD, "checked for"),
    (NEG, FWD, "clear of"),
    (HYP, FWD, "come back for|to"),
    (POS, FWD, "concerned|concerning for|about"),
    (NEG, FWD, "decline|declined|declines|declining"),
    (NEG, FWD, "deny|denied|denies|denying"),
    (POS, BWD, "did|could not|n't rule out"),
    (NEG, FWD, "does|did not|n't look like"),
    (POS, FWD, "doubt"),
    (NEG, FWD, "fails to reveal"),
    (NEG, BWD, "free"),
    (NEG, FWD, "free of"),
    (NEG, BWD, "has been negative"),
    (NEG, BWD, "has|have been ruled out"),
    (HIST, FWD, "history|hx|hist|ho"),
    (HIST, FWD, "h/o"),
    (HYP, FWD, "if"),
    (NEG, FWD, "inconsistent with"),
    (NEG, FWD, "lack of"),
    (NEG, FWD, "lacked|lacking"),
    (POS, BWD, "may|might|must|should|will|could|can? be ruled out"),
    (POS, FWD, "may|might|must|should|will|could|can? be ruled out for"),
    (POS, FWD, "may|might be"),
    (NEG, FWD, "negative|neg for"),
    (NEG, FWD, "never developed|had"),
    (NEG, FWD, "no abnormal|new?"),
    (NEG, FWD, "no cause|history|findings|complaints|sign|signs|suggestion of|for"),
    (NEG, FWD, "no findings to indicate"),
    (NEG, BWD, "no longer present"),
    (NEG, FWD, "no new|other? mammographic|radiographic? evidence of|for?"),
    (NEG, FWD, "no significant|suspicious"),
    (NEG, BWD, "not|n't significant|suspicious"),
    (NEG, BWD, "non diagnostic"),
    (NEG, FWD, "not|n't appear|appreciate|demonstrate|exhibit|feel|had|have|reveal|see?"),
    (NEG, FWD, "not|n't associated with"),
    (POS, BWD, "not|n't been? ruled out"),
    (NEG, FWD, "not|n't complain|know of"),
    (NEG, FWD, "not|n't have evidence of|for"),
    (NEG, FWD, "not|n't known to have"),
    (NEG, FWD, "not|n't to be"),
    (NEG, BWD, "now resolved"),
    (NEG, TERM, "origin|origins of|for"),
    (NEG, TERM, "other possibilities of"),
    (POS, BWD, "is|ought to be ruled out for|against?"),
    (HIST, FWD, "past medical? history"),
    (NEG, FWD, "patient|pt was|is not|n't"),
    (POS, FWD, "poss|possible|probably|likely"),
    (NEG, BWD, "prophylaxis"),
    (POS, FWD, "r/o"),
    (NEG, FWD, "rather than"),
    (NEG, FWD, "resolved"),
    (HYP, FWD, "return"),
    (POS, FWD, "ro"),
    (POS, FWD, "may|might|must|should|will|could? rule him|her|them|patient|pt? out against|for?"),
    (POS, FWD, "may|might|must|should|will|could? rule the patient|pt out against|for?"),
    # changed: forward only in medspaCy; "Appendicitis ruled out" puts it after the finding.
    (NEG, BI, "ruled|rules him|her|them|patient|pt? out against|for?"),
    (NEG, FWD, "ruled|rules the patient|pt out against|for?"),
    (NEG, TERM, "secondary to?"),
    (HYP, FWD, "should she|he|they|patient|pt"),
    (HYP, FWD, "should the patient|pt"),
    (HYP, FWD, "should there"),
    (NEG, TERM, "source|sources for|of"),
    (POS, FWD, "suggestive of"),
    (POS, FWD, "suspicious for"),
    (NEG, FWD, "to exclude"),
    (NEG, TERM, "trigger event for"),
    (NEG, BWD, "unlikely"),
    (NEG, FWD, "unremarkable for"),
    (NEG, BWD, "was|is|are negative|neg"),
    (NEG, FWD, "was|is|are|can not|n't"),
    (POS, FWD, "what must be ruled out is"),
    (NEG, FWD, "with no"),
    (NEG, FWD, "without"),
    (NEG, FWD, "without any? evidence|indication|sign of|for?"),
    (POS, FWD, "worrisome for"),
    (POS, FWD, "worried about"),
    (NEG, BWD, ": none"),
    (NEG, BWD, ": no"),
    (NEG, BWD, "are not evident"),
    (NEG, BWD, "negative on"),
    (HIST, TERM, "present|presenting|presents"),
    (HIST, TERM, "comes in with"),
)

# changed: medspaCy reads "evaluate for" and "test for" as negation; a test ordered for a
# condition does not say it is absent, only that it is in question.
CHANGED: tuple[Rule, ...] = (
    (POS, FWD, "evaluate|evaluation|evaluated|assess|assessment|screen|screening|test|testing for"),
)

ADDITIONS: tuple[Rule, ...] = (
    # historical
    (HIST, FWD, "s/p"),
    (HIST, FWD, "status post"),
    (HIST, FWD, "prior|previous|previously|remote|old"),
    (HIST, BWD, "in the past"),
    (HIST, BWD, "ago"),
    (HIST, BWD, "resolved|healed"),
    # possible: uncertainty and query
    (POS, FWD, "suspected|suspect|suspicion|presumed|presumptive|questionable|query|probable|potential"),
    (POS, FWD, "suspicion of"),
    (POS, FWD, "?"),
    (POS, FWD, "cannot rule out"),
    (POS, FWD, "can|could n't|not rule out"),
    (POS, FWD, "differential diagnosis|dx"),
    (POS, FWD, "consider|considered"),
    (POS, BWD, "?"),
    (POS, BWD, "is|are|was suspected|questioned|possible|likely|probable"),
    (POS, BWD, "cannot be excluded"),
    (POS, BWD, "cannot be ruled out"),
    (POS, BWD, "can|could n't|not be excluded"),
    (POS, BWD, "can|could n't|not be ruled out"),
    (POS, BWD, "is|are|was|were|been not excluded"),
    (POS, BWD, "not excluded"),
    (POS, BI, "vs|versus"),
    # negated: findings stated absent after the finding
    (NEG, BWD, ": negative|neg|absent|denied"),
    (NEG, BWD, ": not present"),
    (NEG, BWD, "negative|absent"),
    (
        NEG,
        BWD,
        "is|are|was|were not seen|identified|present|detected|visualized|visualised|noted|demonstrated",
    ),
    (NEG, BWD, "not seen|identified|detected|visualized|visualised|demonstrated"),
    (NEG, FWD, "no signs|sign|symptoms|features of"),
    (NEG, FWD, "not consistent with"),
    # family
    (FAM, FWD, "fh|fhx"),
    # the relative named after the finding: "lung cancer in father", "colon cancer (paternal grandfather)"
    (FAM, BWD, f"in his|her|their|the|a|both? {_RELATIVES}"),
    (FAM, BWD, f"paternal|maternal {_RELATIVES}"),
    # pseudo-triggers: these contain a trigger word but assert nothing
    (PSEUDO, FWD, "gram negative|positive"),
    (PSEUDO, FWD, "no change|increase|further|longer"),
    (PSEUDO, FWD, "not only|necessarily"),
    (PSEUDO, FWD, "without difficulty"),
)

RULES: tuple[Rule, ...] = PUBLISHED + CHANGED + ADDITIONS
