"""Chinese labels for the web pages (department keys, field names, flags, statuses)."""

from __future__ import annotations

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


def department_zh(key: str) -> str:
    return DEPARTMENTS_ZH.get(key, key)
