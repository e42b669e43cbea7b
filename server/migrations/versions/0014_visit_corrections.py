"""visit corrections: a sent visit put right by a new record that supersedes it

A tablet corrects a visit it (or its partner's tablet) already sent by sending a new visit with
``supersedes`` = the earlier visit's id (shared_schemas/records.py). The server keeps both, counts
the latest, and coordinators see the history:

- visit.supersedes: the id the correction names (checked at push: a visit of the same door,
  operation and pair, not corrected already); a unique partial index allows one correction per
  visit, so two tablets correcting the same visit at once store one correction and the push
  refuses the other with a reason (ingest inserts visits with ON CONFLICT DO NOTHING);
- visit.superseded_by: set by the push on the earlier visit when its correction is stored;
- household_result (migration 0003) counts only visits not superseded (attempts, closing outcome,
  concerns, last visit), and counts the superseded ones apart in ``corrected``, so the results
  version (which sums the summary) moves when a visit is corrected. Marking the earlier visit is
  an UPDATE, whose statement trigger recounts the door from its visits.

Revision ID: 0014_visit_corrections
Revises: 0022_record_photos (0014 was reserved for it; it landed after 0022)
"""

from alembic import op

revision = "0014_visit_corrections"
down_revision = "0022_record_photos"
branch_labels = None
depends_on = None

# Migration 0003's per-door aggregate, over the visits that count, with the corrected ones apart.
_AGGREGATE = """
    WITH per AS (
        SELECT household_id, min(operation_id) AS operation_id,
               count(*) FILTER (WHERE superseded_by IS NULL) AS attempts,
               coalesce(max(doorstep_closing_rank(outcome)) FILTER (WHERE superseded_by IS NULL), 0) AS closing_rank,
               max(visited_at) FILTER (WHERE superseded_by IS NULL) AS last_visited_at,
               count(*) FILTER (WHERE superseded_by IS NOT NULL) AS corrected
        FROM {source} GROUP BY household_id
    ), raised AS (
        SELECT household_id, array_agg(DISTINCT code ORDER BY code) AS concerns,
               bit_or(1::bigint << doorstep_concern_bit(code)) AS concern_mask
        FROM {source} CROSS JOIN LATERAL unnest(concerns) AS code
        WHERE cardinality(concerns) > 0 AND superseded_by IS NULL
        GROUP BY household_id
    )
    SELECT per.household_id, per.operation_id, per.attempts, per.closing_rank,
           coalesce(raised.concerns, '{{}}'::text[]), coalesce(raised.concern_mask, 0), per.last_visited_at,
           per.corrected
    FROM per LEFT JOIN raised USING (household_id)
    ORDER BY per.household_id
"""
_COLUMNS = "household_id, operation_id, attempts, closing_rank, concerns, concern_mask, last_visited_at, corrected"


def upgrade() -> None:
    op.execute("ALTER TABLE visit ADD COLUMN supersedes uuid, ADD COLUMN superseded_by uuid")
    op.execute("CREATE UNIQUE INDEX uq_visit_supersedes ON visit (supersedes) WHERE supersedes IS NOT NULL")
    op.execute("ALTER TABLE household_result ADD COLUMN corrected integer NOT NULL DEFAULT 0")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION household_result_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO household_result AS r ({_COLUMNS})
            {_AGGREGATE.format(source="added")}
            ON CONFLICT (household_id) DO UPDATE SET
                attempts = r.attempts + EXCLUDED.attempts,
                closing_rank = greatest(r.closing_rank, EXCLUDED.closing_rank),
                concerns = CASE WHEN cardinality(EXCLUDED.concerns) = 0 THEN r.concerns
                                ELSE ARRAY(SELECT DISTINCT c FROM unnest(r.concerns || EXCLUDED.concerns) AS c
                                           ORDER BY c) END,
                concern_mask = r.concern_mask | EXCLUDED.concern_mask,
                last_visited_at = greatest(r.last_visited_at, EXCLUDED.last_visited_at),
                corrected = r.corrected + EXCLUDED.corrected;
            RETURN NULL;
        END $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION household_result_recount() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            touched integer[];
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                touched := ARRAY(SELECT household_id FROM removed UNION SELECT household_id FROM added);
            ELSE
                touched := ARRAY(SELECT DISTINCT household_id FROM removed);
            END IF;
            DELETE FROM household_result WHERE household_id = ANY(touched);
            INSERT INTO household_result ({_COLUMNS})
            {_AGGREGATE.format(source="(SELECT v.* FROM visit v WHERE v.household_id = ANY(touched)) AS touched_visits")};
            RETURN NULL;
        END $$""")


def downgrade() -> None:
    # Back to migration 0003's functions: every visit counts again.
    from importlib import util
    from pathlib import Path

    spec = util.spec_from_file_location("results_0003", Path(__file__).with_name("0003_results.py"))
    results = util.module_from_spec(spec)
    spec.loader.exec_module(results)
    aggregate = results._AGGREGATE
    op.execute(f"""
        CREATE OR REPLACE FUNCTION household_result_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO household_result AS r
                (household_id, operation_id, attempts, closing_rank, concerns, concern_mask, last_visited_at)
            {aggregate.format(source="added")}
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
        CREATE OR REPLACE FUNCTION household_result_recount() RETURNS trigger LANGUAGE plpgsql AS $$
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
            {aggregate.format(source="(SELECT v.* FROM visit v WHERE v.household_id = ANY(touched)) AS touched_visits")};
            RETURN NULL;
        END $$""")
    op.execute("ALTER TABLE household_result DROP COLUMN corrected")
    op.execute("DROP INDEX uq_visit_supersedes")
    op.execute("ALTER TABLE visit DROP COLUMN superseded_by, DROP COLUMN supersedes")
