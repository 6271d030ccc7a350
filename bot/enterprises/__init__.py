"""The official list of licensed enterprises: import from CSV or Excel, and the in-memory copy.

listfile.py reads and checks a list file; importing.py makes it the active list (or stages it
for an official to confirm); directory.py keeps the active list in memory for the bot
(`EnterpriseCache`) and reloads it when a newer list becomes active.
"""

from bot.enterprises.directory import EnterpriseCache, directory_from, load_directory
from bot.enterprises.importing import ImportReport, ListDiff, compare, confirm_list, import_enterprises
from bot.enterprises.listfile import PROBLEMS, ListFileError, Problem, Rejected, parse_date, parse_rows, read_table

__all__ = [
    "PROBLEMS",
    "EnterpriseCache",
    "ImportReport",
    "ListDiff",
    "ListFileError",
    "Problem",
    "Rejected",
    "compare",
    "confirm_list",
    "directory_from",
    "import_enterprises",
    "load_directory",
    "parse_date",
    "parse_rows",
    "read_table",
]
