"""Broker and scam checks: warning signs in a message, trouble abroad, and the licensed-enterprise lookup.

- rules.py: actions/brokers.yaml (cue patterns, matching vocabulary, thresholds), read and compiled;
- names.py: the words of a company name, and the name a message gives (pure);
- listing.py: the enterprises of the official list and the lookup over a directory of them (pure);
- directory.py: the active list indexed for fuzzy matching (the bot builds it: bot/enterprises/);
- signs.py: what a message shows: warning signs, a worker abroad in trouble (cues and the detector);
- desk.py: the replies, built through the outcome builder (actions/outcomes.py).

What the bot says is in knowledge/responses.yaml (warning_*, enterprise_*, urgent_*) and in the
knowledge entries it quotes.
"""
