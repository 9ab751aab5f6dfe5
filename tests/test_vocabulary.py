"""One vocabulary per outcome (copernica_core/vocabulary.py): every outcome has every word, in
colours the badges and charts know, and no other table of words per outcome is left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from copernica_core.models import Outcome
from copernica_core.vocabulary import PALETTE, REQUIRED, VOCABULARY, words

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_has_every_word(outcome):
    said = VOCABULARY[outcome.value]
    missing = [name for name in REQUIRED if not getattr(said, name)
               and not (outcome is Outcome.VALID and name == "client_words")]  # a working one tells a client nothing
    assert missing == []
    assert said.colour in PALETTE and (said.chart_colour or said.colour) in PALETTE
    assert re.fullmatch(r":material/[a-z_]+:", said.icon)
    for client_side in (said.client_label, said.client_words, said.client_with_link):
        assert not re.search(r"(?i)\b(token|jwt|oauth)\b", client_side)  # no jargon reaches a client


def test_the_vocabulary_covers_exactly_the_outcomes_and_an_unknown_status_reads_as_unexpected():
    assert set(VOCABULARY) == {o.value for o in Outcome}
    assert words("a-status-of-a-newer-version") == VOCABULARY["unexpected"]
    assert Outcome.UNAVAILABLE.words.label == "Unavailable" == words("unavailable").label


def test_no_other_table_of_words_per_outcome_is_left():
    """A dict keyed by Outcome members outside the vocabulary is a second copy of its words."""
    sources = [*ROOT.joinpath("copernica_core").glob("*.py"), *ROOT.joinpath("widgets").glob("*.py"),
               *ROOT.joinpath("pages").glob("*.py")]
    tables = [f"{p.name}: {m.group(0)[:60]}" for p in sources if p.name != "vocabulary.py"
              for m in re.finditer(r"\{\s*Outcome\.[A-Z_]+\s*:\s*[\"(]", p.read_text(encoding="utf-8"))]
    assert len(sources) > 30 and tables == []
