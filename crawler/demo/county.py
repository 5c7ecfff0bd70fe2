"""Site 2, `/county/`: a county government site in GBK, table layout, lying or missing HTTP charset."""

from __future__ import annotations

from collections.abc import Sequence

from crawler.demo.catalogue import Entry, list_path, pick
from crawler.demo.markup import esc, link

SITE_NAME = "疏附县人民政府"
COLUMN = "对口援疆"
HOME = "/county/index.html"
META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
# What the server says in HTTP, by position in the column: mostly nothing, on a few pages the wrong charset.
HTTP_TYPES = ("text/html", "text/html", "text/html", "text/html; charset=utf-8", "text/html", "text/html",
              "text/html; charset=iso-8859-1", "text/html")
NAV = ((HOME, "首页"), ("/county/zwgk/index.html", "政务公开"), ("/county/zwdt/index.html", "政务动态"),
       (list_path("county", 1), COLUMN), ("/county/bmfw/index.html", "便民服务"),
       ("/county/hdjl/index.html", "互动交流"))
RELATED = (("http://www.gov.cn/", "中国政府网"), ("http://www.xinjiang.gov.cn/", "新疆维吾尔自治区人民政府"),
           ("http://www.kashi.gov.cn/", "喀什地区行政公署"), ("/county/zwgk/index.html", "政务公开"))


def content_type(rank: int) -> str:
    """The Content-Type header of the rank-th article of the column."""
    return HTTP_TYPES[rank % len(HTTP_TYPES)]


def header(crumb: str) -> str:
    nav = " | ".join(link(href, text) for href, text in NAV)
    here = f'{link(HOME, "首页")} &gt;&gt; {link(list_path("county", 1), COLUMN)}{crumb}'
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
    when = f"{d:%Y-%m-%d}" if a.date_only else f"{d:%Y-%m-%d %H:%M:%S}" if pick(a.id, "county-date", 2) \
        else f"{d:%Y-%m-%d %H:%M}"
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
    near = "".join(f"<li>{label}：{link(e.path, e.article.title)}</li>" for label, e in
                   (("上一篇", previous), ("下一篇", following)) if e)
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
{META}
<title>{esc(a.title)}-{SITE_NAME}</title>
{canonical}<link href="/county/css/style.css" rel="stylesheet" type="text/css">
</head>
<body>
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
{footer()}
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
        f'<td align="right">[{e.published_at:%Y-%m-%d}]</td></tr>' for e in entries)
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
{META}
<title>{COLUMN}-{SITE_NAME}</title>
<link href="/county/css/style.css" rel="stylesheet" type="text/css">
</head>
<body>
{header("")}
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="list">
{rows}
{extra_rows}
<tr><td colspan="3" align="center">{pager(page, total)}</td></tr>
</table>
{footer()}
</body>
</html>
"""
