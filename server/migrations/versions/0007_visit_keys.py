"""visit keys: a visit's household and team must be its operation's; users are deactivated, not deleted

A visit had four foreign keys (operation, household, team, user). PostgreSQL checks each one
with a lookup and a row lock per inserted row, and that was a third of the database's work
for a push (bench/sync_ingest.py). Two composite keys now say more with fewer checks:

- (household_id, operation_id) -> household (id, operation_id): the household exists and is in
  the visit's operation, which also proves the operation exists (household.operation_id is a
  foreign key itself). ON DELETE CASCADE keeps what deleting an operation did before: its
  households and their visits go with it. No code path deletes a household on its own.
- (team_id, operation_id) -> team (id, operation_id): the team exists and is the operation's.
  Checked at commit (DEFERRABLE INITIALLY DEFERRED): deleting an operation deletes its teams
  before its households' visits, and a check at the end of that step would refuse it; at commit
  the visits are gone. Deleting a team that has visits is still refused.

The server already refused a household or team of another operation
(server/domain/sync/ingest.py); now the database refuses it too, for any writer.

The user key goes. visit.user_id is the server's stamp of who pushed the visit, written from
the signed-in user in the same transaction; its per-row check looked up and locked the same
app_user row again for every visit of a push, 6-10 us of the database's 40 per visit
(bench/README.md). What it protected is kept another way: users are
never deleted (a trigger refuses it; set active = false instead), so a stamp always names a user.
Fixes and follow-ups, a few per hundred visits, keep their user keys.

The index ix_visit_operation_household goes: every query that looks visits up by operation uses
ix_visit_pull (operation_id first), and by household ix_visit_household (household_id first,
which also serves the cascade from household); it was one more index to write per visit.

Revision ID: 0007_visit_keys
Revises: 0006_notification_lease
"""

from alembic import op

revision = "0007_visit_keys"
down_revision = "0006_notification_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_unique_constraint("uq_household_id_operation", "household", ["id", "operation_id"])
    op.create_unique_constraint("uq_team_id_operation", "team", ["id", "operation_id"])
    op.drop_constraint("fk_visit_operation_id_operation", "visit", type_="foreignkey")
    op.drop_constraint("fk_visit_household_id_household", "visit", type_="foreignkey")
    op.drop_constraint("fk_visit_team_id_team", "visit", type_="foreignkey")
    op.create_foreign_key("fk_visit_household_id_household", "visit", "household",
                          ["household_id", "operation_id"], ["id", "operation_id"], ondelete="CASCADE")
    op.create_foreign_key("fk_visit_team_id_team", "visit", "team", ["team_id", "operation_id"], ["id", "operation_id"],
                          deferrable=True, initially="DEFERRED")
    op.drop_index("ix_visit_operation_household", table_name="visit")
    op.drop_constraint("fk_visit_user_id_app_user", "visit", type_="foreignkey")
    op.execute("""
        CREATE FUNCTION app_user_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'user % is not deleted: records name who made them. Deactivate the account instead '
                            '(UPDATE app_user SET active = false WHERE id = %)', OLD.id, OLD.id
                USING ERRCODE = 'restrict_violation';
        END $$""")
    op.execute("""CREATE TRIGGER app_user_never_deleted BEFORE DELETE ON app_user
                  FOR EACH ROW EXECUTE FUNCTION app_user_never_deleted()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER app_user_never_deleted ON app_user")
    op.execute("DROP FUNCTION app_user_never_deleted()")
    op.create_foreign_key("fk_visit_user_id_app_user", "visit", "app_user", ["user_id"], ["id"])
    op.create_index("ix_visit_operation_household", "visit", ["operation_id", "household_id"])
    op.drop_constraint("fk_visit_team_id_team", "visit", type_="foreignkey")
    op.drop_constraint("fk_visit_household_id_household", "visit", type_="foreignkey")
    op.create_foreign_key("fk_visit_team_id_team", "visit", "team", ["team_id"], ["id"])
    op.create_foreign_key("fk_visit_household_id_household", "visit", "household", ["household_id"], ["id"])
    op.create_foreign_key("fk_visit_operation_id_operation", "visit", "operation", ["operation_id"], ["id"],
                          ondelete="CASCADE")
    op.drop_constraint("uq_team_id_operation", "team", type_="unique")
    op.drop_constraint("uq_household_id_operation", "household", type_="unique")
