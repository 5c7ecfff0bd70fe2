"""Promotions and disclaimers at the edges of the text: furniture the portal prints inside the article's element.

An app promotion with its call to click above the text, and a long disclaimer below it (免责声明：…不代表本站立场…
投资有风险), are the portal's words, not the article's. What looks like them but is prose stays: a short line that
starts with 安装…APP without a call to click, and a quoted 声明 inside the text. The pages are written here.
"""

from __future__ import annotations

from etl.html import clean

PARAGRAPHS = [
    "本报讯 今年以来，援疆工作队围绕产业、教育、医疗持续发力，各项工作取得明显成效。",
    "在医疗方面，支援医院派出专家团队，新开展手术项目二十项，让群众在家门口就能看上好医生。",
    "据了解，今年计划实施援助项目六十个，目前已开工五十二个，完成投资三点二亿元，进度符合预期。",
]
PROMOTION = "安装援建新闻客户端第一时间接收最新资讯→【下载地址】"
DISCLAIMER = (
    "免责声明：本文内容来自合作媒体，版权归原作者所有，转载请联系原作者并获许可。文章观点仅代表作者本人，"
    "不代表本站立场。若内容涉及投资建议，仅供参考勿作为投资依据。投资有风险，入市需谨慎。"
)


def _body(paragraphs: list[str]) -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = f"""<html><head><title>援疆工作取得明显成效</title></head><body>
    <div class="nav"><a href="/">首页</a> | <a href="/news">新闻</a></div>
    <h1>援疆工作取得明显成效</h1><div class="info">2023年06月12日 09:30 援建日报</div>
    <div class="article-content">{text}</div>
    <div class="footer">版权所有 援建日报社</div></body></html>"""
    return clean(page).body


def test_an_app_promotion_above_and_a_disclaimer_below_the_text_are_left_out() -> None:
    body = _body([PROMOTION, *PARAGRAPHS, DISCLAIMER])
    assert body.split("\n") == PARAGRAPHS


def test_prose_that_looks_like_them_stays() -> None:
    prose = "安装APP后，牧民可以在线问诊。"  # no call to click: the article's own words
    quoted = "声明：" + "工作队郑重承诺，所有援建资金专款专用，接受社会监督，欢迎群众举报违规行为。" * 2
    body = _body([PARAGRAPHS[0], prose, quoted, *PARAGRAPHS[1:]])
    assert body.split("\n") == [PARAGRAPHS[0], prose, quoted, *PARAGRAPHS[1:]]
