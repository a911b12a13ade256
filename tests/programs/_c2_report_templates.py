"""A module that is slow to import (c2_hang_fork_during_import.py): it "compiles its report
templates" at import time."""
import time

time.sleep(2.0)  # LINE:templates_load
TEMPLATES = {"daily": "{date}: {total}", "weekly": "{week}: {total}"}
