"""Signing in: online when the server answers, else offline against the stored verifier."""

from __future__ import annotations

from dataclasses import dataclass

from mobile.store import Session, Store
from mobile.sync.transport import Transport


@dataclass(frozen=True, slots=True)
class SignInResult:
    """`session` is set on success; otherwise `error` says what to do."""

    session: Session | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.session is not None


def sign_in(store: Store, transport: Transport, username: str, password: str) -> SignInResult:
    """Sign in online; if the server cannot be reached, fall back to the offline verifier.

    A wrong password from the server is final (no offline fallback): the server knows best.
    """
    raise NotImplementedError
