"""The dashboard's views: one route table per feature, wired together in bot/admin/app.py."""
