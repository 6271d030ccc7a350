"""Officials' roles, weakest first: each may do what the ones before it may.

Kept apart from accounts.py so that building the `laodong` command line (whose `admin create-user
--role` offers them) imports neither SQLAlchemy nor argon2.
"""

ROLES = ("viewer", "editor", "approver", "admin")
