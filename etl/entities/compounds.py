"""Pairing compounds: two province abbreviations (简称) that name both sides at once — 鲁疆同心, 粤桂协作,
沪滇合作, 闽宁协作, 鲁喀两地.

The first character is the provider's province; the second is the recipient's province, or the first character
of a prefecture the provider is paired with (鲁喀: 山东 and 喀什, 浙阿: 浙江 and 阿克苏). Only a pair followed by
one of COMPOUND_TAIL's words is read, so ordinary words that happen to start with two abbreviations are not.
"""

from __future__ import annotations

import re

from etl.entities.programs import TITLE_WEIGHT
from etl.entities.sides import Weighted
from etl.regions import Gazetteer, Region, pairings

# Province abbreviations (简称) as they appear in pairing compounds.
ABBREVIATIONS = {
    "京": "北京市",
    "津": "天津市",
    "冀": "河北省",
    "晋": "山西省",
    "蒙": "内蒙古自治区",
    "辽": "辽宁省",
    "吉": "吉林省",
    "黑": "黑龙江省",
    "沪": "上海市",
    "苏": "江苏省",
    "浙": "浙江省",
    "皖": "安徽省",
    "闽": "福建省",
    "赣": "江西省",
    "鲁": "山东省",
    "豫": "河南省",
    "鄂": "湖北省",
    "湘": "湖南省",
    "粤": "广东省",
    "桂": "广西壮族自治区",
    "琼": "海南省",
    "渝": "重庆市",
    "川": "四川省",
    "黔": "贵州省",
    "滇": "云南省",
    "藏": "西藏自治区",
    "陕": "陕西省",
    "陇": "甘肃省",
    "甘": "甘肃省",
    "青": "青海省",
    "宁": "宁夏回族自治区",
    "疆": "新疆维吾尔自治区",
}
PROVIDER_ABBREVIATIONS = "京津冀晋辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤陕渝"
RECIPIENT_ABBREVIATIONS = "疆藏青滇桂黔陇甘宁蒙川陕渝冀吉"
COMPOUND_TAIL = "两地|协作|合作|同心|一家|情|携手|共建|交流|友谊|扶贫|帮扶|对口"
COMPOUND = re.compile(f"([{PROVIDER_ABBREVIATIONS}])(\\w)(?={COMPOUND_TAIL})")


def compound_partner(helper: Region, char: str, g: Gazetteer) -> Region | None:
    """The unit the second character of a pairing compound stands for, given the helping province."""
    if char in RECIPIENT_ABBREVIATIONS:
        return g.by_full[ABBREVIATIONS[char]][0]
    prefectures = {
        chain[1]
        for p in pairings()
        if p.provider == helper
        for t in p.recipients
        if len(chain := g.parent_chain(t)) > 1 and chain[1].name.startswith(char)
    }
    return prefectures.pop() if len(prefectures) == 1 else None


def compound_units(title: str, body: str, g: Gazetteer) -> tuple[Weighted, Weighted]:
    """Weighted provider and recipient units of every pairing compound in the title and body."""
    provider: Weighted = []
    recipient: Weighted = []
    for text, weight in ((title, float(TITLE_WEIGHT)), (body, 1.0)):
        for match in COMPOUND.finditer(text):
            helper = g.by_full[ABBREVIATIONS[match.group(1)]][0]
            helped = compound_partner(helper, match.group(2), g)
            if helped is not None:
                provider.append((helper, weight))
                recipient.append((helped, weight))
    return provider, recipient
