"""The inline stylesheet and scripts the three simulated sites put in every page: a long rule block, statistics,
page config, font switcher, share widget, 繁简 conversion table, the portal's ad loader and comment box.

Real portal pages carry tens of kilobytes of these; they are the bulk a cleaner must drop without reading them
as text. Kept apart from ``furniture.py`` (the visible header, sidebars and footer) because they are generated
differently: long deterministic code strings rather than lists of links. Seeded by site and page id like the rest.
"""

from __future__ import annotations

import json
from functools import lru_cache

import opencc

from crawler.demo.furniture import EXAMPLE, SiteFurniture, seeded
from crawler.demo.markup import esc

# --- inline stylesheet -----------------------------------------------------------------------------------------

_BLOCKS = (
    "topbar",
    "header",
    "logo",
    "search",
    "nav",
    "allnav",
    "subnav",
    "banner",
    "crumbs",
    "main",
    "article",
    "info",
    "share",
    "prevnext",
    "sidebar",
    "box",
    "hotnews",
    "picnews",
    "topics",
    "qrcode",
    "links",
    "footer",
    "toolbar",
    "gotop",
    "tabs",
    "slider",
    "pager",
    "notice",
    "column",
    "elder",
)
_PARTS = (
    "",
    " a",
    " a:hover",
    " ul",
    " li",
    " li a",
    " li span",
    " h3",
    " h3 a",
    " .more",
    " img",
    " p",
    ".on",
    " .current",
    " .hd",
    " .bd",
    " .tit",
    " .date",
    " i",
    " em",
)
_DECLARATIONS = (
    "margin:0",
    "margin:0 auto",
    "margin-top:10px",
    "margin-bottom:15px",
    "padding:0",
    "padding:0 10px",
    "padding:8px 0",
    "padding:12px 15px",
    "width:1200px",
    "width:100%",
    "width:860px",
    "width:320px",
    "height:36px",
    "height:40px",
    "line-height:24px",
    "line-height:36px",
    "line-height:2",
    "font-size:12px",
    "font-size:14px",
    "font-size:16px",
    "font-size:18px",
    "font-weight:bold",
    "font-weight:normal",
    "color:#333",
    "color:#666",
    "color:#999",
    "color:#fff",
    "color:#c00",
    "color:#1a5fb4",
    "color:#0b3d91",
    "background:#fff",
    "background:#f5f5f5",
    "background:#1a5fb4",
    "background:#c41a16",
    "background:url(../images/bg_line.png) repeat-x",
    "border:1px solid #e5e5e5",
    "border-bottom:2px solid #1a5fb4",
    "border-top:1px dashed #ddd",
    "border-radius:3px",
    "overflow:hidden",
    "display:block",
    "display:inline-block",
    "display:none",
    "float:left",
    "float:right",
    "clear:both",
    "position:relative",
    "position:absolute",
    "top:0",
    "left:0",
    "right:10px",
    "z-index:99",
    "text-align:center",
    "text-align:right",
    "text-overflow:ellipsis",
    "white-space:nowrap",
    "cursor:pointer",
    "list-style:none",
    "text-decoration:none",
    "text-decoration:underline",
    "box-sizing:border-box",
    "transition:all .3s",
    "opacity:.85",
    'font-family:"Microsoft YaHei","微软雅黑",SimSun,"宋体",sans-serif',
    "letter-spacing:1px",
    "box-shadow:0 2px 6px rgba(0,0,0,.15)",
    "vertical-align:middle",
    "max-width:100%",
)


@lru_cache(maxsize=8)
def inline_style(slug: str, rules: int) -> str:
    """A site's inline stylesheet: reset, component rules, elder-mode overrides and narrow-screen rules."""
    rng = seeded("css", slug)
    out = [
        '*{margin:0;padding:0}body{font:12px/1.5 "Microsoft YaHei",SimSun,sans-serif;color:#333}',
        "ul,ol{list-style:none}a{color:#333;text-decoration:none}a:hover{color:#c00}img{border:0}",
        '.clearfix:after{content:"";display:block;height:0;clear:both;visibility:hidden}',
        ".w1200{width:1200px;margin:0 auto}.fl{float:left}.fr{float:right}.hide{display:none}",
    ]
    for n in range(rules):
        block = _BLOCKS[n % len(_BLOCKS)]
        part = _PARTS[(n // len(_BLOCKS)) % len(_PARTS)]
        body = ";".join(rng.sample(_DECLARATIONS, rng.randint(3, 7)))
        prefix = ".elder-mode " if n % 9 == 8 else ""
        out.append(f"{prefix}.{slug}-{block}{part}{{{body}}}")
    out.append(
        "@media screen and (max-width:1200px){"
        + "".join(f".{slug}-{b}{{width:auto;padding:0 10px}}" for b in _BLOCKS[:12])
        + "}"
    )
    out.append("@media print{" + "".join(f".{slug}-{b}{{display:none}}" for b in _BLOCKS[:8]) + "}")
    return '<style type="text/css">\n' + "\n".join(out) + "\n</style>"


# --- inline scripts --------------------------------------------------------------------------------------------


def stats_script(slug: str, page_id: str) -> str:
    """A visit counter and an analytics loader, as almost every government page carries."""
    token = f"{seeded('stat', slug).getrandbits(128):032x}"
    return f"""<script type="text/javascript">
var _maq = _maq || [];
_maq.push(['_setAccount', '{slug}-{token[:12]}']);
_maq.push(['_setPageId', '{esc(page_id)}']);
(function () {{
  var ma = document.createElement('script');
  ma.type = 'text/javascript'; ma.async = true;
  ma.src = '{EXAMPLE}/stat/ma.js?v=' + new Date().getTime();
  var s = document.getElementsByTagName('script')[0];
  s.parentNode.insertBefore(ma, s);
}})();
var _hmt = _hmt || [];
(function () {{
  var hm = document.createElement("script");
  hm.src = "{EXAMPLE}/hm.js?{token}";
  var s = document.getElementsByTagName("script")[0];
  s.parentNode.insertBefore(hm, s);
}})();
</script>"""


def config_script(site: SiteFurniture, page_id: str, column: str) -> str:
    """The jQuery-style configuration object a CMS template prints into the head."""
    config = {
        "siteId": seeded("site", site.slug).randint(10, 99),
        "siteCode": site.site_code,
        "siteName": site.shown(site.name),
        "columnName": site.shown(column),
        "pageId": page_id,
        "root": f"/{site.slug}/",
        "search": {"action": f"{EXAMPLE}/search/", "placeholder": site.shown("请输入关键字"), "minLength": 2},
        "fontSizes": [14, 16, 18, 20],
        "elderMode": {"enabled": True, "cookie": f"{site.slug}_elder"},
        "zh": {"cookie": f"{site.slug}_zh", "default": "s"},
        "visit": {"url": f"{EXAMPLE}/visit/count"},
        "share": {"channels": ["weixin", "weibo", "qzone", "copy"], "qrSize": 120},
    }
    return (
        f'<script type="text/javascript">\nwindow.SITE_CONFIG = {json.dumps(config, ensure_ascii=False)};\n'
        "window.jQuery && jQuery.extend(true, jQuery.fn, {siteConfig: window.SITE_CONFIG});\n</script>"
    )


FONT_SWITCHER = """<script type="text/javascript">
function doZoom(size) {
  var box = document.getElementById('zoom') || document.querySelector('.TRS_Editor');
  if (!box) { return; }
  box.style.fontSize = size + 'px';
  var nodes = box.getElementsByTagName('*');
  for (var i = 0; i < nodes.length; i++) { nodes[i].style.fontSize = size + 'px'; }
  try { localStorage.setItem('fontSize', size); } catch (e) {}
}
function fontZoom(size) { doZoom(size); }
function toggleElder() {
  var on = document.body.className.indexOf('elder-mode') < 0;
  document.body.className = on ? document.body.className + ' elder-mode'
                               : document.body.className.replace(' elder-mode', '');
  document.cookie = 'elder=' + (on ? 1 : 0) + ';path=/';
}
(function () {
  var size = 0;
  try { size = parseInt(localStorage.getItem('fontSize'), 10); } catch (e) {}
  if (size) { window.addEventListener('load', function () { doZoom(size); }); }
  if (document.cookie.indexOf('elder=1') >= 0) { window.addEventListener('load', toggleElder); }
})();
</script>"""

NAV_SCRIPT = """<script type="text/javascript">
(function () {
  var items = document.querySelectorAll('.allnav > ul > li');
  for (var i = 0; i < items.length; i++) {
    items[i].onmouseenter = function () { this.className = 'on'; };
    items[i].onmouseleave = function () { this.className = ''; };
  }
  var tabs = document.querySelectorAll('.tabs .hd li');
  for (var j = 0; j < tabs.length; j++) {
    tabs[j].setAttribute('data-index', j);
    tabs[j].onclick = function () {
      var n = +this.getAttribute('data-index');
      var panes = this.parentNode.parentNode.parentNode.querySelectorAll('.bd ul');
      for (var k = 0; k < panes.length; k++) { panes[k].style.display = k === n ? 'block' : 'none'; }
    };
  }
  var top = document.getElementById('gotop');
  if (top) {
    window.onscroll = function () { top.style.display = document.documentElement.scrollTop > 300 ? 'block' : 'none'; };
    top.onclick = function () { window.scrollTo(0, 0); };
  }
})();
</script>"""


def share_script(site: SiteFurniture, title: str, page_id: str) -> str:
    """Share-widget configuration: the title and summary the buttons post."""
    config = {
        "common": {
            "bdText": title,
            "bdDesc": site.name,
            "bdUrl": f"{EXAMPLE}/{site.slug}/{page_id}",
            "bdPic": f"{EXAMPLE}/{site.slug}/images/share.png",
        },
        "share": [{"tag": "share_1", "bdSize": 16}],
        "image": {"viewList": ["weixin", "tsina", "qzone"], "viewText": "分享到：", "viewSize": "16"},
    }
    return f"""<script type="text/javascript">
window._bd_share_config = {json.dumps(config, ensure_ascii=False)};
with (document) 0[(getElementsByTagName('head')[0] || body).appendChild(createElement('script')).src =
  '{EXAMPLE}/static/api/js/share.js?v=89860593.js?cdnversion=' + ~(-new Date() / 36e5)];
</script>"""


@lru_cache(maxsize=4)
def conversion_pairs(charset: str) -> tuple[str, str]:
    """Simplified and Traditional characters, one for one, that the page's charset can hold: the 繁简 table."""
    chars = [chr(c) for c in range(0x4E00, 0x9FA6)]
    common = [ch for ch in chars if _encodable(ch, "gb2312")]
    converted = opencc.OpenCC("s2t").convert("\n".join(common)).split("\n")
    pairs = [
        (s, t) for s, t in zip(common, converted, strict=True) if len(t) == 1 and t != s and _encodable(t, charset)
    ]
    return "".join(s for s, _ in pairs), "".join(t for _, t in pairs)


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def zh_switch_script(site: SiteFurniture) -> str:
    """The 繁体/简体 switcher with its conversion table inline, as many government sites still ship it."""
    simplified, traditional = conversion_pairs(site.charset)
    return f"""<script type="text/javascript">
var zhDefault = 's';
var zhS = '{simplified}';
var zhT = '{traditional}';
function zhConvert(text, toT) {{
  var from = toT ? zhS : zhT, to = toT ? zhT : zhS, out = '';
  for (var i = 0; i < text.length; i++) {{
    var k = from.indexOf(text.charAt(i));
    out += k < 0 ? text.charAt(i) : to.charAt(k);
  }}
  return out;
}}
function zhWalk(node, toT) {{
  for (var c = node.firstChild; c; c = c.nextSibling) {{
    if (c.nodeType === 3) {{ c.data = zhConvert(c.data, toT); }}
    else if (c.nodeType === 1 && c.tagName !== 'SCRIPT' && c.tagName !== 'STYLE') {{ zhWalk(c, toT); }}
  }}
}}
function zhToggle(link) {{
  var toT = link.innerHTML.indexOf('{site.shown("繁")}') >= 0;
  zhWalk(document.body, toT);
  document.cookie = '{site.slug}_zh=' + (toT ? 't' : 's') + ';path=/';
}}
</script>"""


def portal_ad_script(slug: str, slots: int) -> str:
    """Ad-slot loaders: one push per slot, then the network's loader."""
    rng = seeded("ads", slug)
    pushes = "\n".join(
        f'(window.slotbydup = window.slotbydup || []).push({{id: "u{rng.randint(1000000, 9999999)}", '
        f'container: "_{rng.getrandbits(40):010x}", async: true}});'
        for _ in range(slots)
    )
    return f"""<script type="text/javascript">
{pushes}
</script>
<script type="text/javascript" src="{EXAMPLE}/dup/cm/c.js" async="async" defer="defer"></script>"""


def comment_script(slug: str, page_id: str) -> str:
    return f"""<script type="text/javascript">
var commentConfig = {{appid: "{slug}-cy{seeded("cy", slug).randint(10000, 99999)}", sid: "{esc(page_id)}",
  pageSize: 10, hotSize: 5, emoji: true, login: ["weixin", "qq", "weibo", "phone"]}};
(function () {{
  var loaded = false;
  function load() {{
    if (loaded) {{ return; }}
    loaded = true;
    var s = document.createElement('script');
    s.src = '{EXAMPLE}/comment/embed.js?appid=' + commentConfig.appid;
    s.charset = 'utf-8';
    document.body.appendChild(s);
  }}
  var box = document.getElementById('comment-box');
  if ('IntersectionObserver' in window && box) {{
    new IntersectionObserver(function (e) {{ if (e[0].isIntersecting) {{ load(); }} }}).observe(box);
  }} else {{ window.addEventListener('load', load); }}
  window.postComment = function () {{
    var text = document.getElementById('comment-text').value;
    if (text.replace(/\\s/g, '').length < 5) {{ alert('评论内容不能少于5个字'); return false; }}
    load();
    return false;
  }};
}})();
</script>"""
