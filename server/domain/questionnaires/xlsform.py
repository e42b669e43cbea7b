"""Questionnaires as XLSForm workbooks (ODK's spreadsheet format): read one into a definition, write
any definition back.

The mapping (the project README's "Questionnaires from a spreadsheet" is the user's version):

=====================  ===========================================================================
XLSForm                Doorstep
=====================  ===========================================================================
``select_one L``       ``single_choice`` with the options of list L; a list of exactly ``yes`` and
                       ``no`` makes a ``yes_no`` question (answers true/false), and
                       ``appearance: likert`` on a list of exactly 1 … 5 a ``scale_1_5`` (the labels
                       of 1 and 5 are its low and high labels)
``select_multiple L``  ``multiple_choice``
``integer``            ``number`` with ``integer``; ``decimal``: ``number``
``text``, ``date``,    the same types
``note``
``label::Name (xx)``   the words in language ``xx``; the settings' ``default_language`` (``Name
                       (xx)`` or ``xx``) says which column is the default
``hint``               ``help``; ``guidance_hint``: ``guidance`` (for the officer, never online)
``required``           ``yes``/``true``/``1`` or empty/``no``
``relevant``           ``show_if`` (``expressions.read_relevant``)
``constraint``         ``min``/``max``, ``max_length`` (``expressions.read_constraint``)
``constraint_message`` ``constraint_message``
=====================  ===========================================================================

Doorstep's own columns: on the survey sheet ``concern``, ``concern_answer`` (``no``: a yes/no
question counts when answered no), ``concern_at_or_below`` (a scale), ``followup``,
``followup_when``, ``followup_description``, ``followup_priority`` (a second suggestion:
``followup_2`` …); on the choices sheet ``concern``; on the settings sheet ``description`` (also
``description::Name (xx)``), ``translated_title::Name (xx)`` (the title in another language: ODK's
converter does not take ``form_title::…``) and ``demonstration_languages`` (codes whose translation is
a demonstration, e.g. ``cy pl``). ODK's converter ignores them.

Every problem names the sheet, the row and the column (``survey``, row 7, ``relevant``) and says
what to write; the workbook is read whole before anything is refused, so every problem is listed
at once. Words with no translation are warnings (the default language's are shown).
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import msgspec

from shared_schemas.questionnaire import (
    Condition,
    Question,
    Questionnaire,
    QuestionnaireError,
    QuestionType,
    load_questionnaire,
    missing_translations,
)

from .expressions import (
    ExpressionError,
    RefersToBrokenRow,
    read_constraint,
    read_relevant,
    write_constraint,
    write_relevant,
)

#: A workbook bigger than this is not a questionnaire (and a zip bomb is refused before it is opened).
MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 2000
MAX_CELL = 4000

TYPES = ("select_one", "select_multiple", "integer", "decimal", "text", "date", "note")
#: ODK's metadata types: Doorstep records the time and the device itself.
METADATA = {"start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit", "simserial",
            "subscriberid", "start-geopoint"}
#: Columns that change what a form means, which Doorstep cannot honour: refused when filled in.
REFUSED_COLUMNS = {"choice_filter": "choices filtered by earlier answers",
                   "calculation": "calculated fields", "repeat_count": "repeats", "trigger": "triggers"}
SURVEY_COLUMNS = {"type", "name", "label", "hint", "guidance_hint", "required", "relevant", "constraint",
                  "constraint_message", "appearance", "concern", "concern_answer", "concern_at_or_below",
                  "required_message"}
_FOLLOWUP = re.compile(r"^followup(?:_(?P<field>when|description|priority))?(?:_(?P<n>[2-9]))?$")
_LANGUAGE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]+)\)\s*$")
_YES = {"yes", "true", "true()", "1", "y"}
_NO = {"", "no", "false", "false()", "0", "n"}


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.sheet + " sheet" + (f", row {self.row}" if self.row else "")
        where += f", column {self.column}" if self.column else ""
        return f"{where}: {self.message}"


class XLSFormError(ValueError):
    """A workbook that cannot become a questionnaire; ``problems`` names each sheet, row and column."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:20]))


@dataclass
class Imported:
    questionnaire: Questionnaire
    #: The definition as JSON-ready data (what is published).
    definition: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    #: Each question's row on the survey sheet, to say where a later problem is.
    rows: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- reading the workbook


@dataclass
class Sheet:
    name: str
    headers: list[str]  # as written, stripped
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, header -> text)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _open(data: bytes) -> dict[str, Sheet]:
    import openpyxl

    if len(data) > MAX_BYTES:
        raise XLSFormError([Problem("workbook", None, None, f"the file is {len(data) / 1e6:.1f} MB; a questionnaire "
                                    f"workbook is well under {MAX_BYTES // (1024 * 1024)} MB")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise XLSFormError([Problem("workbook", None, None, "this is not an .xlsx workbook: save it from your "
                                    "spreadsheet program as Excel Workbook (.xlsx)")]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise XLSFormError([Problem("workbook", None, None, "the workbook unpacks to far more than a questionnaire "
                                    "needs; save a copy with only the survey, choices and settings sheets")])
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file; the person needs one sentence
        raise XLSFormError([Problem("workbook", None, None, "the workbook cannot be read: open it in your "
                                    "spreadsheet program and save it again as .xlsx")]) from None
    sheets: dict[str, Sheet] = {}
    try:
        for ws in book.worksheets:
            key = ws.title.strip().lower()
            if key not in ("survey", "choices", "settings"):
                continue
            rows = ws.iter_rows(values_only=True)
            header_row = next(rows, None) or ()
            headers = [_cell_text(h) for h in header_row]
            found: list[tuple[int, dict[str, str]]] = []
            for number, values in enumerate(rows, start=2):
                texts = {headers[i]: _cell_text(v) for i, v in enumerate(values) if i < len(headers) and headers[i]}
                if not any(texts.values()):
                    continue
                if len(found) >= MAX_ROWS:
                    raise XLSFormError([Problem(key, number, None, f"more than {MAX_ROWS:,} rows: a questionnaire "
                                                "asked at the door is far shorter")])
                for header, text in texts.items():
                    if len(text) > MAX_CELL:
                        raise XLSFormError([Problem(key, number, header, f"{len(text):,} characters; keep a cell "
                                                    f"under {MAX_CELL:,}")])
                found.append((number, texts))
            sheets[key] = Sheet(key, [h for h in headers if h], found)
    finally:
        book.close()
    return sheets


# ---------------------------------------------------------------- languages in headers


@dataclass(frozen=True)
class Column:
    """A header split: ``label::Polski (pl)`` -> ("label", "pl", "Polski")."""

    base: str
    code: str | None
    name: str | None


def _column(header: str) -> Column | Problem:
    if "::" not in header:
        return Column(header.strip().lower(), None, None)
    base, _, language = header.partition("::")
    match = _LANGUAGE.match(language.strip())
    if match is None:
        return Problem("", None, header, f"write the language as its name and code, e.g. {base}::Polski (pl)")
    code = match["code"].strip()
    if not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", code):
        return Problem("", None, header, f"{code!r} is not a language code: use the two- or three-letter code "
                       "(cy, pl, ur, pa …)")
    return Column(base.strip().lower(), code, match["name"].strip() or code)


@dataclass
class Languages:
    codes: list[str] = field(default_factory=list)  # in order of first appearance
    names: dict[str, str] = field(default_factory=dict)
    default: str = "en"
    declared: bool = False  # any column carries a language

    def see(self, column: Column) -> None:
        if column.code is None:
            return
        self.declared = True
        if column.code not in self.names:
            self.codes.append(column.code)
            self.names[column.code] = column.name or column.code


def _words(texts: dict[str, str], columns: dict[str, Column], base: str, languages: Languages) -> dict[str, str]:
    """language code -> text of the columns ``base`` / ``base::Name (xx)`` of one row."""
    out: dict[str, str] = {}
    for header, column in columns.items():
        if column.base != base or not texts.get(header):
            continue
        code = column.code or languages.default
        out.setdefault(code, texts[header])
    return out


# ---------------------------------------------------------------- read


class _Reader:
    def __init__(self, sheets: dict[str, Sheet]):
        self.sheets = sheets
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.languages = Languages()
        self.columns: dict[str, dict[str, Column]] = {}

    def problem(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(sheet, row, column, message))

    def read(self) -> Imported:
        if "survey" not in self.sheets:
            raise XLSFormError([Problem("workbook", None, None, "no sheet named survey: an XLSForm has a survey sheet "
                                        "(the questions), a choices sheet (the answers to choose from) and a settings "
                                        "sheet")])
        for name, sheet in self.sheets.items():
            self.columns[name] = {}
            for header in sheet.headers:
                column = _column(header)
                if isinstance(column, Problem):
                    self.problem(name, 1, header, column.message)
                    continue
                self.columns[name][header] = column
                if column.base in ("label", "hint", "constraint_message", "translated_title", "description"):
                    self.languages.see(column)
        settings = self._settings()
        choices = self._choices()
        definition, rows = self._survey(choices)
        definition.update(settings)
        if self.problems:
            raise XLSFormError(self.problems)
        try:
            questionnaire = load_questionnaire(definition)
        except QuestionnaireError as exc:
            raise XLSFormError([self._locate(problem, definition, rows) for problem in exc.problems]) from None
        self.warnings += [f"{m.describe()}: the {self.languages.names.get(questionnaire.default_language, '')} "
                          f"words are shown instead".replace("the  words", "the default language's words")
                          for m in missing_translations(questionnaire)]
        return Imported(questionnaire, definition, self.warnings, rows)

    # -- settings ------------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        sheet = self.sheets.get("settings")
        texts: dict[str, str] = {}
        row = 2
        columns = self.columns.get("settings", {})
        if sheet is not None and sheet.rows:
            row, texts = sheet.rows[0]
        default = texts.get("default_language", "")
        if default:
            match = _LANGUAGE.match(default)
            code = match["code"].strip() if match else default.strip()
            if match and code not in self.languages.names:
                self.languages.names[code] = match["name"].strip()
                self.languages.codes.insert(0, code)
            if self.languages.declared and code not in self.languages.codes:
                self.problem("settings", row, "default_language",
                             f"{default!r} is not one of the languages of the label columns "
                             f"({', '.join(self.languages.names[c] + ' (' + c + ')' for c in self.languages.codes)})")
            self.languages.default = code
        elif self.languages.codes:
            self.languages.default = self.languages.codes[0]
            if len(self.languages.codes) > 1:
                self.warnings.append(f"settings sheet: no default_language; the first language, "
                                     f"{self.languages.names[self.languages.default]}, is the default")
        out: dict[str, Any] = {"default_language": self.languages.default}
        form_id = texts.get("form_id", "")
        if not form_id:
            self.problem("settings", row, "form_id", "give the questionnaire an id (letters, digits, - and _), "
                         "e.g. woodhouse-survey")
        elif not re.match(r"^[a-z0-9][a-z0-9_-]*$", form_id) or len(form_id) > 90:
            self.problem("settings", row, "form_id", f"{form_id[:40]!r}: use lower-case letters, digits, - and _ "
                         "(starting with a letter or digit), at most 90 characters")
        version_text = texts.get("version", "") or "1"
        try:
            version = int(version_text)
            if version < 1:
                raise ValueError
        except ValueError:
            self.problem("settings", row, "version", f"{version_text[:20]!r}: the version is a whole number from 1")
            version = 1
        out["version"] = version
        suffix = f"-v{version}"
        out["id"] = form_id if form_id.endswith(suffix) else f"{form_id}{suffix}"
        titles = _words(texts, columns, "translated_title", self.languages)
        titles.pop(self.languages.default, None)
        out["title"] = texts.get("form_title", "") or texts.get("title", "") or form_id
        descriptions = _words(texts, columns, "description", self.languages)
        description = descriptions.pop(self.languages.default, "")
        if description:
            out["description"] = description
        translations: dict[str, dict[str, str]] = {}
        for code, text in titles.items():
            translations.setdefault(code, {})["title"] = text
        for code, text in descriptions.items():
            translations.setdefault(code, {})["description"] = text
        if translations:
            out["translations"] = translations
        demonstration = set(texts.get("demonstration_languages", "").replace(",", " ").split())
        for code in sorted(demonstration - set(self.languages.codes)):
            self.problem("settings", row, "demonstration_languages",
                         f"{code!r} is not one of the languages of the label columns")
        self._demonstration = demonstration
        return out

    # -- choices -------------------------------------------------------------------------------
    def _choices(self) -> dict[str, list[tuple[int, dict[str, Any]]]]:
        lists: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        sheet = self.sheets.get("choices")
        if sheet is None:
            return lists
        columns = self.columns["choices"]
        for base in ("list_name", "name"):
            if base not in {c.base for c in columns.values()}:
                self.problem("choices", 1, base, f"the choices sheet needs a {base} column")
                return lists
        for row, texts in sheet.rows:
            list_name = texts.get("list_name", "") or texts.get("list name", "")
            name = texts.get("name", "")
            if not list_name:
                self.problem("choices", row, "list_name", "which list is this choice in? Fill in list_name")
                continue
            if not name:
                self.problem("choices", row, "name", "give the choice a name: the value stored when it is chosen")
                continue
            if len(name) > 64:
                self.problem("choices", row, "name", "a choice's name is at most 64 characters")
                continue
            if any(other["value"] == name for _, other in lists.get(list_name, [])):
                self.problem("choices", row, "name", f"{name!r} is in list {list_name!r} twice")
                continue
            labels = _words(texts, columns, "label", self.languages)
            option: dict[str, Any] = {"value": name, "label": labels.pop(self.languages.default, "")}
            if not option["label"]:
                self.problem("choices", row, self._label_header("choices"), f"choice {name!r} has no label in the "
                             "default language")
            if texts.get("concern"):
                option["concern"] = texts["concern"]
            if labels:
                option["translations"] = {code: {"label": text} for code, text in labels.items()}
            lists.setdefault(list_name, []).append((row, option))
        return lists

    def _label_header(self, sheet: str) -> str:
        for header, column in self.columns[sheet].items():
            if column.base == "label" and column.code in (None, self.languages.default):
                return header
        return "label"

    # -- survey --------------------------------------------------------------------------------
    def _survey(self, lists: dict[str, list[tuple[int, dict[str, Any]]]]) -> tuple[dict[str, Any], dict[str, int]]:
        sheet = self.sheets["survey"]
        columns = self.columns["survey"]
        for base in ("type", "name"):
            if base not in {c.base for c in columns.values()}:
                self.problem("survey", 1, base, f"the survey sheet needs a {base} column")
                return {"questions": []}, {}
        self._unknown_columns(columns)
        rows_of: dict[str, int] = {}
        questions: list[dict[str, Any]] = []
        shown: dict[str, Question] = {}  # earlier questions, typed, for conditions
        every_name = [texts.get("name", "") for _, texts in sheet.rows]
        used_lists: set[str] = set()
        broken: set[str] = set()  # names of rows with a problem of their own
        for index, (row, texts) in enumerate(sheet.rows):
            kind_text = " ".join(texts.get("type", "").split())
            name = texts.get("name", "")
            base_kind = kind_text.split(" ")[0].lower() if kind_text else ""
            if base_kind in ("begin", "end") or kind_text.lower() in ("begin_group", "end_group"):
                if "repeat" in kind_text.lower():
                    self.problem("survey", row, "type", "repeats are not supported: a doorstep questionnaire asks "
                                 "each question once")
                else:
                    self.warnings.append(f"survey sheet, row {row}: groups are shown as one page; the group is "
                                         "left out")
                continue
            if base_kind in METADATA:
                self.warnings.append(f"survey sheet, row {row}: {base_kind} is recorded by Doorstep itself; "
                                     "the row is left out")
                continue
            for column, what in REFUSED_COLUMNS.items():
                if texts.get(column):
                    self.problem("survey", row, column, f"{what} are not supported; remove it")
            question = self._question(row, texts, columns, kind_text, base_kind, lists, used_lists) \
                if self._row_is_usable(row, kind_text, base_kind, name, rows_of) else None
            if question is None:
                if name and name not in rows_of:
                    broken.add(name)
                continue
            rows_of[name] = row
            if texts.get("relevant"):
                try:
                    condition = read_relevant(texts["relevant"], shown, name, set(every_name[index + 1:]),
                                              frozenset(broken))
                    question["show_if"] = msgspec.to_builtins(condition)
                except RefersToBrokenRow:
                    pass
                except ExpressionError as exc:
                    self.problem("survey", row, "relevant", f"{exc}")
            questions.append(question)
            with contextlib.suppress(msgspec.ValidationError):  # reported with its row when all is loaded
                shown[name] = msgspec.convert(question, Question)
        for list_name, options in lists.items():
            if list_name not in used_lists and list_name != self._yes_no_list:
                self.warnings.append(f"choices sheet, row {options[0][0]}: list {list_name!r} is not used by any "
                                     "question")
        definition: dict[str, Any] = {"questions": questions}
        if self.languages.declared:
            definition["languages"] = [self._language(code) for code in self.languages.codes]
        return definition, rows_of

    def _row_is_usable(self, row: int, kind_text: str, base_kind: str, name: str, rows_of: dict[str, int]) -> bool:
        """A known type and a new, well-formed name; otherwise the problem is reported."""
        if not kind_text:
            self.problem("survey", row, "type", f"no type: write one of {', '.join(TYPES)}")
        elif base_kind not in TYPES:
            self.problem("survey", row, "type", f"unknown type {kind_text[:40]!r}: Doorstep takes "
                         f"{', '.join(TYPES[:-1])} and {TYPES[-1]}")
        elif not name:
            self.problem("survey", row, "name", "give the question a name (its id: lower-case letters, digits and _)")
        elif not re.match(r"^[a-z][a-z0-9_]*$", name) or len(name) > 64:
            self.problem("survey", row, "name", f"{name[:40]!r}: a name is lower-case letters, digits and _, "
                         "starting with a letter, at most 64 characters")
        elif name in rows_of:
            self.problem("survey", row, "name", f"{name!r} is used twice (also on row {rows_of[name]}); each "
                         "question needs its own name")
        else:
            return True
        return False

    _yes_no_list: str | None = None
    _yes_no_words: dict[str, tuple[str, str]] | None = None
    _demonstration: set[str] = set()

    def _language(self, code: str) -> dict[str, Any]:
        language: dict[str, Any] = {"code": code, "name": self.languages.names[code]}
        yes, no = (self._yes_no_words or {}).get(code, ("", ""))
        if yes:
            language["yes"] = yes
        if no:
            language["no"] = no
        if code in self._demonstration:
            language["demonstration"] = True
        return language

    def _unknown_columns(self, columns: dict[str, Column]) -> None:
        for header, column in columns.items():
            if column.base in SURVEY_COLUMNS or column.base in REFUSED_COLUMNS or _FOLLOWUP.match(column.base):
                continue
            if any(text.get(header) for _, text in self.sheets["survey"].rows):
                self.warnings.append(f"survey sheet: column {header!r} is not used by Doorstep")

    def _question(self, row: int, texts: dict[str, str], columns: dict[str, Column], kind_text: str, base_kind: str,
                  lists: dict[str, list[tuple[int, dict[str, Any]]]], used_lists: set[str]) -> dict[str, Any] | None:
        name = texts["name"]
        labels = _words(texts, columns, "label", self.languages)
        hints = _words(texts, columns, "hint", self.languages)
        messages = _words(texts, columns, "constraint_message", self.languages)
        question: dict[str, Any] = {"id": name, "text": labels.pop(self.languages.default, "")}
        if not question["text"]:
            self.problem("survey", row, self._label_header("survey"), f"question {name!r} has no label in the "
                         "default language")
        parts = kind_text.split(" ")
        scale_words: dict[str, dict[str, str]] = {}
        if base_kind in ("select_one", "select_multiple"):
            if len(parts) != 2:
                self.problem("survey", row, "type", f"write {base_kind} followed by the list's name, e.g. "
                             f"{base_kind} colours" + (" (or_other is not supported)" if len(parts) > 2 else ""))
                return None
            list_name = parts[1]
            options = lists.get(list_name)
            if options is None:
                self.problem("survey", row, "type", f"there is no list {list_name!r} on the choices sheet")
                return None
            used_lists.add(list_name)
            values = [option["value"] for _, option in options]
            appearance = texts.get("appearance", "").lower()
            if base_kind == "select_one" and sorted(values) == ["no", "yes"]:
                question["type"] = "yes_no"
                self._note_yes_no(list_name, options)
            elif base_kind == "select_one" and values == ["1", "2", "3", "4", "5"] and "likert" in appearance:
                question["type"] = "scale_1_5"
                scale_words = self._scale_labels(question, options)
            else:
                question["type"] = "single_choice" if base_kind == "select_one" else "multiple_choice"
                question["options"] = [dict(option) for _, option in options]
        elif base_kind in ("integer", "decimal"):
            question["type"] = "number"
            if base_kind == "integer":
                question["integer"] = True
        else:
            question["type"] = base_kind
        required = texts.get("required", "").lower()
        if required in _YES:
            question["required"] = True
        elif required not in _NO:
            self.problem("survey", row, "required", f"{texts['required'][:20]!r}: write yes, or leave it empty")
        help_text = hints.pop(self.languages.default, "")
        if help_text:
            question["help"] = help_text
        guidance = _words(texts, columns, "guidance_hint", self.languages)
        if guidance.get(self.languages.default):
            question["guidance"] = guidance.pop(self.languages.default)
        for code in guidance:
            self.warnings.append(f"survey sheet, row {row}: guidance_hint in {code!r} is left out: guidance is for "
                                 "the officer, in the default language")
        message = messages.pop(self.languages.default, "")
        if message:
            question["constraint_message"] = message
        if texts.get("constraint"):
            try:
                limits = read_constraint(texts["constraint"], QuestionType(question["type"]),
                                         bool(question.get("integer")))
            except (ExpressionError, ValueError) as exc:
                self.problem("survey", row, "constraint", str(exc))
            else:
                for key in ("min", "max", "max_length"):
                    if getattr(limits, key) is not None:
                        question[key] = getattr(limits, key)
        self._concern(row, texts, question)
        self._followups(row, texts, question, options=lists.get(parts[1]) if len(parts) == 2 else None)
        translations: dict[str, dict[str, str]] = {}
        for key, words in (("text", labels), ("help", hints), ("constraint_message", messages)):
            for code, text in words.items():
                translations.setdefault(code, {})[key] = text
        for code, scale in scale_words.items():
            translations.setdefault(code, {}).update(scale)
        if translations:
            question["translations"] = translations
        return question

    def _note_yes_no(self, list_name: str, options: list[tuple[int, dict[str, Any]]]) -> None:
        words: dict[str, tuple[str, str]] = {}
        by_value = {option["value"]: option for _, option in options}
        for code in [self.languages.default, *self.languages.codes]:
            def label(value: str, code: str = code) -> str:
                option = by_value[value]
                if code == self.languages.default:
                    return option["label"]
                return option.get("translations", {}).get(code, {}).get("label", "")
            words[code] = (label("yes"), label("no"))
        if self._yes_no_words is None:
            self._yes_no_list, self._yes_no_words = list_name, words
        elif words != self._yes_no_words:
            self.warnings.append(f"choices sheet: list {list_name!r} words yes and no differently from list "
                                 f"{self._yes_no_list!r}; the tablet shows {self._yes_no_list!r}'s words for every "
                                 "yes/no question")

    @staticmethod
    def _scale_labels(question: dict[str, Any], options: list[tuple[int, dict[str, Any]]]) -> dict[str, dict[str, str]]:
        """Sets the low and high labels from the labels of 1 and 5; their translations, by language."""
        low, high = options[0][1], options[4][1]
        if low["label"] not in ("", "1"):
            question["low_label"] = low["label"]
        if high["label"] not in ("", "5"):
            question["high_label"] = high["label"]
        words: dict[str, dict[str, str]] = {}
        for key, option, digit in (("low_label", low, "1"), ("high_label", high, "5")):
            for code, text in option.get("translations", {}).items():
                if text.get("label") not in (None, "", digit):
                    words.setdefault(code, {})[key] = text["label"]
        return words

    def _concern(self, row: int, texts: dict[str, str], question: dict[str, Any]) -> None:
        if texts.get("concern"):
            question["concern"] = texts["concern"]
        answer = texts.get("concern_answer", "").lower()
        if answer:
            if question.get("type") != "yes_no" or answer not in ("yes", "no"):
                self.problem("survey", row, "concern_answer", "concern_answer is yes or no, on a yes/no question")
            elif answer == "no":
                question["concern_answer"] = False
        if texts.get("concern_at_or_below"):
            try:
                question["concern_at_or_below"] = int(texts["concern_at_or_below"])
            except ValueError:
                self.problem("survey", row, "concern_at_or_below", "a whole number from 1 to 5")

    def _followups(self, row: int, texts: dict[str, str], question: dict[str, Any],
                   options: list[tuple[int, dict[str, Any]]] | None) -> None:
        suggestions: dict[int, dict[str, Any]] = {}
        for header, text in texts.items():
            match = _FOLLOWUP.match(header.strip().lower())
            if not match or not text:
                continue
            n = int(match["n"] or 1)
            key = match["field"] or "category"
            suggestions.setdefault(n, {})[key] = (header, text)
        out = []
        for n in sorted(suggestions):
            parts = suggestions[n]
            if "category" not in parts:
                header = next(iter(parts.values()))[0]
                which = "followup" if n == 1 else f"followup_{n}"
                self.problem("survey", row, header, f"say which follow-up it suggests in {which}")
                continue
            suggestion: dict[str, Any] = {"category": parts["category"][1]}
            if "when" in parts:
                header, text = parts["when"]
                values = [self._when_value(question, word) for word in text.split()]
                suggestion["when"] = values[0] if len(values) == 1 else values
            if "description" in parts:
                suggestion["description"] = parts["description"][1]
            if "priority" in parts:
                suggestion["priority"] = parts["priority"][1]
            out.append(suggestion)
        if out:
            question["suggests"] = out

    @staticmethod
    def _when_value(question: dict[str, Any], word: str) -> Any:
        kind = question.get("type")
        if kind == "yes_no":
            return {"yes": True, "no": False}.get(word.lower(), word)
        if kind in ("scale_1_5", "number"):
            try:
                return float(word) if "." in word else int(word)
            except ValueError:
                return word
        return word

    # -- where a definition problem is ------------------------------------------------------------
    def _locate(self, problem: str, definition: dict[str, Any], rows: dict[str, int]) -> Problem:
        match = re.search(r"\$\.questions\[(\d+)\]", problem)
        if match:
            index = int(match.group(1))
            questions = definition.get("questions", [])
            if index < len(questions):
                name = questions[index]["id"]
                column = _column_of(problem)
                return Problem("survey", rows.get(name), column, _plain(problem))
        match = re.match(r"^question '([^']+)'", problem)
        if match and match.group(1) in rows:
            return Problem("survey", rows[match.group(1)], _column_of(problem),
                           problem[match.end():].lstrip(": "))
        if problem.startswith("$") or "$." in problem:
            return Problem("settings", 2, None, _plain(problem))
        return Problem("workbook", None, None, problem)


def _column_of(problem: str) -> str | None:
    for key, column in (("show_if", "relevant"), ("concern_at_or_below", "concern_at_or_below"),
                        ("unknown concern", "concern"), ("concern", "concern"), ("suggests", "followup"),
                        ("options", "type"), ("min", "constraint"), ("max_length", "constraint"),
                        ("low_label", "label")):
        if key in problem:
            return column
    return None


def _plain(problem: str) -> str:
    """A msgspec message without its JSON path (the row and column say where)."""
    return re.sub(r"\s*- at `\$[^`]*`", "", problem)


def read_xlsform(data: bytes) -> Imported:
    """The questionnaire in an XLSForm workbook, with warnings; XLSFormError lists every problem."""
    return _Reader(_open(data)).read()


# ---------------------------------------------------------------- write


def write_xlsform(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an XLSForm workbook (reads back into the same definition)."""
    import openpyxl
    from openpyxl.styles import Font

    codes = [questionnaire.default_language] + [
        language.code for language in questionnaire.languages if language.code != questionnaire.default_language]
    names = {language.code: language.name for language in questionnaire.languages}
    multilingual = bool(questionnaire.languages)

    def header(base: str, code: str) -> str:
        return f"{base}::{names.get(code, code)} ({code})" if multilingual else base

    def words(obj: Any, key: str, code: str) -> str:
        if code == questionnaire.default_language:
            return getattr(obj, key)
        translated = obj.translations.get(code)
        return getattr(translated, key) if translated is not None else ""

    questions = {q.id: q for q in questionnaire.questions}
    uses = {name: any(getattr(q, name) for q in questionnaire.questions)
            for name in ("help", "guidance", "constraint_message", "show_if", "concern", "concern_at_or_below")}
    most_followups = max((len(q.suggests) for q in questionnaire.questions), default=0)

    survey_headers = ["type", "name", *[header("label", c) for c in codes]]
    if uses["help"]:
        survey_headers += [header("hint", c) for c in codes]
    guidance_header = header("guidance_hint", codes[0])
    if uses["guidance"]:
        survey_headers.append(guidance_header)
    survey_headers += ["required", "relevant", "constraint"]
    if uses["constraint_message"]:
        survey_headers += [header("constraint_message", c) for c in codes]
    survey_headers += ["appearance", "concern", "concern_answer", "concern_at_or_below"]
    for n in range(1, most_followups + 1):
        suffix = "" if n == 1 else f"_{n}"
        survey_headers += [f"followup{suffix}", f"followup_when{suffix}", f"followup_description{suffix}",
                           f"followup_priority{suffix}"]

    survey_rows: list[dict[str, Any]] = []
    choice_rows: list[dict[str, Any]] = []
    yes_no_words = {c: _yes_no(questionnaire, c) for c in codes}
    wants_yes_no = any(q.type is QuestionType.YES_NO for q in questionnaire.questions) or any(
        language.yes or language.no for language in questionnaire.languages)
    if wants_yes_no:
        for index, value in enumerate(("yes", "no")):
            yes_no_row: dict[str, Any] = {"list_name": "yes_no", "name": value}
            for c in codes:
                yes_no_row[header("label", c)] = yes_no_words[c][index]
            choice_rows.append(yes_no_row)
    for question in questionnaire.questions:
        row: dict[str, Any] = {"name": question.id}
        for c in codes:
            row[header("label", c)] = words(question, "text", c)
            if uses["help"]:
                row[header("hint", c)] = words(question, "help", c)
            if uses["constraint_message"]:
                row[header("constraint_message", c)] = words(question, "constraint_message", c)
        kind = question.type
        if kind is QuestionType.YES_NO:
            row["type"] = "select_one yes_no"
        elif kind is QuestionType.SCALE_1_5:
            list_name = f"{question.id}_scale"
            row["type"], row["appearance"] = f"select_one {list_name}", "likert"
            for n in range(1, 6):
                choice = {"list_name": list_name, "name": str(n)}
                for c in codes:
                    label = words(question, "low_label", c) if n == 1 else words(question, "high_label", c) \
                        if n == 5 else ""
                    choice[header("label", c)] = label or str(n)
                choice_rows.append(choice)
        elif kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            row["type"] = f"{'select_one' if kind is QuestionType.SINGLE_CHOICE else 'select_multiple'} {question.id}"
            for option in question.options:
                choice = {"list_name": question.id, "name": option.value, "concern": option.concern or ""}
                for c in codes:
                    choice[header("label", c)] = words(option, "label", c)
                choice_rows.append(choice)
        elif kind is QuestionType.NUMBER:
            row["type"] = "integer" if question.integer else "decimal"
        else:
            row["type"] = kind.value
        row["required"] = "yes" if question.required else ""
        row[guidance_header] = question.guidance
        row["relevant"] = write_relevant(question.show_if, questions) if question.show_if else ""
        row["constraint"] = write_constraint(question)
        row["concern"] = question.concern or ""
        row["concern_answer"] = "no" if question.concern and not question.concern_answer else ""
        row["concern_at_or_below"] = question.concern_at_or_below or ""
        for n, suggestion in enumerate(question.suggests, start=1):
            suffix = "" if n == 1 else f"_{n}"
            row[f"followup{suffix}"] = suggestion.category
            row[f"followup_when{suffix}"] = _when_text(question, suggestion.when)
            row[f"followup_description{suffix}"] = suggestion.description
            row[f"followup_priority{suffix}"] = "" if suggestion.priority == "normal" else suggestion.priority
        survey_rows.append(row)

    choice_headers = ["list_name", "name", *[header("label", c) for c in codes], "concern"]
    settings_headers = ["form_title", *[header("translated_title", c) for c in codes[1:]], "form_id", "version",
                        "default_language", "description", *[header("description", c) for c in codes[1:]],
                        "demonstration_languages"]
    settings_row: dict[str, Any] = {
                    "form_title": questionnaire.title, "form_id": questionnaire.id, "version": questionnaire.version,
                    "default_language": (f"{names.get(codes[0], codes[0])} ({codes[0]})" if multilingual
                                         else questionnaire.default_language),
                    "description": questionnaire.description,
                    "demonstration_languages": " ".join(
                        language.code for language in questionnaire.languages if language.demonstration)}
    for c in codes[1:]:
        settings_row[header("translated_title", c)] = words(questionnaire, "title", c)
        settings_row[header("description", c)] = words(questionnaire, "description", c)

    book = openpyxl.Workbook()
    bold = Font(bold=True)
    sheets: list[tuple[str, list[str], list[dict[str, Any]]]] = [
        ("survey", survey_headers, survey_rows), ("choices", choice_headers, choice_rows),
        ("settings", settings_headers, [settings_row])]
    for title, headers, rows in sheets:
        sheet = book.active if title == "survey" else book.create_sheet(title)
        sheet.title = title
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append([row.get(h, "") for h in headers])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a label, not a formula
        sheet.freeze_panes = "A2"
        for letter_cells in sheet.columns:
            width = max(len(str(c.value or "")) for c in letter_cells[:50])
            sheet.column_dimensions[letter_cells[0].column_letter].width = min(max(width + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _yes_no(questionnaire: Questionnaire, code: str) -> tuple[str, str]:
    from shared_schemas.questionnaire import yes_no_words

    yes, no = yes_no_words(questionnaire, code)
    if code == questionnaire.default_language:
        return yes or "Yes", no or "No"
    return yes, no


def _when_text(question: Question, when: Any) -> str:
    values = when if isinstance(when, list) else [when]
    if question.type is QuestionType.YES_NO:
        return " ".join("yes" if v is True else "no" if v is False else str(v) for v in values)
    return " ".join(str(v) for v in values)


__all__ = ["Condition", "Imported", "Problem", "XLSFormError", "read_xlsform", "write_xlsform"]
