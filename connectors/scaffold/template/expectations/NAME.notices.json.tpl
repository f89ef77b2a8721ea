{
  "name": "$name.notices",
  "meta": {"department": "$name", "stream": "notices", "title_zh": "$title 公示事项"},
  "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "record_id"},
     "meta": {"reason_zh": "记录编号（record_id）为空"}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "record_id"},
     "meta": {"reason_zh": "记录编号（record_id）在本批次中重复"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"},
     "meta": {"reason_zh": "企业名称（name）为空"}},
    {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "uscc", "regex": "^[0-9A-HJ-NPQRTUWXY]{18}$$", "mostly": 1.0},
     "meta": {"reason_zh": "统一社会信用代码（uscc）应为18位"}},
    {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "decision_date", "regex": "^\\d{4}-\\d{2}-\\d{2}$$"},
     "meta": {"reason_zh": "决定日期（decision_date）应为 YYYY-MM-DD"}}
  ]
}
