"""A wipe order carried out (the tablet was marked lost or retired): one way, whoever hears it.

The sync engine hears it after a push ("retired") or as a 401 with reason "lost"; the operations
list and the sign-in hear the same 401. Each calls :func:`carry_out`: the store, photos and key are
erased (a new empty store takes their place), then the erasure is reported with the token the tablet
held, which the server accepts even once its session has ended.
"""

from __future__ import annotations

import logging

from mobile.store import Store
from mobile.sync import messages
from mobile.sync.transport import Transport, TransportError

log = logging.getLogger(__name__)


def carry_out(store: Store, transport: Transport, kind: str) -> str:
    """Erase everything this tablet holds, report it, and return what to tell the person."""
    session = store.current_session()
    token = session.token if session else None
    store.erase_everything()
    transport.set_token(None)
    log.warning("wipe order (%s) carried out: the store, photos and key were erased", kind)
    if token:
        try:
            transport.report_erased(token)
        except TransportError as exc:  # erased all the same; the dashboard shows it as not reported
            log.warning("could not report the erasure: %s", exc.message)
    return messages.ERASED.get(kind, messages.ERASED["lost"])
