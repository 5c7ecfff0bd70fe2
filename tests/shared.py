"""Where the project's shared folder is, spelled once: the seed page and the real portal pages.

They sit beside the clone (../shared/), not in the repository; tests that need them skip with the reason where a
user's clone has no such folder. ``AIDNEWS_SHARED`` names another place for it, for a checkout that does not sit
beside it (a git worktree in a subfolder).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AIDNEWS_SHARED") or REPO.parent / "shared")
SEED = SHARED / "seed"
CORPUS = SHARED / "corpus" / "gne-pages"
