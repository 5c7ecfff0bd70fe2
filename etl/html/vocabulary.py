"""The words Chinese portals use for their furniture and their metadata, in one place.

Every other module of the HTML stage matches against these: class/id words that mark boilerplate or content,
the labels of metadata lines (来源, 作者, 责任编辑, 发布时间 …), the lines that end an article (上一篇, 相关推荐 …)
or never belong to one (分享, 字号, 版权所有 …), and the separators between a headline and a site name in
``<title>``. They were collected from government, newspaper and portal templates; a word is here because a
template used it and no article sentence we measured was caught by it.

Labels are matched against a comparison key (pinyin annotations stripped, Traditional made Simplified,
full-width digits halved: see :mod:`etl.html.labels`), so the tables list Simplified forms only.
"""

from __future__ import annotations

import re

from etl.text.chars import HAN_CLASS, PINYIN_LETTERS

WS = re.compile(r"\s+")

# ---------------------------------------------------------------------------------------------------------
# Characters: full-width forms (pinyin annotations are etl.text.pinyin's)

WIDTH = str.maketrans("０１２３４５６７８９：／－．　", "0123456789:/-. ")
FULL_WIDTH = re.compile("[０-９：／－．　]")

# ---------------------------------------------------------------------------------------------------------
# class/id words: what a template says an element is

# page furniture (导航, 分享, 评论, 相关, 推荐, 广告, 版权, 打印, 字号 …), in English and in pinyin
BOILERPLATE_HINT = re.compile(
    r"share|comment|footer|sidebar|breadcrumb|crumb|copyright|recommend|related|relate|advert|pinglun|"
    r"tuijian|banquan|jiathis|bdshare|bshare|qrcode|erweima|fontsize|toolbar|pagination|guanggao|navbar|"
    r"friendlink|youqing|dayin|weizhi|dqwz|xgxw|xgwz|xgyd|yqlj|hotnews|paihang|rank|prenext|prevnext|"
    r"(?:^|[^a-z])(?:nav|menu|ad|ads|foot|bottom|side|tool|tools|print|close|hot|links?|login|search|"
    r"pager|pages|prev|next|location|position|hidden|modal|popup|dialog|zihao|fenxiang|"
    r"social|tags?|keywords?)(?:$|[^a-z])"
)
# the article's container (正文, 内容 …; trs_editor and unionstyle are the TRS CMS of many government sites)
CONTENT_HINT = re.compile(
    r"content|article|artical|zoom|trs_editor|unionstyle|zhengwen|detail|story|entry|post|text|"
    r"(?:^|[^a-z])(?:main|body|con|cont|zw|nr|wz)(?:$|[^a-z])"
)
# 副题 and 引题 beside the headline
SUBTITLE_HINT = re.compile(
    r"sub[-_]?tit|subhead|vice[-_]?tit|fu[-_]?tit|fbt|yin[-_]?tit|pre[-_]?tit|lead[-_]?tit|ytitle|deck|"
    r"(?:^|[^a-z])(?:yt|ft|sub)(?:$|[^a-z])"
)
# elements that hold one field: <span class="author">, <span class="source"> …
FIELD_HINT = re.compile(
    r"(?:^|[\s_-])(?:(?P<author>author|writer|zuozhe|reporter|jizhe)|(?P<source>source|laiyuan|from|origin)|"
    r"(?P<editor>editor|bianji|zrbj))(?:$|[\s_-])"
)
CAPTION_HINT = re.compile(r"caption|pic|img|image|photo|(?:^|[^a-z])(?:tu|tp|note|desc)(?:$|[^a-z])")
# image file names of logos, share buttons, QR codes and spacers: never an article's photo
ICON_SRC = re.compile(r"logo|icon|share|qrcode|erweima|ewm|weixin|wechat|blank|spacer|pixel|loading|arrow|btn", re.I)

# ---------------------------------------------------------------------------------------------------------
# Labels of metadata lines

# field labels (longer ones before their prefixes) and the field each one fills
FIELD_LABELS: list[tuple[str, str]] = [
    ("责任编辑", "editor"),
    ("责编", "editor"),
    ("值班编辑", "editor"),
    ("网络编辑", "editor"),
    ("编辑", "editor"),
    ("审核", "other"),
    ("审校", "other"),
    ("校对", "other"),
    ("终审", "other"),
    ("初审", "other"),
    ("复审", "other"),
    ("监制", "other"),
    ("发布者", "other"),
    ("发布人", "other"),
    ("发布机构", "other"),
    ("发布单位", "other"),
    ("发布时间", "date"),
    ("发布日期", "date"),
    ("发表时间", "date"),
    ("发表日期", "date"),
    ("发表于", "date"),
    ("发稿时间", "date"),
    ("刊发时间", "date"),
    ("更新时间", "date"),
    ("成文日期", "date"),
    ("时间", "date"),
    ("日期", "date"),
    ("文章来源", "source"),
    ("本文来源", "source"),
    ("来源于", "source"),
    ("信息来源", "source"),
    ("新闻来源", "source"),
    ("稿件来源", "source"),
    ("来源", "source"),
    ("稿源", "source"),
    ("出处", "source"),
    ("作者", "author"),
    ("记者", "author"),
    ("通讯员", "author"),
    ("撰稿人", "author"),
    ("执笔", "author"),
    ("采写", "author"),
    ("撰写", "author"),
    ("撰稿", "author"),
    ("撰文", "author"),
    ("供稿", "author"),
    ("文字", "author"),
    ("文/图", "author"),
    ("图/文", "author"),
    ("文", "author"),
    ("摄影", "photo"),
    ("图", "photo"),
    ("资料来源", "other"),
    ("图片来源", "other"),
    ("浏览次数", "other"),
    ("阅读次数", "other"),
    ("点击数", "other"),
    ("点击量", "other"),
    ("浏览量", "other"),
    ("阅读量", "other"),
    ("访问量", "other"),
    ("点击", "other"),
    ("字号", "other"),
    ("标签", "other"),
    ("关键词", "other"),
    ("关键字", "other"),
    ("字体", "other"),
]
FIELD_OF = dict(FIELD_LABELS)
# who a byline belongs to: 本报记者, 新华社记者 …
BYLINE_PREFIX = "本报|本台|本刊|本网|本站|特约|见习|实习|首席|新华社|中新社|中新网|人民网"
# a label counts when a separator follows it; 记者/通讯员/编辑 may also be followed by a space, and
# 记者/通讯员 directly by a two-to-four-character name (labels.py decides which count)
LABEL = re.compile(
    rf"(?:{BYLINE_PREFIX})?"
    r"(?P<label>"
    + "|".join(re.escape(label) for label, _ in FIELD_LABELS)
    + r")(?P<sep>\s*[:：︰]\s*|\s*[/／]\s*|\s+(?=\S)|)"
)
NAME_AFTER_ROLE = re.compile(rf"[{HAN_CLASS}]{{2,4}}(?:\s|$|[）)】])")
LABEL_PREFIX_END = re.compile(rf"(?:{BYLINE_PREFIX})$")
LEAD_PREFIX = re.compile(rf"[\s【\[（(〔|丨｜]|{BYLINE_PREFIX}")
# labels that may stand before a value with only a space, or a slash, between them
LOOSE_LABELS = frozenset({"记者", "通讯员", "编辑", "责任编辑", "责编", "撰稿", "摄影", "作者", "文/图", "图/文"})
SLASH_LABELS = frozenset({"文", "图", "文/图", "图/文", "摄影", "记者", "作者", "执笔", "编辑"})
# which editor line names the editor when a page has several: the portal's 责任编辑 before the outlet's 编辑
EDITOR_RANK = {"责任编辑": 0, "责编": 0, "值班编辑": 1, "网络编辑": 1, "编辑": 2}
# "新疆日报记者张三", "观察者网专栏作者 王文" inside an author value: keep the name after the role
ROLE_PREFIX = re.compile(r"^.{0,12}?(?:记者|記者|通讯员|通訊員|特约撰稿|特約撰稿|专栏作者|作者)")
# a staff code after an editor's name, as NetEase and ifeng print it: 杨倩_NF4425, 韩保林 PK155
STAFF_CODE = re.compile(r"^[A-Za-z]{1,4}\d{2,7}$")
# words that fill a byline slot without naming anyone
NOBODY = frozenset(
    {
        "未知",
        "佚名",
        "不详",
        "网络",
        "网络整理",
        "网络转载",
        "综合",
        "互联网",
        "暂无",
        "无",
        "匿名",
        "整合",
        "整理",
        "编译",
        "报道",
        "摄",
        "摄影",
        "供图",
        "原创",
    }
)
# buttons printed at the end of a byline or source line: 来源：新京报 举报
VALUE_TAIL = re.compile(r"(?:\s*(?:举报|分享到?|收藏|打印|纠错|我要纠错|评论|我要评论|字号|关注))+$")
# what stands around a name in a byline and is not the name: (单位) but not a pinyin annotation, 报道, 摄 …
NAME_NOISE = re.compile(
    rf"[(（〔\[【](?![{PINYIN_LETTERS}]+\))[^)）〕\]】]*(?:[)）〕\]】]|$)"
    r"|报道$|摄影?$|供图$|整理$|图文$|/文$|/图$|文/图$"
)

OPENERS = "【[（(〔<《「『 "
CLOSERS = "】]）)〕>》」』 "
EDGE = OPENERS + CLOSERS + "|丨｜"

# what an unlabelled date line holds besides names: dates and times, relative times, counters and buttons
DATE_LINE_NOISE = re.compile(
    r"(?:19|20)\d{2}\s*(?:年|[-/.])\s*\d{1,2}\s*(?:月|[-/.])\s*\d{1,2}\s*日?|(?:19|20)\d{2}(?=\s|$)"
    r"|\d{1,2}[-/]\d{1,2}|\d{1,2}[:：]\d{2}(?:[:：]\d{2})?|星期.|周[一二三四五六日天]"
    r"|昨天|前天|今天|刚刚|\d+\s*(?:秒|分钟|小时|天)前|原创|独家|首发|举报|分享到?|收藏|打印|字号|评论|关注|阅读"
    r"|\d+\s*(?:人参与|人阅读|次阅读|条评论|次浏览)"
)
# the endings of outlet names: 新华社, 证券时报网, 中国青年报, 浙江卫视台, 南方周刊, 澎湃新闻, 北京青年报客户端
OUTLET_SUFFIX = re.compile(r"(?:社|报|网|台|刊|新闻|传媒|媒体|杂志|客户端|频道|广播|在线|资讯|财经|科技|之声)$")
# the self-media platforms whose name stands beside an account's: 扬眼 企鹅号
PLATFORMS = re.compile(r"企鹅号|头条号|百家号|网易号|大风号|澎湃号|一点号|搜狐号|新浪号|微信公众号|公众号|企鹅媒体")

# ---------------------------------------------------------------------------------------------------------
# Furniture lines

# lines after which nothing belongs to the article (上一篇/下一篇, 相关推荐, 网友评论 …)
END_MARKER = re.compile(
    r"^(?:上一篇|下一篇|上一条|下一条|上篇|下篇|随便看看|相关推荐|相关阅读|相关新闻|相关文章|相关链接|相关报道|"
    r"延伸阅读|推荐阅读|热门推荐|热点推荐|精彩推荐|猜你喜欢|热门文章|热点新闻|最新新闻|热门新闻|网友评论|"
    r"我要评论|发表评论|评论|已有\d+人|打印本页|关闭窗口|【打印】|【关闭】|返回顶部|返回首页|作者最新文章|更多文章)"
    r"(?:\s*[:：︰>》]|\s|$|】)"
)
# notes that close the text without being part of it: disclaimers, a re-posting portal's "this came from" line;
# the editor's line often follows them, so reading for metadata goes on past them
DISCLAIMER_HEADS = r"免责声明|特别声明|版权声明"  # the words that open a disclaimer and nothing else
CLOSING_NOTE = re.compile(rf"^(?:(?:{DISCLAIMER_HEADS}|声明)(?:\s*[:：︰]|\s|$|】)|正文已结束|本文来自|本文转自)")
# what a portal's disclaimer says (仅供参考, 不构成投资建议, 不代表本站立场, 转载, 版权归原作者 …): a line
# opening with a bare 声明 is a closing note only with one of these, else a statement the article makes or quotes
DISCLAIMER_WORDS = re.compile(
    r"仅供参考|不构成|投资建议|风险自担|投资有风险|不代表|立场|观点|转载|版权|原作者|出于传递|不意味着|真实性|侵权|删除"
)
# the disclaimers that open a long closing paragraph (免责声明：…文章观点仅代表作者本人…): never the article's own
# words, so even a long line starting so ends the text (a bare 声明 may open a statement the article quotes)
LONG_CLOSING_NOTE = re.compile(rf"^(?:{DISCLAIMER_HEADS})\s*[:：︰】]")
# a re-posting portal's note of the original headline, above or below the text: （原标题：…）, 原题为《…》
REPOST_TITLE = re.compile(r"^(?:本文)?原(?:标)?题(?:为)?\s*[:：︰《]")
# a summary box above the text that repeats its opening
SUMMARY = re.compile(r"^(?:内容)?(?:摘要|提要)\s*[:：︰]")
# the pieces of a date printed in separate elements ("2019" "09/07" "19:02"), never body text on their own
DATE_FRAGMENT = re.compile(r"\s*(?:(?:19|20)\d{2}|\d{1,2}\s*[/.\-]\s*\d{1,2}|\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)\s*")
# lines to drop wherever they sit (分享, 字号, 打印, 扫码, 当前位置, 版权 …)
FURNITURE = re.compile(
    r"^(?:(?:分享到|分享至|分享|字号|字体|打印|关闭|收藏|标签|关键词|关键字|纠错|我要纠错|位置|当前位置|您的位置|所在位置|"
    r"现在位置|您现在的位置|您当前的位置|浏览次数|阅读次数|点击数|访问量)(?:\s*[:：︰】]|\s|$)|(?:关注|图集)$"
    r"|扫一扫|扫码|微信扫|用手机扫|调整字体|图片均?来自网络|首页\s*[>＞»›]|【?\s*大\s*中\s*小"
    # an app promotion with its call to click (安装新浪财经客户端第一时间接收…→【下载地址】); without one, a line
    # starting 安装…APP may be prose (安装APP后，牧民可以在线问诊)
    r"|(?:下载|安装)[^，,。；;]{0,12}(?:客户端|app\b|APP\b|App\b)(?=.*(?:下载地址|点击|立即|→|>>|》》)))"
)
COPYRIGHT = re.compile(r"版权所有|copyright|©|\(c\)\s*\d{4}|icp备|icp证|公网安备|网安备", re.I)
# site-footer words: one alone can be prose (专家建议使用…), two in a short line are a footer
FOOTER_WORDS = re.compile(
    r"主办单位|承办单位|技术支持|建议使用|分辨率|未经授权|禁止转载|不得转载|本站声明|联系我们|网站地图|关于我们"
)
CONTACT = re.compile(r"(?:地址|电话|邮编|传真|邮箱|e-mail|主办|承办|协办|备案号?)\s*[:：]", re.I)
CAPTION_TEXT = re.compile(r"^(?:图为|图：|图:|上图|下图|左图|右图|▲)|摄[)）]?$|摄影[)）]?$|供图[)）]?$")

# ---------------------------------------------------------------------------------------------------------
# Headlines

# where <title> joins the headline to the site name: 标题_某某网, 标题 | 某某网, 标题-某某县人民政府
TITLE_SPLIT = re.compile(rf"\s*(?:_|\||｜|--|——|—|–| - | :: |(?<=[{HAN_CLASS}，。,！？”）])-(?=[{HAN_CLASS}]))\s*")
# a headline block followed in <title> by one of these is the title with the site name cut off
TITLE_SEPARATORS = "-_|｜—–:：·•»>"
