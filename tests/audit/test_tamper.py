"""`verify_audit` detects what a superuser can do with the triggers switched off.

Each test commits a few events, attacks them as the `postgres` superuser (triggers disabled),
runs the real command, then restores the rows exactly, so the shared chain stays valid.
"""

from __future__ import annotations

import contextlib

import pytest
from django.core.management import call_command

from audit.checkpoints import checkpoint_export
from audit.models import Action
from audit.services import audit_record

COLUMNS = (
    "seq, at, actor_type, actor_id, actor_username, actor_agency_id, actor_agency_code, "
    "actor_role, action, object_type, object_id, child_id, lawful_basis, justification, "
    "details, request_id, client_ip, prev_hash, hash"
)

# details (the 15th column) goes back in as jsonb from its text form.
PLACEHOLDERS = ", ".join(["%s"] * 14 + ["%s::jsonb"] + ["%s"] * 4)


@contextlib.contextmanager
def triggers_off(conn, table: str = "audit_auditevent"):
    names = [
        r[0]
        for r in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
    ]
    conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    try:
        yield
    finally:
        for name in names:
            conn.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")  # FK/system triggers, if any
        for name in names:
            conn.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def snapshot(conn, low: int, high: int) -> list[tuple]:
    return conn.execute(
        f"SELECT {COLUMNS.replace('details', 'details::text')} FROM audit_auditevent "
        "WHERE seq BETWEEN %s AND %s ORDER BY seq",
        [low, high],
    ).fetchall()


def restore(conn, rows: list[tuple], low: int, high: int) -> None:
    with triggers_off(conn), conn.transaction():
        conn.execute("DELETE FROM audit_auditevent WHERE seq BETWEEN %s AND %s", [low, high])
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({PLACEHOLDERS})",
                rows,
            )


def verify(capsys) -> tuple[int, str]:
    try:
        call_command("verify_audit")
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


@pytest.fixture
def chain(super_conn, alice):
    """Six fresh committed events, a checkpoint at the head; restored after the attack."""
    events = [
        audit_record(actor=alice, action=Action.VIEW_CONCERN, object_id=i, child_id=40 + i)
        for i in range(6)
    ]
    checkpoint_export()
    low, high = events[0].seq, events[-1].seq
    rows = snapshot(super_conn, low, high)
    yield [e.seq for e in events]
    restore(super_conn, rows, low, high)
    states = super_conn.execute(
        "SELECT DISTINCT tgenabled FROM pg_trigger WHERE NOT tgisinternal "
        "AND tgrelid IN ('audit_auditevent'::regclass, 'audit_auditcheckpoint'::regclass)"
    ).fetchall()
    assert states == [("A",)], "a tamper test left an audit trigger switched off"


def test_untouched_chain_is_ok(chain, capsys):
    code, out = verify(capsys)
    assert code == 0
    assert out.startswith("OK: ")
    assert f"checkpoints up to seq {chain[-1]}" in out


def test_a_changed_field(chain, super_conn, capsys):
    k = chain[2]
    with triggers_off(super_conn):
        super_conn.execute("UPDATE audit_auditevent SET child_id = 999 WHERE seq = %s", [k])
    code, out = verify(capsys)
    assert code == 1
    assert out.startswith(f"FAIL: first broken seq {k}: event {k}'s stored hash does not match")


def test_a_changed_field_with_its_hash_recomputed(chain, super_conn, capsys):
    k = chain[2]
    with triggers_off(super_conn):
        super_conn.execute("UPDATE audit_auditevent SET child_id = 999 WHERE seq = %s", [k])
        super_conn.execute("UPDATE audit_auditevent t SET hash = audit_hash(t) WHERE seq = %s", [k])
    code, out = verify(capsys)
    assert code == 1
    assert out.startswith(f"FAIL: first broken seq {k + 1}: event {k + 1}'s prev_hash")


def test_a_deleted_row(chain, super_conn, capsys):
    k = chain[2]
    with triggers_off(super_conn):
        super_conn.execute("DELETE FROM audit_auditevent WHERE seq = %s", [k])
    code, out = verify(capsys)
    assert code == 1
    assert out.startswith(f"FAIL: first broken seq {k + 1}: events {k}..{k} are missing")


def test_an_inserted_row(chain, super_conn, capsys):
    """A forged event slipped in at k, later events renumbered, its own hash made valid."""
    k = chain[2]
    with triggers_off(super_conn), super_conn.transaction():
        super_conn.execute("UPDATE audit_auditevent SET seq = -seq WHERE seq >= %s", [k])
        super_conn.execute("UPDATE audit_auditevent SET seq = -seq + 1 WHERE seq < 0")
        super_conn.execute(
            f"INSERT INTO audit_auditevent ({COLUMNS}) SELECT %s, at, actor_type, actor_id, "
            "actor_username, actor_agency_id, actor_agency_code, actor_role, 'share.decision', "
            "object_type, object_id, child_id, lawful_basis, justification, details, request_id, "
            "client_ip, hash, hash FROM audit_auditevent WHERE seq = %s",
            [k, k - 1],
        )
        super_conn.execute("UPDATE audit_auditevent t SET hash = audit_hash(t) WHERE seq = %s", [k])
    try:
        code, out = verify(capsys)
    finally:
        with triggers_off(super_conn), super_conn.transaction():
            super_conn.execute("DELETE FROM audit_auditevent WHERE seq = %s", [k])
            super_conn.execute("UPDATE audit_auditevent SET seq = -seq WHERE seq > %s", [k])
            super_conn.execute("UPDATE audit_auditevent SET seq = -seq - 1 WHERE seq < 0")
    assert code == 1
    assert out.startswith(f"FAIL: first broken seq {k + 1}: ")
    assert "does not match" in out


def test_reordered_rows(chain, super_conn, capsys):
    k = chain[2]
    with triggers_off(super_conn), super_conn.transaction():
        super_conn.execute("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [k])
        super_conn.execute("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [k, k + 1])
        super_conn.execute("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [k + 1])
    code, out = verify(capsys)
    assert code == 1
    assert out.startswith(f"FAIL: first broken seq {k}: ")


def test_a_truncated_tail(chain, super_conn, capsys):
    k = chain[3]
    with triggers_off(super_conn):
        super_conn.execute("DELETE FROM audit_auditevent WHERE seq > %s", [k])
    code, out = verify(capsys)
    assert code == 1
    assert out.startswith(
        f"FAIL: first broken seq {k + 1}: the chain ends at {k} but checkpoint {chain[-1]}"
    )


def test_a_deleted_table_checkpoint_is_caught_by_the_file(chain, super_conn, capsys):
    row = super_conn.execute(
        "SELECT id, seq, head_hash, at FROM audit_auditcheckpoint WHERE seq = %s", [chain[-1]]
    ).fetchone()
    with triggers_off(super_conn, "audit_auditcheckpoint"):
        super_conn.execute("DELETE FROM audit_auditcheckpoint WHERE id = %s", [row[0]])
        code, out = verify(capsys)
        super_conn.execute(
            "INSERT INTO audit_auditcheckpoint (id, seq, head_hash, at) VALUES (%s, %s, %s, %s)",
            row,
        )
    assert code == 1
    assert f"checkpoint {chain[-1]} in the file is missing or different in the table" in out


def test_an_altered_break_glass_review(super_conn, charlie, ig_lead, capsys):
    from audit.services import break_glass_review_record

    event = audit_record(actor=charlie, action=Action.BREAK_GLASS, child_id=5)
    review = break_glass_review_record(actor=ig_lead, event_seq=event.seq, outcome="not_justified")
    with triggers_off(super_conn, "audit_breakglassreview"):
        super_conn.execute(
            "UPDATE audit_breakglassreview SET outcome = 'justified' WHERE id = %s", [review.pk]
        )
    try:
        code, out = verify(capsys)
    finally:
        with triggers_off(super_conn, "audit_breakglassreview"):
            super_conn.execute(
                "UPDATE audit_breakglassreview SET outcome = 'not_justified' WHERE id = %s",
                [review.pk],
            )
    assert code == 1
    assert f"break-glass review {review.pk} of event {event.seq} has no matching" in out
    assert verify(capsys)[0] == 0
