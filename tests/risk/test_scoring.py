"""Unit tests of every scoring rule, on facts (no database)."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError

from hub.risk.parameters import default_parameters, validate_parameters
from hub.risk.scoring import VIA_ADULT, VIA_CHILD, VIA_SIBLING, Scorer

SCHOOL, GP, POLICE, HOUSING = 1, 2, 3, 4


def fact(cid, category, level=2, age=3.0, agency=SCHOOL, via=VIA_CHILD):
    return (cid, via, agency, category, level, float(age))


@pytest.fixture
def p():
    return default_parameters()


def rules(result):
    return {r["code"]: r for r in result.explanation["rules"]}


def test_weight_is_category_times_level_times_decay(p):
    r = Scorer(p).score([fact(1, "neglect", level=3, age=0)])
    assert r.explanation["concerns"] == [{"id": 1, "w": 4.0, "via": "child"}]
    r = Scorer(p).score([fact(1, "sexual_abuse", level=2, age=0)])
    assert r.score == pytest.approx(p["category_weights"]["sexual_abuse"] * 2.0)


def test_weight_halves_every_half_life(p):
    fresh = Scorer(p).score([fact(1, "neglect", age=0)]).score
    old = Scorer(p).score([fact(1, "neglect", age=p["half_life_days"])]).score
    assert old == pytest.approx(fresh / 2, abs=0.01)
    p["half_life_days"] = 30
    assert Scorer(p).score([fact(1, "neglect", age=30)]).score == pytest.approx(fresh / 2, abs=0.01)


def test_concerns_outside_the_window_do_not_count(p):
    r = Scorer(p).score([fact(1, "neglect", age=p["window_days"] + 1)])
    assert r.score == 0 and r.concern_ids == []


def test_jigsaw_rises_with_distinct_agencies_and_is_capped(p):
    one = Scorer(p).score([fact(1, "neglect"), fact(2, "neglect")])
    assert "jigsaw" not in rules(one)
    two = Scorer(p).score([fact(1, "neglect", agency=SCHOOL), fact(2, "neglect", agency=GP)])
    assert rules(two)["jigsaw"]["multiplier"] == 1 + p["jigsaw"]["step"]
    assert two.score == pytest.approx(one.score * (1 + p["jigsaw"]["step"]), abs=0.01)
    many = Scorer(p).score([fact(i, "neglect", agency=i) for i in range(1, 10)])
    assert rules(many)["jigsaw"]["multiplier"] == p["jigsaw"]["max_multiplier"]
    assert rules(many)["jigsaw"]["agencies"] == 9


def test_household_adult_and_sibling_weights(p):
    base = p["category_weights"]["domestic_abuse"] * p["level_multipliers"]["3"]
    r = Scorer(p).score([fact(1, "domestic_abuse", level=3, age=0, via=VIA_ADULT)])
    assert r.explanation["concerns"][0] == {"id": 1, "w": base, "via": "adult"}
    r = Scorer(p).score([fact(1, "other", level=3, age=0, via=VIA_ADULT)])
    assert r.score == pytest.approx(
        p["category_weights"]["other"] * 4 * p["household"]["adult_default"]
    )
    r = Scorer(p).score([fact(1, "injury", level=2, age=0, via=VIA_SIBLING)])
    assert r.score == pytest.approx(2 * p["household"]["sibling_weights"]["injury"])
    p["household"]["adult_weights"]["domestic_abuse"] = 0
    r = Scorer(p).score([fact(1, "domestic_abuse", level=3, age=0, via=VIA_ADULT)])
    assert r.score == 0 and r.concern_ids == []


def test_same_concern_reached_twice_counts_once_as_the_childs(p):
    r = Scorer(p).score([fact(1, "neglect", via=VIA_SIBLING), fact(1, "neglect", via=VIA_CHILD)])
    assert r.explanation["concerns"] == [{"id": 1, "w": r.explanation["base"], "via": "child"}]


def test_was_not_brought_with_faltering_growth(p):
    need = p["patterns"]["was_not_brought_with_faltering_growth"]
    wnb = [fact(i, "was_not_brought", level=1, age=10 * i, agency=GP) for i in range(1, 3)]
    assert "was_not_brought_with_faltering_growth" not in rules(Scorer(p).score(wnb))
    assert "was_not_brought_with_faltering_growth" not in rules(
        Scorer(p).score([*wnb[:1], fact(9, "faltering_growth", level=1, age=0)])
    )
    r = Scorer(p).score([*wnb, fact(9, "faltering_growth", level=1, age=0)])
    rule = rules(r)["was_not_brought_with_faltering_growth"]
    assert rule["points"] == need["points"] and rule["ids"] == [1, 2, 9]


def test_repeated_missing_within_the_period(p):
    need = p["patterns"]["repeated_missing"]
    spread = [fact(i, "missing_from_home", age=need["within_days"] * i) for i in range(1, 4)]
    assert "repeated_missing" not in rules(Scorer(p).score(spread))
    close = [fact(i, "missing_from_home", age=5 * i, agency=POLICE) for i in range(1, 4)]
    rule = rules(Scorer(p).score(close))["repeated_missing"]
    assert rule["ids"] == [1, 2, 3]
    assert rule["points"] == pytest.approx(need["points"] * Scorer(p).decay(5), abs=1e-4)


def test_injury_within_weeks_after_domestic_abuse_at_home(p):
    within = p["patterns"]["injury_after_domestic_abuse"]["within_days"]
    da = fact(1, "domestic_abuse", level=2, age=40, agency=POLICE, via=VIA_ADULT)
    injury = fact(2, "injury", level=2, age=40 - within + 1, agency=GP)
    r = Scorer(p).score([da, injury])
    assert rules(r)["injury_after_domestic_abuse"]["ids"] == [1, 2]
    # An injury before the call-out, too long after it, or an explained (level 1) one: no.
    before = fact(2, "injury", level=2, age=45, agency=GP)
    late = fact(2, "injury", level=2, age=40 - within - 1, agency=GP)
    explained = fact(2, "injury", level=1, age=35, agency=GP)
    for other in (before, late, explained):
        assert "injury_after_domestic_abuse" not in rules(Scorer(p).score([da, other]))


def test_escalating_frequency(p):
    rule = p["patterns"]["escalating_frequency"]
    steady = [fact(i, "neglect", level=1, age=30 * i) for i in range(1, 12)]
    assert "escalating_frequency" not in rules(Scorer(p).score(steady))
    burst = [fact(100 + i, "neglect", level=1, age=10 + i) for i in range(rule["min_recent"])]
    assert "escalating_frequency" in rules(Scorer(p).score(burst))
    assert "escalating_frequency" not in rules(Scorer(p).score(burst[:-1]))


def test_bands_follow_thresholds(p):
    s = Scorer(p)
    assert s.band(p["bands"]["amber"] - 0.01) == "green"
    assert s.band(p["bands"]["amber"]) == "amber"
    assert s.band(p["bands"]["red"]) == "red"


def test_explanation_lists_every_contribution_and_sums_to_the_score(p):
    facts = [
        fact(1, "neglect", agency=SCHOOL, age=20),
        fact(2, "was_not_brought", agency=GP, age=15),
        fact(3, "domestic_abuse", level=3, agency=POLICE, via=VIA_ADULT, age=10),
    ]
    r = Scorer(p).score(facts)
    e = r.explanation
    assert [c["id"] for c in e["concerns"]] == [1, 2, 3]
    points = sum(x.get("points", 0) for x in e["rules"])
    assert r.score == pytest.approx(e["base"] * e["multiplier"] + points, abs=0.01)
    assert math.isclose(e["base"], sum(c["w"] for c in e["concerns"]), abs_tol=1e-3)


def test_defaults_validate_and_bad_parameters_are_refused(p):
    assert validate_parameters(p) == p
    bad = default_parameters()
    bad["bands"] = {"amber": 20, "red": 10}
    bad["half_life_days"] = -1
    del bad["category_weights"]["neglect"]
    bad["surprise"] = 1
    with pytest.raises(ValidationError) as exc:
        validate_parameters(bad)
    text = " ".join(exc.value.messages)
    for expected in ("red must be higher", "half_life_days", "neglect", "surprise"):
        assert expected in text
    with pytest.raises(ValidationError):
        validate_parameters([1, 2])
