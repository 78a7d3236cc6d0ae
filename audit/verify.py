"""Verify the audit chain with set-based SQL (no Python loop over rows), then every checkpoint.

Pass 1 recomputes `audit_hash(e)` for every event — the same SQL function the insert trigger
used — in parallel, in any order. Pass 2 walks seq order with a window over narrow rows, checking
that `seq` is the previous seq + 1 and `prev_hash` is the previous row's hash. Both passes read
one REPEATABLE READ snapshot. Checkpoints (table and file) must each match the event at their
seq; a checkpoint beyond the chain's end means the tail was cut off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction

from audit.checkpoints import Checkpoint, read_file_checkpoints

GENESIS_HEX = "00" * 32

# Pass 1 (parallel, any order): does every row's stored hash match its contents?
# No separate check for separators inside text fields is needed: the insert trigger refuses
# them, so every genuine canonical text holds exactly 17; a tampered row that kept the same text
# would need the same 17, so no embedded one, so the same split into fields, so the same values.
HASH_SQL = """
SELECT count(*), min(e.seq) FILTER (WHERE audit_hash(e) IS DISTINCT FROM e.hash)
FROM audit_auditevent e
"""
# Pass 2 (in seq order, narrow rows): is seq gap-free and does each prev_hash link up?
LINK_SQL = """
SELECT max(seq),
       min(seq) FILTER (WHERE seq <> coalesce(p_seq, 0) + 1),
       min(seq) FILTER (WHERE prev_hash IS DISTINCT FROM
                              coalesce(p_hash, decode(repeat('00', 32), 'hex')))
FROM (SELECT seq, prev_hash, lag(seq) OVER w AS p_seq, lag(hash) OVER w AS p_hash
      FROM audit_auditevent WINDOW w AS (ORDER BY seq)) x
"""
# Break-glass reviews are not chained themselves, but each is written with a chained event that
# names it (review id and outcome): a review added, altered or removed outside the app shows.
REVIEWS_SQL = """
SELECT coalesce(r.event_seq::text, e.object_id), r.id, e.seq
FROM audit_breakglassreview r
FULL JOIN (SELECT seq, object_id, details FROM audit_auditevent
           WHERE action = 'break_glass.review') e
  ON e.details ->> 'review_id' = r.id::text
 AND e.object_id = r.event_seq::text
 AND e.details ->> 'outcome' = r.outcome
WHERE r.id IS NULL OR e.seq IS NULL
ORDER BY r.event_seq NULLS LAST, e.seq
LIMIT 10
"""


@dataclass
class VerifyResult:
    ok: bool
    events: int
    head: str
    last_seq: int
    checkpoint_seq: int | None = None
    broken_seq: int | None = None
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.events} events, head {self.head}"
        return f"FAIL: first broken seq {self.broken_seq}: {self.problems[0]}"


def _table_checkpoints(cursor) -> list[Checkpoint]:
    cursor.execute("SELECT seq, head_hash FROM audit_auditcheckpoint ORDER BY seq")
    return [Checkpoint(seq=s, hash=bytes(h).hex(), source="table") for s, h in cursor.fetchall()]


def _chain_problems(cursor) -> tuple[int, int, list[tuple[int, str]]]:
    cursor.execute(HASH_SQL)
    count, bad_hash = cursor.fetchone()
    cursor.execute(LINK_SQL)
    last_seq, gap, link = cursor.fetchone()
    problems: list[tuple[int, str]] = []
    if gap is not None:
        cursor.execute("SELECT max(seq) FROM audit_auditevent WHERE seq < %s", [gap])
        before = cursor.fetchone()[0] or 0
        problems.append(
            (gap, f"events {before + 1}..{gap - 1} are missing (deleted) before event {gap}")
            if gap - 1 >= before + 1
            else (gap, f"event {gap} is out of sequence after {before} (inserted or reordered)")
        )
    if bad_hash is not None:
        problems.append(
            (
                bad_hash,
                f"event {bad_hash}'s stored hash does not match its contents "
                "(a field was changed, or the row was inserted or moved)",
            )
        )
    if link is not None:
        problems.append(
            (
                link,
                f"event {link}'s prev_hash does not match the hash of the event before it "
                "(an earlier event was altered, inserted, removed or reordered)",
            )
        )
    return count or 0, last_seq or 0, problems


def _checkpoint_problems(
    cursor, table: list[Checkpoint], from_file: list[Checkpoint], last_seq: int
) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    table_by_seq = {c.seq: c.hash for c in table}
    for c in from_file:
        if table_by_seq.get(c.seq) != c.hash:
            problems.append(
                (c.seq, f"checkpoint {c.seq} in the file is missing or different in the table")
            )
    every = {(c.seq, c.hash) for c in [*table, *from_file]}
    if not every:
        return problems
    seqs = [s for s, _ in every]
    hashes = [bytes.fromhex(h) for _, h in every]
    cursor.execute(
        """SELECT c.seq, c.hash, e.hash FROM unnest(%s::bigint[], %s::bytea[]) AS c(seq, hash)
           LEFT JOIN audit_auditevent e ON e.seq = c.seq ORDER BY c.seq""",
        [seqs, hashes],
    )
    for seq, cp_hash, ev_hash in cursor.fetchall():
        if ev_hash is None and seq > last_seq:
            problems.append(
                (
                    last_seq + 1,
                    f"the chain ends at {last_seq} but checkpoint {seq} was taken: "
                    f"events {last_seq + 1}..{seq} were cut off (truncated tail)",
                )
            )
        elif ev_hash is None:
            problems.append((seq, f"event {seq}, named by a checkpoint, is missing"))
        elif bytes(ev_hash) != bytes(cp_hash):
            problems.append((seq, f"event {seq}'s hash differs from checkpoint {seq}"))
    return problems


def verify_chain(*, parallel: bool = True) -> VerifyResult:
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One consistent snapshot for the chain and the checkpoints.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SET LOCAL jit = off")
        if parallel:
            cursor.execute("SET LOCAL parallel_setup_cost = 0")
            cursor.execute("SET LOCAL parallel_tuple_cost = 0")
        count, last_seq, problems = _chain_problems(cursor)
        cursor.execute("SELECT hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()
        head = bytes(row[0]).hex() if row else GENESIS_HEX
        table = _table_checkpoints(cursor)
        try:
            from_file = read_file_checkpoints()
        except ValueError as exc:
            from_file = []
            problems.append((0, str(exc)))
        problems += _checkpoint_problems(cursor, table, from_file, last_seq)
        cursor.execute(REVIEWS_SQL)
        for event_seq, review_id, review_event in cursor.fetchall():
            problems.append(
                (
                    int(event_seq) if str(event_seq).isdigit() else 0,
                    f"break-glass review {review_id} of event {event_seq} has no matching "
                    "review event (added or altered outside the hub)"
                    if review_event is None
                    else f"review event {review_event} names a break-glass review that is "
                    "missing or different (removed or altered outside the hub)",
                )
            )
    checkpoint_seq = max((c.seq for c in [*table, *from_file]), default=None)
    if not problems:
        return VerifyResult(
            ok=True, events=count, head=head, last_seq=last_seq, checkpoint_seq=checkpoint_seq
        )
    problems.sort(key=lambda p: p[0])
    return VerifyResult(
        ok=False,
        events=count,
        head=head,
        last_seq=last_seq,
        checkpoint_seq=checkpoint_seq,
        broken_seq=problems[0][0],
        problems=[p[1] for p in problems],
    )
