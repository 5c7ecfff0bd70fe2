"""Site 2, `/county/`: a county government site in GBK, table layout, lying or missing HTTP charset."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crawler.demo import furniture as fx
from crawler.demo import inline
from crawler.demo.catalogue import Entry, list_path, pick
from crawler.demo.markup import esc, link

SITE_NAME = "疏附县人民政府"
COLUMN = "对口援疆"
HOME = "/county/index.html"
META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
# What the server says in HTTP, by position in the column: mostly nothing, on a few pages the wrong charset.
HTTP_TYPES = (
    "text/html",
    "text/html",
    "text/html",
    "text/html; charset=utf-8",
    "text/html",
    "text/html",
    "text/html; charset=iso-8859-1",
    "text/html",
)
NAV = (
    (HOME, "首页"),
    ("/county/zwgk/index.html", "政务公开"),
    ("/county/zwdt/index.html", "政务动态"),
    (list_path("county", 1), COLUMN),
    ("/county/bmfw/index.html", "便民服务"),
    ("/county/hdjl/index.html", "互动交流"),
)
RELATED = (
    ("http://www.gov.cn/", "中国政府网"),
    ("http://www.xinjiang.gov.cn/", "新疆维吾尔自治区人民政府"),
    ("http://www.kashi.gov.cn/", "喀什地区行政公署"),
    ("/county/zwgk/index.html", "政务公开"),
)
# 网站导航 of a county government site: columns and sub-columns (the drop-down menu of the nav bar).
MENUS = (
    ("走进疏附", ("县情概况", "历史沿革", "行政区划", "自然资源", "旅游景点", "人口民族")),
    (
        "政务公开",
        (
            "领导之窗",
            "机构职能",
            "政策文件",
            "政策解读",
            "人事任免",
            "财政预决算",
            "重点领域信息公开",
            "政府信息公开年报",
        ),
    ),
    ("政务动态", ("县内要闻", "乡镇动态", "部门动态", "通知公告", "图片新闻", "视频新闻")),
    ("对口援疆", ("援疆动态", "援疆项目", "援疆干部风采", "两地交流", "产业援疆", "教育援疆", "医疗援疆")),
    ("便民服务", ("办事指南", "表格下载", "社保查询", "公积金查询", "医疗卫生", "教育就学", "交通出行")),
    ("互动交流", ("县长信箱", "意见征集", "在线访谈", "网上调查", "12345热线")),
    ("乡村振兴", ("产业发展", "就业帮扶", "美丽乡村", "驻村工作")),
    ("公共服务", ("教育", "医疗", "养老", "住房保障", "就业创业", "社会救助", "公共文化", "食品药品")),
    ("专题专栏", ("民族团结一家亲", "平安疏附", "法治宣传", "安全生产", "文明创建", "营商环境")),
)
FURNITURE = fx.SiteFurniture(
    slug="county",
    name=SITE_NAME,
    sponsor="中共疏附县委办公室　疏附县人民政府办公室",
    organiser="疏附县融媒体中心",
    address="新疆喀什地区疏附县托克扎克镇人民路1号",
    phone="0998-3221234",
    site_code="6531210001",
    icp="新ICP备05001234号",
    police="新公网安备 65312102000045号",
    menus=MENUS,
    css_rules=130,
    charset="gbk",
)
STYLESHEETS = ("reset", "style", "index", "menu")


def head_furniture(page_id: str) -> str:
    """Stylesheets, an inline style block and the counter scripts of an older government CMS."""
    return "\n".join(
        (
            '<meta name="keywords" content="疏附县,疏附县人民政府,对口援疆,政务公开">',
            f'<meta name="description" content="{SITE_NAME}门户网站">',
            f'<meta name="SiteIDCode" content="{FURNITURE.site_code}">',
            fx.stylesheet_links(FURNITURE, STYLESHEETS),
            inline.inline_style("county", FURNITURE.css_rules),
            inline.config_script(FURNITURE, page_id, COLUMN),
            inline.stats_script("county", page_id),
        )
    )


def top_furniture() -> str:
    return (
        f'<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="toolbar">'
        f'<tr><td>{fx.top_links(FURNITURE)}</td><td align="right">{fx.search_form(FURNITURE)}</td></tr>'
        f"</table>\n{fx.mega_nav(FURNITURE)}"
    )


def side_furniture(seed: str, newest: datetime) -> str:
    """A row of boxes under the content: headlines, 图片新闻, 专题专栏, 扫一扫."""
    cells = (
        fx.headline_box(FURNITURE, "热点新闻", seed, fx.LOCAL_TITLES, 12, newest),
        fx.headline_box(FURNITURE, "援疆动态", seed, fx.AID_TITLES, 12, newest),
        fx.photo_box(FURNITURE, seed, 6),
        fx.topic_box(FURNITURE, seed, 10),
        fx.qr_block(FURNITURE),
    )
    row = "".join(f'<td valign="top" width="200">{cell}</td>' for cell in cells)
    return (
        f'<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="boxes">'
        f"<tr>{row}</tr></table>"
    )


def bottom_furniture(title: str, page_id: str) -> str:
    return "\n".join(
        (
            fx.friend_links(FURNITURE, as_select=True),
            fx.footer_block(FURNITURE, registration=False),
            inline.FONT_SWITCHER,
            inline.NAV_SCRIPT,
            inline.share_script(FURNITURE, title, page_id),
            inline.zh_switch_script(FURNITURE),
        )
    )


def content_type(rank: int) -> str:
    """The Content-Type header of the rank-th article of the column."""
    return HTTP_TYPES[rank % len(HTTP_TYPES)]


def header(crumb: str) -> str:
    nav = " | ".join(link(href, text) for href, text in NAV)
    here = f"{link(HOME, '首页')} &gt;&gt; {link(list_path('county', 1), COLUMN)}{crumb}"
    return f"""<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td height="120" background="/county/images/banner.jpg">\
<img src="/county/images/logo.gif" alt="{SITE_NAME}"></td></tr>
<tr><td class="nav" height="36" bgcolor="#1a5fb4">{nav}</td></tr>
<tr><td class="position" height="30">您现在的位置：{here}</td></tr>
</table>"""


def footer() -> str:
    related = "".join(f'<option value="{esc(href)}">{esc(text)}</option>' for href, text in RELATED)
    return f"""<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="links">
<tr><td>相关链接：<select onchange="window.open(this.value)">\
<option>--政府网站--</option>{related}</select></td></tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="footer">
<tr><td align="center">{link("/county/wzdt.html", "网站地图")} | {link("/county/lxwm.html", "联系我们")} | \
{link("/county/sm.html", "使用帮助")}</td></tr>
<tr><td align="center">主办：中共疏附县委办公室　疏附县人民政府办公室　承办：疏附县融媒体中心</td></tr>
<tr><td align="center">网站标识码：6531210001　新ICP备05001234号　新公网安备 65312102000045号</td></tr>
</table>"""


def info_line(entry: Entry) -> str:
    a = entry.article
    d = entry.published_at
    when = (
        f"{d:%Y-%m-%d}"
        if a.date_only
        else f"{d:%Y-%m-%d %H:%M:%S}"
        if pick(a.id, "county-date", 2)
        else f"{d:%Y-%m-%d %H:%M}"
    )
    parts = [f"发布日期：{when}"]
    parts += [f"信息来源：{esc(a.source)}"] if a.source else []
    parts += [f"作者：{esc(a.author)}"] if a.author else []
    parts.append('浏览次数：<script src="/county/count.js"></script>')
    return "　".join(parts)


def article_page(entry: Entry, previous: Entry | None, following: Entry | None) -> str:
    a = entry.article
    paragraphs = "\n".join(f"<p>　　{esc(p)}</p>" for p in a.paragraphs)
    subtitle = f'<tr><td align="center" class="subtitle">{esc(a.subtitle)}</td></tr>\n' if a.subtitle else ""
    editor = f'<tr><td align="right">（责任编辑：{esc(a.editor)}）</td></tr>' if a.editor else ""
    canonical = f'<link rel="canonical" href="{entry.original}">\n' if entry.original else ""
    near = "".join(
        f"<li>{label}：{link(e.path, e.article.title)}</li>"
        for label, e in (("上一篇", previous), ("下一篇", following))
        if e
    )
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
{META}
<title>{esc(a.title)}-{SITE_NAME}</title>
{canonical}<link href="/county/css/style.css" rel="stylesheet" type="text/css">
{head_furniture(a.id)}
</head>
<body>
{top_furniture()}
{header(" &gt;&gt; 正文")}
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="main">
<tr><td align="center" class="title"><font size="5"><b>{esc(a.title)}</b></font></td></tr>
{subtitle}<tr><td align="center" class="info">{info_line(entry)}　【字体：\
<a href="javascript:fontZoom(16)">大</a> <a href="javascript:fontZoom(14)">中</a> \
<a href="javascript:fontZoom(12)">小</a>】</td></tr>
<tr><td class="content"><div class="TRS_Editor">
{paragraphs}
</div></td></tr>
{editor}
<tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】\
【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
<tr><td><ul class="near">{near}</ul></td></tr>
</table>
{side_furniture(a.id, entry.published_at)}
{footer()}
{bottom_furniture(a.title, a.id)}
</body>
</html>
"""


def pager(page: int, total: int) -> str:
    """TRS pagination: a script call for browsers plus plain links for everything else."""
    script = f'<script>createPageHTML({total}, {page - 1}, "index", "html");</script>'
    links = [link(list_path("county", 1), "首页")]
    if page > 1:
        links.append(link(list_path("county", page - 1), "上一页"))
    if page < total:
        links.append(link(list_path("county", page + 1), "下一页"))
    links.append(link(list_path("county", total), "尾页"))
    return f'{script}<div class="page">共{total}页 第{page}页 ' + " ".join(links) + "</div>"


def list_page(entries: Sequence[Entry], page: int, total: int, extra_rows: str) -> str:
    rows = "\n".join(
        f'<tr><td class="dot">·</td><td>{link(e.path, e.article.title, "target=_blank")}</td>'
        f'<td align="right">[{e.published_at:%Y-%m-%d}]</td></tr>'
        for e in entries
    )
    page_id = f"list-{page}"
    newest = entries[0].published_at if entries else datetime(2023, 7, 1)
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
{META}
<title>{COLUMN}-{SITE_NAME}</title>
<link href="/county/css/style.css" rel="stylesheet" type="text/css">
{head_furniture(page_id)}
</head>
<body>
{top_furniture()}
{header("")}
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="list">
{rows}
{extra_rows}
<tr><td colspan="3" align="center">{pager(page, total)}</td></tr>
</table>
{side_furniture(page_id, newest)}
{footer()}
{bottom_furniture(COLUMN, page_id)}
</body>
</html>
"""
