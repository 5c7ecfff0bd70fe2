import json

import pytest

from etl.regions import DATA, gazetteer, lookup, pairings, pairings_for, parent_chain, providers_for


def names(regions: list) -> list[str]:
    return [r.name for r in regions]


def test_gazetteer_holds_every_level_of_the_country() -> None:
    levels = [r.level for r in gazetteer().by_code.values()]
    assert levels.count("province") == 34
    assert 340 <= levels.count("prefecture") <= 360
    assert levels.count("county") >= 2800


@pytest.mark.parametrize(("short", "full"), [
    ("新疆", "新疆维吾尔自治区"), ("喀什", "喀什地区"), ("疏勒", "疏勒县"), ("克州", "克孜勒苏柯尔克孜自治州"),
    ("伊犁州", "伊犁哈萨克自治州"), ("伊犁", "伊犁哈萨克自治州"), ("巴州", "巴音郭楞蒙古自治州"),
    ("塔县", "塔什库尔干塔吉克自治县"), ("察布查尔", "察布查尔锡伯自治县"), ("黔东南州", "黔东南苗族侗族自治州"),
    ("第三师", "新疆生产建设兵团第三师"), ("广西", "广西壮族自治区"), ("东营", "东营市"),
])
def test_short_names_find_the_full_unit(short: str, full: str) -> None:
    assert full in names(lookup(short))


def test_a_full_name_wins_over_short_names_of_other_units() -> None:
    assert names(lookup("喀什市")) == ["喀什市"]


def test_an_ambiguous_short_name_lists_every_unit_highest_level_first() -> None:
    assert names(lookup("喀什")) == ["喀什地区", "喀什市"]
    assert names(lookup("海南")) == ["海南省", "海南藏族自治州"]


def test_parent_chain_runs_from_province_down() -> None:
    assert names(parent_chain(lookup("疏勒县")[0])) == ["新疆维吾尔自治区", "喀什地区", "疏勒县"]


def test_municipality_districts_hang_from_the_province() -> None:
    assert names(parent_chain(lookup("海淀区")[0])) == ["北京市", "海淀区"]


def test_corps_division_governs_its_city() -> None:
    assert names(parent_chain(lookup("图木舒克市")[0])) == ["新疆维吾尔自治区", "新疆生产建设兵团第三师", "图木舒克市"]


def test_every_pairing_name_resolves_to_one_unit() -> None:
    raw = json.loads((DATA / "pairing.json").read_text("utf-8"))["pairings"]
    loaded = pairings()
    assert len(loaded) == len(raw)
    assert sum(len(p.recipients) for p in loaded) == sum(len(e["recipients"]) for e in raw)


def test_pairing_recipients_lie_in_the_program_provinces() -> None:
    for pairing in pairings():
        if pairing.program == "援疆":
            assert all(parent_chain(r)[0].name == "新疆维吾尔自治区" for r in pairing.recipients)


def test_providers_for_a_county_include_the_province_and_its_city() -> None:
    found = {(p.provider.name, p.provider_city.name if p.provider_city else None) for p in providers_for("疏勒县")}
    assert found == {("山东省", None), ("山东省", "东营市")}


def test_providers_for_a_prefecture_include_those_of_its_counties() -> None:
    provinces = {p.provider.name for p in providers_for("喀什地区", "援疆")}
    assert provinces == {"上海市", "山东省", "广东省"}


def test_pairings_for_a_province_by_short_name_cover_every_program() -> None:
    programs = {p.program for p in pairings_for("山东")}
    assert programs == {"援疆", "援藏", "援青", "东西部协作"}


def test_pairings_for_a_city() -> None:
    found = pairings_for("深圳市")
    assert [names(list(p.recipients)) for p in found] == [["喀什市", "塔什库尔干塔吉克自治县"]]


def test_unknown_names_find_nothing() -> None:
    assert lookup("不存在县") == []
    assert providers_for("不存在县") == []
