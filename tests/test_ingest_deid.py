"""De-identification: keyed pseudonyms, the key's sources, text scrubbing and the leak scan."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from jianfu.core.errors import JianfuError
from jianfu.ingest import deid
from jianfu.simulate.respondents import SUGGESTIONS, person_name, phone_number

ENV = "JIANFU_TEST_DEID_KEY"
DEMO = "jianfu-public-demo-key-simulated-data-only"
KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


@pytest.fixture
def params(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    return {"key_env": ENV, "key_file": ".jianfu/deid.key", "demo_key": DEMO}


def _injected(n: int, seed: int) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Open text with personal data exactly as the simulator's `pii_in_text` dirt adds it."""
    rng = np.random.default_rng(seed)
    bases = np.asarray([*SUGGESTIONS, "有问题请联系我。"])[rng.integers(0, len(SUGGESTIONS) + 1, n)]
    names, phones = person_name(rng, n), phone_number(rng, n)
    text = [f"{b}（{nm}，电话{ph}）" for b, nm, ph in zip(bases, names, phones, strict=True)]
    return pd.Series(text), names, phones


# --- pseudonyms ---------------------------------------------------------------------------------
def test_pseudonyms_stable_across_calls_and_keyed():
    values = pd.Series(["13912345678", "13800001111", None])
    a1 = deid.Pseudonymizer(KEY_A).token(values, "phone")
    a2 = deid.Pseudonymizer(KEY_A).token(values, "phone")
    b = deid.Pseudonymizer(KEY_B).token(values, "phone")
    assert a1.tolist()[:2] == a2.tolist()[:2]
    assert (a1[:2] != b[:2]).all()
    assert a1[:2].str.fullmatch(r"phone_[0-9a-f]{16}").all()
    assert a1.isna().tolist() == [False, False, True]


def test_pseudonyms_normalise_and_keep_missing():
    pz = deid.Pseudonymizer(KEY_A)
    phones = pd.Series(
        [
            "13912345678",
            " 139 1234 5678",
            "139-1234-5678",
            "+86 13912345678",
            "１３９１２３４５６７８",
        ]
    )
    assert pz.token(phones, "phone").nunique() == 1
    assert pz.token_one(13912345678.0, "phone") == pz.token_one("13912345678", "phone")
    emails = pd.Series(["Zhang.Wei@Example.com", " zhang.wei@example.com "])
    assert pz.token(emails, "email").nunique() == 1
    assert pz.token(pd.Series(["张 伟", "张伟", "张伟 "]), "name").nunique() == 1
    ids = pd.Series(["50010119900101123x", "500101 19900101 123X"])
    assert pz.token(ids, "id_number").nunique() == 1
    ips = pd.Series(["106.84.3.7(重庆-重庆)", "106.84.3.7"])
    assert pz.token(ips, "ip").nunique() == 1
    missing = pz.token(pd.Series([None, np.nan, "", "  ", "(空)", "(跳过)"], dtype=object), "name")
    assert missing.isna().all()


def test_kinds_never_collide():
    pz = deid.Pseudonymizer(KEY_A)
    assert pz.token_one("13912345678", "name") != pz.token_one("13912345678", "phone")
    assert pz.token_one("13912345678", "name").startswith("name_")
    with pytest.raises(ValueError, match="unknown kind"):
        pz.token_one("x", "address")


# --- the key ------------------------------------------------------------------------------------
def test_real_data_without_a_key_explains_how_to_create_one(params, tmp_path):
    with pytest.raises(JianfuError) as err:
        deid.load_key(params, simulated=False, root=tmp_path)
    message = str(err.value)
    assert ENV in message and str(tmp_path / ".jianfu" / "deid.key") in message
    assert 'python -c "import secrets; print(secrets.token_hex(32))" > .jianfu/deid.key' in message
    assert "git" in message and "same pseudonyms" in message and "HMAC" in message


def test_demo_key_only_for_simulated_data(params, tmp_path):
    key = deid.load_key(params, simulated=True, root=tmp_path)
    assert key.demo and key.source == "demo"
    pz = deid.Pseudonymizer(key)
    assert pz.demo
    _, report = deid.deidentify(pd.DataFrame({"name": ["张伟"]}), {"name": "name"}, [], pz)
    assert report["demo_key"] is True and report["key_source"] == "demo"
    # the public demo key given as the key of real data is refused
    (tmp_path / ".jianfu").mkdir()
    (tmp_path / ".jianfu" / "deid.key").write_text(DEMO + "\n")
    with pytest.raises(JianfuError, match="public demo key"):
        deid.load_key(params, simulated=False, root=tmp_path)


def test_key_from_file_and_environment(params, tmp_path, monkeypatch):
    (tmp_path / ".jianfu").mkdir()
    (tmp_path / ".jianfu" / "deid.key").write_text(KEY_A.hex() + "\n")
    from_file = deid.load_key(params, simulated=False, root=tmp_path)
    assert bytes(from_file) == KEY_A and not from_file.demo and "key file" in from_file.source
    assert KEY_A.hex() not in repr(from_file)
    # as Windows PowerShell's `>` writes it: UTF-16 with a byte-order mark
    (tmp_path / ".jianfu" / "deid.key").write_text(KEY_A.hex() + "\n", encoding="utf-16")
    assert bytes(deid.load_key(params, simulated=False, root=tmp_path)) == KEY_A
    monkeypatch.setenv(ENV, "correct horse battery staple")  # a passphrase: used as text
    from_env = deid.load_key(params, simulated=False, root=tmp_path)
    assert bytes(from_env) == b"correct horse battery staple" and ENV in from_env.source
    monkeypatch.setenv(ENV, "too short")
    with pytest.raises(JianfuError, match="too short"):
        deid.load_key(params, simulated=False, root=tmp_path)


# --- text ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("with_names", [False, True])
def test_scrub_removes_every_simulated_injection(with_names):
    text, names, phones = _injected(400, seed=20240603)
    # the 姓名 column holds the respondents' own names, not those written into the text
    column = person_name(np.random.default_rng(7), 400) if not with_names else names
    scrubbed, log = deid.scrub_text(text, column, deid.Pseudonymizer(KEY_A))
    for out, nm, ph in zip(scrubbed, names, phones, strict=True):
        assert nm not in out and ph not in out
        assert out.endswith("（[姓名]，电话[手机号]）")
    assert log.groupby("kind")["count"].sum().sum() == 800
    assert set(log.columns) == {"row", "kind", "count", "pseudonyms"}
    dumped = log.to_csv()
    assert not any(nm in dumped for nm in names) and not any(ph in dumped for ph in phones)


def test_scrub_text_kinds_and_placeholders():
    text = pd.Series(
        [
            "我是李明，手机１３９ １２３４ ５６７８",
            "联系人：王小红 电话(023)63812345，或023-68881234",
            "身份证500101199001011234，另一个50010119900101123X，邮箱ZhangWei@163.com",
            "IP 106.84.3.7，手机+86 139-1234-5678",
            None,
        ]
    )
    scrubbed, log = deid.scrub_text(text, [], None)
    assert scrubbed[0] == "我是[姓名]，手机[手机号]"
    assert scrubbed[1] == "联系人：[姓名] 电话[电话]，或[电话]"
    assert scrubbed[2] == "身份证[身份证号]，另一个[身份证号]，邮箱[邮箱]"
    assert scrubbed[3] == "IP [IP]，手机[手机号]"
    assert pd.isna(scrubbed[4])
    counts = log.set_index(["row", "kind"])["count"]
    assert counts[(1, "landline")] == 2 and counts[(2, "id_number")] == 2
    assert list(log.columns) == ["row", "kind", "count"]


def test_scrub_names_from_the_name_column_longest_first():
    text = pd.Series(["感谢欧阳明辉和张伟的帮助", "张伟民说要精简报表", "王一个人值班"])
    scrubbed, _ = deid.scrub_text(text, ["张伟", "欧阳明辉", "张伟民", "王", None], None)
    assert scrubbed.tolist() == ["感谢[姓名]和[姓名]的帮助", "[姓名]说要精简报表", "王一个人值班"]


NOT_PERSONAL = [
    "500101001",
    "500101001001",
    "500101",
    "2025/10/13 08:31:46",
    "2025-10-13 08:30:00",
    "125秒",
    "30份",
    "1500",
    "0.13912345678",
    "13912345678.5",
    "1.0.0",
    "2024.06.03",
    "每月报送报表1391234567次",
    "我是党员，也是网格员。",
    "我是基层干部",
    "我是万州人，在梁平区工作",
    "本人常年加班。",
    "联系方式见附件",
    "单位电话请见通知",
    "我是张家坝村的",
    "问卷星ID 302594156",
    "123456789012345678",
    "phone_3f13912345678a2b",
    "md5: 3f1391234567890abcdef0123456789a",
]


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_no_false_positives_on_codes_dates_and_amounts(text):
    assert deid.find_pii(text) == []
    assert deid.scrub_text(pd.Series([text]), [], None)[0][0] == text


def test_find_pii_zero_hits_on_the_codebook_and_on_codes(root):
    assert (
        deid.find_pii((root / "codebook" / "cadre_survey.yaml").read_text(encoding="utf-8")) == []
    )
    for ref in sorted((root / "data" / "reference").glob("*.csv")):
        assert deid.find_pii(ref.read_text(encoding="utf-8")) == [], ref.name
    rng = np.random.default_rng(1)
    n = 2000
    codes = pd.DataFrame(
        {
            "township_code": 500101000 + rng.integers(1, 999, n),
            "village_code": 500101000000 + rng.integers(1, 999_999, n),
            "district_code": 500100 + rng.integers(1, 243, n),
            "submitted_at": pd.Timestamp("2025-10-13 08:30")
            + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s"),
            "duration": [f"{d}秒" for d in rng.integers(60, 3000, n)],
            "share": rng.random(n),
            "amount": rng.integers(0, 100_000, n),
            "events": rng.integers(0, 10**9, n),
        }
    )
    assert deid.find_pii(codes.to_csv(index=False)) == []


def test_find_pii_zero_hits_on_pseudonyms():
    pz = deid.Pseudonymizer(KEY_A)
    values = pd.Series([f"{13900000000 + i}" for i in range(20_000)])
    tokens = pz.token(values, "phone")
    assert tokens.str.contains(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])").any()  # digits look like one
    assert deid.find_pii("\n".join(tokens)) == []


def test_find_pii_finds_what_scrub_removes():
    text, names, phones = _injected(20, seed=3)
    hits = deid.find_pii("\n".join(text))
    assert sorted(v for k, v in hits if k == "phone") == sorted(phones)
    assert sorted(v for k, v in hits if k == "name_context") == sorted(names)
    assert deid.find_pii("请转告张伟", names=["张伟"]) == [("name", "张伟")]


# --- frames -------------------------------------------------------------------------------------
def test_deidentify_replaces_columns_and_scrubs_text():
    text, _, _ = _injected(3, seed=5)
    frame = pd.DataFrame(
        {
            "seq": [1, 2, 3],
            "ip": ["27.11.47.37(重庆-重庆)", "27.11.47.37(重庆-重庆)", "58.17.1.2"],
            "suggestion": [*text[:2], "请联系郑健"],
            "name": ["郑健", "郭凯", None],
            "phone": [13641440000.0, "13970001234", None],
        }
    )
    kinds = {"name": "name", "phone": "phone", "ip": "ip"}
    out, report = deid.deidentify(frame, kinds, ["suggestion"], deid.Pseudonymizer(KEY_A))
    assert list(out.columns) == [
        "seq",
        "ip_pseudo",
        "ip_region",
        "suggestion",
        "name_pseudo",
        "phone_pseudo",
    ]
    assert out["ip_pseudo"][0] == out["ip_pseudo"][1] != out["ip_pseudo"][2]
    assert out["ip_region"].tolist()[:2] == ["重庆-重庆", "重庆-重庆"] and pd.isna(
        out["ip_region"][2]
    )
    assert out["suggestion"][2] == "请联系[姓名]"
    assert out["name_pseudo"].isna().tolist() == [False, False, True]
    dumped = out.to_csv(index=False) + json.dumps(report, ensure_ascii=False)
    assert deid.find_pii(dumped, names=["郑健", "郭凯"]) == []
    assert "1364144" not in dumped and "27.11.47.37" not in dumped
    assert report["pseudonymised"]["ip"] == {"column": "ip", "values": 3, "distinct": 2}
    assert report["text"]["suggestion"]["cells_changed"] == 3
    assert report["key_id"] == deid.key_id(KEY_A) and report["demo_key"] is False


def test_deidentify_names_the_missing_column():
    frame = pd.DataFrame({"name": ["张伟"]})
    with pytest.raises(JianfuError, match=re.escape("['phone']")):
        deid.deidentify(frame, {"phone": "phone"}, [], deid.Pseudonymizer(KEY_A))
