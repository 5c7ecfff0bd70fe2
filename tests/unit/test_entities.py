import json

import pytest
from shared import SEED, demo_articles

from etl.entities import extract_entities
from etl.entities.mentions import find_mentions
from etl.entities.sides import Place
from etl.entities.timing import find_batch, find_period
from etl.entities.topics import find_topics


@pytest.fixture(scope="module")
def seed() -> tuple[str, str, dict]:
    if not (SEED / "aid-article.txt").exists():
        pytest.skip("the shared seed folder is not beside the repository")
    from etl.text.normalise import normalise

    expected = json.loads((SEED / "aid-article.expected.json").read_text("utf-8"))
    lines = normalise((SEED / "aid-article.txt").read_text("utf-8")).text.splitlines()
    last = next(i for i, line in enumerate(lines) if line.endswith(expected["body_last_line_ends_with"]))
    return lines[0], "\n".join(lines[1 : last + 1]), expected


def test_seed_entities_match_the_gold(seed: tuple[str, str, dict]) -> None:
    title, body, expected = seed
    e = extract_entities(title, body)
    assert e.program == expected["program"]
    assert e.batch == expected["batch"]
    assert e.provider == Place("山东省", "东营市", None, inferred=False)
    assert (e.recipient.province, e.recipient.prefecture, e.recipient.county) == (
        expected["recipient"]["region"],
        expected["recipient"]["prefecture"],
        expected["recipient"]["county"],
    )
    assert e.recipient.inferred is False
    assert e.provider.province == expected["provider"]["province"]
    assert e.provider.prefecture == expected["provider"]["city"]
    assert e.period_start == expected["period_start"]
    assert e.topics == expected["topics"]


def test_recipient_county_brings_its_prefecture_and_province() -> None:
    e = extract_entities("浙江援疆干部在温宿县开展帮扶", "浙江省援疆指挥部在温宿县建设学校，投入资金500万元。")
    assert e.recipient == Place("新疆维吾尔自治区", "阿克苏地区", "温宿县", inferred=False)
    assert e.provider == Place("浙江省", None, None, inferred=False)


def test_missing_provider_is_inferred_from_the_pairing_map() -> None:
    e = extract_entities("对口支援助力英吉沙县发展", "对口支援资金持续投向英吉沙县教育和医疗领域。")
    assert e.program == "援疆"
    assert e.provider == Place("山东省", None, None, inferred=True)


def test_inferred_provider_takes_the_city_paired_with_the_county() -> None:
    e = extract_entities("对口支援疏勒县", "对口支援资金投向疏勒县。")
    assert e.provider == Place("山东省", "东营市", None, inferred=True)


def test_missing_recipient_is_inferred_from_the_pairing_map() -> None:
    e = extract_entities("深圳援疆干部扎根边疆", "深圳市第十批援疆干部人才坚持产业援疆，引进企业20家。")
    assert e.provider == Place("广东省", "深圳市", None, inferred=False)
    assert e.recipient == Place("新疆维吾尔自治区", "喀什地区", None, inferred=True)
    assert e.batch == 10


def test_recipient_named_only_as_a_province_is_narrowed_by_the_pairing() -> None:
    e = extract_entities("山东援疆成果展", "山东省援疆干部人才为新疆发展贡献力量，累计投入资金10亿元。")
    assert e.recipient == Place("新疆维吾尔自治区", "喀什地区", None, inferred=True)


def test_ambiguous_short_name_follows_the_program_province() -> None:
    e = extract_entities("江苏援青干部助力海南州教育", "江苏省援青工作队在青海海南州新建学校2所。")
    assert e.program == "援青"
    assert e.recipient.prefecture == "海南藏族自治州"
    assert e.provider.province == "江苏省"


@pytest.mark.parametrize(
    ("title", "program"),
    [
        ("沪滇协作结硕果", "东西部协作"),
        ("闽宁协作谱新篇", "东西部协作"),
        ("上海第十一批援藏干部抵达日喀则", "援藏"),
        ("北京援青干部在玉树", "援青"),
        ("央企定点帮扶县发展纪实", "定点帮扶"),
    ],
)
def test_program_from_the_wording(title: str, program: str) -> None:
    assert extract_entities(title, "").program == program


def test_generic_pairing_with_a_tibetan_recipient_is_aid_to_tibet() -> None:
    assert extract_entities("对口支援拉萨", "对口支援工作在拉萨市稳步推进。").program == "援藏"


def test_generic_pairing_outside_the_map_splits_provider_and_recipient_by_province() -> None:
    body = "上海市对口支援万州区三十年，上海援建项目600个。上海企业在万州区建设园区。"
    e = extract_entities("上海对口支援万州", body)
    assert e.program == "对口支援"
    assert e.provider == Place("上海市", None, None, inferred=False)
    assert e.recipient == Place("重庆市", None, "万州区", inferred=False)


def test_pairing_compound_names_both_provinces() -> None:
    e = extract_entities("粤桂协作助力百色发展", "两地协作共建产业园区。")
    assert e.provider.province == "广东省"
    assert e.recipient == Place("广西壮族自治区", "百色市", None, inferred=False)


def test_pairing_compound_with_a_prefecture_character_uses_the_pairing_map() -> None:
    e = extract_entities("鲁喀两地青少年手拉手", "夏令营活动在山东举行。")
    assert e.provider.province == "山东省"
    assert e.recipient.prefecture == "喀什地区"


def test_common_words_are_not_places() -> None:
    text = "推动社会稳定和长治久安，人才资源是第一资源，加强合作，推进乡村振兴县域经济，比如富民产业，友谊长存。"
    assert find_mentions(text) == []
    assert find_mentions("日照充足，哈密瓜又甜又大") == []


def test_first_normal_school_is_no_corps_division() -> None:
    assert find_mentions("第一师范学院") == []
    assert [m.surface for m in find_mentions("兵团第一师阿拉尔市")] == ["兵团第一师", "阿拉尔市"]


@pytest.mark.parametrize(
    ("text", "batch"),
    [
        ("山东省第十批东营援疆工作综述", 10),
        ("第10批援藏干部人才抵达", 10),
        ("第十一批援疆医生到岗", 11),
        ("第三届文化节开幕，第一书记王某讲话", None),
        ("第二批次项目开工", None),
    ],
)
def test_batch_is_the_aid_batch_only(text: str, batch: int | None) -> None:
    assert find_batch("", text) == batch


def test_batch_in_the_title_wins() -> None:
    assert find_batch("第九批援疆干部总结", "第十批援疆干部将接续奋斗") == 9


def test_one_county_among_several_does_not_stand_for_the_recipient() -> None:
    body = (
        "上海援藏干部分赴日喀则市江孜、亚东、萨迦、拉孜、定日5个县。"
        "在江孜县建设医院，在亚东县改造供水，在江孜县建设工厂，在定日县建设新村。"
    )
    e = extract_entities("上海援藏三年", body)
    assert e.recipient == Place("西藏自治区", "日喀则市", None, inferred=False)


def test_a_city_named_in_passing_does_not_stand_for_the_provider() -> None:
    body = "江苏援青医生王晨来自南京的一家医院。江苏省援青干部人才共派出117人，江苏援青投入资金5亿元。"
    e = extract_entities("江苏援青医生在共和县", body)
    assert e.provider == Place("江苏省", None, None, inferred=False)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("自2020年3月山东省第十批援疆干部人才进疆以来，成效明显。", ("2020-03", None)),
        ("2021年至2023年，累计投入资金13亿元。", ("2021", "2023")),
        ("2019年6月到2022年12月期间", ("2019-06", "2022-12")),
        ("2021—2023年规划", ("2021", "2023")),
        ("三年来，援疆干部接续奋斗。", (None, None)),
    ],
)
def test_period_as_stated(text: str, period: tuple) -> None:
    assert find_period("", text) == period


def test_topics_from_headings_before_body_wording() -> None:
    body = "总体情况\n产业援疆,培育龙头企业\n文中提到医疗援疆和消费援疆。\n人才援疆,引进专家\n"
    assert find_topics(body) == ["智力", "产业"]


def test_topics_without_headings_are_those_the_text_keeps_returning_to() -> None:
    body = "援疆资金支持新建学校2所，援疆教师走上课堂，学生在家门口上学。附近还有一家医院。"
    assert find_topics(body) == ["教育"]


def test_an_aid_topic_compound_counts_more_than_a_cue_word() -> None:
    assert find_topics("今年开展消费援疆。") == ["消费"]
    assert find_topics("今年销售了一批货。") == []


def test_a_single_topic_heading_does_not_limit_the_topics() -> None:
    body = "消费协作打通销售渠道\n企业投资建设产业园区，建成种植基地，带动就业岗位300个，吸纳务工人员就业。"
    assert find_topics(body) == ["产业", "就业", "消费"]


def test_no_places_no_sides() -> None:
    e = extract_entities("会议召开", "会议强调要做好各项工作。")
    assert (e.program, e.provider, e.recipient, e.batch, e.topics) == (None, None, None, None, [])


def test_a_short_name_shared_by_a_prefecture_and_its_seat_means_the_prefecture() -> None:
    e = extract_entities("辽宁援疆塔城", "辽宁援疆在塔城地区托里县、裕民县建设项目。")
    assert e.recipient == Place("新疆维吾尔自治区", "塔城地区", None, inferred=False)


def test_a_paired_provider_settles_a_close_call() -> None:
    e = extract_entities("援疆干部在墨玉", "上海的企业家和北京的干部一起来到墨玉县，走访墨玉县农户。")
    assert e.provider == Place("北京市", None, None, inferred=False)


PLACE_FIELDS = [
    ("provider", "province"),
    ("provider", "prefecture"),
    ("recipient", "province"),
    ("recipient", "prefecture"),
    ("recipient", "county"),
]


@pytest.fixture(scope="module")
def corpus_scores() -> dict[str, float]:
    from etl.text.normalise import normalise

    gold = [a.raw for a in demo_articles() if "program" in a.raw]
    hits: dict[str, int] = dict.fromkeys(["program", "batch", "topics_exact"] + [".".join(f) for f in PLACE_FIELDS], 0)
    tp = fp = fn = 0
    for article in gold:
        e = extract_entities(normalise(article["title"]).text, normalise("\n".join(article["paragraphs"])).text)
        hits["program"] += e.program == article["program"]
        hits["batch"] += e.batch == article["batch"]
        for side, level in PLACE_FIELDS:
            place = getattr(e, side)
            hits[f"{side}.{level}"] += (getattr(place, level) if place else None) == (article[side] or {}).get(level)
        got, want = set(e.topics), set(article["topics"])
        hits["topics_exact"] += got == want
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    scores = {key: value / len(gold) for key, value in hits.items()}
    scores["topics_precision"] = tp / max(tp + fp, 1)
    scores["topics_recall"] = tp / max(tp + fn, 1)
    return scores


@pytest.mark.parametrize(
    ("field", "bar"),
    [
        ("program", 0.95),
        ("batch", 0.95),
        ("provider.province", 0.95),
        ("provider.prefecture", 0.85),
        ("recipient.province", 0.95),
        ("recipient.prefecture", 0.9),
        ("recipient.county", 0.85),
        ("topics_precision", 0.8),
        ("topics_recall", 0.75),
    ],
)
def test_demo_corpus_entities_meet_the_bars(corpus_scores: dict[str, float], field: str, bar: float) -> None:
    assert corpus_scores[field] >= bar, corpus_scores
