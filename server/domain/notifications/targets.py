"""Where an agency's notifications may go: the one rule, which the admin pages check when an agency is
saved and the worker checks again before each webhook delivery."""

from __future__ import annotations

from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

WEBHOOK_URL_MAX = 2000


def webhook_url_problem(url: str, *, demo: bool) -> str | None:
    """None when follow-ups may be posted to ``url``; else why not, in words an admin can act on.
    Follow-ups carry a description and a place: never sent in clear, so ``https://`` only (plain
    ``http://`` in demo mode, for a receiver on this machine)."""
    parts = urlsplit(url.strip())
    if len(url) > WEBHOOK_URL_MAX:
        return f"The webhook URL is longer than {WEBHOOK_URL_MAX} characters."
    if parts.scheme not in ("https", "http") or not parts.netloc or any(c.isspace() for c in url.strip()):
        return "The webhook URL must be a full address, such as https://cases.example.org/doorstep."
    if parts.scheme != "https" and not demo:
        return ("The webhook URL is not https://: it must start with https://, follow-ups are not sent in clear "
                "(plain http:// is for demo mode only).")
    return None


def email_problem(address: str) -> str | None:
    """None for a well-formed address (syntax only: no DNS lookup), else why not."""
    value = address.strip()
    if len(value) > 320:
        return "The e-mail address is longer than 320 characters."
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return f"{value!r} is not an e-mail address: it should look like team@agency.example."
    return None
