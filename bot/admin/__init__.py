"""The officials' dashboard at /admin: inquiry log, unanswered questions, handoffs, campaigns, reports.

`bot.admin.app.setup_admin` mounts it on the web application; nothing here runs at import.
"""
