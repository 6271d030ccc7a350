"""The bot's actions: answer with sources, clarify, fall back, hand off, feedback, province.

`actions.respond.Responder` holds the logic; the embedded path calls it in-process and
the Rasa action server (issue 5) wraps the same calls.
"""
