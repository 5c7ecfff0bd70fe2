"""Site 1, `/hq/`: a provincial aid headquarters (援疆前方指挥部) site: UTF-8, Simplified, CMS layout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from crawler.demo import furniture as fx
from crawler.demo import inline
from crawler.demo.catalogue import Entry, list_path, pick
from crawler.demo.markup import esc, link, link_list, short

SITE_NAME = "对口支援新疆前方指挥部"
COLUMN = "工作动态"
HOME = "/hq/index.html"
NAV = (
    ("/hq/index.html", "首页"),
    (list_path("hq", 1), "工作动态"),
    ("/hq/tzgg/index.html", "通知公告"),
    ("/hq/zcwj/index.html", "政策文件"),
    ("/hq/ztzl/index.html", "专题专栏"),
    ("/hq/hdjl/index.html", "互动交流"),
)
# 网站导航: the columns a provincial aid headquarters site carries (the mega menu under the nav bar).
MENUS = (
    ("首页", ("要闻", "图片新闻", "视频新闻", "通知公告", "领导活动", "媒体关注")),
    (
        "政务公开",
        (
            "机构概况",
            "领导信息",
            "政策文件",
            "政策解读",
            "规划计划",
            "财政资金",
            "人事信息",
            "政府信息公开指南",
            "政府信息公开年报",
            "依申请公开",
        ),
    ),
    ("工作动态", ("指挥部动态", "前后方联动", "地州动态", "援疆项目", "基层传真", "部门动态", "视频报道")),
    ("援疆干部风采", ("干部人才风采", "援疆日记", "先进事迹", "干部人才名录", "轮换交接", "培训交流")),
    ("产业援疆", ("招商引资", "产业园区", "重点企业", "消费帮扶", "农产品外销", "稳岗就业", "营商环境")),
    ("教育援疆", ("组团式帮扶", "职业教育", "双语教育", "校长论坛", "学生交流", "教师培训")),
    ("医疗援疆", ("组团式医疗", "专家门诊", "远程会诊", "公共卫生", "健康义诊", "学科建设")),
    ("文化润疆", ("文化交流", "文旅推介", "非遗传承", "民族团结一家亲", "文艺巡演", "红色教育")),
    ("民生援疆", ("安居工程", "饮水工程", "乡村振兴", "社区建设", "就业创业", "社会保障")),
    ("专题专栏", ("学习贯彻党的二十大精神", "主题教育", "援疆十年", "对口支援成果展", "平安建设", "法治宣传")),
    ("互动交流", ("领导信箱", "在线访谈", "征集调查", "常见问题", "咨询投诉", "留言选登")),
    ("服务指南", ("办事指南", "表格下载", "援疆干部服务", "人才服务", "投资服务", "联系方式")),
)
FURNITURE = fx.SiteFurniture(
    slug="hq",
    name=SITE_NAME,
    sponsor=f"{SITE_NAME}综合协调组",
    organiser="援疆信息中心",
    address="新疆喀什市深喀大道援疆大厦12楼",
    phone="0998-2801234",
    site_code="6500000012",
    icp="新ICP备19001234号-2",
    police="新公网安备 65310102000123号",
    menus=MENUS,
    css_rules=330,
)
STYLESHEETS = ("base", "common", "header", "article", "sidebar", "footer", "elder")
LAYOUTS = ("cms", "jsonld", "plain")  # <meta name=PubDate …> | JSON-LD | nothing structured


def layout_of(entry: Entry) -> str:
    """One of LAYOUTS, or "bare" for some date-only articles: then the date is only in the URL."""
    a = entry.article
    if a.date_only and pick(a.id, "hq-bare", 2) == 0:
        return "bare"
    return LAYOUTS[pick(a.id, "hq-layout", len(LAYOUTS))]


def shown_time(entry: Entry, style: str) -> str:
    d = entry.published_at
    if style == "zh":
        return f"{d:%Y年%m月%d日}" if entry.article.date_only else f"{d:%Y年%m月%d日 %H:%M}"
    return f"{d:%Y-%m-%d}" if entry.article.date_only else f"{d:%Y-%m-%d %H:%M}"


def byline(entry: Entry) -> str:
    """The date line in one of the forms Chinese government CMSs print."""
    a = entry.article
    layout = layout_of(entry)
    parts: list[str]
    if layout == "cms":
        parts = [f"发布时间：{shown_time(entry, 'iso')}"]
        parts += [f"来源：{esc(a.source)}"] if a.source else []
        parts += [f"作者：{esc(a.author)}"] if a.author else []
        size = (
            '【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
            '<a href="javascript:doZoom(14)">小</a>】'
        )
        return "　".join(parts) + "　" + size
    if layout == "jsonld":
        parts = [shown_time(entry, "zh")]
        parts += [f"来源: {esc(a.source)}"] if a.source else []
        parts += [f"记者 {esc(a.author)}"] if a.author else []
        return "&nbsp;&nbsp;".join(parts)
    parts = [f'<span class="date">{shown_time(entry, "iso")}</span>'] if layout == "plain" else []
    parts += [f'<span class="source">{esc(a.source)}</span>'] if a.source else []
    parts += [f'<span class="author">{esc(a.author)}</span>'] if a.author else []
    return " ".join(parts)


def head_meta(entry: Entry) -> str:
    a = entry.article
    layout = layout_of(entry)
    if layout == "cms":
        rows = [
            f'<meta name="ArticleTitle" content="{esc(a.title)}">',
            f'<meta name="PubDate" content="{shown_time(entry, "iso")}">',
            f'<meta name="ContentSource" content="{esc(a.source)}">',
            f'<meta name="SiteName" content="{SITE_NAME}">',
            f'<meta name="ColumnName" content="{COLUMN}">',
        ]
        if a.author:
            rows.append(f'<meta name="Author" content="{esc(a.author)}">')
        return "\n".join(rows)
    if layout == "jsonld":
        data: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": (
                a.published_at.date().isoformat() if a.date_only else a.published_at.isoformat(timespec="seconds")
            ),
            "publisher": {"@type": "Organization", "name": SITE_NAME},
        }
        if a.author:
            data["author"] = [{"@type": "Person", "name": name} for name in a.author.split()]
        return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
    return ""


def header(crumb: str) -> str:
    return f"""<div class="topbar"><div class="w1200"><a href="{HOME}">设为首页</a> | \
<a href="{HOME}">加入收藏</a> | <a href="/hq/wza/index.html">无障碍浏览</a></div></div>
<div class="header"><div class="logo"><a href="{HOME}">\
<img src="/hq/images/logo.png" alt="{SITE_NAME}"></a></div>
<form class="search" action="/hq/search/index.html" method="get"><input name="q" placeholder="请输入关键字">\
<button type="submit">搜索</button></form></div>
<div class="nav">{link_list(NAV)}</div>
<div class="crumbs">当前位置：{link(HOME, "首页")} &gt; {link(list_path("hq", 1), COLUMN)}{crumb}</div>"""


def footer() -> str:
    return f"""<div class="footer">
<p>{link("/hq/gywm.html", "关于我们")} | {link("/hq/sitemap.html", "网站地图")} | \
{link("/hq/lxwm.html", "联系我们")}</p>
<p>主办单位：{SITE_NAME}综合协调组　技术支持：援疆信息中心</p>
<p>版权所有 © 2018-2023 {SITE_NAME}　<a href="https://beian.miit.gov.cn/">新ICP备19001234号-2</a>　\
新公网安备 65310102000123号</p>
</div>"""


def sidebar(hot: Sequence[Entry], extra: str = "") -> str:
    topics = (
        ("/hq/ztzl/index.html", "学习贯彻党的二十大精神"),
        ("/hq/ztzl/index.html", "文化润疆"),
        ("/hq/ztzl/index.html", "产业援疆"),
    )
    return f"""<div class="sidebar">
<div class="box"><h3>热点新闻</h3>{link_list(((e.path, short(e.article.title)) for e in hot), "hot")}</div>
<div class="box"><h3>专题专栏</h3>{link_list(topics)}</div>
{extra}</div>"""


def head_furniture(page_id: str) -> str:
    """Stylesheets, the inline style block and the head scripts every page of the site carries."""
    return "\n".join(
        (
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
            '<meta name="renderer" content="webkit">',
            f'<meta name="SiteIDCode" content="{FURNITURE.site_code}">',
            fx.stylesheet_links(FURNITURE, STYLESHEETS),
            inline.inline_style("hq", FURNITURE.css_rules),
            inline.config_script(FURNITURE, page_id, COLUMN),
            inline.stats_script("hq", page_id),
        )
    )


def top_furniture() -> str:
    """Top links (无障碍, 长者模式, 繁体, 登录 …), logo, search and the 网站导航 mega menu."""
    return (
        f'<div class="hq-toolbar w1200">{fx.top_links(FURNITURE)}{fx.logo_block(FURNITURE)}'
        f"{fx.search_form(FURNITURE)}</div>\n{fx.mega_nav(FURNITURE)}"
    )


def side_furniture(seed: str, newest: datetime) -> str:
    """Sidebar boxes beyond 热点新闻: headlines, 图片新闻, 专题, 扫一扫."""
    return "\n".join(
        (
            fx.headline_box(FURNITURE, "要闻推荐", seed, fx.AID_TITLES, 15, newest, "%Y-%m-%d"),
            fx.photo_box(FURNITURE, seed, 8),
            fx.headline_box(FURNITURE, "基层动态", seed, fx.LOCAL_TITLES, 12, newest),
            fx.topic_box(FURNITURE, seed, 10),
            fx.qr_block(FURNITURE),
        )
    )


def bottom_furniture(title: str, page_id: str) -> str:
    """友情链接, the footer marks and the end-of-body scripts."""
    return "\n".join(
        (
            fx.friend_links(FURNITURE),
            fx.footer_block(FURNITURE, registration=False),
            inline.FONT_SWITCHER,
            inline.NAV_SCRIPT,
            inline.share_script(FURNITURE, title, page_id),
            inline.zh_switch_script(FURNITURE),
        )
    )


def article_page(entry: Entry, previous: Entry | None, following: Entry | None, hot: Sequence[Entry]) -> str:
    a = entry.article
    subtitle = f'<h2 class="subtitle">{esc(a.subtitle)}</h2>\n' if a.subtitle else ""
    body = "\n".join(f'<p style="text-indent: 2em;">{esc(p)}</p>' for p in a.paragraphs)
    editor = f'<div class="editor">责任编辑：{esc(a.editor)}</div>' if a.editor else ""
    canonical = f'<link rel="canonical" href="{entry.original}">\n' if entry.original else ""
    pager = "".join(
        f"<p>{label}：{link(e.path, e.article.title)}</p>" if e else f"<p>{label}：没有了</p>"
        for label, e in (("上一篇", previous), ("下一篇", following))
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(a.title)}_{COLUMN}_{SITE_NAME}</title>
<meta name="keywords" content="援疆,{COLUMN}">
<meta name="description" content="{esc(short(a.paragraphs[0], 60))}">
{canonical}{head_meta(entry)}
<link rel="stylesheet" href="/hq/css/main.css">
{head_furniture(a.id)}
</head>
<body>
{top_furniture()}
{header(" &gt; 正文")}
<div class="main w1200">
<div class="article">
<h1 class="title">{esc(a.title)}</h1>
{subtitle}<div class="info">{byline(entry)}</div>
<div class="TRS_Editor" id="zoom">
{body}
</div>
{editor}
<div class="share">分享到：<a href="javascript:void(0)">微信</a> <a href="javascript:void(0)">微博</a> \
<a href="javascript:window.print()">打印</a></div>
<div class="prevnext">{pager}</div>
</div>
{sidebar(hot, side_furniture(a.id, entry.published_at))}
</div>
{footer()}
{bottom_furniture(a.title, a.id)}
</body>
</html>
"""


def pager(site: str, page: int, total: int) -> str:
    """上一页 / numbered pages / 下一页, as list pages print them."""
    parts = [f"共{total}页"]
    parts.append(link(list_path(site, page - 1), "上一页") if page > 1 else "<span>上一页</span>")
    for n in range(1, total + 1):
        parts.append(f'<span class="current">{n}</span>' if n == page else link(list_path(site, n), str(n)))
    parts.append(link(list_path(site, page + 1), "下一页") if page < total else "<span>下一页</span>")
    return '<div class="page">' + " ".join(parts) + "</div>"


def list_page(entries: Sequence[Entry], page: int, total: int, hot: Sequence[Entry], extra_links: str) -> str:
    rows = "\n".join(
        f'<li>{link(e.path, e.article.title)}<span class="date">{e.published_at:%Y-%m-%d}</span></li>' for e in entries
    )
    page_id = f"list-{page}"
    newest = entries[0].published_at if entries else datetime(2023, 7, 1)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{COLUMN}_{SITE_NAME}</title>
<link rel="alternate" type="application/rss+xml" title="{COLUMN}" href="/hq/rss.xml">
<link rel="stylesheet" href="/hq/css/main.css">
<meta name="keywords" content="援疆,{COLUMN},{SITE_NAME}">
<meta name="description" content="{SITE_NAME}{COLUMN}栏目">
{head_furniture(page_id)}
</head>
<body>
{top_furniture()}
{header("")}
<div class="main w1200">
<div class="column">
<h2>{COLUMN}</h2>
<ul class="list">
{rows}
</ul>
{pager("hq", page, total)}
</div>
{sidebar(hot, extra_links + side_furniture(page_id, newest))}
</div>
{footer()}
{bottom_furniture(COLUMN, page_id)}
</body>
</html>
"""
