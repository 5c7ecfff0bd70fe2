"""Site 3, `/portal/`: a syndication portal that republishes articles the way the seed page shows.

Traditional script with pinyin after polyphonic characters, GBK out-of-step mojibake runs, `?` for a lost
middle dot, closing tags that lost their `<`, and heavy furniture (责任编辑:admin, 下一篇, 随便看看, 相关推荐,
网友评论 with a plugin notice, advertorial lists). Some copies point at the original with
`<link rel="canonical">`, most do not; a few pages declare gb2312 in <meta> while the bytes are UTF-8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crawler.demo import furniture as fx
from crawler.demo import inline
from crawler.demo.catalogue import Entry, list_path, pick
from crawler.demo.damage import GarbledRun, choose_runs, portal_text, render_paragraph, to_traditional
from crawler.demo.markup import esc, link

SITE_NAME = "華夏資訊網"
HOME = "/portal/index.html"
NAV = (
    (HOME, "首頁"),
    (list_path("portal", 1), "資訊"),
    ("/portal/caijing/", "財經"),
    ("/portal/keji/", "科技"),
    ("/portal/jiaoyu/", "教育"),
    ("/portal/jiankang/", "健康"),
    ("/portal/fenxi/", "分析"),
)
# 随便看看: unrelated headlines the portal links under [分析] (written for the project).
BROWSE = (
    "一季度城鄉居民收入穩步增長 消費市場持續回暖",
    "多地出台措施支持小微企業穩崗擴就業",
    "夏糧收購進度過半 優質優價政策顯效",
    "高校畢業生就業服務月活動啟動",
    "以數字化轉型推動製造業提質增效",
    "農村公路養護迎來新標準",
    "社區嵌入式服務設施建設提速",
    "汛期將至 如何做好城市排水防澇",
    "冰雪經濟帶火北方小城",
    "文旅融合激活古鎮新活力",
    "新能源汽車下鄉活動覆蓋更多縣域",
    "暑期研學遊升溫 安全提示要記牢",
)
# Advertorial titles the portal runs under the comments (written for the project).
ADS = (
    "家用淨水器怎麼選？三個指標看清楚",
    "2023年熱門少兒編程課程橫向對比",
    "秋冬養生茶飲推薦，暖胃又解乏",
    "小戶型裝修避坑指南：收納設計是關鍵",
    "跨境電商新手如何選品？這份清單請收好",
    "老字號糕點推出聯名禮盒?????",
    "考研季來臨 在職備考的時間管理方法",
    "智能門鎖十大品牌口碑榜出爐",
    "露營裝備租賃興起 年輕人更愛輕量化出行",
    "空氣炸鍋真的健康嗎？營養師這樣說",
    "企業出海合規指南：從註冊到稅務",
    "寵物食品新國標解讀?",
)
COMMENT_NOTICE = "評論功能需接入第三方社會化評論插件（請站長先完成備案），暫無評論。"
LAYOUTS = ("tidy", "tidy", "sloppy")
# 网站导航 of a commercial syndication portal, in Simplified (shown Traditional).
MENUS = (
    ("资讯", ("国内", "国际", "社会", "军事", "评论", "图片", "视频", "专题", "地方", "援疆援藏")),
    ("财经", ("股票", "基金", "理财", "银行", "保险", "期货", "产经", "宏观")),
    ("科技", ("互联网", "通信", "数码", "手机", "人工智能", "新能源", "航天")),
    ("教育", ("高考", "考研", "留学", "职场", "公考", "中小学")),
    ("健康", ("养生", "医疗", "减肥", "母婴", "中医", "心理")),
    ("生活", ("美食", "旅游", "房产", "家居", "汽车", "时尚", "星座")),
    ("文化", ("读书", "历史", "收藏", "非遗", "艺术")),
    ("体育", ("足球", "篮球", "综合", "彩票")),
    ("娱乐", ("明星", "电影", "电视", "音乐", "综艺")),
    ("地方", ("北京", "上海", "广东", "山东", "新疆", "西藏", "青海", "四川", "湖北", "浙江")),
)
FURNITURE = fx.SiteFurniture(
    slug="portal",
    name="华夏资讯网",
    sponsor="华夏资讯网络科技有限公司",
    organiser="华夏资讯网编辑中心",
    address="北京市朝阳区示例路88号",
    phone="010-65001234",
    site_code="",
    icp="京ICP备16012345号-3",
    police="京公网安备 11010502000001号",
    menus=MENUS,
    css_rules=400,
    shown=to_traditional,
)
STYLESHEETS = ("reset", "global", "header", "article", "side", "comment", "footer", "ad")
AD_SLOTS = 9
DESCRIPTION = "华夏资讯网，提供国内国际新闻、财经、科技、教育、健康资讯"
# Lines a commercial news portal prints under its footer (licences, hotlines), in Simplified.
LICENCES = (
    "互联网新闻信息服务许可证：10120170001",
    "增值电信业务经营许可证：京B2-20160001",
    "违法和不良信息举报电话：010-65001235",
    "举报邮箱：jubao@example.com",
    "未经授权禁止转载、摘编、复制及建立镜像",
)  # sloppy: furniture as plain <p> inside the article body


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


def head_furniture(page_id: str) -> str:
    """Stylesheets, the inline style block, statistics, configuration and the ad-slot loaders."""
    return "\n".join(
        (
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
            f'<meta name="description" content="{esc(to_traditional(DESCRIPTION))}">',
            fx.stylesheet_links(FURNITURE, STYLESHEETS),
            inline.inline_style("portal", FURNITURE.css_rules),
            inline.config_script(FURNITURE, page_id, "资讯"),
            inline.stats_script("portal", page_id),
            inline.portal_ad_script("portal", AD_SLOTS),
        )
    )


def top_furniture() -> str:
    return (
        f'<div class="portal-topbar">{fx.top_links(FURNITURE)}{fx.search_form(FURNITURE)}</div>\n'
        f"{fx.mega_nav(FURNITURE)}\n{fx.ad_banner(FURNITURE, 'top', 1200, 90)}"
    )


def side_furniture(seed: str, newest: datetime) -> str:
    """The right column: ads, ranking, headlines, pictures, QR codes."""
    return "\n".join(
        (
            '<div class="side">',
            fx.ad_banner(FURNITURE, "side1", 300, 250),
            fx.card_list(FURNITURE, "热门排行", seed, fx.RECOMMEND_TITLES, 10, with_views=True),
            fx.headline_box(FURNITURE, "要闻", seed, fx.AID_TITLES + fx.RECOMMEND_TITLES, 15, newest),
            fx.ad_banner(FURNITURE, "side2", 300, 250),
            fx.photo_box(FURNITURE, seed, 8),
            fx.headline_box(FURNITURE, "地方新闻", seed, fx.LOCAL_TITLES, 12, newest),
            fx.ad_banner(FURNITURE, "side3", 300, 600),
            fx.qr_block(FURNITURE),
            "</div>",
        )
    )


def recommend_furniture(seed: str) -> str:
    """Below the article: 猜你喜欢 and 图文推荐 lists, sponsored links and ad banners."""
    return "\n".join(
        (
            fx.ad_banner(FURNITURE, "mid", 860, 120),
            fx.card_list(FURNITURE, "猜你喜欢", seed, fx.RECOMMEND_TITLES, 20),
            fx.card_list(FURNITURE, "推广", seed, fx.AD_TITLES, 12),
            fx.card_list(FURNITURE, "图文推荐", seed + "pic", fx.RECOMMEND_TITLES, 12),
            fx.ad_banner(FURNITURE, "bottom", 860, 120),
        )
    )


def bottom_furniture(title: str, page_id: str) -> str:
    licences = "".join(f"<p>{esc(to_traditional(line))}</p>" for line in LICENCES)
    return "\n".join(
        (
            fx.friend_links(FURNITURE),
            fx.footer_block(FURNITURE),
            f'<div class="licences">{licences}</div>',
            inline.FONT_SWITCHER,
            inline.NAV_SCRIPT,
            inline.share_script(FURNITURE, title, page_id),
            inline.zh_switch_script(FURNITURE),
            inline.comment_script("portal", page_id),
        )
    )


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


def article_page(
    entry: Entry, following: Entry | None, hot: Sequence[Entry], lying_meta: bool, canonical: bool
) -> ShownArticle:
    """The page; `lying_meta`: declare gb2312 over UTF-8 bytes; `canonical`: link the original."""
    a = entry.article
    runs = choose_runs(a.paragraphs, a.metric_texts(), a.id)
    layout = LAYOUTS[pick(a.id, "portal-layout", len(LAYOUTS))]
    broken = pick(a.id, "portal-broken", 3) == 0
    title = esc(portal_text(a.title))
    charset = (
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        if lying_meta
        else '<meta charset="utf-8">'
    )
    head_link = f'<link rel="canonical" href="{entry.original}">\n' if canonical else ""
    subtitle = f'<h2 class="sub">{esc(portal_text(a.subtitle))}</h2>\n' if a.subtitle else ""
    next_link = link(following.path, portal_text(following.article.title)) if following else "沒有了"
    browse = "".join(f"<li>{link(href, text)}</li>" for href, text in _browse_items(a.id))
    related = "".join(f"<li>{link(e.path, portal_text(e.article.title))}</li>" for e in hot[:4] if e.path != entry.path)
    furniture = ["責任編輯:admin", f"下一篇:{next_link}"]
    body = _body(entry, runs, broken)
    if layout == "sloppy":
        body += (
            [f"<p>{item}</p>" for item in furniture]
            + ["<p>隨便看看:</p>"]
            + [f"<p>{link(href, text)}</p>" for href, text in _browse_items(a.id)]
            + ["<p>相關推薦:</p>", "<p>網友評論:</p>", f"<p>{COMMENT_NOTICE}</p>"]
        )
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
{head_furniture(a.id)}
</head>
<body>
{top_furniture()}
{header(" &gt; 正文")}
<div class="wrap">
<div class="article">
<h1>{title}</h1>
{subtitle}<div class="meta">{_meta_line(entry)}</div>
<div class="content" id="article-content">
{chr(10).join(body)}
</div>
{after_body}
{recommend_furniture(a.id)}
{fx.comment_widget(FURNITURE, a.id)}
</div>
{side_furniture(a.id, entry.published_at)}
</div>
{footer()}
{bottom_furniture(a.title, a.id)}
</body>
</html>
"""
    content_type = "text/html" if lying_meta else "text/html; charset=utf-8"
    return ShownArticle(page, runs, layout, content_type, lying_meta)


def pager(page: int, total: int) -> str:
    parts = [link(list_path("portal", page - 1), "上一頁")] if page > 1 else []
    parts += [link(list_path("portal", n), str(n)) if n != page else f"<b>{n}</b>" for n in range(1, total + 1)]
    parts += [link(list_path("portal", page + 1), "下一頁")] if page < total else []
    return '<div class="pages">' + " ".join(parts) + "</div>"


def list_page(entries: Sequence[Entry], page: int, total: int, extra_links: str) -> str:
    rows = "\n".join(
        f"<li><span>{e.published_at:%m-%d}</span>{link(e.path, portal_text(e.article.title))}</li>" for e in entries
    )
    page_id = f"list-{page}"
    newest = entries[0].published_at if entries else datetime(2023, 7, 1)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>資訊_{SITE_NAME}</title>
<link rel="stylesheet" href="/portal/static/style.css">
{head_furniture(page_id)}
</head>
<body>
{top_furniture()}
{header("")}
<div class="wrap"><ul class="news-list">
{rows}
</ul>
{pager(page, total)}
{extra_links}
{recommend_furniture(page_id)}
{side_furniture(page_id, newest)}
</div>
{footer()}
{bottom_furniture("資訊", page_id)}
</body>
</html>
"""
