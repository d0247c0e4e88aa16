"""The people of the tests' incidents: one cast, so every test file speaks of the same ones."""

DM, DM2 = "U0DM", "U0DM2"  # delivery managers
LEAD, NEW_LEAD = "U0LEAD", "U0NEW"
HELPER, SUE, DEV = "U0HELP", "U0SUE", "U0DEV"  # people who join or are handed the lead
REPORTER, OUTSIDER, INFOSEC = "U0REP", "U0OUT", "U0SEC"
