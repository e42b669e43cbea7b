"""The follow-up tests' demo ids, for the photo tests too."""

from tests.followups.conftest import demo_ids  # noqa: F401 (fixture)
