"""PostgreSQL, not the application, keeps the audit tables append-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import Action, AuditEvent
from audit.services import audit_record
from tests.audit.conftest import dsn

REFUSED_TO_APP = [
    "UPDATE audit_auditevent SET action = 'x'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update_delete",
    "ALTER TABLE audit_auditevent ADD COLUMN sneaky int",
    "ALTER TABLE audit_auditevent OWNER TO hub_app",
    "DROP TRIGGER audit_auditevent_no_update_delete ON audit_auditevent",
    "DROP TABLE audit_auditevent",
    "CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN OLD; END $$",
    "INSERT INTO audit_auditcheckpoint (seq, head_hash, at) VALUES (1, '\\x00', now())",
    "UPDATE audit_auditcheckpoint SET seq = 1",
    "DELETE FROM audit_auditcheckpoint",
    "TRUNCATE audit_auditcheckpoint",
    "UPDATE audit_breakglassreview SET outcome = 'justified'",
    "DELETE FROM audit_breakglassreview",
    "DROP TABLE audit_breakglassreview",
]


@pytest.mark.parametrize("sql", REFUSED_TO_APP)
def test_application_role_is_refused(app_conn, sql):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(sql)


def test_application_role_has_no_way_round(app_conn):
    row = app_conn.execute(
        """SELECT rolsuper, rolbypassrls, pg_has_role('hub_app', 'hub_audit', 'MEMBER'),
                  has_table_privilege('hub_app', 'audit_auditevent', 'INSERT'),
                  has_table_privilege('hub_app', 'audit_auditevent', 'SELECT'),
                  (SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent')
           FROM pg_roles WHERE rolname = current_user"""
    ).fetchone()
    assert row == (False, False, False, True, True, "hub_audit")


def test_triggers_are_enabled_always(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT tgname, tgenabled FROM pg_trigger
               WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"""
        )
        triggers = dict(cursor.fetchall())
    assert triggers == {
        "audit_auditevent_chain": "A",
        "audit_auditevent_no_update_delete": "A",
        "audit_auditevent_no_truncate": "A",
    }


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET object_id = 'changed' WHERE seq = %s",
        "DELETE FROM audit_auditevent WHERE seq = %s",
        "TRUNCATE audit_auditevent",
    ],
)
def test_triggers_refuse_even_the_owner(alice, sql):
    """The migration role is a member of the owning role; the triggers still refuse it."""
    event = audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.seq] if "%s" in sql else None)
    assert AuditEvent.objects.get(seq=event.seq).object_id == ""


def test_replica_mode_does_not_switch_triggers_off(super_conn):
    event = audit_record(actor=None, action=Action.SEARCH)
    with super_conn.transaction(force_rollback=True):
        super_conn.execute("SET LOCAL session_replication_role = replica")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            super_conn.execute("DELETE FROM audit_auditevent WHERE seq = %s", [event.seq])
    assert AuditEvent.objects.filter(seq=event.seq).exists()


SCRIPT = """
import json, django
django.setup()
from django.db import connection, transaction
from audit.models import Action, AuditEvent
from audit.services import audit_record, checkpoint_write, break_glass_review_record
out = {}
with connection.cursor() as c:
    c.execute("SELECT current_user")
    out["user"] = c.fetchone()[0]
event = audit_record(actor=None, action=Action.BREAK_GLASS, child_id=7, justification="test")
out["seq"] = event.seq
out["stored"] = AuditEvent.objects.filter(seq=event.seq).exists()
class Reviewer:
    pk = 1
    username = "irene"
out["review"] = break_glass_review_record(actor=Reviewer(), event_seq=event.seq,
                                          outcome="justified").pk is not None
out["checkpoint"] = checkpoint_write()[0]
try:
    with transaction.atomic():
        AuditEvent.objects.filter(seq=event.seq).update(object_id="x")
    out["update"] = "allowed"
except Exception as exc:
    out["update"] = type(exc).__name__
print(json.dumps(out))
"""


def test_the_application_role_writes_through_audit_record(transactional_db, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": dsn("hub_app"),
        "SECRET_KEY": "test-only-secret-key-not-for-any-real-use",
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "cp.jsonl"),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["user"] == "hub_app"
    assert out["stored"] and out["review"]
    assert out["checkpoint"] >= out["seq"]
    assert out["update"] == "ProgrammingError"  # permission denied
