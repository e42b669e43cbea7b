"""The wire contract shared by the tablet and the server, and the questionnaire engine.

Pure Python on msgspec; no I/O except ``load_questionnaire`` reading a file.
"""

from .codes import (
    CLOSING_OUTCOMES,
    CONCERN_LABELS,
    FIX_CATEGORY_LABELS,
    FOLLOWUP_CATEGORY_LABELS,
    FOLLOWUP_STATUS_LABELS,
    FOLLOWUP_TRANSITIONS,
    OPERATION_STATUS_LABELS,
    OUTCOME_LABELS,
    PRIORITY_LABELS,
    ROLE_LABELS,
    Concern,
    FixCategory,
    FollowupCategory,
    FollowupStatus,
    OperationStatus,
    Outcome,
    Priority,
    Role,
    label,
)
from .doors import STATUS_PRECEDENCE, DoorStatus, door_status
from .pack import (
    CodeLabel,
    Pack,
    PackCategories,
    PackHousehold,
    PackMember,
    PackOperation,
    PackStreet,
    PackTeam,
    default_categories,
)
from .questionnaire import (
    AnswerError,
    Condition,
    Option,
    Question,
    Questionnaire,
    QuestionnaireError,
    QuestionType,
    applicable_questions,
    check_questionnaire,
    concern_codes,
    concerns,
    describe_condition,
    is_answered,
    load_questionnaire,
    prune_answers,
    validate_answers,
)
from .records import (
    AnyRecord,
    Fix,
    Followup,
    Location,
    Record,
    RecordError,
    ResidentContact,
    Visit,
    check_record,
    decode_record,
    encode_record,
    raw_record_id,
)
from .sync import (
    MAX_PUSH_RECORDS,
    Change,
    FollowupStatusChange,
    PullResponse,
    PushRequest,
    PushRequestError,
    PushResponse,
    PushResult,
    TeamChange,
    VisitChange,
    decode_push_request,
)

__all__ = [name for name in dir() if not name.startswith("_")]
