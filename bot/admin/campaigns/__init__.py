"""Campaigns in the dashboard, sliced by feature: their funnels (funnels.py) and pages (views.py)."""
