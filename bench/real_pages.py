"""Per-field accuracy of the HTML stage on hand-labelled real pages (the shared portal corpus).

    .venv/bin/python bench/real_pages.py [--pages DIR] [--labels DIR ...] [--show FIELD] [--htmldate]
                                         [--save-bodies FILE] [--against FILE]

Each label file (``<site>__<stem>.json``, see ``tests/labels/gne-pages/README.md``) names one page under
``--pages`` and holds what a reader sees there: title, publish time, authors, editor, source, the first and
the last sentence of the body, and whether the page is an article at all. The page is decoded as the ETL
decodes it and cleaned with :func:`etl.html.clean`; nothing here is timed (``bench_extract.py --pages`` times).

A field is right when it equals the label or one of its ``<field>_alt`` values once whitespace is removed;
names compare as lists (split at spaces, 、 and commas); a date is right to the day when its Beijing day equals
the label's; body agreement means the body starts with ``body_first`` and ends with ``body_last``. "No date"
counts every page where the cleaner found none, whatever the label says, and "refused" counts article pages
left without a body (``aidnews extract`` refuses those with "no article body found").

A change to the body chooser is judged page by page: ``--save-bodies before.json`` on the old code, then
``--against before.json`` on the new one lists every page whose body changed, with both lengths, the bigram F1
between the two bodies and whether each still starts and ends as labelled.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.evaluation import bigram_f1  # noqa: E402
from etl.html import SHANGHAI, Cleaned, CleanError, clean  # noqa: E402
from etl.text.encoding import decode_html  # noqa: E402

DEFAULT_PAGES = Path(os.environ.get("AIDNEWS_SHARED") or ROOT.parent / "shared") / "corpus" / "gne-pages"
DEFAULT_LABELS = ROOT / "tests" / "labels" / "gne-pages"
FIELDS = ("title", "date", "authors", "editor", "source", "body_first", "body_last")
_SPACE = re.compile(r"\s+")
_NAME_SPLIT = re.compile(r"[\s、，,;；/]+")
_LABEL_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass
class Labelled:
    name: str
    path: Path
    label: dict


def bare(text: str | None) -> str:
    return _SPACE.sub("", text or "")


def names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [name for item in items for name in _NAME_SPLIT.split(item) if name]


def label_day(value: str | None) -> date | None:
    match = _LABEL_DAY.match(value or "")
    return date(int(match[1]), int(match[2]), int(match[3])) if match else None


def day_of(stamp: datetime | None) -> date | None:
    return stamp.astimezone(SHANGHAI).date() if stamp else None


def choices(label: dict, key: str) -> list:
    return [label.get(key), *label.get(f"{key}_alt", [])]


def load(pages: Path, label_dirs: list[Path]) -> list[Labelled]:
    """Every label file whose page exists; a page labelled twice keeps the first directory's label."""
    found: dict[str, Labelled] = {}
    for directory in label_dirs:
        for file in sorted(directory.glob("*.json")):
            label = json.loads(file.read_text(encoding="utf-8"))
            page = pages / label["page"]
            if page.exists() and file.stem not in found:
                found[file.stem] = Labelled(file.stem, page, label)
    return sorted(found.values(), key=lambda item: item.name)


def read_page(path: Path) -> str:
    return decode_html(path.read_bytes(), None).text


def judge(cleaned: Cleaned | None, label: dict) -> dict[str, bool]:
    """Field -> right or wrong, for one page."""
    if cleaned is None:
        return dict.fromkeys(FIELDS, False)
    body = bare(cleaned.body)
    found_day = day_of(cleaned.published_at)
    return {
        "title": bare(cleaned.title) in {bare(t) for t in choices(label, "title") if t},
        "date": found_day in {label_day(d) for d in choices(label, "published")},
        "authors": names(cleaned.author) in [names(a) for a in choices(label, "authors") if a is not None],
        "editor": names(cleaned.editor) in [names(e) for e in choices(label, "editor")],
        "source": bare(cleaned.source) in {bare(s) for s in choices(label, "source")},
        "body_first": any(body.startswith(bare(s)) for s in choices(label, "body_first") if s),
        "body_last": any(body.endswith(bare(s)) for s in choices(label, "body_last") if s),
    }


def run_htmldate(html: str) -> date | None:
    from htmldate import find_date as htmldate_find

    found = htmldate_find(html, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    return date.fromisoformat(found) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="folder of real pages")
    parser.add_argument("--labels", type=Path, nargs="*", default=[DEFAULT_LABELS], help="folders of label files")
    parser.add_argument("--show", nargs="*", default=[], help="print the pages where these fields are wrong")
    parser.add_argument("--htmldate", action="store_true", help="also score htmldate's date on the same pages")
    parser.add_argument("--save-bodies", type=Path, help="write every page's body to this JSON file")
    parser.add_argument("--against", type=Path, help="compare bodies with a file --save-bodies wrote earlier")
    args = parser.parse_args()
    if not args.pages.is_dir():
        sys.exit(f"no pages at {args.pages}: the shared corpus ships beside the repository, not in it")

    labelled = load(args.pages, args.labels)
    articles = [item for item in labelled if item.label.get("is_article", True)]
    right: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    no_date: list[str] = []
    refused: list[str] = []
    htmldate_right = 0
    bodies: dict[str, str] = {}
    verdicts: dict[str, dict[str, bool]] = {}
    for item in labelled:
        html = read_page(item.path)
        try:
            cleaned: Cleaned | None = clean(html)
        except CleanError as exc:
            cleaned = None
            print(f"{item.name}: {exc}")
        bodies[item.name] = cleaned.body if cleaned else ""
        if cleaned is None or cleaned.published_at is None:
            no_date.append(item.name)
        if not item.label.get("is_article", True):
            continue
        if cleaned is None or not cleaned.paragraphs:
            refused.append(item.name)
        verdict = verdicts[item.name] = judge(cleaned, item.label)
        for name, ok in verdict.items():
            if name == "date" and not item.label.get("published"):
                continue  # no date shown: nothing to be right about
            counted[name] += 1
            right[name] += ok
            if not ok and name in args.show:
                found, wanted = _found(cleaned, name), _wanted(item.label, name)
                print(f"  {name:<10} {item.name:<24} found {found!r} label {wanted!r}")
        if args.htmldate and item.label.get("published"):
            htmldate_right += run_htmldate(html) in {label_day(d) for d in choices(item.label, "published")}

    print(f"{len(labelled)} labelled pages ({len(articles)} articles) under {args.pages}")
    for name in FIELDS:
        share = right[name] / counted[name] if counted[name] else 0.0
        print(f"  {name:<10} {right[name]:>3}/{counted[name]:<3} {share:6.1%}")
    print(f"  no date found: {len(no_date)} {' '.join(no_date)}")
    print(f"  refused article pages: {len(refused)} {' '.join(refused)}")
    if args.htmldate:
        print(f"  htmldate date right to the day: {htmldate_right}/{counted['date']}")
    if args.save_bodies:
        args.save_bodies.write_text(json.dumps(bodies, ensure_ascii=False, indent=0), encoding="utf-8")
    if args.against:
        compare_bodies(json.loads(args.against.read_text(encoding="utf-8")), bodies, verdicts, labelled)


def compare_bodies(
    before: dict[str, str], after: dict[str, str], verdicts: dict[str, dict[str, bool]], labelled: list[Labelled]
) -> None:
    """Every page whose body changed: lengths, F1 of the two bodies, and the body bounds before -> after."""
    labels = {item.name: item.label for item in labelled}
    changed = [name for name in after if name in before and before[name] != after[name]]
    print(f"  bodies changed: {len(changed)} of {len(after)}")
    for name in changed:
        old = judge_body(before[name], labels[name])
        new = verdicts.get(name) or judge_body(after[name], labels[name])
        print(
            f"    {name:<24} {len(before[name]):>6} -> {len(after[name]):<6} F1(before, after) "
            f"{bigram_f1(before[name], after[name]):.3f}  first {old['body_first']}->{new['body_first']}  "
            f"last {old['body_last']}->{new['body_last']}"
        )


def judge_body(body: str, label: dict) -> dict[str, bool]:
    """The body bounds of :func:`judge` for a body text alone."""
    text = bare(body)
    return {
        "body_first": any(text.startswith(bare(s)) for s in choices(label, "body_first") if s),
        "body_last": any(text.endswith(bare(s)) for s in choices(label, "body_last") if s),
    }


def _found(cleaned: Cleaned | None, name: str) -> object:
    if cleaned is None:
        return None
    if name == "date":
        return cleaned.published_at.isoformat() if cleaned.published_at else None
    if name == "authors":
        return cleaned.author
    if name in ("body_first", "body_last"):
        text = cleaned.body
        return text[:40] if name == "body_first" else text[-40:]
    return getattr(cleaned, name)


def _wanted(label: dict, name: str) -> object:
    return label.get({"date": "published"}.get(name, name))


if __name__ == "__main__":
    main()
