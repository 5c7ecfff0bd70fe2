"""A hostile web server on 127.0.0.1 for the fault campaign: each path answers with exactly the bytes a test sets.

Headers are written raw (a NUL byte in a value, a lying Content-Length are possible), bodies may be streamed
from a generator (an endless or very slow body), and every request is logged, so a test can tell what the
crawler asked for. Nothing here reaches beyond the loopback interface.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = bytes | Callable[[], Iterable[bytes]]


@dataclass
class Reply:
    """What one path answers."""

    body: Body = b""
    status: int = 200
    headers: list[tuple[bytes, bytes]] = field(default_factory=lambda: [(b"Content-Type", b"text/html; charset=utf-8")])
    delay: float = 0.0  # seconds before the status line


class HostileServer:
    """`server.routes[path] = Reply(...)`; `server.url(path)`; `server.requests` lists the paths asked for."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                outer.requests.append(self.path)
                reply = outer.routes.get(self.path) or outer.routes.get(self.path.split("?", 1)[0])
                if reply is None:
                    reply = Reply(b"not here", 404, [(b"Content-Type", b"text/plain")])
                if reply.delay:
                    time.sleep(reply.delay)
                chunks: Iterator[bytes] | None = None
                if callable(reply.body):
                    chunks = iter(reply.body())
                    body = b""
                else:
                    body = reply.body
                head = [f"HTTP/1.1 {reply.status} X".encode()] + [k + b": " + v for k, v in reply.headers]
                if chunks is None:
                    head.append(b"Content-Length: " + str(len(body)).encode())
                else:
                    head.append(b"Transfer-Encoding: chunked")
                head.append(b"Connection: close")
                try:
                    self.wfile.write(b"\r\n".join(head) + b"\r\n\r\n")
                    if chunks is None:
                        self.wfile.write(body)
                    else:
                        for chunk in chunks:
                            if chunk:
                                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:  # the crawler hung up (a cap, a timeout): what the test wanted
                    pass
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="hostile-server", daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def source(server: HostileServer, name: str = "hostile", **keys: Any) -> dict[str, Any]:
    """A local source table for the server (article pages end in .html, list pages in /list)."""
    table: dict[str, Any] = {"name": name, "allowed_domains": ["127.0.0.1"], "local": True, "max_depth": 3,
                             "article_patterns": [r"/a/\d+\.html$"], "list_patterns": [r"/list$"],
                             "keywords": ["援疆"]}
    table.update(keys)
    if not any(k in table for k in ("start_urls", "sitemaps", "feeds")):
        table["start_urls"] = [server.url("/list")]
    return table
