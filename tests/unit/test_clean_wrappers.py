"""Article wrappers whose class names say "furniture": the body chooser must still read the text inside them.

A portal may give the element around its article a share plugin's class (a "select text to share" popup hooks
onto it), and put a promotion box, a video player and a 相关新闻 list inside the same wrapper above the text.
When the class/id hints would cost most of the page's text, the chooser sets them aside; these pages check that
it then also accepts the misnamed wrapper instead of dropping everything inside it as furniture and handing back
a stray promotion line from beside it. The pages are written here, in the shape of the trap, with made-up text.
"""

from __future__ import annotations

from etl.html import clean

PARAGRAPHS = [
    "本报讯 今年以来，对口支援工作队围绕产业、教育、医疗三个方面持续发力，各项工作取得明显成效。",
    "在产业方面，工作队引进农产品加工企业五家，新建标准化厂房两万平方米，带动当地群众就业一千余人。",
    "在教育方面，支援方选派骨干教师四十名，开展教研活动一百余场，受益学生超过八千人。",
    "在医疗方面，支援医院派出专家团队，新开展手术项目二十项，让群众在家门口就能看上好医生。",
    "工作队负责人表示，下一步将继续聚焦民生，推动更多项目落地见效，为当地高质量发展贡献力量。",
    "据了解，今年计划实施援助项目六十个，目前已开工五十二个，完成投资三点二亿元，进度符合预期。",
]
PROMO_ABOVE = "新品第一时间免费试用，还有众多达人分享使用心得，快来参加体验活动吧！下载客户端还能领取专享福利哦！"
RELATED = ["援建项目现场直击：新建厂房两万平方米投产", "支援医院专家团队新开展手术项目二十项"]
PROMO_BESIDE = "专注援建新闻报道，每日推送最新资讯。扫描下方二维码关注我们的公众号。"


def _page(wrapper_class: str) -> str:
    related = "".join(f'<p><a href="/news/{n}.html">{title}</a></p>' for n, title in enumerate(RELATED))
    text = "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
    return f"""<html><head><title>对口支援工作取得明显成效</title></head><body>
    <div class="topnav"><a href="/">首页</a> | <a href="/news">新闻</a> | <a href="/about">关于</a></div>
    <div class="wrap"><h1>对口支援工作取得明显成效</h1>
    <div class="info">2023年06月12日 09:30 援建日报</div>
    <div class="{wrapper_class}" id="artibody">
      <div class="promo-box"><div class="promo-con"><p>{PROMO_ABOVE}</p></div></div>
      <div class="player-wrap"><div class="player-info"><label>自动播放</label><span>对口支援工作纪实</span></div></div>
      <p>相关新闻：</p>{related}
      {text}
    </div>
    <p class="wx-code">{PROMO_BESIDE}</p>
    <p class="keywords">文章关键词： 对口支援 产业</p>
    <div class="article-tools">分享到： 收藏 | 打印 | 关闭</div>
    </div></body></html>"""


def test_the_text_inside_a_wrapper_named_like_a_share_widget_is_the_body() -> None:
    cleaned = clean(_page("bshare_pop clearfix"))
    assert cleaned.paragraphs[: len(PARAGRAPHS)] == PARAGRAPHS
    assert PROMO_ABOVE not in cleaned.body
    assert cleaned.title == "对口支援工作取得明显成效"
    assert cleaned.published_at is not None and cleaned.published_at.date().isoformat() == "2023-06-12"


def test_the_same_page_with_a_plainly_named_wrapper_reads_the_same_text() -> None:
    assert clean(_page("article-body")).paragraphs[: len(PARAGRAPHS)] == PARAGRAPHS


def test_a_related_list_above_the_text_does_not_end_the_article() -> None:
    """A 相关新闻 heading before the densest text: what stood before it is a box, what follows is the article."""
    cleaned = clean(_page("content"))
    assert cleaned.paragraphs[0] == PARAGRAPHS[0]
    assert PARAGRAPHS[-1] in cleaned.paragraphs


def test_a_collapsed_footer_does_not_join_a_run_found_without_hints() -> None:
    """A menu footer has almost no punctuation: with the hints set aside it is still not prose."""
    sections = " ".join(f"栏目{n} 子栏目{n}甲 子栏目{n}乙 专题{n}" for n in range(300))
    text = "".join(f'<div class="para">{paragraph}</div>' for paragraph in PARAGRAPHS[:3])
    page = f"""<html><body><div class="side-wrap"><h2>对口支援工作取得明显成效</h2>
    <div class="share-text">{text}</div></div>
    <div class="footer">{sections} 版权所有：某某网站，主办单位：某某办公室。</div></body></html>"""
    cleaned = clean(page)
    assert cleaned.paragraphs == PARAGRAPHS[:3]
