"""Append-only audit tables owned by hub_audit, with the hash chain computed by PostgreSQL.

* `audit_canonical(event)` — the one definition of an event's canonical text (docs/audit.md);
  used by the insert trigger and by `verify_audit`, so both hash exactly the same bytes.
* `audit_event_chain()` — BEFORE INSERT: takes the chain's advisory lock, then assigns seq,
  at, prev_hash and hash = sha256(prev_hash || canonical text).
* `audit_reject_change()` — BEFORE UPDATE/DELETE (row) and TRUNCATE (statement), ENABLE ALWAYS.
* `audit_checkpoint_write()` — SECURITY DEFINER: the only way a checkpoint row is written.
* Ownership moves to the NOLOGIN role hub_audit; hub_app keeps SELECT and INSERT only.

The tables become `managed = False` afterwards, so Django's test flush (TRUNCATE) never
touches them. Where a role is missing (a laptop without `make db-roles`) the ownership and
grant steps are skipped with a NOTICE; the triggers are installed everywhere.

Events written before this migration are re-chained once under the new canonical form.
"""

from django.db import migrations, models

HASH_COLUMNS_TO_BYTEA = r"""
DO $$
DECLARE idx record;
BEGIN
  ALTER TABLE audit_auditevent DROP CONSTRAINT IF EXISTS audit_auditevent_hash_key;
  FOR idx IN SELECT indexname FROM pg_indexes
             WHERE tablename = 'audit_auditevent' AND indexname LIKE 'audit_auditevent_hash%'
  LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I', idx.indexname);
  END LOOP;
END
$$;
ALTER TABLE audit_auditevent
  ALTER COLUMN prev_hash TYPE bytea USING decode(prev_hash, 'hex'),
  ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex');
"""

FUNCTIONS = r"""
-- The canonical text of an event: fields in a fixed order, joined by the unit separator
-- (chr(31)), NULL as the empty string (only numeric/inet columns are nullable, so '' is
-- unambiguous), the time as Unix epoch seconds with six decimals (exact to the microsecond,
-- independent of the session's TimeZone and DateStyle; far cheaper than to_char), details as jsonb's own
-- normalised text (which escapes control characters). The trigger refuses text fields that
-- contain chr(31), and verify_audit flags any that do, so the split is unique.
CREATE OR REPLACE FUNCTION audit_canonical(e audit_auditevent) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $f$
  SELECT concat_ws(chr(31), 'v1', e.seq,
    extract(epoch FROM e.at),
    e.actor_type, coalesce(e.actor_id::text, ''), e.actor_username,
    coalesce(e.actor_agency_id::text, ''), e.actor_agency_code, e.actor_role, e.action,
    e.object_type, e.object_id, coalesce(e.child_id::text, ''), e.lawful_basis,
    e.justification, e.details::text, e.request_id, coalesce(e.client_ip::text, ''))
$f$;

-- The text fields an attacker could smuggle a separator into.
CREATE OR REPLACE FUNCTION audit_text_fields(e audit_auditevent) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT e.actor_type || e.actor_username || e.actor_agency_code || e.actor_role || e.action
    || e.object_type || e.object_id || e.lawful_basis || e.justification || e.request_id
$f$;

CREATE OR REPLACE FUNCTION audit_hash(e audit_auditevent) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $f$
  SELECT sha256(e.prev_hash || convert_to(audit_canonical(e), 'UTF8'))
$f$;

CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $f$
DECLARE
  last_seq bigint;
  last_hash bytea;
  last_at timestamptz;
BEGIN
  IF strpos(public.audit_text_fields(NEW), chr(31)) > 0 THEN
    RAISE EXCEPTION 'audit event text may not contain the unit separator (chr(31))';
  END IF;
  -- One appender at a time, until its transaction ends: no fork, no reused seq.
  PERFORM pg_advisory_xact_lock(418581342580);
  SELECT e.seq, e.hash, e.at INTO last_seq, last_hash, last_at
    FROM public.audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.prev_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
  -- Never earlier than the event before (a clock stepping back cannot reorder time), so a
  -- date range maps exactly onto a seq range.
  NEW.at := greatest(clock_timestamp(), last_at);
  NEW.hash := public.audit_hash(NEW);
  RETURN NEW;
END
$f$;

CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $f$
BEGIN
  RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$f$;

CREATE OR REPLACE FUNCTION audit_checkpoint_write()
RETURNS TABLE (cp_seq bigint, cp_hash bytea, cp_at timestamptz, cp_created boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $f$
DECLARE
  h_seq bigint;
  h_hash bytea;
  made boolean := false;
BEGIN
  SELECT e.seq, e.hash INTO h_seq, h_hash
    FROM public.audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
  IF h_seq IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM public.audit_auditcheckpoint c WHERE c.seq >= h_seq) THEN
    INSERT INTO public.audit_auditcheckpoint (seq, head_hash, at)
      VALUES (h_seq, h_hash, clock_timestamp()) ON CONFLICT (seq) DO NOTHING;
    made := FOUND;
  END IF;
  RETURN QUERY SELECT c.seq, c.head_hash, c.at, made
    FROM public.audit_auditcheckpoint c ORDER BY c.seq DESC LIMIT 1;
END
$f$;
"""

RECHAIN = r"""
DO $$
DECLARE
  r record;
  prev bytea := decode(repeat('00', 32), 'hex');
BEGIN
  FOR r IN SELECT seq FROM audit_auditevent ORDER BY seq LOOP
    UPDATE audit_auditevent t SET prev_hash = prev WHERE t.seq = r.seq;
    UPDATE audit_auditevent t SET hash = audit_hash(t) WHERE t.seq = r.seq
      RETURNING t.hash INTO prev;
  END LOOP;
END
$$;
"""

TABLES = ("audit_auditevent", "audit_auditcheckpoint", "audit_breakglassreview")

TRIGGERS = r"""
CREATE TRIGGER audit_auditevent_chain BEFORE INSERT ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_event_chain();
ALTER TABLE audit_auditevent ENABLE ALWAYS TRIGGER audit_auditevent_chain;
""" + "".join(
    f"""
CREATE TRIGGER {t}_no_update_delete BEFORE UPDATE OR DELETE ON {t}
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_no_update_delete;
ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_no_truncate;
"""
    for t in TABLES
)

INDEXES = r"""
CREATE INDEX IF NOT EXISTS audit_event_agency_seq ON audit_auditevent (actor_agency_id, seq);
CREATE INDEX IF NOT EXISTS audit_event_basis_seq ON audit_auditevent (lawful_basis, seq)
  WHERE lawful_basis <> '';
CREATE INDEX IF NOT EXISTS audit_review_event ON audit_breakglassreview (event_seq, id);
"""

ROLES = r"""
DO $$
DECLARE
  can_hand_over boolean;
BEGIN
  REVOKE ALL ON audit_auditevent, audit_auditcheckpoint, audit_breakglassreview FROM PUBLIC;
  REVOKE ALL ON FUNCTION audit_checkpoint_write() FROM PUBLIC;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_audit') THEN
    SELECT rolsuper OR pg_has_role(current_user, 'hub_audit', 'MEMBER') INTO can_hand_over
      FROM pg_roles WHERE rolname = current_user;
    IF can_hand_over THEN
      -- A new owner needs CREATE on the schema (PostgreSQL 15's public schema has none).
      GRANT CREATE ON SCHEMA public TO hub_audit;
      ALTER TABLE audit_auditevent OWNER TO hub_audit;
      ALTER TABLE audit_auditcheckpoint OWNER TO hub_audit;
      ALTER TABLE audit_breakglassreview OWNER TO hub_audit;
      ALTER FUNCTION audit_canonical(audit_auditevent) OWNER TO hub_audit;
      ALTER FUNCTION audit_text_fields(audit_auditevent) OWNER TO hub_audit;
      ALTER FUNCTION audit_hash(audit_auditevent) OWNER TO hub_audit;
      ALTER FUNCTION audit_event_chain() OWNER TO hub_audit;
      ALTER FUNCTION audit_reject_change() OWNER TO hub_audit;
      ALTER FUNCTION audit_checkpoint_write() OWNER TO hub_audit;
    ELSE
      RAISE NOTICE 'audit: % is not a member of hub_audit; audit tables keep their owner',
        current_user;
    END IF;
  ELSE
    RAISE NOTICE 'audit: role hub_audit is missing; audit tables keep their owner';
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_app') THEN
    REVOKE ALL ON audit_auditevent, audit_auditcheckpoint, audit_breakglassreview FROM hub_app;
    EXECUTE format('REVOKE ALL ON SEQUENCE %s, %s FROM hub_app',
      pg_get_serial_sequence('audit_auditcheckpoint', 'id'),
      pg_get_serial_sequence('audit_breakglassreview', 'id'));
    GRANT SELECT, INSERT ON audit_auditevent, audit_breakglassreview TO hub_app;
    GRANT SELECT ON audit_auditcheckpoint TO hub_app;
    GRANT EXECUTE ON FUNCTION audit_checkpoint_write() TO hub_app;
  ELSE
    RAISE NOTICE 'audit: role hub_app is missing; no grants made';
  END IF;
END
$$;
"""


def _unmanaged(name: str, ordering: list[str]) -> migrations.AlterModelOptions:
    return migrations.AlterModelOptions(name=name, options={"managed": False, "ordering": ordering})


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_triage_actions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(HASH_COLUMNS_TO_BYTEA)],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent", name="prev_hash", field=models.BinaryField()
                ),
                migrations.AlterField(
                    model_name="auditevent", name="hash", field=models.BinaryField()
                ),
            ],
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(unique=True)),
                ("head_hash", models.BinaryField()),
                ("at", models.DateTimeField()),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.CreateModel(
            name="BreakGlassReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event_seq", models.BigIntegerField()),
                ("at", models.DateTimeField()),
                ("reviewer_id", models.BigIntegerField(null=True)),
                ("reviewer_username", models.CharField(max_length=150)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("justified", "Justified"),
                            ("not_justified", "Not justified: referred on"),
                        ],
                        max_length=16,
                    ),
                ),
                ("note", models.TextField(blank=True, max_length=2000)),
            ],
            options={"ordering": ["event_seq", "id"]},
        ),
        migrations.CreateModel(
            name="AccessReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("period_start", models.DateTimeField()),
                ("period_end", models.DateTimeField()),
                ("created_at", models.DateTimeField()),
                ("first_seq", models.BigIntegerField(null=True)),
                ("last_seq", models.BigIntegerField(null=True)),
                ("accesses", models.PositiveIntegerField(default=0)),
                ("accesses_explained", models.PositiveIntegerField(default=0)),
                ("pairs", models.PositiveIntegerField(default=0)),
                ("pairs_explained", models.PositiveIntegerField(default=0)),
            ],
            options={
                "ordering": ["-period_start"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("period_start",), name="one_access_report_per_period"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AccessFinding",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("unexplained", "Access not explained by a relationship"),
                            ("out_of_hours", "Out-of-hours access"),
                            ("many_children", "Unusually many children viewed"),
                            ("break_glass", "Break-glass use"),
                        ],
                        max_length=16,
                    ),
                ),
                ("actor_id", models.BigIntegerField(null=True)),
                ("actor_username", models.CharField(blank=True, max_length=150)),
                ("actor_agency_code", models.CharField(blank=True, max_length=32)),
                ("child_id", models.BigIntegerField(null=True)),
                ("event_seq", models.BigIntegerField(null=True)),
                ("at", models.DateTimeField(null=True)),
                ("count", models.PositiveIntegerField(default=1)),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE,
                        related_name="findings",
                        to="audit.accessreport",
                    ),
                ),
            ],
            options={
                "ordering": ["kind", "event_seq"],
                "indexes": [
                    models.Index(fields=["report", "kind"], name="audit_acces_report__89fbd6_idx")
                ],
            },
        ),
        migrations.RunSQL(FUNCTIONS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(RECHAIN, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(TRIGGERS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(INDEXES, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(ROLES, reverse_sql=migrations.RunSQL.noop),
        _unmanaged("auditevent", ["seq"]),
        _unmanaged("auditcheckpoint", ["seq"]),
        _unmanaged("breakglassreview", ["event_seq", "id"]),
    ]
