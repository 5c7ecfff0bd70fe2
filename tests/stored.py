"""Rows written straight into the store with the models, for the tests that read them back: fetched pages as the
crawler stores them (a page's row, the row stored, a small article page in the layout of a regional aid site),
and articles with their figures as the ETL would have left them.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from etl.store.models import Article, Metric, Page

HTML = "text/html; charset=utf-8"


def page_row(
    url: str, body: bytes, content_type: str = HTML, source: str | None = "test", fetched_at: datetime | None = None
) -> Page:
    """The row the crawler writes for a page fetched with status 200 (body compressed, its hash); fetched now unless
    `fetched_at` says when."""
    return Page(
        url=url,
        final_url=url,
        source_name=source,
        status=200,
        body=zlib.compress(body),
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        content_type=content_type,
        fetched_at=fetched_at or datetime.now(UTC),
    )


def store_page(engine: sa.Engine, url: str, body: bytes, content_type: str = HTML, source: str | None = "test") -> int:
    """Write one page in its own transaction; its id."""
    with Session(engine) as session:
        page = page_row(url, body, content_type, source)
        session.add(page)
        session.commit()
        assert page.id is not None
        return page.id


def aid_page_html(
    title: str, paragraphs: list[str], date: str = "2024-05-06 10:30", canonical: str | None = None
) -> bytes:
    """An article page of a regional aid site: navigation, title, date and outlet line, body, footer; with a
    canonical link where `canonical` is given."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_援疆网</title>{link}</head><body>"
        f"<div class='nav'><a href='/'>首页</a><a href='/news/'>新闻</a></div><h1>{title}</h1>"
        f"<div class='info'>发布时间：{date} 来源：伊犁日报</div>"
        f"<div class='article-content'>{body}</div>"
        f"<div class='footer'>版权所有 新ICP备000000号</div></body></html>"
    ).encode()


def store_article(session: Session, figures: Iterable[dict[str, Any]] = (), **fields: Any) -> int:
    """Write an article with the given fields, then its figures (each the fields of a Metric row, in order);
    the article's id."""
    article = Article(**fields)
    session.add(article)
    session.commit()
    for figure in figures:
        session.add(Metric(article_id=article.id, **figure))
    session.commit()
    assert article.id is not None
    return article.id


def places(
    provider: tuple[str | None, str | None] = (None, None),
    recipient: tuple[str | None, str | None, str | None] = (None, None, None),
) -> dict[str, str | None]:
    """The place fields of an article: the provider's province and prefecture, the recipient's down to its county."""
    return {
        "provider_province": provider[0],
        "provider_prefecture": provider[1],
        "recipient_province": recipient[0],
        "recipient_prefecture": recipient[1],
        "recipient_county": recipient[2],
    }
