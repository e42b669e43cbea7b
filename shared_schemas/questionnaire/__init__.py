"""The questionnaire engine, the same code on the tablet and the server.

- ``definition``: what a questionnaire is (questions, options, types) and which single values
  fit each type;
- ``conditions``: what a ``show_if`` condition means, compiled and in words;
- ``answers``: the walk over the questions (the one place skips cascade), and from it which
  questions apply, what is wrong with answers and which concerns they count toward;
- ``loading``: reading a definition and checking it can be used;
- ``languages``: the questionnaire in the resident's language (translations, with the default
  language's words where one is missing).

Import from here (``from shared_schemas.questionnaire import …``); the modules are how the
engine is arranged, not separate contracts.
"""

from .answers import (
    applicable_questions,
    check_answers,
    concerns,
    prune_answers,
    suggested_followups,
    validate_answers,
)
from .conditions import compile_condition, describe_condition, is_answered
from .definition import (
    CHOICE_TYPES,
    TEXT_MAX_LENGTH,
    AnswerError,
    Condition,
    FollowupSuggestion,
    Language,
    Option,
    OptionText,
    Question,
    Questionnaire,
    QuestionnaireError,
    QuestionnaireText,
    QuestionText,
    QuestionType,
    concern_codes,
    is_date,
)
from .languages import (
    Missing,
    best_language,
    language_codes,
    language_of,
    missing_translations,
    translated,
    yes_no_words,
)
from .loading import check_questionnaire, load_questionnaire

__all__ = [
    "AnswerError",
    "CHOICE_TYPES",
    "Condition",
    "FollowupSuggestion",
    "Language",
    "Missing",
    "Option",
    "OptionText",
    "Question",
    "QuestionText",
    "QuestionType",
    "Questionnaire",
    "QuestionnaireError",
    "QuestionnaireText",
    "TEXT_MAX_LENGTH",
    "applicable_questions",
    "best_language",
    "check_answers",
    "check_questionnaire",
    "compile_condition",
    "concern_codes",
    "concerns",
    "describe_condition",
    "is_answered",
    "is_date",
    "language_codes",
    "language_of",
    "load_questionnaire",
    "missing_translations",
    "prune_answers",
    "suggested_followups",
    "translated",
    "validate_answers",
    "yes_no_words",
]
