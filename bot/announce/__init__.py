"""Announcements: workers' opt-in subscriptions, officials' announcements, paced delivery.

models.py (the three tables), store.py (subscribe, announce, claim and record deliveries),
sender.py (the background task every `serve` process runs), cli.py (`laodong announce`).
"""
