"""Where the project's shared folder is, spelled once: the seed page and the real portal pages.

They sit beside the clone (../shared/), not in the repository; tests that need them skip with the reason where a
user's clone has no such folder. A clone kept elsewhere (a git worktree, say) points at the folder with
AIDNEWS_SHARED=/path/to/shared.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ["AIDNEWS_SHARED"]) if os.environ.get("AIDNEWS_SHARED") else REPO.parent / "shared"
SEED = SHARED / "seed"
CORPUS = SHARED / "corpus" / "gne-pages"
