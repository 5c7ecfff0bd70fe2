"""Page furniture the three simulated sites carry around their articles, as real Chinese portals do.

Real government and news portal pages weigh about 100 KB, most of it not the article: linked and inline
stylesheets, statistics and share-widget scripts, a 繁简 conversion table, a mega menu, sidebars of headlines,
friend-link lists and a footer of registration numbers. Everything here is deterministic: what is the same on
every page of a site is built once, and what varies (sidebar picks, dates, counters) is seeded by article id.
Links go to `javascript:;` or `http://www.example.com/…`, never to a URL the crawler would follow. This module
holds the visible parts (header, sidebars, footer, the portal's ads); the inline stylesheet and scripts are in
``inline.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.demo.markup import esc

EXAMPLE = "http://www.example.com"
VOID = "javascript:;"

# 工作动态 and ordinary local headlines for sidebars (written for the project).
AID_TITLES = (
    "援疆医疗专家团队完成当地首例心脏介入手术",
    "第十一批援疆干部人才工作座谈会召开",
    "对口支援产业园新签约一批轻纺和电子项目",
    "援疆教师“组团式”帮带青年教师成长",
    "前方指挥部调研职业技术学校实训基地建设",
    "援建的乡镇卫生院投入使用 群众看病更方便",
    "“访惠聚”驻村工作队走访慰问困难群众",
    "东西部协作消费帮扶专场活动成交活跃",
    "援疆企业吸纳当地富余劳动力稳定就业",
    "援疆资金支持的安居富民房项目顺利交付",
    "两地青少年手拉手夏令营开营",
    "援疆干部深入田间地头推广节水灌溉技术",
    "对口支援城市文艺小分队基层巡演",
    "援疆项目建设现场推进会召开",
    "后方单位捐赠一批教学设备和图书",
    "援疆专家开展基层医务人员技能培训",
    "柔性引才助力当地数字政务建设",
    "南疆特色农产品进入支援省市商超",
    "援疆指挥部召开年度项目调度会",
    "“民族团结一家亲”结对认亲活动走深走实",
    "援建的双语幼儿园迎来新学期",
    "组团式教育援疆工作经验交流会举行",
    "援疆干部人才轮换交接工作有序完成",
    "产业援疆推动纺织服装企业扩产增效",
)
LOCAL_TITLES = (
    "县城区主干道提升改造工程完工通车",
    "全县秋季学期开学工作有序推进",
    "冬春季森林草原防火工作部署会召开",
    "农村饮水安全巩固提升工程加快建设",
    "县人民医院新门诊楼启用",
    "优化营商环境 政务服务实现“一网通办”",
    "全县安全生产大检查开展情况通报",
    "老旧小区改造惠及两千余户居民",
    "县融媒体中心举办新闻业务培训",
    "棉花机采率持续提高 秋收进度过半",
    "社区开展消防安全应急演练",
    "全民健身运动会开幕",
    "县领导调研重点项目建设进展",
    "城乡居民医保参保缴费工作启动",
    "林果业提质增效技术培训走进乡村",
    "全县“双拥”模范创建工作推进会召开",
    "冬季供暖设施检修工作全面展开",
    "县图书馆新增自助借阅服务",
    "防汛抗旱应急预案修订完成",
    "政府信息公开工作年度报告发布",
    "农产品质量安全监管抽检合格率稳定",
    "小麦高产示范田测产结果出炉",
    "城区停车秩序专项整治取得成效",
    "县职业高中与企业签订校企合作协议",
)
PHOTO_TITLES = (
    "金秋时节 万亩棉田一片丰收景象",
    "援疆医生为牧民群众义诊",
    "孩子们在新建的校园里开心读书",
    "夜市烟火气 点亮城市新活力",
    "沙漠公路两侧防风固沙林郁郁葱葱",
    "农民丰收节上展示特色农产品",
    "新建的文化广场成为群众休闲好去处",
    "果农忙着采摘成熟的红枣",
    "古城街巷游客络绎不绝",
    "乡村振兴示范村新貌",
    "光伏电站板阵连绵",
    "学生在援建的实验室里动手做实验",
)
TOPICS = (
    "学习贯彻习近平新时代中国特色社会主义思想主题教育",
    "学习贯彻党的二十大精神",
    "文化润疆",
    "产业援疆",
    "民族团结一家亲",
    "乡村振兴",
    "优化营商环境",
    "安全生产月",
    "法治政府建设",
    "政府信息公开",
    "民生实事",
    "疫情防控",
    "创建全国文明城市",
    "平安建设",
    "网上信访",
)
# 友情链接 to named government and news sites, all pointed at example.com (group, names).
FRIEND_LINKS = (
    (
        "中央部委",
        (
            "中国政府网",
            "国家发展和改革委员会",
            "教育部",
            "民政部",
            "财政部",
            "人力资源和社会保障部",
            "自然资源部",
            "住房和城乡建设部",
            "农业农村部",
            "商务部",
            "文化和旅游部",
            "国家卫生健康委员会",
            "国家乡村振兴局",
            "国家民族事务委员会",
        ),
    ),
    (
        "省区市",
        (
            "新疆维吾尔自治区人民政府",
            "新疆生产建设兵团",
            "北京市人民政府",
            "天津市人民政府",
            "上海市人民政府",
            "江苏省人民政府",
            "浙江省人民政府",
            "福建省人民政府",
            "山东省人民政府",
            "广东省人民政府",
            "深圳市人民政府",
            "湖北省人民政府",
            "湖南省人民政府",
            "河南省人民政府",
            "河北省人民政府",
            "安徽省人民政府",
            "江西省人民政府",
            "山西省人民政府",
            "辽宁省人民政府",
            "吉林省人民政府",
            "黑龙江省人民政府",
        ),
    ),
    (
        "地州市",
        (
            "喀什地区行政公署",
            "和田地区行政公署",
            "阿克苏地区行政公署",
            "克孜勒苏柯尔克孜自治州人民政府",
            "哈密市人民政府",
            "昌吉回族自治州人民政府",
            "伊犁哈萨克自治州人民政府",
            "塔城地区行政公署",
            "阿勒泰地区行政公署",
            "博尔塔拉蒙古自治州人民政府",
            "巴音郭楞蒙古自治州人民政府",
            "吐鲁番市人民政府",
            "乌鲁木齐市人民政府",
            "克拉玛依市人民政府",
        ),
    ),
    (
        "新闻媒体",
        ("新华网", "人民网", "央视网", "中国新闻网", "天山网", "中国新疆网", "亚心网", "新疆日报", "喀什日报"),
    ),
)
# Ad and recommendation titles for the syndication portal (written for the project).
AD_TITLES = (
    "全屋定制限时优惠 到店即送设计方案",
    "零基础学会计 三个月拿证就业",
    "新款轻薄笔记本 学生专享补贴",
    "高端体检套餐 一人下单两人同行",
    "海岛度假酒店 暑期亲子套餐开抢",
    "家用投影仪怎么选 看完这篇不踩坑",
    "英语口语一对一 免费试听一节课",
    "二手车评估 十分钟出报价",
    "中老年人补钙 选对方法很重要",
    "新房装修除醛 专业检测上门",
    "宠物保险怎么买 常见问题一次讲清",
    "儿童护眼台灯 选购指南",
    "小户型客厅如何显大 设计师支招",
    "夏季防晒霜横评 哪款更清爽",
    "自考本科报名入口及流程",
    "低脂代餐一周食谱推荐",
    "智能手表续航对比测评",
    "房贷利率最新调整解读",
)
RECOMMEND_TITLES = (
    "多地推出消费券 激发假日消费活力",
    "高铁新线开通 沿线城市迎来发展新机遇",
    "今年秋粮收购全面启动",
    "中小学课后服务提质扩面",
    "城市更新行动加快推进",
    "数字乡村建设取得新进展",
    "养老服务网络不断完善",
    "新型储能装机规模快速增长",
    "跨境电商综试区扩围",
    "旅游市场持续升温 出游人次创新高",
    "职业教育产教融合再添新举措",
    "全国碳市场运行平稳",
    "社区食堂让老人吃上热乎饭",
    "农村电商助力特色农产品出山",
    "新能源汽车出口保持增长",
    "博物馆之夜 夜游成新时尚",
    "县域商业体系建设稳步推进",
    "冬奥场馆赛后利用探索新路径",
    "快递进村打通物流最后一公里",
    "文化遗产保护利用工作成效显著",
    "非遗工坊带动群众就近就业",
    "高标准农田建设任务超额完成",
)


@dataclass(frozen=True)
class SiteFurniture:
    """What one site prints around its content, and how (script, encoding, style seed)."""

    slug: str  # "hq", "county", "portal": URL prefix and style seed
    name: str
    sponsor: str  # 主办单位
    organiser: str  # 承办单位
    address: str
    phone: str
    site_code: str  # 网站标识码
    icp: str
    police: str  # 公安备案
    menus: tuple[tuple[str, tuple[str, ...]], ...]
    css_rules: int  # size of the inline stylesheet
    shown: Callable[[str], str] = str  # Simplified -> how the site writes it (portal: Traditional)
    charset: str = "utf-8"  # the page's byte encoding; the 繁简 table keeps to it


def example_url(slug: str, *parts: object) -> str:
    return "/".join([EXAMPLE, slug, *(str(p) for p in parts)]) + ".html"


def seeded(*parts: object) -> random.Random:
    """A random generator fixed by its seed parts (str seeds hash the same in every process)."""
    return random.Random("|".join(str(p) for p in parts))


def stylesheet_links(site: SiteFurniture, names: Sequence[str]) -> str:
    return "\n".join(f'<link rel="stylesheet" type="text/css" href="/{site.slug}/css/{name}.css">' for name in names)


# --- header ----------------------------------------------------------------------------------------------------


def top_links(site: SiteFurniture) -> str:
    items = [
        ("无障碍", VOID),
        ("长者模式", "javascript:toggleElder();"),
        ("繁体", "javascript:;"),
        ("登录", f"{EXAMPLE}/{site.slug}/login.html"),
        ("注册", f"{EXAMPLE}/{site.slug}/register.html"),
        ("手机版", f"{EXAMPLE}/{site.slug}/m/index.html"),
        ("English", f"{EXAMPLE}/{site.slug}/en/index.html"),
    ]
    rows = []
    for text, href in items:
        click = ' onclick="zhToggle(this)"' if text == "繁体" else ""
        rows.append(f'<a href="{href}"{click}>{esc(site.shown(text))}</a>')
    return f'<div class="toplinks">{" | ".join(rows)}</div>'


def logo_block(site: SiteFurniture) -> str:
    return (
        f'<div class="logo-block"><a href="{VOID}"><img src="/{site.slug}/images/logo_big.png" '
        f'alt="{esc(site.name)}" width="520" height="90"></a><span class="motto">'
        f"{esc(site.shown('全心全意为人民服务'))}</span></div>"
    )


def search_form(site: SiteFurniture) -> str:
    hot = "".join(f'<a href="{VOID}">{esc(site.shown(w))}</a>' for w in ("乡村振兴", "就业", "医保", "教育"))
    return (
        f'<form class="search-form" action="{EXAMPLE}/search/" method="get" target="_blank">'
        f'<input type="hidden" name="siteCode" value="{site.site_code}"><input type="text" name="qt" '
        f'placeholder="{esc(site.shown("请输入关键字"))}" autocomplete="off">'
        f'<input type="submit" value="{esc(site.shown("搜索"))}"><div class="hotwords">'
        f"{esc(site.shown('热词：'))}{hot}</div></form>"
    )


def mega_nav(site: SiteFurniture) -> str:
    """网站导航: every column with its sub-columns, as a drop-down panel."""
    blocks = []
    for n, (top, subs) in enumerate(site.menus):
        items = "".join(
            f'<li><a href="{example_url(site.slug, "col", n, k)}" target="_blank">{esc(site.shown(sub))}</a></li>'
            for k, sub in enumerate(subs)
        )
        blocks.append(
            f'<li><a class="top" href="{example_url(site.slug, "col", n)}">{esc(site.shown(top))}</a>'
            f'<div class="subnav"><ul>{items}</ul></div></li>'
        )
    return f'<div class="allnav"><ul class="clearfix">{"".join(blocks)}</ul></div>'


# --- sidebars --------------------------------------------------------------------------------------------------


def dated_titles(seed: str, titles: Sequence[str], count: int, newest: datetime) -> list[tuple[str, datetime]]:
    """`count` titles from the pool, with dates in the days before `newest`, newest first."""
    rng = seeded("titles", seed)
    chosen = rng.sample(list(titles), min(count, len(titles)))
    days = sorted(rng.sample(range(1, 90), len(chosen)))
    return [(title, newest - timedelta(days=day)) for title, day in zip(chosen, days, strict=True)]


def headline_box(
    site: SiteFurniture,
    heading: str,
    seed: str,
    titles: Sequence[str],
    count: int,
    newest: datetime,
    date_format: str = "%m-%d",
) -> str:
    rows = "".join(
        f'<li><a href="{example_url(site.slug, "news", seeded(seed, t).randint(10000, 99999))}" '
        f'target="_blank" title="{esc(site.shown(t))}">{esc(site.shown(t))}</a>'
        f'<span class="date">{d.strftime(date_format)}</span></li>'
        for t, d in dated_titles(seed + heading, titles, count, newest)
    )
    more = (
        f'<a class="more" href="{example_url(site.slug, "more", len(heading))}">{esc(site.shown("更多"))}&gt;&gt;</a>'
    )
    return f'<div class="box"><div class="hd"><h3>{esc(site.shown(heading))}</h3>{more}</div><ul>{rows}</ul></div>'


def photo_box(site: SiteFurniture, seed: str, count: int) -> str:
    rng = seeded("photo", seed)
    rows = "".join(
        f'<li><a href="{example_url(site.slug, "photo", rng.randint(1000, 9999))}" target="_blank">'
        f'<img src="/{site.slug}/images/pic/{rng.getrandbits(32):08x}.jpg" width="150" height="100" '
        f'alt="{esc(site.shown(t))}"><p>{esc(site.shown(t))}</p></a></li>'
        for t in rng.sample(list(PHOTO_TITLES), count)
    )
    return f'<div class="box picnews"><div class="hd"><h3>{esc(site.shown("图片新闻"))}</h3></div><ul>{rows}</ul></div>'


def topic_box(site: SiteFurniture, seed: str, count: int) -> str:
    rng = seeded("topic", seed)
    rows = "".join(
        f'<li><a href="{example_url(site.slug, "zt", n)}" target="_blank">'
        f'<img src="/{site.slug}/images/zt/zt{n:02d}.jpg" alt="{esc(site.shown(t))}">'
        f"{esc(site.shown(t))}</a></li>"
        for n, t in enumerate(rng.sample(list(TOPICS), count))
    )
    return f'<div class="box topics"><div class="hd"><h3>{esc(site.shown("专题专栏"))}</h3></div><ul>{rows}</ul></div>'


def qr_block(site: SiteFurniture) -> str:
    cells = "".join(
        f'<li><img src="/{site.slug}/images/qr_{kind}.png" width="110" height="110" '
        f'alt="{esc(site.shown(label))}"><p>{esc(site.shown(label))}</p></li>'
        for kind, label in (("wx", "官方微信"), ("wb", "官方微博"), ("app", "移动客户端"))
    )
    return f'<div class="box qrcode"><div class="hd"><h3>{esc(site.shown("扫一扫"))}</h3></div><ul>{cells}</ul></div>'


# --- footer ----------------------------------------------------------------------------------------------------


def friend_links(site: SiteFurniture, as_select: bool = False) -> str:
    """友情链接 by group: lists, or (older sites) drop-down selects."""
    groups = []
    for g, (group, names) in enumerate(FRIEND_LINKS):
        if as_select:
            options = "".join(
                f'<option value="{example_url("links", g, n)}">{esc(site.shown(name))}</option>'
                for n, name in enumerate(names)
            )
            groups.append(
                f'<select onchange="if(this.value)window.open(this.value)">'
                f'<option value="">--{esc(site.shown(group))}--</option>{options}</select>'
            )
        else:
            items = "".join(
                f'<li><a href="{example_url("links", g, n)}" target="_blank">{esc(site.shown(name))}</a></li>'
                for n, name in enumerate(names)
            )
            groups.append(f'<div class="group"><span>{esc(site.shown(group))}</span><ul>{items}</ul></div>')
    return f'<div class="friendlinks"><h3>{esc(site.shown("友情链接"))}</h3>{"".join(groups)}</div>'


def footer_block(site: SiteFurniture, registration: bool = True) -> str:
    """Footer links, address and government marks; `registration` adds 主办/承办 and the 备案 lines."""
    s = site.shown
    links = " | ".join(
        f'<a href="{example_url(site.slug, "about", n)}">{esc(s(t))}</a>'
        for n, t in enumerate(("网站地图", "联系我们", "隐私声明", "使用帮助", "纠错"))
    )
    rows = [f'<p class="links">{links}</p>']
    if registration:
        rows.append(
            f"<p>{esc(s('主办单位'))}：{esc(s(site.sponsor))}　{esc(s('承办单位'))}：{esc(s(site.organiser))}</p>"
        )
    rows.append(f"<p>{esc(s('地址'))}：{esc(s(site.address))}　{esc(s('电话'))}：{site.phone}</p>")
    marks = [f"{esc(s('网站标识码'))}：{site.site_code}"] if site.site_code else []
    if registration:
        marks += [
            f'<a href="{EXAMPLE}/beian/">{esc(site.icp)}</a>',
            f'<a href="{EXAMPLE}/police/"><img src="/{site.slug}/images/police.png" alt="">{esc(s(site.police))}</a>',
        ]
    if marks:
        rows.append("<p>" + "　".join(marks) + "</p>")
    rows.append(f"<p>{esc(s('建议使用1366×768分辨率、IE10以上版本浏览器访问本站'))}</p>")
    badges = (
        f'<div class="gov-marks"><a href="{EXAMPLE}/dzjg/"><img src="/{site.slug}/images/dzjg.png" '
        f'alt="{esc(s("党政机关"))}"></a><a href="{EXAMPLE}/jiucuo/"><img src="/{site.slug}/images/jiucuo.png" '
        f'alt="{esc(s("政府网站找错"))}"></a></div>'
    )
    return (
        '<div class="site-footer">\n' + "\n".join(rows) + f"\n{badges}\n</div>\n"
        f'<div id="gotop" class="gotop" title="{esc(s("返回顶部"))}"></div>'
    )


# --- the portal's ads and recommendations ----------------------------------------------------------------------


def ad_banner(site: SiteFurniture, slot: str, width: int, height: int) -> str:
    rng = seeded("banner", site.slug, slot)
    return (
        f'<div class="ad ad-{slot}" style="width:{width}px;height:{height}px">'
        f'<a href="{EXAMPLE}/ad/click?slot={slot}&amp;c={rng.getrandbits(48):012x}" target="_blank" '
        f'rel="nofollow"><img src="/{site.slug}/static/ad/{rng.getrandbits(32):08x}.jpg" '
        f'width="{width}" height="{height}" alt="{esc(site.shown("广告"))}"></a>'
        f'<span class="ad-mark">{esc(site.shown("广告"))}</span></div>'
    )


def card_list(
    site: SiteFurniture, heading: str, seed: str, titles: Sequence[str], count: int, with_views: bool = False
) -> str:
    """猜你喜欢 / 热门排行 style lists: thumbnail, title, optional view count."""
    rng = seeded("cards", seed, heading)
    rows = []
    for rank, title in enumerate(rng.sample(list(titles), min(count, len(titles))), 1):
        views = f'<span class="views">{rng.randint(1200, 98000)}{esc(site.shown("阅读"))}</span>' if with_views else ""
        rows.append(
            f'<li class="rank{rank}"><a href="{EXAMPLE}/{site.slug}/rec/{rng.getrandbits(32):08x}.html" '
            f'target="_blank"><img data-src="/{site.slug}/static/thumb/{rng.getrandbits(32):08x}.jpg" '
            f'class="lazy" alt=""><em>{rank}</em><span class="t">{esc(site.shown(title))}</span></a>{views}'
            "</li>"
        )
    return f'<div class="cards"><h3>{esc(site.shown(heading))}</h3><ul>{"".join(rows)}</ul></div>'


def comment_widget(site: SiteFurniture, page_id: str) -> str:
    s = site.shown
    return f"""<div class="comment-widget" id="comment-box" data-sid="{esc(page_id)}">
<div class="cw-head"><span class="cw-title">{esc(s("我来说两句"))}</span>\
<span class="cw-count">{esc(s("已有0人参与"))}</span></div>
<form class="cw-form" onsubmit="return postComment();">
<textarea id="comment-text" rows="4" placeholder="{esc(s("文明上网，理性发言"))}"></textarea>
<div class="cw-tools"><a href="{VOID}" class="emoji">{esc(s("表情"))}</a>\
<label><input type="checkbox" name="anonymous">{esc(s("匿名"))}</label>\
<input type="text" name="captcha" placeholder="{esc(s("验证码"))}"><img src="/{site.slug}/static/captcha.png" \
alt=""><button type="submit">{esc(s("发表评论"))}</button></div>
<div class="cw-login">{esc(s("登录后发言"))}：<a href="{VOID}">{esc(s("微信"))}</a> <a href="{VOID}">QQ</a> \
<a href="{VOID}">{esc(s("微博"))}</a> <a href="{VOID}">{esc(s("手机号"))}</a></div>
</form>
<div class="cw-list"><div class="cw-tabs"><a href="{VOID}" class="on">{esc(s("最新评论"))}</a>\
<a href="{VOID}">{esc(s("热门评论"))}</a></div><div class="cw-empty">{esc(s("还没有评论，快来抢沙发吧！"))}</div></div>
<div class="cw-foot">{esc(s("网友评论仅供其表达个人看法，并不表明本站同意其观点或证实其描述"))}</div>
</div>"""
