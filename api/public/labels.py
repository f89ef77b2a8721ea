"""Chinese labels for the web pages (department keys, field names, flags, statuses, event details)."""

from __future__ import annotations

from functools import lru_cache

from connectors.registry import load_registry

DEPARTMENTS_ZH = {
    "market_regulation": "市场监督管理局",
    "tax": "税务局",
    "quality_supervision": "质量技术监督局",
    "courts": "人民法院",
    "court": "人民法院",
    "customs": "海关",
    "environment": "生态环境局",
    "ecology_environment": "生态环境局",
    "transport": "交通运输局",
    "development_reform": "发展和改革委员会",
    "human_resources": "人力资源和社会保障局",
    "social_security": "社会保险基金管理局",
    "housing": "住房和建设局",
    "emergency_management": "应急管理局",
    "work_safety": "应急管理局",
    "fire_rescue": "消防救援支队",
    "commerce": "商务局",
    "public_security": "公安局",
    "planning_land": "规划和自然资源局",
    "health": "卫生健康委员会",
    "finance": "财政局",
    "statistics": "统计局",
    "water": "水务局",
    "urban_management": "城市管理和综合执法局",
    "medical_products": "药品监督管理局",
    "intellectual_property": "知识产权局",
}

FIELDS_ZH = {
    "name": "企业名称",
    "uscc": "统一社会信用代码",
    "org_code": "组织机构代码",
    "reg_no": "注册号",
    "tax_no": "税务登记号",
    "legal_rep": "法定代表人",
    "status": "登记状态",
    "registered_capital": "注册资本（万元）",
    "established": "成立日期",
    "address": "住所",
    "industry": "行业",
    "district": "所属区",
}

FLAGS_ZH = {
    "dishonest_debtor": "失信被执行人",
    "abnormal_operations": "经营异常名录",
    "serious_dishonest": "严重违法失信名单",
    "red_list": "守信红名单",
}

SEVERITY_ZH = {"positive": "守信", "neutral": "一般", "minor": "轻微失信", "general": "一般失信", "serious": "严重失信"}

STATUSES = ("存续", "在业", "吊销", "注销", "迁出")
TAX_RATINGS = ("A", "B", "M", "C", "D")
# Shenzhen's districts, offered as suggestions; the field accepts any value.
DISTRICTS = ("福田区", "罗湖区", "南山区", "盐田区", "宝安区", "龙岗区", "龙华区", "坪山区", "光明区", "大鹏新区", "深汕特别合作区")


@lru_cache(maxsize=1)
def _registered_titles() -> tuple[tuple[str, str], ...]:
    # The connectors' own titles are the truth for registered departments (third-party ones included).
    return tuple((name, cls.title) for name, cls in load_registry().items())


def department_zh(key: str) -> str:
    return dict(_registered_titles()).get(key) or DEPARTMENTS_ZH.get(key, key)


# Keys of CreditEvent.attributes written by the department connectors. An unknown key is shown
# as it is rather than hidden, so a new connector's facts never silently vanish from the page.
ATTRIBUTE_LABELS: dict[str, str] = {
    "amount": "金额（元）",
    "area_m2": "面积（平方米）",
    "authority": "决定机关",
    "basis_doc": "执行依据文号",
    "batch": "批次",
    "business_type": "业务类型",
    "case_nature": "案件性质",
    "case_no": "案号/文书号",
    "cause": "原因",
    "cert_no": "证书编号",
    "commitment_type": "承诺类型",
    "conduct": "不良行为",
    "court": "执行法院",
    "current_amount": "本期欠缴金额（元）",
    "customs_code": "海关编码",
    "disrupt_type": "失信情形",
    "employees": "从业人数",
    "facts": "主要违法事实",
    "finance_chief": "财务负责人",
    "grade": "等级",
    "insurance_type": "险种",
    "issue": "发现问题",
    "issuer": "发布机关",
    "items": "事项",
    "licence_no": "许可证编号",
    "list_name": "名单名称",
    "location": "地点",
    "matter": "事项",
    "months": "月数",
    "original_department": "原决定部门",
    "original_record": "原记录",
    "parcel_no": "宗地编号",
    "penalty": "处罚内容",
    "points": "计分",
    "product": "产品",
    "project": "项目",
    "published": "发布日期",
    "qualification": "资质",
    "rating": "等级",
    "reason": "事由",
    "removal_reason": "移出原因",
    "result": "结果",
    "revenue": "营业收入（万元）",
    "scope": "范围",
    "since_month": "起始月份",
    "size_class": "企业规模",
    "status": "状态",
    "tax_type": "税种",
    "unit_account": "单位账号",
    "violation": "违法行为",
    "workers": "涉及人数",
    "year": "年度",
}


def attribute_label(key: str) -> str:
    return ATTRIBUTE_LABELS.get(key, key)
