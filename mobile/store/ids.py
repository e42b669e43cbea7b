"""Record ids: the tablet makes UUIDs; compare them in canonical text form."""

from __future__ import annotations

import uuid


def canonical_id(record_id: str | uuid.UUID) -> str:
    """The canonical text of a UUID (the server echoes an id as sent, possibly in another case)."""
    try:
        return str(uuid.UUID(str(record_id)))
    except ValueError:
        return str(record_id)
