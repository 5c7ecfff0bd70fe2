"""Site 3, `/portal/`: a syndication portal that republishes articles the way the seed page shows.

Traditional script with pinyin after polyphonic characters, GBK out-of-step mojibake runs, `?` for a lost
middle dot, closing tags that lost their `<`, and heavy furniture (责任编辑:admin, 下一篇, 随便看看, 相关推荐,
网友评论 with a plugin notice, advertorial lists). Some copies point at the original with
`<link rel="canonical">`, most do not; a few pages declare gb2312 in <meta> while the bytes are UTF-8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crawler.demo.catalogue import Entry, list_path, pick
from crawler.demo.damage import GarbledRun, choose_runs, portal_text, render_paragraph
from crawler.demo.markup import esc, link

SITE_NAME = "華夏資訊網"
HOME = "/portal/index.html"
NAV = ((HOME, "首頁"), (list_path("portal", 1), "資訊"), ("/portal/caijing/", "財經"),
       ("/portal/keji/", "科技"), ("/portal/jiaoyu/", "教育"), ("/portal/jiankang/", "健康"),
       ("/portal/fenxi/", "分析"))
# 随便看看: unrelated headlines the portal links under [分析] (written for the project).
BROWSE = (
    "一季度城鄉居民收入穩步增長 消費市場持續回暖", "多地出台措施支持小微企業穩崗擴就業",
    "夏糧收購進度過半 優質優價政策顯效", "高校畢業生就業服務月活動啟動",
    "以數字化轉型推動製造業提質增效", "農村公路養護迎來新標準", "社區嵌入式服務設施建設提速",
    "汛期將至 如何做好城市排水防澇", "冰雪經濟帶火北方小城", "文旅融合激活古鎮新活力",
    "新能源汽車下鄉活動覆蓋更多縣域", "暑期研學遊升溫 安全提示要記牢",
)
# Advertorial titles the portal runs under the comments (written for the project).
ADS = (
    "家用淨水器怎麼選？三個指標看清楚", "2023年熱門少兒編程課程橫向對比",
    "秋冬養生茶飲推薦，暖胃又解乏", "小戶型裝修避坑指南：收納設計是關鍵",
    "跨境電商新手如何選品？這份清單請收好", "老字號糕點推出聯名禮盒?????",
    "考研季來臨 在職備考的時間管理方法", "智能門鎖十大品牌口碑榜出爐",
    "露營裝備租賃興起 年輕人更愛輕量化出行", "空氣炸鍋真的健康嗎？營養師這樣說",
    "企業出海合規指南：從註冊到稅務", "寵物食品新國標解讀?",
)
COMMENT_NOTICE = "評論功能需接入第三方社會化評論插件（請站長先完成備案），暫無評論。"
LAYOUTS = ("tidy", "tidy", "sloppy")   # sloppy: furniture as plain <p> inside the article body


@dataclass
class ShownArticle:
    html: str
    runs: list[GarbledRun]
    layout: str
    content_type: str
    lying_meta: bool


def _browse_items(seed: str) -> list[tuple[str, str]]:
    start = pick(seed, "browse", len(BROWSE))
    order = BROWSE[start:] + BROWSE[:start]
    return [(f"/portal/fenxi/{3000 + pick(seed + t, 'fx', 9000)}.html", f"[分析]{t}") for t in order[:10]]


def _ads(seed: str, broken: bool) -> str:
    start = pick(seed, "ads", len(ADS))
    order = (ADS[start:] + ADS[:start])[:8]
    rows = []
    for n, title in enumerate(order):
        href = f"/portal/tg/{8000 + n}.html"
        closing = "?/a>" if broken and n == 2 else "</a>"
        rows.append(f'<li><a href="{href}" target="_blank" rel="nofollow">{esc(title)}{closing}</li>')
    return '<div class="ad-list"><ul>' + "".join(rows) + "</ul></div>"


def header(crumb: str) -> str:
    nav = " ".join(link(href, text) for href, text in NAV)
    return f"""<div class="top"><a href="{HOME}"><img src="/portal/static/logo.png" alt="{SITE_NAME}"></a>
<div class="topnav">{nav}</div></div>
<div class="crumb">{link(HOME, "首頁")} &gt; {link(list_path("portal", 1), "資訊")}{crumb}</div>"""


def footer() -> str:
    return f"""<div class="footer"><p>{link("/portal/about.html", "關於我們")} | \
{link("/portal/contact.html", "聯繫我們")} | {link("/portal/sitemap.html", "網站地圖")}</p>
<p>本站部分文章來源於網絡，版權歸原作者所有，如有侵權請聯繫刪除。</p>
<p>Copyright © 2016-2023 {SITE_NAME} 版權所有　京ICP備16012345號-3</p></div>"""


def _meta_line(entry: Entry) -> str:
    a = entry.article
    d = entry.published_at
    parts = [f"時間:{d:%Y-%m-%d}" if a.date_only else f"時間:{d:%Y-%m-%d %H:%M}"]
    parts += [f"來源:{esc(portal_text(a.source))}"] if a.source else []
    parts += [f"作者:{esc(portal_text(a.author))}"] if a.author else []
    return "　".join(f"<span>{p}</span>" for p in parts)


def _body(entry: Entry, runs: Sequence[GarbledRun], broken: bool) -> list[str]:
    """Body paragraphs as the portal shows them; with `broken`, one closing tag lost its `<`."""
    shown: list[str] = []
    broke = False
    for number, paragraph in enumerate(entry.article.paragraphs):
        text = esc(render_paragraph(paragraph, [r for r in runs if r.paragraph == number]).replace("·", "?"))
        if broken and not broke and text.endswith(("”", "。")) and number > 0:
            shown.append(f"<p>{text}?/p>")
            broke = True
        else:
            shown.append(f"<p>{text}</p>")
    return shown


def article_page(entry: Entry, following: Entry | None, hot: Sequence[Entry], lying_meta: bool,
                 canonical: bool) -> ShownArticle:
    """The page; `lying_meta`: declare gb2312 over UTF-8 bytes; `canonical`: link the original."""
    a = entry.article
    runs = choose_runs(a.paragraphs, a.metric_texts(), a.id)
    layout = LAYOUTS[pick(a.id, "portal-layout", len(LAYOUTS))]
    broken = pick(a.id, "portal-broken", 3) == 0
    title = esc(portal_text(a.title))
    charset = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' if lying_meta \
        else '<meta charset="utf-8">'
    head_link = f'<link rel="canonical" href="{entry.original}">\n' if canonical else ""
    subtitle = f'<h2 class="sub">{esc(portal_text(a.subtitle))}</h2>\n' if a.subtitle else ""
    next_link = link(following.path, portal_text(following.article.title)) if following else "沒有了"
    browse = "".join(f"<li>{link(href, text)}</li>" for href, text in _browse_items(a.id))
    related = "".join(f"<li>{link(e.path, portal_text(e.article.title))}</li>"
                      for e in hot[:4] if e.path != entry.path)
    furniture = ["責任編輯:admin", f"下一篇:{next_link}"]
    body = _body(entry, runs, broken)
    if layout == "sloppy":
        body += [f"<p>{item}</p>" for item in furniture] + ["<p>隨便看看:</p>"] + \
            [f"<p>{link(href, text)}</p>" for href, text in _browse_items(a.id)] + \
            ["<p>相關推薦:</p>", "<p>網友評論:</p>", f"<p>{COMMENT_NOTICE}</p>"]
        after_body = _ads(a.id, broken)
    else:
        after_body = f"""<div class="editor">{furniture[0]}</div>
<div class="next">{furniture[1]}</div>
<div class="browse"><h3>隨便看看:</h3><ul>{browse}</ul></div>
<div class="related"><h3>相關推薦:</h3><ul>{related}</ul></div>
<div class="comment"><h3>網友評論:</h3><div class="plugin-tip">{COMMENT_NOTICE}</div></div>
{_ads(a.id, broken)}"""
    page = f"""<!DOCTYPE html>
<html>
<head>
{charset}
<title>{title}_{SITE_NAME}</title>
<meta name="keywords" content="{title}">
{head_link}<link rel="stylesheet" href="/portal/static/style.css">
</head>
<body>
{header(" &gt; 正文")}
<div class="wrap">
<div class="article">
<h1>{title}</h1>
{subtitle}<div class="meta">{_meta_line(entry)}</div>
<div class="content" id="article-content">
{chr(10).join(body)}
</div>
{after_body}
</div>
</div>
{footer()}
</body>
</html>
"""
    content_type = "text/html" if lying_meta else "text/html; charset=utf-8"
    return ShownArticle(page, runs, layout, content_type, lying_meta)


def pager(page: int, total: int) -> str:
    parts = [link(list_path("portal", page - 1), "上一頁")] if page > 1 else []
    parts += [link(list_path("portal", n), str(n)) if n != page else f"<b>{n}</b>"
              for n in range(1, total + 1)]
    parts += [link(list_path("portal", page + 1), "下一頁")] if page < total else []
    return '<div class="pages">' + " ".join(parts) + "</div>"


def list_page(entries: Sequence[Entry], page: int, total: int, extra_links: str) -> str:
    rows = "\n".join(f'<li><span>{e.published_at:%m-%d}</span>{link(e.path, portal_text(e.article.title))}'
                     "</li>" for e in entries)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>資訊_{SITE_NAME}</title>
<link rel="stylesheet" href="/portal/static/style.css">
</head>
<body>
{header("")}
<div class="wrap"><ul class="news-list">
{rows}
</ul>
{pager(page, total)}
{extra_links}
</div>
{footer()}
</body>
</html>
"""
