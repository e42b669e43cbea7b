"""Settings read once from the environment into a typed object (cached).

Tests set the environment before they import the app.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SECRET = "change-me"
SMTP_SECURITY = ("starttls", "tls", "plain")
#: Bank-holiday calendars of the UK (the ``holidays`` package's subdivisions of GB).
BANK_HOLIDAY_REGIONS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}


class SettingsError(RuntimeError):
    """A setting is missing or unsafe; the message says which and how to fix it."""


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(name: str, value: str) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"{name} has something that is not an address or network ({exc}): give addresses "
                            "or networks separated by commas, e.g. 10.0.0.5,10.1.0.0/16.") from None


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


#: What sits between the server and PostgreSQL (``DATABASE_POOL_MODE``): ``session``, PostgreSQL
#: itself or a pooler that gives each client its own server connection; ``transaction``, PgBouncer's
#: ``pool_mode = transaction``, which hands the server connection to another client after every
#: transaction (server/db/engine.py says what that changes).
POOL_MODES = ("session", "transaction")


def pool_mode_from_env() -> str:
    mode = os.environ.get("DATABASE_POOL_MODE", "session").strip().lower() or "session"
    if mode not in POOL_MODES:
        raise SettingsError(f"DATABASE_POOL_MODE is {mode!r}: use session (PostgreSQL itself, or a pooler in session "
                            "mode) or transaction (PgBouncer with pool_mode = transaction).")
    return mode


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    demo: bool
    #: ``session`` or ``transaction`` (PgBouncer's pool mode in front of DATABASE_URL; POOL_MODES).
    database_pool_mode: str = "session"
    #: A streaming replica of DATABASE_URL for read-only work that may be a moment behind (the
    #: dashboard's figures, open data, the OGC API, exports); empty: everything reads the primary.
    database_read_url: str = ""
    #: A replica further behind than this is not read (its reads go to the primary).
    read_max_lag_seconds: float = 60.0
    #: A web sign-in (pages, API clients) ends this long after it began (one shift).
    token_ttl_seconds: int = 12 * 3600
    #: A tablet's sign-in ends after this many days without a request (it moves forward with use).
    device_session_days: int = 30
    #: How long a server process may trust what it last read about a session (≤ 30 s): a
    #: deactivated user or an ended session is refused everywhere within this time.
    session_check_seconds: float = 30.0
    #: Wrong passwords allowed for a username from one client before each next attempt must wait
    #: (2 s, then twice as long each time); ten times as many per client, twenty times per username.
    sign_in_free_failures: int = 5
    #: Proxies whose X-Forwarded-For is believed (addresses or networks); nobody else's is.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    # Follow-up notifications (issue 5): SMTP for e-mail, optional signed webhooks.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "doorstep@localhost"
    #: How the mail server is reached: "starttls" (the default: upgrade, certificate checked, then
    #: log in), "tls" (TLS from the start, port 465), or "plain" (no TLS and no login: only for a
    #: relay on this machine or its private network, and only when said explicitly).
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    #: A CA bundle to check the mail server's certificate against, if not the system's.
    smtp_ca_file: str = ""
    notify_interval_seconds: float = 5.0
    # Map base tiles for deployments that have their own tile server; empty = no base layer.
    tile_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    #: Served to browsers over HTTPS (TLS here or at a proxy in front): HSTS, and a Secure
    #: ``__Host-`` session cookie. On by default outside demo mode.
    https: bool = False
    # Working days for follow-up due dates skip this region's bank holidays.
    bank_holidays: str = "ENG"
    # Planning from the web (issue 13): the largest operation area, the largest upload, how often
    # a server process looks for queued imports (0 or less: this process runs none).
    max_area_km2: float = 25.0
    upload_max_bytes: int = 64 * 1024 * 1024
    import_interval_seconds: float = 2.0
    # Tablets (issue 15), sent with each tablet's sign-in: the app locks after this long untouched,
    # and after this many days without reaching the server only an online sign-in opens it.
    tablet_idle_lock_minutes: float = 5.0
    tablet_offline_days: int = 3
    #: Where files live (photos, when DOORSTEP_PHOTO_STORE is "files"): .data inside a checkout.
    data_dir: str = "doorstep-data"
    #: "files" (under data_dir) or "s3" (any S3-compatible store; credentials from boto3's usual places).
    photo_store: str = "files"
    photo_max_bytes: int = 12 * 1024 * 1024
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_prefix: str = ""
    # Retention (issue 15): residents' details, free text and photos of a follow-up go this long after it
    # was closed; visits' (and fixes') free text and fixes' photos this long after the visit.
    retention_followup_days: int = 90
    retention_visit_text_days: int = 180
    #: When the nightly retention run is due (local time, Europe/London), and how often a server process
    #: looks whether it is (0 or less: this process never runs it; the CLI still does).
    retention_at: str = "02:00"
    retention_check_seconds: float = 300.0

    def check_production_safe(self) -> None:
        """Outside demo mode the secret must be a long random value: it signs every session token."""
        if self.demo:
            return
        problem = secret_problem(self.secret_key)
        if problem:
            raise SettingsError(
                f"DOORSTEP_SECRET_KEY {problem}: it signs every sign-in token, so it must be at least "
                f"{MIN_SECRET_LENGTH} characters of a random value. Make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` (or `openssl rand -base64 48`), "
                "or start with DOORSTEP_DEMO=1 for the demo."
            )


#: What a production secret needs: length, and enough different characters spread evenly enough
#: that it cannot be a word, a repeated pattern or a keyboard run (a random 32-character hex or
#: base64 value passes with room to spare).
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 80


def secret_problem(secret: str) -> str | None:
    """What is wrong with a production secret, or None."""
    if not secret:
        return "is not set"
    if secret == DEFAULT_SECRET:
        return "is still the default"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"has {len(secret)} characters"
    counts = [secret.count(c) for c in set(secret)]
    # Shannon's estimate of the bits in the value from its own character frequencies.
    bits = -sum(n * math.log2(n / len(secret)) for n in counts)
    if len(counts) < 8 or bits < MIN_SECRET_BITS:
        return "looks guessable (too few different characters, or a repeated pattern)"
    steps = sum(abs(ord(b) - ord(a)) <= 1 for a, b in zip(secret, secret[1:], strict=False))
    if steps > len(secret) // 2:  # "0123456789abcdef…", "aabbccdd…"
        return "is a run of neighbouring characters"
    if "not-for-production" in secret.lower():  # the development values in this repository
        return "is a development value from Doorstep's own repository"
    grams = [secret[i:i + 6] for i in range(len(secret) - 5)]
    if len(set(grams)) < len(grams):  # "Password1Password1…": a random value never repeats six characters
        return "repeats itself"
    return None


CHECKOUT = Path(__file__).resolve().parents[1]


def checkout_database_url() -> str | None:
    """The project's own cluster, as `make run` uses it, when DATABASE_URL is unset inside a checkout.

    Asks scripts/db.sh (the one place that knows the socket folder and port) for the URL of the
    database `make run` serves (DOORSTEP_DB_NAME, default doorstep), once the cluster exists.
    """
    script = CHECKOUT / "scripts" / "db.sh"
    if not script.is_file() or not (CHECKOUT / ".data" / "pg" / "PG_VERSION").is_file():
        return None
    name = os.environ.get("DOORSTEP_DB_NAME", "doorstep")
    out = subprocess.run(["bash", str(script), "url", name], capture_output=True, text=True, check=False)
    return (out.stdout.strip() or None) if out.returncode == 0 else None


PHOTO_STORES = ("files", "s3")


def _positive(name: str, default: float, *, integer: bool = False, low: float = 1, high: float | None = None,
              what: str = "") -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else float(default)
    except ValueError:
        raise SettingsError(f"{name} is {raw!r}: give a number{what}.") from None
    if value < low or (high is not None and value > high) or (integer and value != int(value)):
        bounds = f"{low:g} to {high:g}" if high is not None else f"at least {low:g}"
        kind = "a whole number" if integer else "a number"
        raise SettingsError(f"{name} is {raw!r}: give {kind} from {bounds}{what}.")
    return value


def default_data_dir() -> str:
    """.data inside a checkout (beside the project's own database cluster), else ./doorstep-data."""
    return str(CHECKOUT / ".data") if (CHECKOUT / "scripts" / "db.sh").is_file() else "doorstep-data"


def _clock_time(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2):
        raise SettingsError(f"{name} is {value!r}: give a time of day as HH:MM, e.g. 02:00.")
    return f"{int(hours):02d}:{minutes}"


def _tablet_and_photo_settings() -> dict:
    """The settings of issue 15 (tablets, photos, retention), checked with a message that says what to fix."""
    photo_store = os.environ.get("DOORSTEP_PHOTO_STORE", "files").strip().lower()
    if photo_store not in PHOTO_STORES:
        raise SettingsError(f"DOORSTEP_PHOTO_STORE is {photo_store!r}: use files (under DOORSTEP_DATA_DIR, the "
                            "default) or s3 (with DOORSTEP_S3_BUCKET).")
    bucket = os.environ.get("DOORSTEP_S3_BUCKET", "").strip()
    if photo_store == "s3" and not bucket:
        raise SettingsError("DOORSTEP_PHOTO_STORE is s3 but DOORSTEP_S3_BUCKET is not set: name the bucket "
                            "(and DOORSTEP_S3_ENDPOINT_URL for a store that is not Amazon's).")
    return {
        "tablet_idle_lock_minutes": _positive("DOORSTEP_TABLET_IDLE_LOCK_MINUTES", 5, low=1, high=240,
                                              what=" (minutes a tablet may lie untouched before it locks)"),
        "tablet_offline_days": int(_positive("DOORSTEP_TABLET_OFFLINE_DAYS", 3, integer=True, low=1, high=60,
                                             what=" (days a tablet may go without the server)")),
        "data_dir": os.environ.get("DOORSTEP_DATA_DIR", "").strip() or default_data_dir(),
        "photo_store": photo_store,
        "photo_max_bytes": int(_positive("DOORSTEP_PHOTO_MAX_MB", 12, low=1, high=100,
                                         what=" (megabytes, the largest photo upload)") * 1024 * 1024),
        "s3_bucket": bucket,
        "s3_endpoint_url": os.environ.get("DOORSTEP_S3_ENDPOINT_URL", "").strip(),
        "s3_region": os.environ.get("DOORSTEP_S3_REGION", "").strip(),
        "s3_prefix": os.environ.get("DOORSTEP_S3_PREFIX", "").strip(),
        "retention_followup_days": int(_positive("DOORSTEP_RETENTION_FOLLOWUP_DAYS", 90, integer=True, low=1,
                                                 what=" (days after a follow-up is closed)")),
        "retention_visit_text_days": int(_positive("DOORSTEP_RETENTION_VISIT_TEXT_DAYS", 180, integer=True, low=1,
                                                   what=" (days after a visit)")),
        "retention_at": _clock_time("DOORSTEP_RETENTION_AT", "02:00"),
        "retention_check_seconds": float(os.environ.get("DOORSTEP_RETENTION_CHECK_SECONDS", 300.0)),
    }


def _asyncpg_url(url: str) -> str:
    """postgresql:// and postgres:// URLs are taken as the asyncpg driver's."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def from_env() -> Settings:
    url = os.environ.get("DATABASE_URL", "") or checkout_database_url() or ""
    if not url:
        raise SettingsError(
            "DATABASE_URL is not set: point it at a PostGIS database, e.g. "
            "postgresql+asyncpg://user:password@host:5432/doorstep (inside a checkout, `make run` once "
            "creates the project's own database, which every command then finds by itself)."
        )
    region = os.environ.get("DOORSTEP_BANK_HOLIDAYS", "ENG").strip().upper()
    if region not in BANK_HOLIDAY_REGIONS:
        choices = ", ".join(f"{code} ({name})" for code, name in BANK_HOLIDAY_REGIONS.items())
        raise SettingsError(f"DOORSTEP_BANK_HOLIDAYS is {region!r}: use one of {choices}.")
    session_check = float(os.environ.get("DOORSTEP_SESSION_CHECK_SECONDS", 30))
    if not 0 <= session_check <= 30:
        raise SettingsError(f"DOORSTEP_SESSION_CHECK_SECONDS is {session_check:g}: use 0 to 30 seconds (a "
                            "deactivated user must be refused everywhere within half a minute).")
    demo = _bool("DOORSTEP_DEMO")
    smtp_security = os.environ.get("DOORSTEP_SMTP_SECURITY", "starttls").strip().lower()
    if smtp_security not in SMTP_SECURITY:
        raise SettingsError(f"DOORSTEP_SMTP_SECURITY is {smtp_security!r}: use starttls (the default), tls, or plain "
                            "(a relay on this machine only).")
    if smtp_security == "plain" and os.environ.get("DOORSTEP_SMTP_USERNAME"):
        raise SettingsError("DOORSTEP_SMTP_SECURITY is plain but DOORSTEP_SMTP_USERNAME is set: a password is "
                            "never sent without TLS. Use starttls or tls, or a relay that needs no login.")
    url, read_url = (_asyncpg_url(u) for u in (url, os.environ.get("DATABASE_READ_URL", "").strip()))
    max_lag = _positive("DOORSTEP_READ_MAX_LAG_SECONDS", 60, low=0.1,
                        what=" (seconds a read replica may be behind before its reads go to the primary)")
    return Settings(
        database_url=url,
        database_pool_mode=pool_mode_from_env(),
        database_read_url=read_url,
        read_max_lag_seconds=max_lag,
        secret_key=os.environ.get("DOORSTEP_SECRET_KEY", DEFAULT_SECRET),
        demo=demo,
        https=_bool("DOORSTEP_HTTPS", default=not demo),
        token_ttl_seconds=int(os.environ.get("DOORSTEP_TOKEN_TTL_SECONDS", 12 * 3600)),
        device_session_days=int(os.environ.get("DOORSTEP_DEVICE_SESSION_DAYS", 30)),
        session_check_seconds=session_check,
        sign_in_free_failures=int(os.environ.get("DOORSTEP_SIGN_IN_FREE_FAILURES", 5)),
        trusted_proxies=_networks("DOORSTEP_TRUSTED_PROXIES", os.environ.get("DOORSTEP_TRUSTED_PROXIES", "")),
        smtp_host=os.environ.get("DOORSTEP_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(os.environ.get("DOORSTEP_SMTP_PORT", 25)),
        smtp_from=os.environ.get("DOORSTEP_SMTP_FROM", "doorstep@localhost"),
        smtp_security=smtp_security,
        smtp_username=os.environ.get("DOORSTEP_SMTP_USERNAME", ""),
        smtp_password=os.environ.get("DOORSTEP_SMTP_PASSWORD", ""),
        smtp_ca_file=os.environ.get("DOORSTEP_SMTP_CA_FILE", ""),
        notify_interval_seconds=float(os.environ.get("DOORSTEP_NOTIFY_INTERVAL_SECONDS", 5.0)),
        tile_url=os.environ.get("DOORSTEP_TILE_URL", ""),
        public_url=os.environ.get("DOORSTEP_PUBLIC_URL", "http://127.0.0.1:8000"),
        bank_holidays=region,
        max_area_km2=float(os.environ.get("DOORSTEP_MAX_AREA_KM2", 25.0)),
        upload_max_bytes=int(float(os.environ.get("DOORSTEP_UPLOAD_MAX_MB", 64)) * 1024 * 1024),
        import_interval_seconds=float(os.environ.get("DOORSTEP_IMPORT_INTERVAL_SECONDS", 2.0)),
        **_tablet_and_photo_settings(),
    )


@functools.cache
def get_settings() -> Settings:
    return from_env()
