"""The licensed-enterprise list in the dashboard: its pages (views.py: preview, confirm, active list,
compare, roll back); the list itself is bot/enterprises/."""
