"""The demo portal as `--demo` uses it, and the one place that chooses between it and a sources file.

The portal runs on a fixed loopback port, so its URLs (and the articles keyed by them) are the same from
one run to the next, and shared when another aidnews process already serves it.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from crawler.demo import DemoPortal, demo_sources
from crawler.demo.corpus import edits_dir_from_env
from etl.sources import SourcesFile, load_sources, parse_sources

DEFAULT_PORT = 8765


def demo_port() -> int:
    return int(os.environ.get("AIDNEWS_DEMO_PORT", DEFAULT_PORT))


def is_demo_portal(base_url: str) -> bool:
    """True when base_url answers like the bundled demo portal (its robots.txt names the demo's paths)."""
    try:
        with urllib.request.urlopen(base_url + "/robots.txt", timeout=3) as reply:
            return b"Disallow: /hq/admin/" in reply.read(4096)
    except OSError:
        return False


@contextmanager
def demo_portal() -> Iterator[str]:
    """Serve the demo portal on 127.0.0.1:$AIDNEWS_DEMO_PORT (8765) for the block, or use the one already there.

    Article corrections in the directory $AIDNEWS_DEMO_EDITS, when set, are served as they appear there.

    Yields the base URL. Raises OSError with a readable message when something else holds the port.
    """
    port = demo_port()
    portal = DemoPortal(port=port, edits=edits_dir_from_env())
    try:
        portal.start()
    except OSError as exc:
        base = f"http://127.0.0.1:{port}"
        if is_demo_portal(base):
            yield base
            return
        raise OSError(
            f"cannot serve the demo portal on 127.0.0.1:{port} ({exc.strerror or exc}); "
            "set AIDNEWS_DEMO_PORT to a free port"
        ) from None
    try:
        yield portal.base_url
    finally:
        portal.stop()


@contextmanager
def sources_for(demo: bool, path: str | Path, on_portal: Callable[[str], None] | None = None) -> Iterator[SourcesFile]:
    """The sources to crawl: the file's at `path`, or with `demo` the demo portal's, served for the block.

    `on_portal` hears the portal's base URL once it answers. Raises ConfigError for a sources file that
    cannot be used and OSError when the portal cannot be served.
    """
    if not demo:
        yield load_sources(path)
        return
    with demo_portal() as base_url:
        if on_portal is not None:
            on_portal(base_url)
        yield parse_sources({"source": demo_sources(base_url)}, "demo portal")
