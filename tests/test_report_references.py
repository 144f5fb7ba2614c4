"""The reference list: GB/T 7714-2015 entries, citation numbering, the repo's bibliography.

The expected strings of `test_standard_example` are examples printed in GB/T 7714-2015 itself
(§4 and §8; the same examples are reproduced by journals' author guides, e.g. 《中国神经精神疾病
杂志》参考文献著录规则, and by the biblatex-gb7714-2015 / CSL test suites); the entries are the
fields a user would write in references/bibliography.yaml for that work.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jianfu.core.errors import JianfuError
from jianfu.report.references import (
    compress_numbers,
    edition,
    format_gbt7714,
    format_name,
    load_bibliography,
    number_citations,
    reference_list,
)

REPO = Path(__file__).resolve().parents[1]
BIBLIOGRAPHY = REPO / "references" / "bibliography.yaml"


def _names(*pairs):
    return [{"family": f, "given": g} for f, g in pairs]


# (what the standard shows, the entry, the standard's text)
STANDARD_EXAMPLES = [
    (
        "J, one Western author (§4.4 示例)",
        {
            "type": "article-journal",
            "author": _names(("Kanamori", "Hiroo")),
            "title": "Shaking without quaking",
            "container-title": "Science",
            "issued": 1998,
            "volume": 279,
            "issue": 5359,
            "page": "2063",
        },
        "KANAMORI H. Shaking without quaking[J]. Science, 1998, 279(5359): 2063.",
    ),
    (
        "J, Chinese, more than three authors → 等 (§4.4 示例)",
        {
            "type": "article-journal",
            "language": "zh",
            "author": ["袁训来", "陈哲", "肖书海", "李启剑"],
            "title": "蓝田生物群: 一个认识多细胞生物起源和早期演化的新窗口",
            "container-title": "科学通报",
            "issued": 2012,
            "volume": 55,
            "issue": 34,
            "page": "3219",
        },
        "袁训来, 陈哲, 肖书海, 等. 蓝田生物群: 一个认识多细胞生物起源和早期演化的新窗口[J]. "
        "科学通报, 2012, 55(34): 3219.",
    ),
    (
        "J/OL with cited date, URL and DOI (§4.4 示例)",
        {
            "type": "article-journal",
            "author": _names(("Frese", "Karen S."), ("Katus", "Hugo A."), ("Meder", "Benjamin")),
            "title": "Next-generation sequencing: from understanding biology to personalized "
            "medicine",
            "container-title": "Biology",
            "issued": 2013,
            "volume": 2,
            "issue": 1,
            "page": "378–398",  # an en dash in the source is printed as the standard's hyphen
            "url": "http://www.mdpi.com/2079-7737/2/1/378",
            "accessed": "2013-03-19",
            "doi": "10.3390/biology2010378",
        },
        "FRESE K S, KATUS H A, MEDER B. Next-generation sequencing: from understanding biology "
        "to personalized medicine[J/OL]. Biology, 2013, 2(1): 378-398[2013-03-19]. "
        "http://www.mdpi.com/2079-7737/2/1/378. DOI: 10.3390/biology2010378.",
    ),
    (
        "J/OL, Chinese (§4.4 示例)",
        {
            "type": "article-journal",
            "author": ["李幼平", "王莉"],
            "title": "循证医学研究方法: 附视频",
            "container-title": "中华移植杂志(电子版)",
            "issued": 2010,
            "volume": 4,
            "issue": 3,
            "page": "225-228",
            "url": "http://www.cqvip.com/Read/Read.aspx?id=36658332",
            "accessed": "2014-06-09",
        },
        "李幼平, 王莉. 循证医学研究方法: 附视频[J/OL]. 中华移植杂志(电子版), 2010, 4(3): "
        "225-228[2014-06-09]. http://www.cqvip.com/Read/Read.aspx?id=36658332.",
    ),
    (
        "M, Chinese, cited page (§4.1 示例)",
        {
            "type": "book",
            "author": ["陈登原"],
            "title": "国史旧闻: 第1卷",
            "publisher-place": "北京",
            "publisher": "中华书局",
            "issued": 2000,
            "page": "29",
        },
        "陈登原. 国史旧闻: 第1卷[M]. 北京: 中华书局, 2000: 29.",
    ),
    (
        "M, Chinese, edition (§8.3: 2版)",
        {
            "type": "book",
            "author": [{"family": "徐", "given": "光宪"}, {"family": "王", "given": "祥云"}],
            "title": "物质结构",
            "edition": 2,
            "publisher-place": "北京",
            "publisher": "科学出版社",
            "issued": 2010,
        },
        "徐光宪, 王祥云. 物质结构[M]. 2版. 北京: 科学出版社, 2010.",
    ),
    (
        "M, Western, edition and unknown place (§8.3, §8.4.1.3: 3rd ed., [S.l.])",
        {
            "type": "book",
            "author": _names(("Rood", "Harold J.")),
            "title": "Logic and structured design for computer programmers",
            "edition": 3,
            "publisher": "Brooks/Cole-Thomson Learning",
            "issued": 2001,
        },
        "ROOD H J. Logic and structured design for computer programmers[M]. 3rd ed. [S.l.]: "
        "Brooks/Cole-Thomson Learning, 2001.",
    ),
    (
        "M/OL (§4.1 示例)",
        {
            "type": "book",
            "author": ["赵学功"],
            "title": "当代美国外交",
            "publisher-place": "北京",
            "publisher": "社会科学文献出版社",
            "issued": 2001,
            "url": "http://www.cadal.zju.edu.cn/book/trySinglePage/33023884/1",
            "accessed": "2014-06-11",
        },
        "赵学功. 当代美国外交[M/OL]. 北京: 社会科学文献出版社, 2001[2014-06-11]. "
        "http://www.cadal.zju.edu.cn/book/trySinglePage/33023884/1.",
    ),
    (
        "chapter: [M]// host (§4.2 示例)",
        {
            "type": "chapter",
            "author": ["程根伟"],
            "title": "1998年长江洪水的成因与减灾对策",
            "editor": ["许厚泽", "赵其国"],
            "container-title": "长江流域洪涝灾害与科技对策",
            "publisher-place": "北京",
            "publisher": "科学出版社",
            "issued": 1999,
            "page": "32-36",
        },
        "程根伟. 1998年长江洪水的成因与减灾对策[M]//许厚泽, 赵其国. 长江流域洪涝灾害与科技对策. "
        "北京: 科学出版社, 1999: 32-36.",
    ),
    (
        "R, organisation as author (§4.1 示例)",
        {
            "type": "report",
            "author": ["World Health Organization"],
            "title": "Factors regulating the immune response: report of WHO Scientific Group",
            "publisher-place": "Geneva",
            "publisher": "WHO",
            "issued": 1970,
        },
        "World Health Organization. Factors regulating the immune response: report of WHO "
        "Scientific Group[R]. Geneva: WHO, 1970.",
    ),
    (
        "R/OL without publisher: (date)[cited]. URL (§4.1 示例)",
        {
            "type": "report",
            "author": ["中国互联网络信息中心"],
            "title": "第29次中国互联网络发展现状统计报告",
            "issued": "2012-01-16",
            "url": "http://www.cnnic.net.cn/hlwfzyj/hlwxzbg/201201/P020120709345264469680.pdf",
            "accessed": "2013-03-26",
        },
        "中国互联网络信息中心. 第29次中国互联网络发展现状统计报告[R/OL]. (2012-01-16)"
        "[2013-03-26]. http://www.cnnic.net.cn/hlwfzyj/hlwxzbg/201201/P020120709345264469680.pdf.",
    ),
    (
        "S, with the standard's number (§4.1 示例)",
        {
            "type": "standard",
            "author": ["全国信息与文献标准化技术委员会"],
            "title": "信息与文献 都柏林核心元数据元素集",
            "number": "GB/T 25100—2010",
            "publisher-place": "北京",
            "publisher": "中国标准出版社",
            "issued": 2010,
            "page": "2-3",
        },
        "全国信息与文献标准化技术委员会. 信息与文献 都柏林核心元数据元素集: GB/T 25100—2010[S]. "
        "北京: 中国标准出版社, 2010: 2-3.",
    ),
    (
        "EB/OL (§4.6 示例)",
        {
            "type": "webpage",
            "author": ["萧钰"],
            "title": "出版业信息化迈入快车道",
            "issued": "2001-12-19",
            "url": "http://www.creader.com/news/20011219/200112190019.html",
            "accessed": "2002-04-15",
        },
        "萧钰. 出版业信息化迈入快车道[EB/OL]. (2001-12-19)[2002-04-15]. "
        "http://www.creader.com/news/20011219/200112190019.html.",
    ),
    (
        "EB/OL, no date, organisation ending in a stop (§4.6 示例)",
        {
            "type": "webpage",
            "author": ["Online Computer Library Center, Inc."],
            "title": "History of OCLC",
            "url": "http://www.oclc.org/about/history/default.htm",
            "accessed": "2000-01-08",
        },
        "Online Computer Library Center, Inc. History of OCLC[EB/OL]. [2000-01-08]. "
        "http://www.oclc.org/about/history/default.htm.",
    ),
    (
        "CP with a carrier code and copyright year (§4.6 示例)",
        {
            "type": "software",
            "author": ["Scitor Corporation"],
            "title": "Project scheduler",
            "gbt_type": "CP/DK",
            "publisher-place": "Sunnyvale, Calif.",
            "publisher": "Scitor Corporation",
            "issued": "c1983",
        },
        "Scitor Corporation. Project scheduler[CP/DK]. Sunnyvale, Calif.: Scitor Corporation, "
        "c1983.",
    ),
]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [pytest.param(e, x, id=d) for d, e, x in STANDARD_EXAMPLES],
)
def test_standard_example(entry, expected):
    assert format_gbt7714(entry) == expected


def test_brief_example_hu_bentler():
    bib = load_bibliography(BIBLIOGRAPHY)
    assert format_gbt7714(bib["hu1999"]) == (
        "HU L T, BENTLER P M. Cutoff criteria for fit indexes in covariance structure analysis: "
        "conventional criteria versus new alternatives[J]. Structural Equation Modeling, 1999, "
        "6(1): 1-55. DOI: 10.1080/10705519909540118."
    )


def test_policy_document_without_url_is_z_with_unknown_place_and_publisher():
    entry = {"type": "legal", "language": "zh", "author": ["中共中央办公厅"], "title": "某通知"}
    assert format_gbt7714({**entry, "issued": 2019}) == (
        "中共中央办公厅. 某通知[Z]. [出版地不详]: [出版者不详], 2019."
    )
    online = {**entry, "issued": "2019-03-11", "gbt_type": "EB/OL"}
    online |= {"url": "http://example.org/a.htm", "accessed": "2026-01-02"}
    assert format_gbt7714(online) == (
        "中共中央办公厅. 某通知[EB/OL]. (2019-03-11)[2026-01-02]. http://example.org/a.htm."
    )


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ({"family": "Einstein", "given": "Albert"}, "en", "EINSTEIN A"),
        ({"family": "Hu", "given": "Li-tze"}, "en", "HU L T"),
        ({"family": "Sant'Anna", "given": "Pedro H.C."}, "en", "SANT'ANNA P H C"),
        ({"family": "MacKinnon", "given": "James G."}, "en", "MACKINNON J G"),
        ({"family": "张", "given": "三"}, "zh", "张三"),
        ("李四光", "zh", "李四光"),
        ({"literal": "World Health Organization"}, "en", "World Health Organization"),
    ],
)
def test_names(name, lang, expected):
    assert format_name(name, lang) == expected


def test_more_than_three_western_authors_end_with_et_al():
    entry = {
        "type": "article-journal",
        "author": _names(("Fordham", "E W"), ("Ali", "A"), ("Turner", "D A"), ("Charters", "J R")),
        "title": "T",
        "container-title": "J",
        "issued": 1990,
    }
    assert format_gbt7714(entry).startswith("FORDHAM E W, ALI A, TURNER D A, et al. T[J]. J, 1990.")


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (1, "en", ""),
        (2, "zh", "2版"),
        (3, "en", "3rd ed."),
        (11, "en", "11th ed."),
        (22, "en", "22nd ed."),
        ("新1版", "zh", "新1版"),
    ],
)
def test_edition(value, lang, expected):
    assert edition(value, lang) == expected


# ---------------------------------------------------------------- numbering


def test_numbers_follow_first_citation_over_all_texts():
    texts = [
        "拟合标准见[@hu1999]。",
        "区分效度[@fornell1981; @henseler2015]，拟合[@hu1999]。",
        "多期双重差分[@sun2021; @callaway2021; @goodmanbacon2021; @fornell1981]",
    ]
    out, keys = number_citations(texts)
    assert keys == [
        "hu1999",
        "fornell1981",
        "henseler2015",
        "sun2021",
        "callaway2021",
        "goodmanbacon2021",
    ]
    assert out == [
        "拟合标准见[1]。",
        "区分效度[2-3]，拟合[1]。",
        "多期双重差分[2, 4-6]",
    ]


def test_numbers_separate_non_consecutive_and_ignore_other_brackets():
    out, keys = number_citations(["[@a] [@b] [@c] both [@c; @a] and [1] and [see @a] stay"])
    assert keys == ["a", "b", "c"]
    assert out == ["[1] [2] [3] both [1, 3] and [1] and [see @a] stay"]


def test_compress_numbers():
    assert compress_numbers([5, 1, 2, 3, 3, 9, 10]) == "1-3, 5, 9-10"
    assert compress_numbers([7]) == "7"


def test_unknown_key_is_named():
    with pytest.raises(JianfuError, match=r"\[@nobody2020\].*no entry 'nobody2020'"):
        number_citations(["see [@hu1999; @nobody2020]"], known={"hu1999"})
    with pytest.raises(JianfuError, match="no entry 'nobody2020'"):
        reference_list(["nobody2020"], {})


def test_reference_list_numbers_the_entries():
    bib = load_bibliography(BIBLIOGRAPHY)
    _, keys = number_citations(["[@kish1965; @hayes2022]"], known=bib)
    assert reference_list(keys, bib) == [
        "[1] KISH L. Survey sampling[M]. New York: John Wiley & Sons, 1965.",
        "[2] HAYES A F. Introduction to mediation, moderation, and conditional process analysis: "
        "a regression-based approach[M]. 3rd ed. New York: Guilford Press, 2022.",
    ]


# ---------------------------------------------------------------- the repo's bibliography


NEEDED = {
    "simonsohn2020", "hu1999", "fornell1981", "henseler2015", "podsakoff2003", "hayes2022",
    "callaway2021", "sun2021", "goodmanbacon2021", "conley2011", "mackinnon2017", "rosseel2012",
    "bauer2005", "kish1965", "zhonggong2019", "zhonggong2024",
}  # fmt: skip


def test_repo_bibliography_loads_and_every_entry_formats():
    bib = load_bibliography(BIBLIOGRAPHY)
    assert set(bib) >= NEEDED
    for key, entry in bib.items():
        text = format_gbt7714(entry)
        assert text.endswith("."), key
        assert re.search(r"\[(J|M|R|CP|S|Z|EB)(/OL)?\]", text), key
        assert "None" not in text and "  " not in text, key
    assert format_gbt7714(bib["podsakoff2003"]).startswith(
        "PODSAKOFF P M, MACKENZIE S B, LEE J Y, et al. Common method biases"
    )
    assert format_gbt7714(bib["zhonggong2024"]).startswith(
        "中共中央办公厅, 国务院办公厅. 整治形式主义为基层减负若干规定[Z]."
    )


def test_params_point_at_the_bibliography():
    import yaml

    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    assert REPO / params["report"]["bibliography"] == BIBLIOGRAPHY


# ---------------------------------------------------------------- errors name file, key, field


def _write(tmp_path, text):
    path = tmp_path / "bib.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a:\n  type: book\n  author: [X]\n  title: T\n  issued: 2000\n",
            r"bib.yaml: entry 'a': a book needs field\(s\) publisher, publisher-place",
        ),
        ("a:\n  type: poem\n  title: T\n", r"entry 'a': type 'poem' is not one of"),
        (
            "a:\n  type: webpage\n  title: T\n  url: http://x\n  accessed: 2020-01-01\n"
            "  container_title: X\n",
            r"entry 'a': unknown field\(s\) container_title",
        ),
        (
            "a:\n  type: webpage\n  title: T\n  url: http://x\n",
            r"entry 'a': a webpage needs field\(s\) accessed",
        ),
        (
            "a:\n  type: legal\n  author: [X]\n  title: T\n  issued: 2000\n  language: fr\n",
            r"entry 'a': language must be zh or en",
        ),
        (
            "a:\n  type: legal\n  author: [{given: X}]\n  title: T\n  issued: 2000\n",
            r"entry 'a': author: .* is not a name",
        ),
        (
            "a:\n  type: legal\n  author: [X]\n  title: T\n  issued: 2000\n  gbt_type: Q\n",
            r"entry 'a': gbt_type 'Q' is not a GB/T 7714 code",
        ),
        ("a: [1, 2\n", r"bib.yaml:\d+: not valid YAML"),
        (
            "a:\n  type: legal\n  author: [X]\n  title: T\n  issued: 2000\n"
            "a:\n  type: legal\n  author: [Y]\n  title: U\n  issued: 2001\n",
            r"bib.yaml: line 6: key 'a' is given twice \(first on line 1\)",
        ),
    ],
)
def test_bad_bibliography_is_a_located_error(tmp_path, text, message):
    with pytest.raises(JianfuError, match=message):
        load_bibliography(_write(tmp_path, text))


def test_missing_bibliography_names_the_param(tmp_path):
    with pytest.raises(JianfuError, match=r"not found.*report\.bibliography"):
        load_bibliography(tmp_path / "absent.yaml")


def test_yaml_dates_become_strings(tmp_path):
    path = _write(
        tmp_path,
        "a:\n  type: webpage\n  title: T\n  issued: 2019-03-11\n  url: http://x\n"
        "  accessed: 2020-01-02\n",
    )
    entry = load_bibliography(path)["a"]
    assert entry["issued"] == "2019-03-11"
    assert format_gbt7714(entry) == "T[EB/OL]. (2019-03-11)[2020-01-02]. http://x."
