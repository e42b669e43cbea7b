"""The published columns: one list that the CSV header, the GeoJSON and OGC properties, the data
package's table schema and the OGC queryables all come from, so they can never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared_schemas.codes import CONCERN_LABELS, FIX_CATEGORY_LABELS, Concern, FixCategory

from .disclosure import MIN_HOUSEHOLDS, OTHER_UNIT_ID, OTHER_UNIT_NAME, RATE_MIN_BASE, ROUND_TO_WORD, SUPPRESS_BELOW

Kind = Literal["key", "text", "count", "rate"]

COUNT_NOTE = (f" Counts under {SUPPRESS_BELOW} (other than 0) are left empty (suppressed); the others are rounded "
              f"to the nearest {ROUND_TO_WORD}.")
RATE_NOTE = (f" A whole percentage of the unrounded counts; empty where the base is under {RATE_MIN_BASE} or the "
             "count on top is suppressed.")


@dataclass(frozen=True)
class Field:
    name: str
    type: Literal["integer", "string"]  # Table Schema types
    title: str
    description: str
    kind: Kind
    rate_of: tuple[str, str] | None = None  # (count, base) for a rate

    def table_schema(self) -> dict:
        out: dict = {"name": self.name, "type": self.type, "title": self.title,
                     "description": self.description + (COUNT_NOTE if self.kind == "count" else
                                                        RATE_NOTE if self.kind == "rate" else "")}
        if self.kind == "count":
            out["constraints"] = {"minimum": 0}
        elif self.kind == "rate":
            out["constraints"] = {"minimum": 0, "maximum": 100}
        elif self.name == "unit_id":
            out["constraints"] = {"required": True, "unique": True, "minimum": 0}
        elif self.name == "unit_name":
            out["constraints"] = {"required": True}
        return out


CONCERNS: tuple[str, ...] = tuple(c.value for c in Concern)
FIXES: tuple[str, ...] = tuple(f.value for f in FixCategory)


def _fields() -> list[Field]:
    f = [
        Field("unit_id", "integer", "Unit id",
              f"The street's id in this operation; {OTHER_UNIT_ID} for \"{OTHER_UNIT_NAME}\" (the streets with fewer "
              f"than {MIN_HOUSEHOLDS} households, and addresses on no street, taken together).", "key"),
        Field("unit_name", "string", "Street", f"The street's name, or \"{OTHER_UNIT_NAME}\".", "text"),
        Field("street_ref", "string", "Street reference",
              "The street's stable reference (USRN-like); empty for the other streets.", "text"),
        Field("locality", "string", "Locality", "The locality the street is in, where known.", "text"),
        Field("households", "integer", "Households", "Households (addresses) on the unit's streets.", "count"),
        Field("households_visited", "integer", "Households visited",
              "Households whose door was knocked at least once.", "count"),
        Field("households_answered", "integer", "Households answered",
              "Households that answered the questionnaire.", "count"),
        Field("households_answered_online", "integer", "Households answered online",
              "Households that answered online, with the code on the card left at their door (counted in "
              "households_answered too).", "count"),
        Field("households_other_language", "integer", "Answered in another language",
              "Households that answered in a language other than English (British Sign Language included).", "count"),
        Field("households_interpreter", "integer", "Answered with an interpreter",
              "Households that answered with an interpreter: family or a friend, professional, by telephone, or "
              "British Sign Language.", "count"),
        Field("households_adjustment", "integer", "Asked for an adjustment",
              "Households that asked for an adjustment to take part (more time, written down, large print …).",
              "count"),
        Field("visited_pct", "integer", "Visited (%)", "Households visited, as a percentage of households.", "rate",
              ("households_visited", "households")),
        Field("answered_pct", "integer", "Answered (%)", "Households that answered, as a percentage of households.",
              "rate", ("households_answered", "households")),
    ]
    for code in CONCERNS:
        label = CONCERN_LABELS[Concern(code)]
        f.append(Field(f"concern_{code}", "integer", f"Concern: {label}",
                       f"Households whose answers raised this concern: {label.lower()}.", "count"))
        f.append(Field(f"concern_{code}_pct", "integer", f"Concern: {label} (%)",
                       f"Households that raised this concern ({label.lower()}), as a percentage of the households "
                       "that answered.", "rate", (f"concern_{code}", "households_answered")))
    for code in FIXES:
        label = FIX_CATEGORY_LABELS[FixCategory(code)]
        f.append(Field(f"fix_{code}", "integer", f"Fixed on the spot: {label}",
                       f"Problems fixed on the spot during the visits: {label.lower()}.", "count"))
    f += [
        Field("followups_raised", "integer", "Follow-ups raised",
              "Problems passed to a partner agency to deal with (follow-ups).", "count"),
        Field("followups_resolved", "integer", "Follow-ups resolved",
              "Follow-ups the partner agency has resolved.", "count"),
    ]
    return f


FIELDS: tuple[Field, ...] = tuple(_fields())
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
COUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "count")
RATE_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.kind == "rate")
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
