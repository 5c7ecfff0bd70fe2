"""Where the project's shared folder is, spelled once: the seed page and the real portal pages.

They sit beside the clone (../shared/), not in the repository; tests that need them skip with the reason where a
user's clone has no such folder.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed"
CORPUS = SHARED / "corpus" / "gne-pages"
