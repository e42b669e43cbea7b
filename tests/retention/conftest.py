"""The follow-up tests' fixtures and the photo tests' local S3, for the retention tests too."""

from tests.followups.conftest import agency_operation, demo_ids, raise_followup  # noqa: F401 (fixtures)
from tests.photos.test_photo_upload import moto_s3  # noqa: F401 (fixture)
