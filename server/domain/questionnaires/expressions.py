"""XLSForm's ``relevant`` and ``constraint`` expressions, read into Doorstep's conditions and limits and
written back from them.

Doorstep reads the part of ODK's XPath that its engine can mean exactly, and says plainly what it
cannot (never a parser's message):

``relevant`` (-> ``show_if``)::

    ${q} = 'value'    ${q} = 3    ${q} = 'yes'          equals (yes/no questions: 'yes', 'no')
    selected(${q}, 'value')                               equals (a value is chosen)
    ${q} != ''   count-selected(${q}) > 0   string-length(${q}) > 0        answered
    ${q} = ''    count-selected(${q}) = 0   string-length(${q}) = 0        not answered
    ${q} != 'value'                                       not answered, or answered with another value
    ${q} <= 2  (and <, >, >=)                             on a 1-5 scale only: the values that satisfy it
    a and b   a or b   not(a)   ( … )

An ``or`` of equals on one question is read as ``in``; ``${q} != '' and ${q} != 'v'`` (the way
Doorstep writes "answered, and not v") as ``not_equals``, so what ``write_relevant`` writes reads
back the same.

``constraint`` (-> limits): ``. >= 0``, ``. <= 20`` (whole numbers also ``>``, ``<``), joined with
``and``, on integer and decimal questions; ``string-length(.) <= 500`` on text questions.

Everything read here comes from a spreadsheet: the parser walks with an explicit depth limit, and
its messages quote at most a few characters of the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET

from shared_schemas.questionnaire import Condition, Question, QuestionType

MAX_LENGTH = 2000
MAX_DEPTH = 20


class ExpressionError(ValueError):
    """An expression Doorstep cannot read; the message says what to write instead."""


class RefersToBrokenRow(ExpressionError):
    """The expression names a question whose own row has a problem (reported there, not again here)."""


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<ref>\$\{(?P<name>[^}]*)\})
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),.])
    | (?P<word>[A-Za-z][A-Za-z0-9_-]*(?:\(\))?)
    )""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    value: Any = None


def tokens(source: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    source = source.strip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            rest = source[position:position + 12].lstrip()
            raise ExpressionError(f"cannot read it from {rest!r} on")
        position = match.end()
        if match["ref"]:
            found.append(Token("ref", match["ref"], match["name"].strip()))
        elif match["string"]:
            found.append(Token("literal", match["string"], match["string"][1:-1]))
        elif match["number"]:
            text = match["number"]
            found.append(Token("literal", text, float(text) if "." in text else int(text)))
        elif match["op"]:
            found.append(Token("op", match["op"]))
        elif match["punct"]:
            found.append(Token(match["punct"], match["punct"]))
        else:
            word = match["word"]
            if word in ("true()", "false()"):
                found.append(Token("literal", word, word == "true()"))
            else:
                found.append(Token("word", word))
    return found


# ---------------------------------------------------------------- relevant -> Condition


class _Reader:
    """Recursive descent over the tokens, at most MAX_DEPTH brackets deep."""

    def __init__(self, source: str, questions: dict[str, Question], own: str, later: set[str],
                 broken: frozenset[str] = frozenset()):
        if len(source) > MAX_LENGTH:
            raise ExpressionError(f"it is {len(source):,} characters long; keep it under {MAX_LENGTH:,}")
        self.items = tokens(source)
        self.at = 0
        self.questions = questions
        self.own = own
        self.later = later
        self.broken = broken
        self.depth = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.at + offset
        return self.items[index] if index < len(self.items) else None

    def take(self, kind: str | None = None, text: str | None = None) -> Token:
        token = self.peek()
        if token is None:
            raise ExpressionError("it ends too early" + (f": expected {text or kind}" if text or kind else ""))
        if (kind and token.kind != kind) or (text and token.text != text):
            raise ExpressionError(f"expected {text or kind} where it says {token.text!r}")
        self.at += 1
        return token

    def _is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text == word

    def read(self) -> Condition:
        if not self.items:
            raise ExpressionError("it is empty")
        condition = self.either()
        left = self.peek()
        if left is not None:
            raise ExpressionError(f"unexpected {left.text!r}: join conditions with 'and' or 'or'")
        return condition

    def either(self) -> Condition:
        parts = [self.both()]
        while self._is_word("or"):
            self.at += 1
            parts.append(self.both())
        return _any(parts)

    def both(self) -> Condition:
        parts = [self.single()]
        while self._is_word("and"):
            self.at += 1
            parts.append(self.single())
        return _all(parts)

    def single(self) -> Condition:
        token = self.peek()
        if token is None:
            raise ExpressionError("it ends too early: expected a condition")
        if token.kind == "(":
            self.nest()
            self.at += 1
            inner = self.either()
            self.take(")")
            self.depth -= 1
            return inner
        if token.kind == "word" and token.text == "not":
            self.at += 1
            self.take("(")
            self.nest()
            inner = self.either()
            self.take(")")
            self.depth -= 1
            return _negate(inner)
        if token.kind == "word" and token.text == "selected":
            self.at += 1
            self.take("(")
            question = self.reference()
            self.take(",")
            value = self.take("literal").value
            self.take(")")
            return Condition(question=question.id, equals=self.value(question, value))
        if token.kind == "word" and token.text in ("count-selected", "string-length"):
            self.at += 1
            self.take("(")
            question = self.reference()
            self.take(")")
            op = self.take("op").text
            number = self.take("literal").value
            return _answered_by_count(question.id, op, number, token.text)
        if token.kind == "ref":
            question = self.reference()
            op = self.take("op").text
            literal = self.take("literal")
            return self.compare(question, op, literal.value)
        raise ExpressionError(f"cannot read a condition starting {token.text!r}; write e.g. ${{question}} = 'value'")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"brackets nested more than {MAX_DEPTH} deep")

    def reference(self) -> Question:
        token = self.take("ref")
        name = token.value
        if name == self.own:
            raise ExpressionError(f"${{{name}}} is this question itself: a condition can only look at earlier "
                                  "questions (this one would be circular)")
        if name in self.later:
            raise ExpressionError(f"${{{name}}} is a later question: a condition can only look at earlier "
                                  "questions (this would be circular); move it above, or change the condition")
        question = self.questions.get(name)
        if question is None:
            if name in self.broken:
                raise RefersToBrokenRow(name)
            raise ExpressionError(f"there is no question named {name!r}")
        if question.type is QuestionType.NOTE:
            raise ExpressionError(f"${{{name}}} is a note, which is never answered")
        return question

    def compare(self, question: Question, op: str, literal: Any) -> Condition:
        qid = question.id
        if literal == "":
            if op == "=":
                return Condition(question=qid, answered=False)
            if op == "!=":
                return Condition(question=qid, answered=True)
            raise ExpressionError(f"compare ${{{qid}}} with '' only with = or !=")
        if op in ("<", "<=", ">", ">="):
            if question.type is not QuestionType.SCALE_1_5:
                raise ExpressionError(f"{op} works only on a 1-5 scale; for ${{{qid}}} use = or !=")
            limit = self.number(question, literal)
            values = [n for n in range(1, 6) if _holds(n, op, limit)]
            if not values:
                raise ExpressionError(f"${{{qid}}} {op} {literal} is never true on a 1-5 scale")
            if len(values) == 1:
                return Condition(question=qid, equals=values[0])
            return Condition(question=qid, in_=values)
        value = self.value(question, literal)
        if op == "=":
            if question.type is QuestionType.MULTIPLE_CHOICE:
                raise ExpressionError(f"${{{qid}}} is a select_multiple: write selected(${{{qid}}}, "
                                      f"{_quote(str(value))})")
            return Condition(question=qid, equals=value)
        # XPath's != is true when the question is not answered.
        return Condition(any=[Condition(question=qid, answered=False), Condition(question=qid, not_equals=value)])

    def number(self, question: Question, literal: Any) -> int | float:
        if isinstance(literal, bool):
            raise ExpressionError(f"${{{question.id}}} takes numbers, not true/false")
        if isinstance(literal, str):
            try:
                return float(literal) if "." in literal else int(literal)
            except ValueError:
                raise ExpressionError(f"${{{question.id}}} takes numbers, not {_quote(literal[:20])}") from None
        return literal

    def value(self, question: Question, literal: Any) -> Any:
        """The literal as a value of the question's type (yes/no: 'yes' -> true)."""
        kind = question.type
        if kind is QuestionType.YES_NO:
            words = {"yes": True, "no": False, True: True, False: False}
            if literal not in words:
                raise ExpressionError(f"${{{question.id}}} is a yes/no question: compare it with 'yes' or 'no'")
            return words[literal]
        if kind in (QuestionType.SCALE_1_5, QuestionType.NUMBER):
            return self.number(question, literal)
        if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            names = [option.value for option in question.options]
            if str(literal) not in names:
                raise ExpressionError(f"{_quote(str(literal)[:40])} is not a choice of ${{{question.id}}} "
                                      f"({', '.join(names)})")
            return str(literal)
        return literal if isinstance(literal, str) else str(literal)


def _holds(n: int, op: str, limit: float) -> bool:
    return {"<": n < limit, "<=": n <= limit, ">": n > limit, ">=": n >= limit}[op]


def _answered_by_count(qid: str, op: str, number: Any, function: str) -> Condition:
    if isinstance(number, bool) or not isinstance(number, int):
        raise ExpressionError(f"compare {function}(${{{qid}}}) with a whole number")
    if (op, number) in ((">", 0), (">=", 1), ("!=", 0)):
        return Condition(question=qid, answered=True)
    if (op, number) in (("=", 0), ("<", 1), ("<=", 0)):
        return Condition(question=qid, answered=False)
    raise ExpressionError(f"{function}(${{{qid}}}) {op} {number}: Doorstep reads only whether it is answered "
                          f"({function}(${{{qid}}}) > 0, or = 0)")


def _negate(condition: Condition) -> Condition:
    """not(…) of the conditions XLSForm writes as functions: not(selected(q, v)) and the like."""
    if condition.answered is not UNSET and condition.question:
        return Condition(question=condition.question, answered=not condition.answered)
    if condition.equals is not UNSET and condition.question:
        return Condition(any=[Condition(question=condition.question, answered=False),
                              Condition(question=condition.question, not_equals=condition.equals)])
    raise ExpressionError("not(…) only around one selected(…), or a question being answered; "
                          "write the opposite condition instead")


def _all(parts: list[Condition]) -> Condition:
    flat: list[Condition] = []
    for part in parts:
        flat.extend(part.all if part.all is not UNSET else [part])
    flat = _not_equals_pairs(flat)
    return flat[0] if len(flat) == 1 else Condition(all=flat)


def _any(parts: list[Condition]) -> Condition:
    flat: list[Condition] = []
    for part in parts:
        flat.extend(part.any if part.any is not UNSET else [part])
    if len(flat) == 1:
        return flat[0]
    names = {part.question for part in flat}
    if len(names) == 1 and None not in names and all(part.equals is not UNSET for part in flat):
        return Condition(question=flat[0].question, in_=[part.equals for part in flat])
    return Condition(any=flat)


def _not_equals_pairs(parts: list[Condition]) -> list[Condition]:
    """"answered and (not answered or not v)" is Doorstep's not_equals: read it as one condition."""
    out = list(parts)
    for part in parts:
        inner = part.any if part.any is not UNSET else None
        if not inner or len(inner) != 2 or inner[0].answered is not False or inner[1].not_equals is UNSET:
            continue
        name = inner[0].question
        if inner[1].question != name:
            continue
        answered = next((p for p in out if p.question == name and p.answered is True), None)
        if answered is not None:
            out[out.index(part)] = inner[1]
            out.remove(answered)
    return out


def read_relevant(source: str, questions: dict[str, Question], own: str, later: set[str],
                  broken: frozenset[str] = frozenset()) -> Condition:
    """The ``show_if`` of an XLSForm ``relevant`` cell. ``questions``: the earlier ones by name;
    ``later``: the names of the questions after it (to say "circular" rather than "unknown"); ``broken``:
    names of earlier rows that have problems of their own (RefersToBrokenRow, not reported twice)."""
    return _Reader(source, questions, own, later, broken).read()


# ---------------------------------------------------------------- Condition -> relevant


def write_relevant(condition: Condition, questions: dict[str, Question]) -> str:
    return _write(condition, questions, top=True)


def _write(condition: Condition, questions: dict[str, Question], top: bool = False) -> str:
    if condition.all is not UNSET:
        text = " and ".join(_write(part, questions) for part in condition.all)
        return text if top else f"({text})"
    if condition.any is not UNSET:
        text = " or ".join(_write(part, questions) for part in condition.any)
        return text if top else f"({text})"
    name = condition.question or ""
    question = questions[name]
    multiple = question.type is QuestionType.MULTIPLE_CHOICE
    ref = f"${{{name}}}"
    answered = f"count-selected({ref}) > 0" if multiple else f"{ref} != ''"
    if condition.answered is not UNSET:
        if condition.answered:
            return answered
        return f"count-selected({ref}) = 0" if multiple else f"{ref} = ''"
    if condition.equals is not UNSET:
        return _equals(ref, question, condition.equals)
    if condition.in_ is not UNSET:
        text = " or ".join(_equals(ref, question, value) for value in condition.in_)
        return text if top or len(condition.in_) == 1 else f"({text})"
    if condition.not_equals is not UNSET:
        value = condition.not_equals
        differs = f"not(selected({ref}, {_literal(question, value)}))" if multiple \
            else f"{ref} != {_literal(question, value)}"
        text = f"{answered} and {differs}"
        return text if top else f"({text})"
    raise ValueError("a condition with no test")  # pragma: no cover - the engine refuses such definitions


def _equals(ref: str, question: Question, value: Any) -> str:
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return f"selected({ref}, {_literal(question, value)})"
    return f"{ref} = {_literal(question, value)}"


def _literal(question: Question, value: Any) -> str:
    if question.type is QuestionType.YES_NO:
        return "'yes'" if value else "'no'"
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if isinstance(value, (int, float)):
        return str(value)
    return _quote(str(value))


def _quote(text: str) -> str:
    return f'"{text}"' if "'" in text else f"'{text}'"


# ---------------------------------------------------------------- constraint <-> limits


@dataclass
class Limits:
    min: float | None = None
    max: float | None = None
    max_length: int | None = None


def read_constraint(source: str, question_type: QuestionType, integer: bool) -> Limits:
    """``min``/``max`` of an integer or decimal question, ``max_length`` of a text question."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"it is {len(source):,} characters long; keep it under {MAX_LENGTH:,}")
    items = tokens(source)
    limits = Limits()
    parts: list[list[Token]] = [[]]
    for token in items:
        if token.kind == "word" and token.text == "and":
            parts.append([])
        else:
            parts[-1].append(token)
    numeric = question_type is QuestionType.NUMBER
    for part in parts:
        texts = [t.text for t in part]
        if numeric and len(part) == 3 and texts[0] == "." and part[1].kind == "op" and part[2].kind == "literal" \
                and isinstance(part[2].value, (int, float)) and not isinstance(part[2].value, bool):
            op, number = part[1].text, part[2].value
            if op in (">", "<"):
                if not integer or not isinstance(number, int):
                    raise ExpressionError(f"write . {op}= … instead of . {op} … (limits include their value)")
                op, number = op + "=", number + (1 if op == ">" else -1)
            if op == ">=":
                limits.min = number
            elif op == "<=":
                limits.max = number
            else:
                raise ExpressionError(f"Doorstep reads . >= N and . <= N here, not . {op} N")
            continue
        if question_type is QuestionType.TEXT and texts[:4] == ["string-length", "(", ".", ")"] and len(part) == 6 \
                and part[4].kind == "op" and isinstance(part[5].value, int) and not isinstance(part[5].value, bool):
            op, number = part[4].text, part[5].value
            if op == "<":
                op, number = "<=", number - 1
            if op != "<=" or number < 1:
                raise ExpressionError("Doorstep reads string-length(.) <= N (N at least 1) here")
            limits.max_length = number
            continue
        what = ". >= N and . <= N" if numeric else "string-length(.) <= N"
        if question_type not in (QuestionType.NUMBER, QuestionType.TEXT):
            raise ExpressionError("Doorstep reads constraints on integer, decimal and text questions only")
        raise ExpressionError(f"cannot read {' '.join(texts)[:40]!r}: write {what}")
    return limits


def write_constraint(question: Question) -> str:
    if question.type is QuestionType.NUMBER:
        parts = []
        if question.min is not None:
            parts.append(f". >= {_number(question.min)}")
        if question.max is not None:
            parts.append(f". <= {_number(question.max)}")
        return " and ".join(parts)
    if question.type is QuestionType.TEXT and question.max_length is not None:
        return f"string-length(.) <= {question.max_length}"
    return ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
