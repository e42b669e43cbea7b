"""Gather the tablet interface's words into mobile/locale/tablet.pot and bring every language's
tablet.po up to date with it (new words added untranslated, gone ones marked obsolete).

The words are every ``tr._('…')`` in mobile/**.py and **.kv (Babel's extractor, mobile/babel.cfg)
and the labels the app shows from shared tables (outcomes, fixes, follow-up kinds, priorities, interpreters,
adjustments, the required-answer error, the field rules' sentences and field names from
shared_schemas.fields). Then translate the empty ``msgstr`` in each .po;
tests/mobile_ui/test_interface_language.py fails while any is empty.

    .venv/bin/python scripts/tablet_messages.py
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "mobile" / "locale"


def shared_labels() -> list[str]:
    from mobile.store.credentials import PIN_MESSAGES
    from mobile.sync.messages import FORMATTED
    from mobile.viewmodels.followup import BSL_NAME, category_choices, priority_choices
    from mobile.viewmodels.visit import ANSWER_REQUIRED
    from shared_schemas.codes import FIX_CATEGORY_LABELS, OUTCOME_LABELS
    from shared_schemas.communication import ADJUSTMENT_LABELS, CONTACT_METHOD_LABELS, INTERPRETER_LABELS
    from shared_schemas.fields import LIMITS, MESSAGES

    field_names = dict.fromkeys(limit.name for limit in LIMITS.values())
    return [ANSWER_REQUIRED, *MESSAGES, *field_names, *PIN_MESSAGES, *FORMATTED, *OUTCOME_LABELS.values(),
            *FIX_CATEGORY_LABELS.values(), *fixed_sentences(),
            *INTERPRETER_LABELS.values(), *ADJUSTMENT_LABELS.values(), *CONTACT_METHOD_LABELS.values(), BSL_NAME,
            *(text for _, text in category_choices()), *(text for _, text in priority_choices())]


def fixed_sentences() -> list[str]:
    """The sentences the store, the sync engine and the view-models keep as constants (shown through
    ``words._`` where they reach a screen); those with a place-holder are formatted before, so are not here."""
    from mobile.store import errors
    from mobile.sync import messages
    from mobile.viewmodels import messages as vm_messages
    from mobile.viewmodels.sync import _KIND
    from mobile.viewmodels.visit import _STATE_TEXT
    from shared_schemas.codes import FOLLOWUP_STATUS_LABELS, OPERATION_STATUS_LABELS

    texts = [errors.FULL_DISK_MESSAGE, errors.DAMAGED_MESSAGE, errors.NO_KEY_MESSAGE, errors.WRONG_KEY_MESSAGE,
             messages.OFFLINE, messages.SIGN_IN_AGAIN, *messages.SESSION_ENDED.values(),
             messages.REMOVED_FROM_OPERATION, messages.WRONG_PASSWORD, messages.ONLINE_NEEDED,
             *messages.ERASED.values(), vm_messages.SAFE, *vm_messages.MESSAGES.values(),
             *_KIND.values(), *_STATE_TEXT.values(), *OPERATION_STATUS_LABELS.values(),
             *FOLLOWUP_STATUS_LABELS.values()]
    texts += [getattr(messages, name) for name in ("PHOTO_TOO_LARGE", "PHOTO_NOT_IMAGE", "PHOTO_CUT_SHORT")
              if hasattr(messages, name)]
    return [t for t in texts if "{" not in t]


def template() -> Catalog:
    pot = Catalog(project="Doorstep tablet", charset="utf-8")
    with (ROOT / "mobile" / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None}):
        pot.add(message, locations=[(filename, lineno)])
    for text in shared_labels():
        if text not in pot:
            pot.add(text, auto_comments=["a label from a shared table (shared_schemas.codes, followup.py)"])
    return pot


def main() -> None:
    pot = template()
    with (LOCALE / "tablet.pot").open("wb") as out:
        write_po(out, pot, omit_header=False, sort_output=True)
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/tablet.po")):
        with po_path.open("rb") as f:
            po = read_po(f, locale=po_path.parts[-3])
        po.update(pot, no_fuzzy_matching=True)
        po.fuzzy = False  # the header: these catalogs are in use
        with po_path.open("wb") as out:
            write_po(out, po, sort_output=True, ignore_obsolete=True)
        missing = [m.id for m in po if m.id and not m.string]
        print(f"{po_path.relative_to(ROOT)}: {len(missing)} to translate")


if __name__ == "__main__":
    main()
