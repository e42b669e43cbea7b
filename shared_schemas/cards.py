"""The code on the card left at a door: short enough to type from a card, too many to guess.

Ten characters of Crockford's Base32 (digits and letters without I, L, O and U, so nothing reads
as another character): 32^10, about 10^15 codes, 50 bits from the operating system's random
source. Against the few attempts a client may make (``/respond`` is rate-limited in PostgreSQL)
and the few thousand cards of an operation, a guess hits one of them about once in 10^11 tries.
Shown as two groups of five (``K7M2Q-9XH4T``); read back forgiving case, spaces and dashes, and
the letters people write for digits (O for 0, I and L for 1).

The tablet makes the code (it is often offline at the door) and sends it with the ``card_left``
visit; the server keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
#: The code as sent in a record: its ten characters, upper case, no dash.
CODE_PATTERN = rf"^[{ALPHABET}]{{{LENGTH}}}$"
_CODE = re.compile(CODE_PATTERN)
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """``K7M2Q9XH4T`` -> ``K7M2Q-9XH4T``."""
    return f"{code[:5]}-{code[5:]}"


def normalised(typed: str) -> str | None:
    """The code a person typed, as stored; None when it cannot be a code (wrong length or characters)."""
    text = re.sub(r"[\s\-–—_.]", "", typed or "").upper().translate(_READ_AS)
    return text if _CODE.match(text) else None


def code_hash(code: str) -> str:
    """What the server keeps: the SHA-256 of the normalised code (hex)."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
