"""The data model. Tables are created only by Alembic migrations (server/migrations).

Geometry is stored in EPSG:4326; distances and lengths are computed in EPSG:27700
(British National Grid) with ST_Transform.

Rows that tablets pull (visits, follow-up events, team events) carry two change columns:
`change_txid` (the writing transaction's id, xid8) and `change_seq` (from one sequence).
A pull returns rows whose transaction has finished (txid below the snapshot's xmin), in
(txid, seq) order, so a row committed late by a slow transaction is never skipped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


# ---------------------------------------------------------------- people and agencies
class Agency(Base):
    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # police, council, fire, housing, environmental_health…
    email: Mapped[str | None] = mapped_column(String(320))  # where follow-up notifications go
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(Text)
    open311_key_hash: Mapped[str | None] = mapped_column(Text)  # sha256 of the agency's Open311 API key
    created_at: Mapped[dt.datetime] = _now()


class RoutingDefault(Base):
    """The follow-up routing a new operation starts with (category → agency), kept by admins (0015)."""

    __tablename__ = "routing_default"
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    updated_at: Mapped[dt.datetime] = _now()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class User(Base):
    """A person who signs in. Never deleted (a trigger refuses it, migration 0007): deactivate."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = _now()

    agency: Mapped[Agency] = relationship(lazy="joined")


class SignInThrottle(Base):
    """Failed sign-ins per key (migration 0012; server/domain/auth/throttle.py): the username from
    one client, the client, the username from anywhere. Shared by every server process."""

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class UserSession(Base):
    """One sign-in (migration 0008): the token names it, every request checks it (server/lib/auth.py).

    ``kind`` is ``web`` (the pages and API clients; ends at ``expires_at``) or ``device`` (a tablet,
    one live session per user and device; ``expires_at`` moves forward while the tablet keeps
    using it). Never deleted: ``ended_at``/``ended_reason`` say when and why it ended.
    """

    __tablename__ = "user_session"
    __table_args__ = (
        CheckConstraint("kind IN ('web', 'device')", name="kind"),
        CheckConstraint("kind = 'web' OR device_id IS NOT NULL", name="device_has_id"),
        CheckConstraint("(ended_at IS NULL) = (ended_reason IS NULL)", name="ended_with_reason"),
        Index("ix_user_session_live_user", "user_id", postgresql_where=text("ended_at IS NULL")),
        Index("uq_user_session_live_device", "user_id", "device_id", unique=True,
              postgresql_where=text("ended_at IS NULL AND kind = 'device'")),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(10))
    device_id: Mapped[str | None] = mapped_column(String(200))
    device_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _now()
    last_seen_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    ended_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))



class DeviceOrder(Base):
    """A tablet marked lost or retired (migration 0020): it erases itself at its next contact and
    reports it (``done_at``). ``kind`` lost ends its sessions at once; retired lets it send first."""

    __tablename__ = "device_order"
    __table_args__ = (
        CheckConstraint("kind IN ('lost', 'retired')", name="kind"),
        Index("uq_device_order_open_device", "device_id", unique=True, postgresql_where=text("done_at IS NULL")),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(200))
    device_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_session.id"))
    ordered_at: Mapped[dt.datetime] = _now()
    ordered_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Photo(Base):
    """A photo that has arrived (migration 0021), named by the SHA-256 of the tablet's bytes; the
    cleaned image itself is in the photo store (server/domain/photos/storage.py)."""

    __tablename__ = "photo"
    __table_args__ = (CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = _now()
    uploaded_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class RecordPhoto(Base):
    """A photo a fix or follow-up refers to (migration 0022), by hash: the photo may arrive later."""

    __tablename__ = "record_photo"
    __table_args__ = (
        CheckConstraint("record_type IN ('fix', 'followup')", name="record_type"),
        CheckConstraint("stage IS NULL OR stage IN ('before', 'after')", name="stage"),
        Index("ix_record_photo_sha256", "sha256"),
    )
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[str | None] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(SmallInteger)

class PhotoRemoval(Base):
    """A photo retention took out of the database whose stored object is still to be deleted (0023)."""

    __tablename__ = "photo_removal"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    queued_at: Mapped[dt.datetime] = _now()


class ScheduledJob(Base):
    """A daily job (migration 0023): the local day it last ran for, and the lease of the process running it."""

    __tablename__ = "scheduled_job"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    done_for: Mapped[dt.date | None] = mapped_column(Date)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- questionnaires and operations
class QuestionnaireVersion(Base):
    """One published version of a questionnaire; immutable once published (a trigger refuses updates)."""

    __tablename__ = "questionnaire_version"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # e.g. streetsafe-community-v1
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSONB)
    published_at: Mapped[dt.datetime] = _now()


class Operation(Base):
    __tablename__ = "operation"
    __table_args__ = (
        Index("ix_operation_published", "published_at", postgresql_where=text("published_at IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    area = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), server_default="planned")  # planned, active, closed
    questionnaire_id: Mapped[str] = mapped_column(ForeignKey("questionnaire_version.id"))
    routing: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))  # follow-up category → agency code
    created_at: Mapped[dt.datetime] = _now()
    # Open data (migration 0009): set while the results are published, cleared on withdrawal.
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    public_contact: Mapped[str | None] = mapped_column(Text)  # "who to contact" in the report
    # When it was closed (0010): visits made after it are refused, those made before still count.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OperationPriority(Base):
    """Up to three "what happens next" priorities of an operation, as its coordinator writes them."""

    __tablename__ = "operation_priority"
    __table_args__ = (CheckConstraint("position BETWEEN 1 AND 3", name="position"),
                      CheckConstraint("length(btrim(text)) > 0", name="text"))
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 1..3 (a check constraint)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = _now()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class OperationCoordinator(Base):
    """Coordinators who run an operation (admins see every operation)."""

    __tablename__ = "operation_coordinator"
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)


class Street(Base):
    __tablename__ = "street"
    __table_args__ = (
        UniqueConstraint("operation_id", "ref", name="uq_street_operation_ref"),
        Index(
            "uq_street_operation_usrn", "operation_id", "usrn", unique=True, postgresql_where=text("usrn IS NOT NULL")
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(80))  # stable reference (USRN-like)
    name: Mapped[str] = mapped_column(String(200))
    locality: Mapped[str | None] = mapped_column(String(200))
    geom = mapped_column(Geometry("MULTILINESTRING", srid=4326, spatial_index=True), nullable=False)
    # Unique Street Reference Number, learnt from an address list (0010); unique per operation where set.
    usrn: Mapped[int | None] = mapped_column(BigInteger)


class Building(Base):
    """A building's outline from the OSM import, drawn faintly on the coordinators' maps (migration 0017)."""

    __tablename__ = "building"
    __table_args__ = (Index("ix_building_operation", "operation_id"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("operation_id", "ref", name="uq_household_operation_ref"),
        UniqueConstraint("id", "operation_id", name="uq_household_id_operation"),  # visits' composite key
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(80))  # stable reference (UPRN-like)
    address: Mapped[str] = mapped_column(String(300))
    house_number: Mapped[str | None] = mapped_column(String(40))
    postcode: Mapped[str | None] = mapped_column(String(12))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id", ondelete="SET NULL"), index=True)
    side: Mapped[str] = mapped_column(String(5), server_default="none")  # odd, even, none
    door_order: Mapped[int] = mapped_column(Integer, server_default="0")
    # building, address_point, generated (placed along the street: may not exist), address_list (0010)
    source: Mapped[str] = mapped_column(String(20), server_default="building")
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)


class Team(Base):
    """A visit pair (or three): members from at least two agencies, assigned streets."""

    __tablename__ = "team"
    __table_args__ = (
        UniqueConstraint("operation_id", "name", name="uq_team_operation_name"),
        UniqueConstraint("id", "operation_id", name="uq_team_id_operation"),  # visits' composite key
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = _now()


class TeamMember(Base):
    __tablename__ = "team_member"
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True, index=True)


class TeamStreet(Base):
    __tablename__ = "team_street"
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    # unique: a street goes to one pair (migration 0011)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id", ondelete="CASCADE"), primary_key=True, unique=True)


class TeamEvent(Base):
    """One row each time a team, its members or its streets change; tablets pull these."""

    __tablename__ = "team_event"
    __table_args__ = (Index("ix_team_event_pull", "operation_id", "change_txid", "change_seq"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(BigInteger)  # no FK: the event outlives a deleted team
    removed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    at: Mapped[dt.datetime] = _now()
    change_txid: Mapped[int] = mapped_column(BigInteger, server_default=text("pg_current_xact_id()::text::bigint"))
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("nextval('change_seq')"))


class HouseholdResult(Base):
    """One row per knocked door: its attempts, strongest closing outcome and concerns.

    Kept up to date by statement-level triggers on `visit` (migration 0003_results), in the
    same transaction as the visits, so street results read about one row per door instead of
    aggregating every visit. Never written by application code.
    """

    __tablename__ = "household_result"
    __table_args__ = (Index("ix_household_result_operation", "operation_id"),)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE", name="household_result_household_id_fkey"), primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE", name="household_result_operation_id_fkey"))
    attempts: Mapped[int] = mapped_column(Integer)
    closing_rank: Mapped[int] = mapped_column(SmallInteger)  # 0 none; see doorstep_closing_rank()
    concerns: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    concern_mask: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_visited_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Visits at the door that a correction replaced (migration 0014): kept, not counted above.
    corrected: Mapped[int] = mapped_column(Integer, server_default="0")


# ---------------------------------------------------------------- records from tablets
class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_pull", "operation_id", "change_txid", "change_seq"),
        Index("ix_visit_household", "household_id", "visited_at"),
        # One correction per visit (migration 0014): a second one is skipped by the push's insert.
        Index("uq_visit_supersedes", "supersedes", unique=True, postgresql_where=text("supersedes IS NOT NULL")),
        # Composite keys (migration 0007): the household and the team are the visit's operation's,
        # in two checks per row instead of three (the operation is proved through the household).
        ForeignKeyConstraint(["household_id", "operation_id"], ["household.id", "household.operation_id"],
                             ondelete="CASCADE", name="fk_visit_household_id_household"),
        ForeignKeyConstraint(["team_id", "operation_id"], ["team.id", "team.operation_id"],
                             name="fk_visit_team_id_team", deferrable=True, initially="DEFERRED"),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)  # made on the tablet
    operation_id: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int] = mapped_column(Integer)
    # Who pushed it: the server's stamp, no foreign key (per-row checks cost a quarter of the
    # insert); users are never deleted instead (migration 0007), so it always names one.
    user_id: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(120))
    visited_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(30))
    questionnaire_id: Mapped[str | None] = mapped_column(String(120))
    answers: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    concerns: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))  # from the shared engine
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, server_default="")
    # sha256 of the canonical record: same id + other content = rejected
    content_hash: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = _now()
    change_txid: Mapped[int] = mapped_column(BigInteger, server_default=text("pg_current_xact_id()::text::bigint"))
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("nextval('change_seq')"))
    # How an answered visit was held (0018; shared_schemas/communication.py): language, interpreter, adjustments.
    communication: Mapped[dict | None] = mapped_column(JSONB)
    # A correction names the visit it replaces (the tablet's claim, checked at push); the push marks
    # that visit superseded_by the correction, and only visits not superseded count (migration 0014).
    supersedes: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class ResponseCard(Base):
    """A card left at a door (0018): the SHA-256 of its code (never the code), its door and pair, and the
    online answer once a resident has given one (server/domain/respond/)."""

    __tablename__ = "response_card"
    __table_args__ = (
        ForeignKeyConstraint(["household_id", "operation_id"], ["household.id", "household.operation_id"],
                             ondelete="CASCADE", name="fk_response_card_household_id_household"),
        ForeignKeyConstraint(["team_id", "operation_id"], ["team.id", "team.operation_id"],
                             ondelete="CASCADE", name="fk_response_card_team_id_team"),
        CheckConstraint("(answered_at IS NULL) = (answer_visit_id IS NULL)", name="answered"),
        Index("ix_response_card_household", "household_id"),
    )
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation_id: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int] = mapped_column(Integer)
    visit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    created_at: Mapped[dt.datetime] = _now()
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answer_visit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class Fix(Base):
    __tablename__ = "fix"
    __table_args__ = (Index("ix_fix_operation_street", "operation_id", "street_id"),)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    device_id: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    done_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))  # resolved at ingest, for street results
    notes: Mapped[str] = mapped_column(Text, server_default="")
    content_hash: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = _now()


class Followup(Base):
    __tablename__ = "followup"
    __table_args__ = (
        Index("ix_followup_agency_status", "agency_id", "status"),
        Index("ix_followup_operation_street", "operation_id", "street_id"),
        Index("ix_followup_assignee", "assignee_user_id", postgresql_where=text("assignee_user_id IS NOT NULL")),
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    device_id: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    resident_consent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))  # resolved at ingest
    # Routing and workflow (server side)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    status: Mapped[str] = mapped_column(String(20), server_default="open")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = _now()
    content_hash: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = _now()
    #: The person of its agency working on it (migration 0016); None: nobody yet.
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class FollowupResident(Base):
    """Residents' contact details: kept apart, only with consent, every view audited."""

    __tablename__ = "followup_resident"
    followup_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("followup.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    # How and in which language the resident wants to be contacted (0018).
    contact_method: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(35))


class FollowupEvent(Base):
    __tablename__ = "followup_event"
    __table_args__ = (
        Index("ix_followup_event_pull", "operation_id", "change_txid", "change_seq"),
        Index("ix_followup_event_followup", "followup_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    followup_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("followup.id", ondelete="CASCADE"))
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, server_default="")
    at: Mapped[dt.datetime] = _now()
    #: raised, status, note, assign, reassign (migration 0016); an "assign" names the new assignee (None: nobody).
    kind: Mapped[str] = mapped_column(String(10), server_default="status")
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    change_txid: Mapped[int] = mapped_column(BigInteger, server_default=text("pg_current_xact_id()::text::bigint"))
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("nextval('change_seq')"))


# ---------------------------------------------------------------- imports from the web (0010)
class ImportJob(Base):
    """An uploaded OSM extract or address list: queued, running (under a worker's lease), done or failed.

    The file waits in `content` until the job ends, so any server process can run it; the summary
    stays with the operation. A partial unique index (uq_import_job_same_file) refuses a second
    upload of the same file into the same operation while the first waits or runs.
    """

    __tablename__ = "import_job"
    __table_args__ = (
        Index("ix_import_job_operation", "operation_id", "id"),
        Index("ix_import_job_due", "id", postgresql_where=text("status IN ('queued', 'running')")),
        Index("uq_import_job_same_file", "operation_id", "sha256", unique=True,
              postgresql_where=text("status IN ('queued', 'running')")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # osm, addresses
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), server_default="queued")  # queued, running, done, failed
    step: Mapped[str] = mapped_column(Text, server_default="")
    done: Mapped[int] = mapped_column(BigInteger, server_default="0")
    total: Mapped[int] = mapped_column(BigInteger, server_default="0")
    summary: Mapped[dict | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = _now()
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- notifications and audit
class Notification(Base):
    """Durable outbox of notifications (e-mail, webhook); a worker sends and retries them."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # email, webhook
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    followup_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True),
                                                         ForeignKey("followup.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(Text)  # address or URL
    subject: Mapped[str] = mapped_column(Text, server_default="")
    body: Mapped[str] = mapped_column(Text, server_default="")
    status: Mapped[str] = mapped_column(String(10), server_default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = _now()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # a worker's lease (0006)


class AuditLog(Base):
    """Who saw or changed what: every view of residents' details lands here."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = _now()
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    action: Mapped[str] = mapped_column(String(60))  # e.g. resident.view, followup.status, user.add
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
