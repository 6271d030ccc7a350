"""The fake Bot API servers of the channel tests, for the canary suite."""

from tests.channels.conftest import fake_telegram, fake_zalo

__all__ = ["fake_telegram", "fake_zalo"]
