"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 11:54:37.498595
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    # One strictly increasing change sequence for everything tablets pull.
    op.execute("CREATE SEQUENCE change_seq")
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('webhook_url', sa.Text(), nullable=True),
    sa.Column('webhook_secret', sa.Text(), nullable=True),
    sa.Column('open311_key_hash', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_agency_code'))
    )
    op.create_table('questionnaire_version',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('definition', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('roles', postgresql.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_app_user_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('operation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('area', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='planned', nullable=False),
    sa.Column('questionnaire_id', sa.String(length=120), nullable=False),
    sa.Column('routing', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire_version.id'], name=op.f('fk_operation_questionnaire_id_questionnaire_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation')),
    sa.UniqueConstraint('name', name=op.f('uq_operation_name'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_agency_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Text(), nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.ForeignKeyConstraint(['actor_agency_id'], ['agency.id'], name=op.f('fk_audit_log_actor_agency_id_agency')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], name=op.f('fk_audit_log_actor_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_entity', 'audit_log', ['entity_type', 'entity_id'], unique=False)
    op.create_table('operation_coordinator',
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_operation_coordinator_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_operation_coordinator_user_id_app_user')),
    sa.PrimaryKeyConstraint('operation_id', 'user_id', name=op.f('pk_operation_coordinator'))
    )
    op.create_table('street',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('locality', sa.String(length=200), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTILINESTRING', srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_street_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_street')),
    sa.UniqueConstraint('operation_id', 'ref', name='uq_street_operation_ref')
    )
    op.create_index(op.f('ix_street_operation_id'), 'street', ['operation_id'], unique=False)
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_team_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('operation_id', 'name', name='uq_team_operation_name')
    )
    op.create_index(op.f('ix_team_operation_id'), 'team', ['operation_id'], unique=False)
    op.create_table('team_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=False),
    sa.Column('removed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('change_txid', sa.BigInteger(), server_default=sa.text('pg_current_xact_id()::text::bigint'), nullable=False),
    sa.Column('change_seq', sa.BigInteger(), server_default=sa.text("nextval('change_seq')"), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_team_event_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_event'))
    )
    op.create_index('ix_team_event_pull', 'team_event', ['operation_id', 'change_txid', 'change_seq'], unique=False)
    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('house_number', sa.String(length=40), nullable=True),
    sa.Column('postcode', sa.String(length=12), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('side', sa.String(length=5), server_default='none', nullable=False),
    sa.Column('door_order', sa.Integer(), server_default='0', nullable=False),
    sa.Column('source', sa.String(length=20), server_default='building', nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_household_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['street_id'], ['street.id'], name=op.f('fk_household_street_id_street'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household')),
    sa.UniqueConstraint('operation_id', 'ref', name='uq_household_operation_ref')
    )
    op.create_index(op.f('ix_household_operation_id'), 'household', ['operation_id'], unique=False)
    op.create_index(op.f('ix_household_street_id'), 'household', ['street_id'], unique=False)
    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_member_team_id_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_team_member_user_id_app_user')),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_member'))
    )
    op.create_index(op.f('ix_team_member_user_id'), 'team_member', ['user_id'], unique=False)
    op.create_table('team_street',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['street_id'], ['street.id'], name=op.f('fk_team_street_street_id_street'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_street_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'street_id', name=op.f('pk_team_street'))
    )
    op.create_index(op.f('ix_team_street_street_id'), 'team_street', ['street_id'], unique=False)
    op.create_table('fix',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('visit_id', sa.UUID(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('content_hash', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_fix_household_id_household')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_fix_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['street_id'], ['street.id'], name=op.f('fk_fix_street_id_street')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_fix_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_fix_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fix'))
    )
    op.create_index('ix_fix_operation_street', 'fix', ['operation_id', 'street_id'], unique=False)
    op.create_table('followup',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('resident_consent', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('visit_id', sa.UUID(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='open', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('content_hash', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_followup_agency_id_agency')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_followup_household_id_household')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_followup_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['street_id'], ['street.id'], name=op.f('fk_followup_street_id_street')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_followup_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_followup_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup'))
    )
    op.create_index('ix_followup_agency_status', 'followup', ['agency_id', 'status'], unique=False)
    op.create_index('ix_followup_operation_street', 'followup', ['operation_id', 'street_id'], unique=False)
    op.create_table('visit',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=120), nullable=True),
    sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('concerns', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('content_hash', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('change_txid', sa.BigInteger(), server_default=sa.text('pg_current_xact_id()::text::bigint'), nullable=False),
    sa.Column('change_seq', sa.BigInteger(), server_default=sa.text("nextval('change_seq')"), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_visit_household_id_household')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_visit_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_visit_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_visit_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    op.create_index('ix_visit_household', 'visit', ['household_id', 'visited_at'], unique=False)
    op.create_index('ix_visit_operation_household', 'visit', ['operation_id', 'household_id'], unique=False)
    op.create_index('ix_visit_pull', 'visit', ['operation_id', 'change_txid', 'change_seq'], unique=False)
    op.create_table('followup_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('followup_id', sa.UUID(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('change_txid', sa.BigInteger(), server_default=sa.text('pg_current_xact_id()::text::bigint'), nullable=False),
    sa.Column('change_seq', sa.BigInteger(), server_default=sa.text("nextval('change_seq')"), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], name=op.f('fk_followup_event_actor_user_id_app_user')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_followup_event_agency_id_agency')),
    sa.ForeignKeyConstraint(['followup_id'], ['followup.id'], name=op.f('fk_followup_event_followup_id_followup'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_followup_event_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_event'))
    )
    op.create_index('ix_followup_event_followup', 'followup_event', ['followup_id', 'id'], unique=False)
    op.create_index('ix_followup_event_pull', 'followup_event', ['operation_id', 'change_txid', 'change_seq'], unique=False)
    op.create_table('followup_resident',
    sa.Column('followup_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['followup_id'], ['followup.id'], name=op.f('fk_followup_resident_followup_id_followup'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('followup_id', name=op.f('pk_followup_resident'))
    )
    op.create_table('notification',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('followup_id', sa.UUID(), nullable=True),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), server_default='', nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_notification_agency_id_agency')),
    sa.ForeignKeyConstraint(['followup_id'], ['followup.id'], name=op.f('fk_notification_followup_id_followup'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    op.create_index('ix_notification_due', 'notification', ['status', 'next_attempt_at'], unique=False)
    # A published questionnaire version never changes: a new version is a new row.
    op.execute("""
        CREATE FUNCTION questionnaire_version_immutable() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'questionnaire version % is published and cannot change; publish a new version', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END $$ LANGUAGE plpgsql
    """)
    op.execute("""
        CREATE TRIGGER questionnaire_version_immutable BEFORE UPDATE ON questionnaire_version
        FOR EACH ROW EXECUTE FUNCTION questionnaire_version_immutable()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS questionnaire_version_immutable ON questionnaire_version")
    op.execute("DROP FUNCTION IF EXISTS questionnaire_version_immutable()")
    op.drop_index('ix_notification_due', table_name='notification')
    op.drop_table('notification')
    op.drop_table('followup_resident')
    op.drop_index('ix_followup_event_pull', table_name='followup_event')
    op.drop_index('ix_followup_event_followup', table_name='followup_event')
    op.drop_table('followup_event')
    op.drop_index('ix_visit_pull', table_name='visit')
    op.drop_index('ix_visit_operation_household', table_name='visit')
    op.drop_index('ix_visit_household', table_name='visit')
    op.drop_table('visit')
    op.drop_index('ix_followup_operation_street', table_name='followup')
    op.drop_index('ix_followup_agency_status', table_name='followup')
    op.drop_table('followup')
    op.drop_index('ix_fix_operation_street', table_name='fix')
    op.drop_table('fix')
    op.drop_index(op.f('ix_team_street_street_id'), table_name='team_street')
    op.drop_table('team_street')
    op.drop_index(op.f('ix_team_member_user_id'), table_name='team_member')
    op.drop_table('team_member')
    op.drop_index(op.f('ix_household_street_id'), table_name='household')
    op.drop_index(op.f('ix_household_operation_id'), table_name='household')
    op.drop_table('household')
    op.drop_index('ix_team_event_pull', table_name='team_event')
    op.drop_table('team_event')
    op.drop_index(op.f('ix_team_operation_id'), table_name='team')
    op.drop_table('team')
    op.drop_index(op.f('ix_street_operation_id'), table_name='street')
    op.drop_table('street')
    op.drop_table('operation_coordinator')
    op.drop_index('ix_audit_log_entity', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('operation')
    op.drop_table('app_user')
    op.drop_table('questionnaire_version')
    op.drop_table('agency')
    op.execute("DROP SEQUENCE IF EXISTS change_seq")
