"""Operations: the user's operations, pack download with progress, and who the pair is."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mobile import words
from shared_schemas.operations import ListedOperation

from .base import Observable
from .context import AppContext
from .messages import MESSAGES, message_for, outcome_error


@dataclass(frozen=True)
class OperationRow:
    id: int
    name: str
    status: str
    downloaded: bool
    detail: str  # "Pack on tablet: 120 households, 8 streets" / "Not downloaded"
    pair: str  # "A (Police)  +  B (City Council)", or "" until downloaded


class OperationsViewModel(Observable):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[OperationRow] = []
        self.busy = False
        self.downloading_id: int | None = None
        self.progress = 0.0
        self.error = ""
        self.info = ""
        self.needs_sign_in = False
        self.on_opened: Callable[[int], None] | None = None
        self.on_needs_sign_in: Callable[[str], None] | None = None
        self._server_ops: list[ListedOperation] | None = None

    # -- list -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask the server for the user's operations; offline, list the packs on the tablet."""
        if self.busy:
            return
        self.set(busy=True, error="", info="")
        transport = self.ctx.transport
        if transport is None:
            self._failed_list(RuntimeError("not connected"))
            return
        self.ctx.runner.run(transport.list_operations, self._listed, self._failed_list)

    def _listed(self, ops: list[ListedOperation]) -> None:
        self._server_ops = list(ops)
        self.set(busy=False)
        self._rebuild()

    def _failed_list(self, exc: BaseException) -> None:
        from mobile.sync import AuthExpired, NetworkError, ServerError
        from mobile.sync import messages as sync_messages

        self._server_ops = None
        if isinstance(exc, AuthExpired) and exc.reason == "lost":
            self._wipe()
        elif isinstance(exc, AuthExpired):
            self._expired(sync_messages.sign_in_again(exc.reason))
        elif isinstance(exc, (NetworkError, ServerError)):
            self.set(info=words._("Offline: showing the packs already on this tablet.") + " "
                     + words._(MESSAGES["network"]))
            if isinstance(exc, NetworkError):
                # offline as soon as a request fails, not at the sync engine's next round
                with contextlib.suppress(Exception):
                    self.ctx.store.note_offline(MESSAGES["network"])
        else:
            self.set(error=message_for(exc))
        self.set(busy=False)
        self._rebuild()

    def _wipe(self) -> None:
        """Marked lost (the server's 401 says so): everything on the tablet goes, then the sign-in."""
        from mobile.sync import wipe

        def erased(message: str) -> None:
            self.set(needs_sign_in=True, error=message)
            self._rebuild()
            if self.on_needs_sign_in:
                self.on_needs_sign_in(message)

        self.ctx.runner.run(lambda: wipe.carry_out(self.ctx.store, self.ctx.transport, "lost"), erased,
                            lambda exc: self.set(error=message_for(exc)))

    def _expired(self, message: str = MESSAGES["auth"]) -> None:
        message = words._(message)
        with contextlib.suppress(Exception):
            self.ctx.store.forget_token()
        self.set(needs_sign_in=True, error=message)
        if self.on_needs_sign_in:
            self.on_needs_sign_in(message)

    def _rebuild(self) -> None:
        local = {o.id: o for o in self.ctx.store.downloaded_operations()}
        rows: list[OperationRow] = []
        seen: set[int] = set()
        for op in self._server_ops or []:
            seen.add(op.id)
            rows.append(self._row(op.id, op.name, op.status, local.get(op.id)))
        for op_id, summary in local.items():
            if op_id not in seen:
                rows.append(self._row(op_id, summary.name, "", summary))
        self.set(rows=rows)

    def _row(self, op_id: int, name: str, status: str, summary: Any) -> OperationRow:
        if summary is None:
            return OperationRow(op_id, name, status, False, words._("Not on this tablet yet: download its pack."), "")
        detail = words._("Pack on tablet: {streets} streets, {households} households (downloaded {when} UTC)").format(
            streets=summary.streets, households=summary.households, when=summary.downloaded_at[:16].replace("T", " "))
        pair = ""
        found = self.ctx.find_pair(op_id)
        if found is not None:
            pair = words._("Your pair: {pair}").format(pair=found.summary)
        return OperationRow(op_id, name, status, True, detail, pair)

    # -- download ---------------------------------------------------------------------
    def download(self, operation_id: int) -> None:
        if self.downloading_id is not None:
            return
        self.set(downloading_id=operation_id, progress=0.05, error="", info="")
        runner = self.ctx.runner

        def progress(fraction: float) -> None:
            runner.call_soon(lambda: self.set(progress=max(self.progress, min(1.0, fraction))))

        def work():
            return self.ctx.download_pack(operation_id, progress=progress)

        runner.run(work, lambda outcome: self._downloaded(operation_id, outcome), self._failed_download)

    def _downloaded(self, operation_id: int, outcome: Any) -> None:
        error = outcome_error(outcome)
        self.set(downloading_id=None, progress=1.0 if error is None else 0.0)
        if error is not None:
            kind = getattr(outcome, "error_kind", None)
            if kind == "auth":
                self._expired(error)  # the engine's words for why (e.g. the tablet's session was ended)
            elif kind == "forbidden":
                self.set(error=words._(MESSAGES["forbidden"]))
                if self.ctx.operation_id == operation_id:
                    self.ctx.close_operation()
            else:
                self.set(error=error)
            self._rebuild()
            return
        self.set(info=words._("Pack downloaded: it works without signal from now on."))
        self._rebuild()

    def _failed_download(self, exc: BaseException) -> None:
        self.set(downloading_id=None, progress=0.0, error=message_for(exc))

    # -- open -------------------------------------------------------------------------
    def open(self, operation_id: int) -> None:
        if not self.ctx.open_operation(operation_id):
            self.set(error=words._("Download this operation's pack first."))
            return
        if self.ctx.pair is None:
            self.set(info=words._("You are not in a pair on this operation: the walk list is empty. "
                                  "Ask your coordinator to add you to a pair."))
        if self.on_opened:
            self.on_opened(operation_id)

    def pair_text(self) -> str:
        return words._("Your pair: {pair}").format(pair=self.ctx.pair.summary) if self.ctx.pair else ""
