"""How the Rasa server is started (no Rasa needed)."""

from __future__ import annotations

import argparse

from nlu.rasa_servers import RasaServers


def test_a_token_that_starts_with_a_dash_reaches_rasa_whole() -> None:
    """secrets.token_urlsafe may start with "-"; `rasa run` parses its options with argparse."""
    command = RasaServers(token="-S7c-y-NRmtxlQ").rasa_command()
    rasa_options = argparse.ArgumentParser()
    rasa_options.add_argument("-t", "--auth-token")
    rasa_options.add_argument("-p", "--port")
    parsed, _ = rasa_options.parse_known_args(command[2:])
    assert parsed.auth_token == "-S7c-y-NRmtxlQ"
    assert parsed.port == "5005"
