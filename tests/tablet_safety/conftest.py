"""The security tests' throwaway users and cookie-free sign-ins, for the tablet-safety tests too."""

from tests.security.conftest import make_user, sign_in  # noqa: F401 (fixtures)
