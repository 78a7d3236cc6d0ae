"""The matcher without the database: deterministic rules, comparison levels, EM, routing."""

from __future__ import annotations

from datetime import date

import pytest

from hub.matching import bench, linkage
from hub.matching.comparisons import (
    REASON_FUTURE_DOB,
    REASON_INITIALS_ONLY,
    REASON_INVALID_NHS,
    REASON_MISSING_DOB,
    compare_dob,
    compare_forename,
    compare_residence,
    compare_school,
    compare_sex,
    compare_surname,
    compare_upn,
    prepare,
)

TODAY = date(2026, 11, 1)
VALID_NHS = "9434765919"
OTHER_VALID_NHS = "4010232137"


def rec(key="a", **kw):
    defaults = dict(forename="Amy", surname="Testcase", dob=date(2015, 3, 2), today=TODAY)
    defaults.update(kw)
    return prepare(key, **defaults)


# --- deterministic ----------------------------------------------------------------------------


def test_equal_valid_nhs_numbers_link_whatever_else_differs():
    scorer = linkage.Scorer(linkage.Parameters.default())
    a = rec(nhs=VALID_NHS)
    b = rec("b", forename="Zed", surname="Other", dob=date(2001, 1, 1), nhs=VALID_NHS)
    weight = linkage.pair_weight(scorer, a, b)
    assert linkage.decide(weight, linkage.Thresholds()) == linkage.Decision.LINK


def test_different_valid_nhs_numbers_never_link_whatever_else_agrees():
    scorer = linkage.Scorer(linkage.Parameters.default())
    a = rec(nhs=VALID_NHS, postcode="ZX1 4AB", address="1 High Street", upn="A123")
    b = rec("b", nhs=OTHER_VALID_NHS, postcode="ZX1 4AB", address="1 High Street", upn="A123")
    assert linkage.pair_weight(scorer, a, b) is None
    assert linkage.decide(None, linkage.Thresholds()) == linkage.Decision.NEW


def test_clustering_never_joins_two_valid_nhs_numbers_through_a_third_record():
    params = linkage.Parameters.default()
    a = rec("a", nhs=VALID_NHS, postcode="ZX1 4AB")
    b = rec("b", postcode="ZX1 4AB")  # no NHS number: agrees with both
    c = rec("c", nhs=OTHER_VALID_NHS, postcode="ZX1 4AB")
    result = linkage.dedupe([a, b, c], params, linkage.Thresholds())
    assert result.clusters[0] != result.clusters[2]
    assert result.clusters[1] in (result.clusters[0], result.clusters[2])


# --- each comparison level --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (dict(forename="Robert"), dict(forename="robert"), 0),
        (dict(forename="Amy", surname="Jones"), dict(forename="Jones", surname="Amy"), 1),
        # Swapped, with a typo in one of the swapped names.
        (dict(forename="Jacob", surname="Whiteley"), dict(forename="Whitely", surname="Jacob"), 1),
        # Swapped, and the surname changed as well: one name crosses over.
        (dict(forename="Raquel", surname="Lodge"), dict(forename="Garnett", surname="Raquel"), 6),
        (dict(forename="Robert"), dict(forename="Bobby"), 2),
        (dict(forename="Robert James"), dict(forename="Robert"), 2),
        (dict(forename="Katherine"), dict(forename="Katharine"), 3),
        (dict(forename="Jonathon"), dict(forename="Jonty"), 4),
        (dict(forename="R"), dict(forename="Robert"), 5),
        (dict(forename="Robert"), dict(forename="Susan"), 7),
        (dict(forename=""), dict(forename="Susan"), None),
    ],
)
def test_forename_levels(a, b, level):
    assert compare_forename(rec(**a), rec("b", **b)) == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Smith", "SMITH", 0),
        ("Smith-Jones", "Jones", 1),
        ("Thompson", "Thomson", 2),
        ("Morrison", "Harrison", 3),
        ("Smith", "Patel", 4),
        ("", "Patel", None),
    ],
)
def test_surname_levels(a, b, level):
    assert compare_surname(rec(surname=a), rec("b", surname=b)) == level


def test_a_swap_of_the_two_names_is_weighed_once():
    a = rec(forename="Holly", surname="Jones")
    b = rec("b", forename="Jones", surname="Holly")
    assert compare_forename(a, b) == 1
    assert compare_surname(a, b) is None  # counted under the first name, not twice
    scorer = linkage.Scorer(linkage.Parameters.default())
    evidence = {e.comparison: e for e in scorer.evidence(a, b)}
    assert evidence["surname"].weight == 0 and "Swapped" in evidence["surname"].level_label


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (date(2015, 3, 2), date(2015, 3, 2), 0),
        (date(2015, 3, 2), date(2015, 2, 3), 1),
        (date(2015, 3, 2), date(2015, 3, 8), 2),
        (date(2015, 3, 2), date(2015, 9, 20), 3),
        (date(2015, 3, 2), date(2011, 8, 20), 4),
        (None, date(2011, 8, 20), None),
    ],
)
def test_date_of_birth_levels(a, b, level):
    assert compare_dob(rec(dob=a), rec("b", dob=b)) == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (
            dict(address="1 High St", postcode="ZX1 4AB"),
            dict(address="1 high st", postcode="zx1 4ab"),
            0,
        ),
        (
            dict(address="1 High St", postcode="ZX1 4AB"),
            dict(address="Flat 9", postcode="ZX1 4AB"),
            1,
        ),
        (
            dict(address="12 Mill Road", postcode="ZX1 4AB"),
            dict(address="12 Mill Rd", postcode=""),
            2,
        ),
        (
            dict(address="Flat 3 Mill House", postcode="ZX1 4AB"),
            dict(address="Flat 3, Mill Hse", postcode=""),
            2,
        ),
        # A neighbour's address is not a similar address.
        (dict(address="12 Mill Road", postcode="ZX1 4AB"), dict(address="15 Mill Road"), 6),
        (
            dict(address="12 Mill Road", postcode="ZX1 4AB"),
            dict(address="15 Mill Road", postcode="ZY9 7QQ"),
            6,
        ),
        (dict(postcode="ZX1 4AB"), dict(postcode="ZX1 4BA"), 3),
        (dict(postcode="ZX1 4AB"), dict(postcode="ZX1 4AD"), 3),
        (dict(postcode="ZX1 4AB"), dict(postcode="ZX14 4AB"), 3),
        (dict(postcode="ZX1 4AB"), dict(postcode="ZX1 4QQ"), 4),
        (dict(postcode="ZX1 4AB"), dict(postcode="ZX1 7QQ"), 5),
        (dict(postcode="ZX1 4AB"), dict(postcode="ZY9 7QQ"), 6),
        (dict(), dict(postcode="ZY9 7QQ"), None),
    ],
)
def test_residence_levels(a, b, level):
    assert compare_residence(rec(**a), rec("b", **b)) == level


def test_sex_school_and_upn_levels():
    assert compare_sex(rec(sex="F"), rec("b", sex="f")) == 0
    assert compare_sex(rec(sex="F"), rec("b", sex="M")) == 1
    assert compare_sex(rec(sex="U"), rec("b", sex="M")) is None
    assert compare_school(rec(school="Northgate School"), rec("b", school="northgate school")) == 0
    assert compare_school(rec(school="Northgate"), rec("b", school="Southgate")) == 1
    assert compare_upn(rec(upn="A123456789012"), rec("b", upn="A123456789012")) == 0
    assert compare_upn(rec(upn="A123456789012"), rec("b", upn="A123456789013")) == 1
    assert compare_upn(rec(upn="A123456789012"), rec("b", upn="B999999999999")) == 2


def test_agreement_weighs_for_and_disagreement_against():
    scorer = linkage.Scorer(linkage.Parameters.default())
    same = scorer.evidence(rec(postcode="ZX1 4AB"), rec("b", postcode="ZX1 4AB"))
    differ = scorer.evidence(
        rec(postcode="ZX1 4AB"),
        rec("b", forename="Zoltan", surname="Oduya", dob=date(2003, 9, 30), postcode="ZY9 1AA"),
    )
    assert all(e.weight > 0 for e in same if e.level is not None)
    assert all(e.weight < 0 for e in differ if e.level is not None)


# --- bad input --------------------------------------------------------------------------------


def test_bad_input_is_named_not_raised():
    assert REASON_MISSING_DOB in rec(dob=None).reasons
    assert REASON_INITIALS_ONLY in rec(forename="J").reasons
    assert REASON_INITIALS_ONLY in rec(forename="J R").reasons
    assert REASON_INITIALS_ONLY not in rec(forename="Jo").reasons
    bad_nhs = rec(nhs="9434765918")
    assert REASON_INVALID_NHS in bad_nhs.reasons and bad_nhs.nhs == ""
    future = rec(dob=date(2030, 1, 1))
    assert REASON_FUTURE_DOB in future.reasons and future.dob is None


def test_weak_evidence_is_never_linked_automatically_on_its_own():
    thresholds = linkage.Thresholds()
    strong = thresholds.auto_link_weight + 5
    assert linkage.decide(strong, thresholds) == linkage.Decision.LINK
    for reason in (REASON_MISSING_DOB, REASON_INITIALS_ONLY, REASON_INVALID_NHS):
        assert linkage.decide(strong, thresholds, [reason]) == linkage.Decision.REVIEW
    # ...unless an identifier independently agrees as well.
    assert (
        linkage.decide(strong, thresholds, [REASON_MISSING_DOB], identifier_agrees=True)
        == linkage.Decision.LINK
    )


def test_thresholds_route_link_review_new():
    thresholds = linkage.Thresholds(auto_link=0.99, review=0.5)
    assert linkage.decide(thresholds.auto_link_weight + 0.01, thresholds) == "link"
    assert linkage.decide(thresholds.auto_link_weight - 0.01, thresholds) == "review"
    assert linkage.decide(thresholds.review_weight + 0.01, thresholds) == "review"
    assert linkage.decide(thresholds.review_weight - 0.01, thresholds) == "new"


# --- EM ---------------------------------------------------------------------------------------


def test_em_estimates_sensible_m_and_u_without_labels():
    rows = bench.synthetic_rows(3000, seed=3)
    records = bench.records_from_rows(rows, today=TODAY)
    params, summary = linkage.train(records, u_pairs=40_000)
    assert summary.sessions, "at least one EM session ran"
    for name in ("forename", "surname", "dob"):
        m, u = params.m[name], params.u[name]
        assert m[0] > 0.6, f"{name}: most true matches agree exactly"
        assert u[0] < 0.05, f"{name}: few random pairs agree exactly"
        assert m[-1] < u[-1], f"{name}: disagreement is evidence against"
    assert 0 < params.lam < 0.01
    # Trained parameters separate the truth better than chance, with no false links.
    truth = [r.key[1] for r in records]
    result = linkage.dedupe(records, params, linkage.Thresholds())
    thresholds = linkage.Thresholds()
    linked = {(i, j) for i, j, w in result.edges if w >= thresholds.auto_link_weight}
    scores = bench.evaluate(
        truth=truth,
        linked_pairs=linked,
        clusters=result.clusters,
        ranked=result.edges,
        sources=None,
    )
    assert scores["pairwise"].precision > 0.98
    assert scores["pairwise"].recall > 0.8


def test_parameters_round_trip_json():
    params = linkage.Parameters.default()
    again = linkage.Parameters.from_json(params.to_json())
    assert again.weights() == params.weights()


def test_a_stored_model_with_other_levels_falls_back_to_the_built_in_ones():
    data = linkage.Parameters.default().to_json()
    data["m"]["residence"] = [0.55, 0.15, 0.05, 0.03, 0.04, 0.18]  # before a level was added
    data["u"]["residence"] = [0.0001, 0.0003, 0.0005, 0.002, 0.01, 0.9871]
    data["m"]["dob"] = [0.8, 0.05, 0.05, 0.05, 0.05]
    params = linkage.Parameters.from_json(data)
    assert params.m["residence"] == linkage.Parameters.default().m["residence"]
    assert params.m["dob"] == [0.8, 0.05, 0.05, 0.05, 0.05]  # unchanged comparisons kept
    scorer = linkage.Scorer(params)
    a = rec(postcode="ZX1 4AB")
    assert scorer.score(a, rec("b", postcode="ZY9 7QQ"))[1][4] == 6  # scores without error


def test_thresholds_come_from_settings(settings):
    from hub.matching import online

    settings.MATCHING = {"AUTO_LINK_PROBABILITY": 0.9999, "REVIEW_PROBABILITY": 0.8}
    limits = online.thresholds()
    assert (limits.auto_link, limits.review) == (0.9999, 0.8)
    assert limits.cautious_forenames is True  # documented default kept


def test_u_is_not_inflated_by_the_true_matches_among_random_pairs():
    # Small people-to-records ratio: a random sample holds true matches, almost all agreeing on
    # date of birth. Counted as non-matches they would inflate u for exact agreement.
    import random

    from hub.matching.fs import sample_random_pairs, u_from_random_pairs

    rows = bench.synthetic_rows(1500, seed=5)
    records = bench.records_from_rows(rows, today=TODAY)
    sample = sample_random_pairs(records, max_pairs=60_000, rng=random.Random(1))
    naive = u_from_random_pairs(sample)
    params, _ = linkage.train(records, u_pairs=60_000)
    assert params.u["dob"][0] < naive["dob"][0] * 0.8
    assert params.u["upn"][0] < naive["upn"][0]
    # Disagreement is what non-matches do: its u is not lowered.
    assert params.u["dob"][-1] >= naive["dob"][-1]


# --- twins, siblings and identifiers -----------------------------------------------------------


def _twins(upn_a="A123456789012", upn_b="A123456789013", **kw):
    shared = dict(
        surname="Okafor",
        dob=date(2016, 5, 9),
        postcode="ZX1 4AB",
        address="12 Mill Road",
        sex="F",
    )
    shared.update(kw)
    return rec("a", forename="Amara", upn=upn_a, **shared), rec(
        "b", forename="Chioma", upn=upn_b, **shared
    )


def test_twins_go_to_review_even_with_unique_pupil_numbers_one_character_apart():
    # Twins' pupil numbers, issued together, can differ in one character: not an agreement.
    scorer = linkage.Scorer(linkage.Parameters.default())
    thresholds = linkage.Thresholds()
    a, b = _twins()
    weight, reasons = linkage.pair_score(scorer, a, b, thresholds)
    assert "forenames_differ" in reasons
    ident = bool(a.upn and a.upn == b.upn)
    assert linkage.decide(weight, thresholds, reasons, identifier_agrees=ident) != "link"
    result = linkage.dedupe([a, b], linkage.Parameters.default(), thresholds)
    assert result.clusters[0] != result.clusters[1]


def test_a_first_name_recorded_wrongly_links_when_the_pupil_number_agrees_exactly():
    scorer = linkage.Scorer(linkage.Parameters.default())
    thresholds = linkage.Thresholds()
    a, b = _twins(upn_b="A123456789012")
    weight, reasons = linkage.pair_score(scorer, a, b, thresholds)
    assert weight >= thresholds.auto_link_weight
    assert linkage.decide(weight, thresholds, reasons, identifier_agrees=True) == "link"
    result = linkage.dedupe([a, b], linkage.Parameters.default(), thresholds)
    assert result.clusters[0] == result.clusters[1]


def test_a_crossed_name_is_not_the_twins_caution():
    from hub.matching.comparisons import cautions, compare

    a = rec("a", forename="Raquel", surname="Lodge", postcode="ZX1 4AB")
    b = rec("b", forename="Garnett", surname="Raquel", postcode="ZX1 4AB")
    assert "forenames_differ" not in cautions(compare(a, b), a, b)
    # Twins share a surname: no crossing, so the caution stands.
    t1, t2 = _twins()
    assert "forenames_differ" in cautions(compare(t1, t2), t1, t2)


# --- blocking ---------------------------------------------------------------------------------


def _blocked(a, b):
    from hub.matching.blocking import stream_pairs

    return any((i, j) == (0, 1) for i, j, _ in stream_pairs([a, b]))


def test_blocking_pairs_swapped_names_with_one_date_of_birth():
    a = rec("a", forename="Leon", surname="Mason", dob=date(2014, 10, 5), postcode="ZX1 4AB")
    b = rec("b", forename="Mason", surname="Leo N", dob=date(2014, 10, 5), postcode="ZX1 4AC")
    assert _blocked(a, b)


def test_blocking_pairs_transposed_pupil_numbers():
    a = rec("a", forename="Ava", surname="Kim", dob=date(2014, 1, 5), upn="A123456789012")
    b = rec("b", forename="Eve", surname="Lo", dob=date(2011, 3, 9), upn="A123456789102")
    assert _blocked(a, b)


def test_blocking_pairs_one_family_name_at_one_postcode_whatever_the_dates():
    a = rec("a", forename="Kate", surname="Rawlings", dob=date(2014, 1, 5), postcode="ZX1 4AB")
    b = rec("b", forename="Connor", surname="Rawlings", dob=date(2011, 3, 9), postcode="ZX1 4AB")
    assert _blocked(a, b)


@pytest.mark.parametrize(
    ("first", "second", "sexes"),
    [
        ("Jack", "Jake", ("M", "M")),  # two names in the table, alike in spelling
        ("Jack", "Jake", ("", "")),
        ("Olivia", "Oliver", ("F", "M")),  # boy and girl twins
        ("Daniel", "Danielle", ("M", "F")),
    ],
)
def test_twins_with_alike_first_names_go_to_review(first, second, sexes):
    scorer = linkage.Scorer(linkage.Parameters.default())
    thresholds = linkage.Thresholds()
    a, b = _twins()
    a = rec("a", **{**_twin_fields(a), "forename": first, "sex": sexes[0]})
    b = rec("b", **{**_twin_fields(b), "forename": second, "sex": sexes[1]})
    weight, reasons = linkage.pair_score(scorer, a, b, thresholds)
    assert "forenames_differ" in reasons
    assert linkage.decide(weight, thresholds, reasons) != "link"
    result = linkage.dedupe([a, b], linkage.Parameters.default(), thresholds)
    assert result.clusters[0] != result.clusters[1]


def _twin_fields(r):
    return dict(surname=r.surname, dob=r.dob, postcode=r.postcode, address=r.address, upn=r.upn)


def test_a_mistyped_first_name_is_not_taken_for_a_second_name():
    scorer = linkage.Scorer(linkage.Parameters.default())
    thresholds = linkage.Thresholds()
    a, b = _twins()
    a = rec("a", **{**_twin_fields(a), "forename": "Callum", "sex": "M"})
    b = rec("b", **{**_twin_fields(b), "forename": "Calum", "sex": "M"})
    weight, reasons = linkage.pair_score(scorer, a, b, thresholds)
    assert reasons == ()
    assert linkage.decide(weight, thresholds, reasons) == "link"


def test_distinct_forenames_tells_a_second_name_from_a_recurring_keying_error():
    from hub.matching.fs import DistinctForenames

    params = linkage.Parameters.default()
    params.tf = {"forename": {"maisie": 0.01, "maisy": 0.003, "maisi": 0.0002, "maise": 2e-5}}
    params.tf_floor = {"forename": 1e-5}
    distinct = DistinctForenames(params)
    assert distinct("maisie", "maisy")  # both common: two names
    assert not distinct("maisie", "maisi")  # recurs, but 1/50 as often: a keying error
    assert not distinct("maisie", "maise")  # carried by two records: not a name
    assert distinct("jack", "jake")  # both in the hand-kept table


def test_first_names_one_keystroke_apart_are_similar_but_twins_given_them_still_go_to_review():
    assert compare_forename(rec(forename="Kai"), rec("b", forename="Ki")) == 4
    scorer = linkage.Scorer(linkage.Parameters.default())
    thresholds = linkage.Thresholds()
    t1, t2 = _twins()
    typo = rec("b", **{**_twin_fields(t2), "forename": "Ki"})
    weight, reasons = linkage.pair_score(
        scorer, rec("a", **{**_twin_fields(t1), "forename": "Kai"}), typo, thresholds
    )
    assert reasons == () and linkage.decide(weight, thresholds, reasons) == "link"
    for first, second in (("Ava", "Eva"), ("Tom", "Tim"), ("Kai", "Kia")):
        a = rec("a", **{**_twin_fields(t1), "forename": first})
        b = rec("b", **{**_twin_fields(t2), "forename": second})
        weight, reasons = linkage.pair_score(scorer, a, b, thresholds)
        assert "forenames_differ" in reasons, (first, second)
        assert linkage.decide(weight, thresholds, reasons) != "link"


def test_em_sees_swapped_first_names_no_session_blocks_them_out():
    # The synthetic set swaps forename and surname on about 3% of records: EM must see that,
    # which a session blocked on the first name's initial hides from it.
    rows = bench.synthetic_rows(3000, seed=3)
    records = bench.records_from_rows(rows, today=TODAY)
    params, summary = linkage.train(records, u_pairs=40_000)
    assert any("forename" in s["estimated"] for s in summary.sessions.values())
    assert params.m["forename"][1] > 0.02
