"""Requests for an official in the dashboard, sliced by feature: the inbox's reads (reads.py) and
its pages (views.py: list, thread, take, reply, close)."""
