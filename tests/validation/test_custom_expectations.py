"""Custom GX expectations: valid and invalid values, run through GX itself, and suite JSON round trips."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from credithub.settings import Settings
from credithub.validation import identifier_checks as idc
from credithub.validation.engine import build_frame, run_suite
from credithub.validation.gx import import_gx
from credithub.validation.suites import load_suite, suite_to_json

gx = import_gx()


def _reg_no_check(body14: str) -> str:
    """ISO 7064 MOD 11,10, written out scalar (independent of the vectorised code)."""
    p = 10
    for ch in body14:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


REG_NO = "44030110309728" + _reg_no_check("44030110309728")
REG_NO_BAD = REG_NO[:-1] + str((int(REG_NO[-1]) + 1) % 10)

CASES = [
    ("expect_column_values_to_be_valid_uscc",
     ["914403001922038216", "９１４４０３００１９２２０３８２１６", "91440300-1922038216", " 914403001922038216 ",
      "914403OO1922038216", "91110000600037341l"],
     ["914403001922038217", "91440300192203821", "ABCDEFGHIJKLMNOPQR", "9144030019220382161", "中文"]),
    ("expect_column_values_to_be_valid_org_code",
     ["19220382-1", "192203821", "１９２２０３８２－１", "60003734-1"],
     ["19220382-2", "1922038", "19220382-", "1922038a-Z"]),
    ("expect_column_values_to_be_valid_reg_no", [REG_NO, REG_NO[:6] + "-" + REG_NO[6:]],
     [REG_NO_BAD, "12345", "44030110309728X"]),
    ("expect_column_values_to_be_valid_tax_no", ["440300192203821", "440300-19220382-1"],
     ["440300192203822", "44030019220382", "4403001922038211"]),
    ("expect_column_values_to_be_valid_enterprise_id",
     ["914403001922038216", "440300192203821", "19220382-1", REG_NO],
     ["914403001922038217", "44030019220382X", "19220382-2", "hello"]),
    ("expect_column_values_to_be_iso_date_not_in_future",
     ["2020-01-31", "2024-02-29", "2025-06-01T10:00:00", "2025-06-01 10:00:00+08:00"],
     ["2099-01-01", "2023-02-29", "2020/01/31", "20200131", "昨天", "2020-13-01"]),
]


def _validate(exp_type: str, values: list[object], **kwargs: object) -> tuple[bool, list[int]]:
    suite = gx.ExpectationSuite(name="t", expectations=[{"type": exp_type, "kwargs": {"column": "v", **kwargs}}])
    outcome = run_suite(suite, build_frame([{"v": v} for v in values], ["v"]))
    return outcome.success, sorted(outcome.row_failures)


@pytest.mark.parametrize(("exp_type", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_custom_expectation_accepts_valid_and_rejects_invalid(exp_type: str, good: list[str], bad: list[str]) -> None:
    ok, failed = _validate(exp_type, good)
    assert ok and failed == [], f"{exp_type} rejected valid values at {failed}"
    ok, failed = _validate(exp_type, good + bad)
    assert not ok
    assert failed == list(range(len(good), len(good) + len(bad)))


def test_custom_expectation_skips_nulls_like_builtin_map_expectations() -> None:
    ok, failed = _validate("expect_column_values_to_be_valid_uscc", [None, "914403001922038216"])
    assert ok and failed == []


def test_number_between_parses_text_and_refuses_non_numbers() -> None:
    values = ["0", "12.5", 300, "-1", "1,000万", "abc", "1e5", "200000001"]
    ok, failed = _validate("expect_column_values_to_be_number_between", values, min_value=0, max_value=200000000)
    assert not ok
    assert failed == [3, 4, 5, 6, 7]


def test_at_least_one_present_catches_rows_with_every_identifier_missing() -> None:
    suite = gx.ExpectationSuite(name="t", expectations=[{
        "type": "expect_multicolumn_values_to_have_at_least_one_present",
        "kwargs": {"column_list": ["uscc", "reg_no"]}}])
    rows = [{"uscc": "x", "reg_no": None}, {"uscc": None, "reg_no": "y"}, {"uscc": None, "reg_no": " "},
            {"uscc": None, "reg_no": None}]
    outcome = run_suite(suite, build_frame(rows, ["uscc", "reg_no"]))
    assert sorted(outcome.row_failures) == [2, 3]


def test_vectorised_uscc_check_agrees_with_python_stdnum() -> None:
    import random

    from stdnum.cn import uscc

    rnd = random.Random(7)
    alphabet = idc.USCC_ALPHABET
    values = []
    for i in range(3000):
        body = "".join(rnd.choice("0123456789") for _ in range(8)) + "".join(rnd.choice(alphabet) for _ in range(9))
        values.append(body + (uscc.calc_check_digit(body) if i % 2 else rnd.choice(alphabet)))
    got = idc.uscc_valid(pd.Series(values, dtype=object)).tolist()
    assert got == [uscc.is_valid(v) for v in values]
    assert sum(got) >= 1500


@pytest.mark.parametrize(("department", "stream"), [
    ("market_regulation", "register"), ("tax", "tax_ratings"), ("quality_supervision", "spot_checks")])
def test_suite_json_round_trip(tmp_path, department: str, stream: str) -> None:
    settings = Settings(var_dir=tmp_path)
    suite = load_suite(settings.expectations_dir, department, stream)
    types = [e.expectation_type for e in suite.expectations]
    assert any(t.startswith("expect_column_values_to_be_valid_") for t in types)
    for exp in suite.expectations:
        assert exp.meta.get("reason_zh"), f"{exp.expectation_type} has no meta.reason_zh"
    text = suite_to_json(suite)
    again = gx.ExpectationSuite(**json.loads(text))
    assert [e.expectation_type for e in again.expectations] == types
    assert [e.meta for e in again.expectations] == [e.meta for e in suite.expectations]
    assert again.to_json_dict()["expectations"] == suite.to_json_dict()["expectations"]


def test_vectorised_checks_agree_with_entity_resolution_parsers() -> None:
    """The fast numpy path and the ER engine's per-value parsers judge every kind identically."""
    import random

    from entity_resolution import identifiers as er

    rnd = random.Random(11)
    samples: dict[str, list[str]] = {"uscc": [], "org_code": [], "reg_no": [], "tax_no": []}
    for i in range(1500):
        body = "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        org = body + (er.org_code_check_char(body) if i % 2 else rnd.choice("0123456789X"))
        samples["org_code"].append(org if i % 3 else f"{org[:8]}-{org[8:]}".lower())
        region = "".join(rnd.choice("0123456789") for _ in range(6))
        samples["tax_no"].append(region + org)
        digits = "".join(rnd.choice("0123456789") for _ in range(14))
        samples["reg_no"].append(digits + (_reg_no_check(digits) if i % 2 else rnd.choice("0123456789")))
    frames = {k: pd.Series(v, dtype=object) for k, v in samples.items()}
    checks = {"org_code": idc.org_code_valid, "tax_no": idc.tax_no_valid, "reg_no": idc.reg_no_valid}
    for kind, fn in checks.items():
        got = fn(frames[kind]).tolist()
        want = [bool((p := er.parse_identifier(v, kind)) and p.valid) for v in samples[kind]]
        assert got == want, kind
        assert 0 < sum(got) < len(got)


def compare_parallel_with_one_process(var_dir: str) -> None:
    """Runs in a fresh single-threaded interpreter, where the forked partitions are really used."""
    import threading

    from credithub.validation.parallel import partition_safe, run_suite_parallel

    settings = Settings(var_dir=var_dir)
    suite = load_suite(settings.expectations_dir, "quality_supervision", "spot_checks")
    assert partition_safe(suite, "record_id") and not partition_safe(suite, "org_code")
    rows = []
    for i in range(3000):
        rows.append({"record_id": f"R{i % 2900}", "org_code": "19220382-1" if i % 7 else "19220382-2",
                     "name": "深圳市某某有限公司", "product": "灯具", "check_date": "2025-01-01",
                     "result": "不合格" if i % 11 == 0 else "合格", "issue": None if i % 13 == 0 else "标识不全",
                     "updated_at": "2025-01-02"})
    frame = build_frame(rows, list(rows[0]))
    one = run_suite(suite, frame.copy())
    assert threading.active_count() == 1, "the fork path needs a single-threaded process"
    two = run_suite_parallel(suite, frame.copy(), key="record_id", workers=2, min_rows=1)
    assert one.failed_rows > 200
    assert two.row_failures == one.row_failures
    assert {(s.expectation, s.column): s.unexpected_count for s in two.stats} == \
        {(s.expectation, s.column): s.unexpected_count for s in one.stats}


def test_parallel_partitions_give_the_same_failures_as_one_process(tmp_path) -> None:
    import subprocess
    import sys

    code = ("from tests.validation.test_custom_expectations import compare_parallel_with_one_process as c; "
            f"c({str(tmp_path)!r}); print('same')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "GX_ANALYTICS_ENABLED": "False"})
    assert done.returncode == 0 and done.stdout.strip().endswith("same"), done.stderr[-3000:]


def test_parallel_validation_stays_in_process_when_other_threads_run(tmp_path) -> None:
    import threading

    from credithub.validation.parallel import run_suite_parallel

    suite = load_suite(Settings(var_dir=tmp_path).expectations_dir, "quality_supervision", "spot_checks")
    rows = [{"record_id": f"R{i}", "org_code": "19220382-1", "name": "深圳市某某有限公司", "product": "灯具",
             "check_date": "2025-01-01", "result": "合格", "issue": None, "updated_at": "2025-01-02"}
            for i in range(50)]
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, args=(60,), daemon=True)
    t.start()
    try:
        import multiprocessing as mp

        before = mp.active_children()
        out = run_suite_parallel(suite, build_frame(rows, list(rows[0])), key="record_id", workers=2, min_rows=1)
        assert out.evaluated == 50 and mp.active_children() == before
    finally:
        stop.set()
        t.join()


def test_build_frame_blanks_become_null_and_non_text_columns_survive() -> None:
    frame = build_frame([{"a": " ", "y": 2024, "n": None}, {"a": "x", "y": 2025, "n": None}], ["a", "y", "n", "z"])
    assert frame.to_dict("records") == [{"a": None, "y": 2024, "n": None, "z": None},
                                        {"a": "x", "y": 2025, "n": None, "z": None}]
    assert build_frame([], ["a"]).empty
    ok, failed = _validate("expect_column_values_to_be_number_between", [2024, "2025", 1999], min_value=2000)
    assert failed == [2]
