"""The people of the tests' incidents, and the hours they keep: one cast, so every test file
speaks of the same ones."""

from datetime import time

from workflows.vocabulary.policy import OfficeHours

DM, DM2 = "U0DM", "U0DM2"  # delivery managers
LEAD, NEW_LEAD = "U0LEAD", "U0NEW"
HELPER, SUE, DEV = "U0HELP", "U0SUE", "U0DEV"  # people who join or are handed the lead
REPORTER, OUTSIDER, INFOSEC = "U0REP", "U0OUT", "U0SEC"

# Office hours that never hold a reminder back (but for the last minute of each UTC day).
ALL_HOURS = OfficeHours(
    weekdays=list(range(7)), opens=time(0, 0), closes=time(23, 59), timezone="UTC"
)
