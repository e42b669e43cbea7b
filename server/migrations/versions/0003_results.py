"""results: one summary row per knocked household, kept by triggers on visit

Street results read 20,000 household rows instead of aggregating 200,000 visits on every request
(and every dashboard refresh). The summary is kept in the same transaction as the visits, by
statement-level triggers with transition tables: one set-based upsert per INSERT statement however
many visits it stores (the sync's insert-or-skip stores a whole push in one statement), and a
recount of the touched households after an UPDATE or DELETE (visits are append-only; this keeps the
summary right even if someone edits them by hand). Rows are upserted in household order, so two
concurrent pushes lock summary rows in the same order and cannot deadlock.

- attempts: visits at the door;
- closing_rank: the strongest closing outcome so far (0 none, 1 vacant, 2 do_not_visit, 3 refused,
  4 answered; see shared_schemas/doors.py STATUS_PRECEDENCE);
- concerns: the distinct concern categories of the door's visits, and concern_mask, the same as bits
  (bit i = the i-th code of shared_schemas.codes.Concern; bit 62 = a code this migration does not know,
  for which the results fall back to counting the `concerns` arrays);
- last_visited_at.

Revision ID: 0003_results
Revises: 0001
"""

from alembic import op

# Bit i of concern_mask is the i-th code of shared_schemas.codes.Concern as it stood when this
# migration was written. Codes only grow: a later migration that adds codes re-creates
# doorstep_concern_bit with them appended (tests/results/test_summary.py checks the two agree).
CONCERN_BITS = ("anti_social_behaviour", "drugs", "fly_tipping", "graffiti", "street_lighting",
                "abandoned_vehicle", "housing_disrepair", "home_fire_safety_visit", "safeguarding", "speeding",
                "feeling_unsafe", "no_smoke_alarm")
OTHER_BIT = 62

revision = "0003_results"
down_revision = "0001"
branch_labels = None
depends_on = None

_AGGREGATE = """
    WITH per AS (
        SELECT household_id, min(operation_id) AS operation_id, count(*) AS attempts,
               max(doorstep_closing_rank(outcome)) AS closing_rank, max(visited_at) AS last_visited_at
        FROM {source} GROUP BY household_id
    ), raised AS (
        SELECT household_id, array_agg(DISTINCT code ORDER BY code) AS concerns,
               bit_or(1::bigint << doorstep_concern_bit(code)) AS concern_mask
        FROM {source} CROSS JOIN LATERAL unnest(concerns) AS code
        WHERE cardinality(concerns) > 0
        GROUP BY household_id
    )
    SELECT per.household_id, per.operation_id, per.attempts, per.closing_rank,
           coalesce(raised.concerns, '{{}}'::text[]), coalesce(raised.concern_mask, 0), per.last_visited_at
    FROM per LEFT JOIN raised USING (household_id)
    ORDER BY per.household_id
"""


def upgrade() -> None:
    op.execute("""
        CREATE TABLE household_result (
            household_id integer PRIMARY KEY REFERENCES household (id) ON DELETE CASCADE,
            operation_id integer NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
            attempts integer NOT NULL,
            closing_rank smallint NOT NULL,
            concerns text[] NOT NULL DEFAULT '{}',
            concern_mask bigint NOT NULL DEFAULT 0,
            last_visited_at timestamptz
        )""")
    op.execute("CREATE INDEX ix_household_result_operation ON household_result (operation_id)")
    op.execute("""
        CREATE FUNCTION doorstep_closing_rank(outcome text) RETURNS smallint
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT (CASE outcome WHEN 'answered' THEN 4 WHEN 'refused' THEN 3
                                 WHEN 'do_not_visit' THEN 2 WHEN 'vacant' THEN 1 ELSE 0 END)::smallint
        $$""")
    cases = " ".join(f"WHEN '{code}' THEN {bit}" for bit, code in enumerate(CONCERN_BITS))
    op.execute(f"""
        CREATE FUNCTION doorstep_concern_bit(code text) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE code {cases} ELSE {OTHER_BIT} END
        $$""")
    op.execute(f"""
        CREATE FUNCTION household_result_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO household_result AS r
                (household_id, operation_id, attempts, closing_rank, concerns, concern_mask, last_visited_at)
            {_AGGREGATE.format(source="added")}
            ON CONFLICT (household_id) DO UPDATE SET
                attempts = r.attempts + EXCLUDED.attempts,
                closing_rank = greatest(r.closing_rank, EXCLUDED.closing_rank),
                concerns = CASE WHEN cardinality(EXCLUDED.concerns) = 0 THEN r.concerns
                                ELSE ARRAY(SELECT DISTINCT c FROM unnest(r.concerns || EXCLUDED.concerns) AS c
                                           ORDER BY c) END,
                concern_mask = r.concern_mask | EXCLUDED.concern_mask,
                last_visited_at = greatest(r.last_visited_at, EXCLUDED.last_visited_at);
            RETURN NULL;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION household_result_recount() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            touched integer[];
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                touched := ARRAY(SELECT household_id FROM removed UNION SELECT household_id FROM added);
            ELSE
                touched := ARRAY(SELECT DISTINCT household_id FROM removed);
            END IF;
            DELETE FROM household_result WHERE household_id = ANY(touched);
            INSERT INTO household_result (household_id, operation_id, attempts, closing_rank, concerns,
                                          concern_mask, last_visited_at)
            {_AGGREGATE.format(source="(SELECT v.* FROM visit v WHERE v.household_id = ANY(touched)) AS touched_visits")};
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER household_result_insert AFTER INSERT ON visit
                  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION household_result_add()""")
    op.execute("""CREATE TRIGGER household_result_update AFTER UPDATE ON visit
                  REFERENCING OLD TABLE AS removed NEW TABLE AS added
                  FOR EACH STATEMENT EXECUTE FUNCTION household_result_recount()""")
    op.execute("""CREATE TRIGGER household_result_delete AFTER DELETE ON visit
                  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION household_result_recount()""")
    op.execute("""
        CREATE FUNCTION household_result_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM household_result;
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER household_result_truncate AFTER TRUNCATE ON visit
                  FOR EACH STATEMENT EXECUTE FUNCTION household_result_truncate()""")
    # The visits stored before this migration.
    op.execute(f"""
        INSERT INTO household_result (household_id, operation_id, attempts, closing_rank, concerns, concern_mask, last_visited_at)
        {_AGGREGATE.format(source="visit")}""")


def downgrade() -> None:
    op.execute("DROP TRIGGER household_result_truncate ON visit")
    op.execute("DROP TRIGGER household_result_delete ON visit")
    op.execute("DROP TRIGGER household_result_update ON visit")
    op.execute("DROP TRIGGER household_result_insert ON visit")
    op.execute("DROP FUNCTION household_result_truncate()")
    op.execute("DROP FUNCTION household_result_recount()")
    op.execute("DROP FUNCTION household_result_add()")
    op.execute("DROP FUNCTION doorstep_concern_bit(text)")
    op.execute("DROP FUNCTION doorstep_closing_rank(text)")
    op.execute("DROP TABLE household_result")
