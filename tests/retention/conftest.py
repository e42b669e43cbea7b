"""The follow-up tests' fixtures, for the retention tests too."""

from tests.followups.conftest import demo_ids, raise_followup  # noqa: F401 (fixtures)
