"""The demo world: a deterministic, realistic Nantong marketplace for one seed.

Five banks, an insurer, a guarantor, an appraiser, the city financial office and the platform; 60 SMEs over
every district, park and 616 cluster; 300 IP assets of every type with valid identifiers; the banks',
insurer's and guarantor's products; applications in every status; loans with schedules and repayments, a few
overdue and a couple defaulted; and one demo account per role.

Every draw comes from one ``random.Random(seed)`` and every date is counted back from the world's as-of day
(today unless given), so a seed yields the same world for the same day. The world is dated as of today rather
than a fixed day because the services judge by today: the pledge pre-check (fees paid, debt within the right's
term), valuations and the daily delinquency refresh, which would find every instalment due since a fixed day
unpaid. Applications and loans go through the domain services, so validation, the state machines and the
audit trail all run; the timestamps those services stamp with "now" are moved onto the world's timeline.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from scoring.services import assets_valuate
from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
from tongzhirong.accounts.services import organisation_create, user_create
from tongzhirong.assets.models import Award, CoOwner, IPAsset, LegalStatus, statutory_expiry
from tongzhirong.core.identifiers import USCC_ALPHABET, patent_check_char, uscc_check_char
from tongzhirong.core.models import StatusChange, save_validated
from tongzhirong.core.money import WAN, to_rate, wan
from tongzhirong.core.reference import CLUSTER_CHAINS, PATENT_TYPES, Chain, Cluster, District, IPType, RepaymentMethod
from tongzhirong.core.reference import TechMarker as TM
from tongzhirong.enterprises.models import Enterprise, TaxCreditGrade
from tongzhirong.enterprises.services import enterprise_update
from tongzhirong.financing.filing import filing_package_generate, filing_package_sign
from tongzhirong.financing.models import (
    Application,
    Loan,
    LoanStatus,
    PledgeRegistration,
    RejectReason,
    Repayment,
    ScheduleLine,
)
from tongzhirong.financing.models import ApplicationStatus as S
from tongzhirong.financing.schedule import add_months
from tongzhirong.financing.services import (
    DEFAULT_AFTER_DAYS,
    application_accept_offer,
    application_approve,
    application_change_status,
    application_confirm_approval,
    application_create,
    application_decline_offer,
    application_reject,
    application_request_info,
    application_respond,
    application_start_review,
    application_submit,
    application_withdraw,
    loan_disburse,
    loans_refresh_delinquency,
    pledge_registration_file,
    pledge_registration_record,
    repayment_record,
)
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct, PledgeRateCap
from tongzhirong.products.services import loan_product_create

from .reporting import seed_reporting
from .risksharing import seed_risksharing
from .subsidies import seed_subsidies_and_monitoring

LAUNCH = date(2023, 12, 1)  # institutions and SMEs join the platform from here
FIRST_DISBURSEMENT = date(2024, 3, 1)
SME_COUNT = 60
ASSET_COUNT = 300
# The demo SME's rights: enough clean collateral for a running loan, an application under review and a draft.
DEMO_SME_PORTFOLIO = {
    IPType.INVENTION_PATENT: 6,
    IPType.UTILITY_MODEL: 4,
    IPType.SOFTWARE_COPYRIGHT: 2,
    IPType.TRADEMARK: 2,
    IPType.IC_LAYOUT: 1,
    IPType.DESIGN_PATENT: 1,
}
DEMO_SME_ASSETS = sum(DEMO_SME_PORTFOLIO.values())
DEMO_USERNAMES = (
    "demo-sme",
    "demo-bank-officer",
    "demo-bank-checker",
    "demo-insurer",
    "demo-guarantor",
    "demo-appraiser",
    "demo-city",
    "demo-admin",
)

# --- Institutions ------------------------------------------------------------------------------------------
# (code, legal name, short name, maker-checker threshold in 万). Branch USCCs are registered at city level.
BANKS = (
    ("JSB", "江苏银行股份有限公司南通分行", "江苏银行南通分行", 500),
    ("BOC", "中国银行股份有限公司南通分行", "中国银行南通分行", 800),
    ("NTRCB", "江苏南通农村商业银行股份有限公司", "南通农村商业银行", 300),
    ("ICBC", "中国工商银行股份有限公司南通分行", "工商银行南通分行", 1000),
    ("BOCOM", "交通银行股份有限公司南通分行", "交通银行南通分行", 500),
)
DEMO_BANK = "JSB"
# Share of applications each bank attracts.
BANK_WEIGHTS = {"JSB": 30, "BOC": 20, "NTRCB": 20, "ICBC": 15, "BOCOM": 15}
INSURER = ("中国人民财产保险股份有限公司南通市分公司", "人保财险南通分公司")
GUARANTOR = ("南通市融资担保有限公司", "南通融资担保")
APPRAISER = ("南通江海知识产权资产评估有限公司", "江海知产评估")  # fictional
CITY_OFFICE = ("中共南通市委金融委员会办公室", "南通市委金融办")
PLATFORM = ("通知融平台运营中心", "通知融平台")

# Registration division of an enterprise (USCC characters 3-8). The directly run parks register under
# their own 3206xx authority codes (verify: 320691 is the one commonly seen for the development area).
DIVISION_CODES = {
    **{d.value: d.value for d in District if d.value.isdigit()},
    District.NETDA.value: "320691",
    District.SXT.value: "320693",
    District.TZW.value: "320694",
}
CITY_DIVISION = "320600"
COUNTY_PREFIX = {"320614": "海门", "320623": "如东", "320681": "启东", "320682": "如皋", "320685": "海安"}

# --- The 616 system: where each cluster sits, what its firms are called, what they file -------------------
SIX_CLUSTERS = tuple(c for c in Cluster if c != Cluster.OTHER)
CHAIN_CLUSTER = {chain: cluster for cluster in SIX_CLUSTERS for chain in CLUSTER_CHAINS[cluster]}
CLUSTER_WEIGHTS = {
    Cluster.SHIPBUILDING: 12,
    Cluster.TEXTILES: 18,
    Cluster.NEXT_GEN_IT: 20,
    Cluster.NEW_MATERIALS: 16,
    Cluster.HIGH_END_EQUIPMENT: 20,
    Cluster.NEW_ENERGY: 14,
}
# District affinity per cluster (weight 1 elsewhere): ships at Qidong and Haimen, home textiles at
# Tongzhou and Haimen (叠石桥), IT in Chongchuan and the development area, offshore wind at Rudong.
D = District
DISTRICT_AFFINITY = {
    Cluster.SHIPBUILDING: {D.QIDONG: 5, D.HAIMEN: 3, D.CHONGCHUAN: 2, D.RUDONG: 2, D.TZW: 2, D.NETDA: 2},
    Cluster.TEXTILES: {D.TONGZHOU: 5, D.HAIMEN: 4, D.HAIAN: 3, D.RUGAO: 2},
    Cluster.NEXT_GEN_IT: {D.CHONGCHUAN: 5, D.NETDA: 4, D.SXT: 3},
    Cluster.NEW_MATERIALS: {D.RUGAO: 3, D.NETDA: 2, D.RUDONG: 2, D.HAIAN: 2, D.TZW: 2},
    Cluster.HIGH_END_EQUIPMENT: {D.HAIAN: 3, D.RUGAO: 3, D.TONGZHOU: 2, D.CHONGCHUAN: 2, D.SXT: 2},
    Cluster.NEW_ENERGY: {D.RUDONG: 5, D.QIDONG: 3, D.SXT: 2, D.HAIAN: 2},
}
TRADE_NAME_FIRST = "澜启润弘晟鑫泓瀚曜禾嘉睿拓骏锦航勤卓铭坤沐汇凯聚远"
TRADE_NAME_SECOND = "瑞达泰源科宇诚盛恒辰昊峰翔博安川舟澄越晖"

C = Chain
CHAIN_PROFILE: dict[str, dict[str, tuple[str, ...]]] = {
    C.HIGH_TECH_SHIPS: {
        "industry": ("海洋工程装备", "船舶配套", "船舶科技"),
        "subjects": (
            "船用压载水处理装置",
            "海工平台桩腿升降系统",
            "LNG船液货围护系统",
            "船体分段智能焊接装置",
            "船用甲醇双燃料供给系统",
            "风电安装船起重装置",
        ),
        "ipc": ("B63B 11/04", "B63B 35/44", "B63H 21/38", "B63J 4/00", "C02F 1/50", "B66C 23/52"),
    },
    C.HOME_TEXTILES: {
        "industry": ("家纺", "家用纺织品"),
        "subjects": ("抗菌家纺面料", "可水洗羽绒被", "智能温控床垫", "凉感枕套织物", "家纺绗缝装置"),
        "ipc": ("A47G 9/02", "A47C 27/12", "D04H 1/4374", "D06M 16/00", "D05B 11/00"),
    },
    C.CHEMICAL_FIBRE: {
        "industry": ("化纤", "纤维科技"),
        "subjects": ("再生聚酯纤维", "原液着色涤纶长丝", "莱赛尔纤维纺丝装置", "高强低伸锦纶丝", "阻燃粘胶纤维"),
        "ipc": ("D01F 6/62", "D01F 1/10", "D01D 5/08", "D01F 2/00", "C08G 63/183"),
    },
    C.FABRICS: {
        "industry": ("纺织科技", "面料"),
        "subjects": ("防水透湿复合面料", "经编间隔织物", "数码印花面料", "竹纤维混纺面料", "织机送经装置"),
        "ipc": ("D03D 15/20", "D04B 21/14", "D06P 5/30", "B32B 5/02", "D03D 49/04"),
    },
    C.ELECTRONIC_COMPONENTS: {
        "industry": ("电子科技", "电子元件"),
        "subjects": ("片式多层陶瓷电容器", "一体成型功率电感", "高频印制电路板", "薄膜电阻", "板对板连接器"),
        "ipc": ("H01G 4/30", "H01F 17/04", "H05K 1/02", "H01C 7/00", "H01R 13/02"),
    },
    C.INTEGRATED_CIRCUITS: {
        "industry": ("微电子", "半导体"),
        "subjects": ("芯片封装结构", "晶圆级扇出封装方法", "功率半导体模块", "引线框架", "芯片测试探针卡"),
        "ipc": ("H01L 23/31", "H01L 21/56", "H01L 23/495", "H01L 25/07", "G01R 31/28"),
    },
    C.SOFTWARE: {
        "industry": ("信息技术", "软件", "数字科技"),
        "subjects": (
            "工业互联网数据采集方法",
            "基于知识图谱的风险识别方法",
            "供应链协同调度方法",
            "边缘计算任务卸载方法",
        ),
        "ipc": ("G06F 16/36", "G06Q 10/06", "G06N 3/08", "G06F 9/50", "H04L 67/12"),
    },
    C.ADVANCED_COMMUNICATIONS: {
        "industry": ("通信科技", "光电科技"),
        "subjects": ("光纤预制棒", "5G基站天线", "海底光缆接头盒", "毫米波射频前端", "光模块散热结构"),
        "ipc": ("C03B 37/018", "H01Q 1/24", "G02B 6/44", "H04B 1/40", "H04W 24/02"),
    },
    C.METAL_MATERIALS: {
        "industry": ("金属材料", "合金科技"),
        "subjects": ("高强耐蚀船板钢", "铝合金压铸件", "不锈钢精密带材", "粉末冶金齿轮"),
        "ipc": ("C22C 38/04", "C22C 21/02", "C21D 8/02", "B22F 3/16", "B22D 17/00"),
    },
    C.CHEMICAL_MATERIALS: {
        "industry": ("化工新材料", "高分子材料"),
        "subjects": ("水性聚氨酯涂料", "改性聚丙烯复合材料", "电子级硫酸", "环氧树脂固化剂", "生物基尼龙"),
        "ipc": ("C09D 175/04", "C08L 23/12", "C01B 17/90", "C08G 59/50", "C08G 69/26"),
    },
    C.BIOMEDICINE: {
        "industry": ("医疗器械", "生物医药"),
        "subjects": ("医用导管", "一次性使用输液器", "椎间融合器", "抗肿瘤药物中间体", "体外诊断试剂盒"),
        "ipc": ("A61M 25/00", "A61M 5/14", "A61F 2/44", "C07D 401/04", "G01N 33/53"),
    },
    C.POWER_EQUIPMENT: {
        "industry": ("电气", "电力设备"),
        "subjects": ("干式变压器", "环网柜", "智能断路器", "电缆中间接头", "预装式变电站"),
        "ipc": ("H01F 27/32", "H02B 13/00", "H01H 71/10", "H02G 15/08", "H02B 1/56"),
    },
    C.COMPLETE_EQUIPMENT: {
        "industry": ("智能装备", "机械制造", "重工"),
        "subjects": ("伺服锻压机床", "智能仓储输送线", "工业机器人夹爪", "数控折弯机", "RV精密减速器"),
        "ipc": ("B21J 9/02", "B65G 1/04", "B25J 15/08", "B21D 5/02", "F16H 1/32"),
    },
    C.AUTOMOTIVE: {
        "industry": ("汽车零部件", "汽车部件"),
        "subjects": ("新能源汽车电机壳体", "通风制动盘", "高压线束", "座椅调角器", "电池包托盘"),
        "ipc": ("H02K 5/04", "F16D 65/12", "H01B 7/00", "B60N 2/22", "H01M 50/249"),
    },
    C.PV_STORAGE: {
        "industry": ("光伏科技", "储能科技", "新能源科技"),
        "subjects": ("TOPCon电池片", "光伏组件边框", "储能电池热管理系统", "锂电池隔膜", "组串式逆变器"),
        "ipc": ("H01L 31/18", "H02S 30/10", "H01M 10/613", "H01M 50/403", "H02M 7/48"),
    },
    C.WIND_POWER: {
        "industry": ("风电装备", "风能科技"),
        "subjects": ("风电叶片", "风电塔筒法兰", "风电主轴轴承", "海上风电单桩基础", "变桨控制系统"),
        "ipc": ("F03D 1/06", "F03D 13/20", "F16C 19/38", "E02D 27/52", "F03D 7/02"),
    },
}
DESIGN_PRODUCTS = {
    Cluster.SHIPBUILDING: ("游艇", "船用座椅", "救生艇"),
    Cluster.TEXTILES: ("床品四件套", "抱枕", "毛巾", "窗帘面料", "婴儿睡袋"),
    Cluster.NEXT_GEN_IT: ("智能网关", "光模块外壳", "工业平板电脑"),
    Cluster.NEW_MATERIALS: ("包装瓶", "医用导管接头", "型材截面"),
    Cluster.HIGH_END_EQUIPMENT: ("电控柜", "搬运机器人", "充电枪"),
    Cluster.NEW_ENERGY: ("储能柜", "光伏支架", "充电桩"),
}
DESIGN_VARIANTS = ("星河", "云纹", "A型", "海韵", "智能款", "1")
NICE_CLASSES = {
    Cluster.SHIPBUILDING: (12, 7, 37, 39),
    Cluster.TEXTILES: (24, 25, 23, 20, 22),
    Cluster.NEXT_GEN_IT: (9, 42, 38, 35),
    Cluster.NEW_MATERIALS: (1, 6, 17, 2, 5, 10),
    Cluster.HIGH_END_EQUIPMENT: (7, 9, 12, 11),
    Cluster.NEW_ENERGY: (9, 7, 11, 4),
}
SOFTWARE_TITLES = (
    "生产执行系统",
    "设备远程运维平台",
    "质量追溯系统",
    "能耗监测系统",
    "智能排产软件",
    "仓储管理系统",
    "数据采集与监控软件",
    "产品全生命周期管理系统",
)
# (category letter of 国作登字 registrations, title): F fine art, J drawings, A written works.
WORK_TITLES = (
    ("F", "品牌吉祥物形象"),
    ("F", "系列花型图案"),
    ("J", "产品结构图"),
    ("A", "产品技术手册"),
    ("F", "企业标识"),
)
GI_TITLES = ("南通蓝印花布", "海安蚕丝", "叠石桥家纺", "南通扎染")
IC_TITLES = ("高压栅极驱动芯片", "低功耗MCU", "电源管理芯片", "LED驱动芯片", "霍尔传感器芯片", "射频开关芯片")
UNIVERSITIES = ("南通大学", "江苏科技大学", "南京工业大学", "东华大学", "江南大学")
ROADS = ("工农路", "人民路", "崇川路", "青年路", "世纪大道", "通富路", "星湖大道", "长江路", "园林路", "江海大道")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱马胡郭何高林顾曹季陆缪施"
GIVEN_NAMES = (
    "建华",
    "海峰",
    "晓燕",
    "志强",
    "丽娟",
    "宇航",
    "俊杰",
    "静",
    "磊",
    "婷",
    "文博",
    "雅琴",
    "国庆",
    "春梅",
    "子涵",
    "浩然",
    "欣怡",
    "明",
    "立新",
    "海燕",
)
MAX_PORTFOLIO = 10  # rights pledged together (CNIPA takes more than ten as a list)
TERMS = (6, 12, 12, 12, 18, 24, 24, 36)  # months, as often as firms ask for them
PURPOSES = ("研发投入", "采购原材料", "扩大产能", "设备更新改造", "补充流动资金", "新产品量产")

# How the 300 assets split by type, per cluster (relative weights).
T = IPType
TYPE_WEIGHTS = {
    Cluster.SHIPBUILDING: {
        T.INVENTION_PATENT: 30,
        T.UTILITY_MODEL: 40,
        T.DESIGN_PATENT: 4,
        T.TRADEMARK: 12,
        T.SOFTWARE_COPYRIGHT: 10,
        T.COPYRIGHT: 2,
    },
    Cluster.TEXTILES: {
        T.INVENTION_PATENT: 14,
        T.UTILITY_MODEL: 28,
        T.DESIGN_PATENT: 18,
        T.TRADEMARK: 26,
        T.SOFTWARE_COPYRIGHT: 4,
        T.COPYRIGHT: 8,
        T.GEOGRAPHICAL_INDICATION: 2,
    },
    Cluster.NEXT_GEN_IT: {
        T.INVENTION_PATENT: 30,
        T.UTILITY_MODEL: 18,
        T.DESIGN_PATENT: 3,
        T.TRADEMARK: 10,
        T.SOFTWARE_COPYRIGHT: 28,
        T.COPYRIGHT: 3,
    },
    Cluster.NEW_MATERIALS: {
        T.INVENTION_PATENT: 40,
        T.UTILITY_MODEL: 30,
        T.DESIGN_PATENT: 3,
        T.TRADEMARK: 18,
        T.SOFTWARE_COPYRIGHT: 5,
        T.COPYRIGHT: 2,
    },
    Cluster.HIGH_END_EQUIPMENT: {
        T.INVENTION_PATENT: 28,
        T.UTILITY_MODEL: 42,
        T.DESIGN_PATENT: 6,
        T.TRADEMARK: 12,
        T.SOFTWARE_COPYRIGHT: 10,
        T.COPYRIGHT: 2,
    },
    Cluster.NEW_ENERGY: {
        T.INVENTION_PATENT: 32,
        T.UTILITY_MODEL: 36,
        T.DESIGN_PATENT: 4,
        T.TRADEMARK: 12,
        T.SOFTWARE_COPYRIGHT: 14,
        T.COPYRIGHT: 2,
    },
}
IC_CHAINS = (Chain.INTEGRATED_CIRCUITS, Chain.ELECTRONIC_COMPONENTS)
MIN_PER_TYPE = {T.GEOGRAPHICAL_INDICATION: 4, T.IC_LAYOUT: 5, T.COPYRIGHT: 6}

# Cumulative trademark applications (millions) at the start of a year: registration numbers follow them.
TRADEMARK_NUMBER_BASE = {
    2005: 4.6,
    2008: 6.9,
    2010: 8.4,
    2012: 11.0,
    2014: 14.0,
    2016: 19.0,
    2018: 29.0,
    2020: 44.0,
    2022: 62.0,
    2024: 77.0,
    2026: 92.0,
}
# Software copyright registrations per year (thousands): the serial runs up to them.
SOFTWARE_PER_YEAR = {
    2010: 80,
    2012: 140,
    2014: 220,
    2016: 400,
    2018: 1100,
    2020: 1720,
    2022: 1830,
    2024: 2800,
    2026: 3000,
}

# --- Products ----------------------------------------------------------------------------------------------
ALL_METHODS = list(RepaymentMethod.values)
SIMPLE_METHODS = [RepaymentMethod.EQUAL_INSTALMENT.value, RepaymentMethod.INTEREST_ONLY.value]
LOAN_PRODUCTS = (
    # bank, name, description, amount 万 (min, max), term months, annual rate, methods, pledge rate caps, extra
    (
        "JSB",
        "知识产权质押贷",
        "以有效专利、商标、软件著作权质押，普惠额度内免评估。",
        (100, 1000),
        (6, 36),
        ("0.0330", "0.0480"),
        ALL_METHODS,
        {
            T.INVENTION_PATENT: "0.40",
            T.UTILITY_MODEL: "0.15",
            T.DESIGN_PATENT: "0.10",
            T.TRADEMARK: "0.50",
            T.SOFTWARE_COPYRIGHT: "0.30",
        },
        {"appraisal_free_ceiling": wan(300)},
    ),
    (
        "JSB",
        "专精特新知产贷",
        "面向专精特新、高新技术企业的发明专利及布图设计组合质押。",
        (300, 3000),
        (12, 36),
        ("0.0320", "0.0450"),
        ALL_METHODS,
        {T.INVENTION_PATENT: "0.35", T.UTILITY_MODEL: "0.15", T.SOFTWARE_COPYRIGHT: "0.30", T.IC_LAYOUT: "0.30"},
        {"required_tech_markers": [TM.SPECIALISED.value, TM.LITTLE_GIANT.value, TM.HIGH_TECH.value]},
    ),
    (
        "BOC",
        "中银知识产权融资",
        "须投保知识产权质押融资保证保险。",
        (100, 2000),
        (12, 36),
        ("0.0345", "0.0490"),
        ALL_METHODS,
        {
            T.INVENTION_PATENT: "0.30",
            T.UTILITY_MODEL: "0.15",
            T.TRADEMARK: "0.40",
            T.COPYRIGHT: "0.20",
            T.SOFTWARE_COPYRIGHT: "0.25",
        },
        {"requires_insurance": True},
    ),
    (
        "BOC",
        "科创知产普惠贷",
        "普惠额度，面向信息技术、新材料、新能源集群。",
        (50, 990),
        (6, 24),
        ("0.0360", "0.0520"),
        SIMPLE_METHODS,
        {T.INVENTION_PATENT: "0.30", T.UTILITY_MODEL: "0.15", T.SOFTWARE_COPYRIGHT: "0.30", T.IC_LAYOUT: "0.30"},
        {"eligible_clusters": [Cluster.NEXT_GEN_IT.value, Cluster.NEW_MATERIALS.value, Cluster.NEW_ENERGY.value]},
    ),
    (
        "NTRCB",
        "农商知融贷",
        "县域小微企业知识产权质押，100万元以内免评估。",
        (50, 500),
        (6, 24),
        ("0.0420", "0.0600"),
        SIMPLE_METHODS,
        {
            T.INVENTION_PATENT: "0.25",
            T.UTILITY_MODEL: "0.15",
            T.DESIGN_PATENT: "0.10",
            T.TRADEMARK: "0.50",
            T.GEOGRAPHICAL_INDICATION: "0.40",
            T.COPYRIGHT: "0.20",
        },
        {"appraisal_free_ceiling": wan(100)},
    ),
    (
        "NTRCB",
        "商标专用权质押贷",
        "以注册商标、地理标志质押。",
        (50, 800),
        (6, 36),
        ("0.0430", "0.0580"),
        ALL_METHODS,
        {T.TRADEMARK: "0.50", T.GEOGRAPHICAL_INDICATION: "0.40"},
        {},
    ),
    (
        "ICBC",
        "工银知识产权质押融资",
        "须由融资担保机构提供担保。",
        (100, 3000),
        (12, 36),
        ("0.0310", "0.0440"),
        ALL_METHODS,
        {
            T.INVENTION_PATENT: "0.35",
            T.UTILITY_MODEL: "0.15",
            T.TRADEMARK: "0.40",
            T.SOFTWARE_COPYRIGHT: "0.25",
            T.IC_LAYOUT: "0.30",
        },
        {"requires_guarantee": True},
    ),
    (
        "BOCOM",
        "交银科创知产贷",
        "面向高端装备、新能源、船舶海工集群。",
        (100, 1500),
        (12, 36),
        ("0.0330", "0.0460"),
        ALL_METHODS,
        {T.INVENTION_PATENT: "0.30", T.UTILITY_MODEL: "0.15", T.DESIGN_PATENT: "0.10", T.TRADEMARK: "0.30"},
        {"eligible_clusters": [Cluster.HIGH_END_EQUIPMENT.value, Cluster.NEW_ENERGY.value, Cluster.SHIPBUILDING.value]},
    ),
)
# (name, premium rate, coverage ratio, cover cap 万); fee caps: premium and guarantee fees ≤ 1.2% a year.
INSURANCE_PRODUCTS = (
    ("知识产权质押融资保证保险", "0.012000", "0.7000", 800),
    ("专利权质押贷款履约保证保险（普惠）", "0.009000", "0.6000", 300),
)
GUARANTEE_PRODUCTS = (("知识产权融资担保", "0.010000", "0.8000"), ("科技型中小企业知产担保", "0.008000", "0.7000"))

# --- Applications ------------------------------------------------------------------------------------------
# Final status → how many applications end there (besides the demo SME's own four).
APPLICATION_MIX = (
    (S.DISBURSED, 46),
    (S.REJECTED, 9),
    (S.WITHDRAWN, 5),
    (S.EXPIRED, 4),
    (S.DRAFT, 4),
    (S.SUBMITTED, 5),
    (S.UNDER_REVIEW, 6),
    (S.INFO_REQUESTED, 3),
    (S.APPROVED, 3),
    (S.OFFER_ACCEPTED, 2),
    (S.PLEDGE_REGISTRATION, 3),
    (S.REGISTERED, 2),
)
# Loans in trouble and their banks: one of each at the demo bank, so its officer sees them.
TROUBLED_LOANS = (
    ("overdue", DEMO_BANK),
    ("overdue", "BOC"),
    ("overdue", "ICBC"),
    ("overdue", "BOCOM"),
    ("defaulted", DEMO_BANK),
    ("defaulted", "NTRCB"),
)
FAILED = (S.REJECTED, S.WITHDRAWN, S.EXPIRED)
# Days before each move (since the previous one).
GAP_DAYS = {
    S.SUBMITTED: (0, 3),
    S.UNDER_REVIEW: (0, 2),
    S.INFO_REQUESTED: (2, 6),
    S.APPROVED: (3, 10),
    S.OFFER_ACCEPTED: (1, 4),
    S.PLEDGE_REGISTRATION: (1, 3),
    S.REGISTERED: (3, 7),  # CNIPA decides within 7 working days
    S.DISBURSED: (1, 3),
    S.REJECTED: (3, 12),
    S.WITHDRAWN: (2, 20),
    S.EXPIRED: (30, 35),
}
REPLY_GAP_DAYS = (3, 10)  # the firm sends the documents asked for
EXPIRY_REASON = "no activity for 30 days"
REJECTIONS = (
    (RejectReason.INSUFFICIENT_COLLATERAL.value, "质押物评估价值不足以覆盖申请金额。"),
    (RejectReason.HIGH_RISK.value, "近24个月存在逾期记录，负债率偏高。"),
    (RejectReason.INCOMPLETE_DOCUMENTS.value, "未按要求补充近两年财务报表。"),
)
INFO_REQUEST = "请补充近两年财务报表及质押合同草案。"
REPLY_COMMENT = "已上传近两年财务报表及质押合同草案。"
APPROVAL = "同意授信，按产品质押率核定额度。"
CHECKER_APPROVAL = "复核同意。"
DECLINE_REASON = "已获其他银行授信。"
WITHDRAW_REASON = "资金需求推迟。"


@dataclass
class _Plan:
    """One application of the world: where it ends and when each move happens."""

    final: str
    path: list[str]
    times: list[datetime]  # created, then one per move
    fate: str = "performing"  # disbursed loans: performing, overdue or defaulted
    demo: bool = False
    bank: str | None = None
    term: int | None = None
    enterprise: Enterprise | None = None
    requested: Decimal = Decimal("0")
    approved: Decimal = Decimal("0")
    product: LoanProduct | None = None
    assets: list[IPAsset] = field(default_factory=list)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _org_code_check(body: str) -> str:
    """Check character of the 9-character organisation code (GB 11714) inside a USCC."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _interpolate(table: dict[int, float], year: int) -> float:
    years = sorted(table)
    year = min(max(year, years[0]), years[-1])
    for lo, hi in itertools.pairwise(years):
        if lo <= year <= hi:
            return table[lo] + (table[hi] - table[lo]) * (year - lo) / (hi - lo)
    return table[years[-1]]


def build_demo_world(seed: int = 42, *, as_of: date | None = None) -> dict[str, int]:
    """Build the demo world for ``seed`` into an empty database, in one transaction; return counts per model.

    ``as_of`` (default today, never later) is the world's present: everything happened before it."""
    today = timezone.localdate()
    if as_of is not None and as_of > today:
        raise ValueError(f"The demo world cannot be dated in the future ({as_of} > {today}).")
    with transaction.atomic():
        world = _DemoWorld(seed, as_of or today)
        world.build()
    return demo_world_counts()


def demo_world_counts() -> dict[str, int]:
    counted: dict[str, models.QuerySet] = {
        "organisations": Organisation.objects.all(),
        "banks": Organisation.objects.filter(kind=OrganisationKind.BANK),
        "users": User.objects.all(),
        "enterprises": Enterprise.objects.all(),
        "ip_assets": IPAsset.objects.all(),
        "co_owners": CoOwner.objects.all(),
        "loan_products": LoanProduct.objects.all(),
        "pledge_rate_caps": PledgeRateCap.objects.all(),
        "insurance_products": InsuranceProduct.objects.all(),
        "guarantee_products": GuaranteeProduct.objects.all(),
        "applications": Application.objects.all(),
        "loans": Loan.objects.all(),
        "loans_overdue": Loan.objects.filter(status=LoanStatus.OVERDUE),
        "loans_defaulted": Loan.objects.filter(status=LoanStatus.DEFAULTED),
        "schedule_lines": ScheduleLine.objects.all(),
        "repayments": Repayment.objects.all(),
        "status_changes": StatusChange.objects.all(),
    }
    return {name: qs.count() for name, qs in counted.items()}


class _DemoWorld:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.as_of = as_of
        self.tz = timezone.get_default_timezone()
        self.usccs: set[str] = set()
        self.identifiers: set[tuple[str, str]] = set()
        self.banks: dict[str, Organisation] = {}
        self.officers: dict[int, User] = {}
        self.checkers: dict[int, User] = {}
        self.owners: dict[int, User] = {}  # enterprise pk → owner
        self.joined: dict[int, date] = {}  # enterprise pk → day it joined the platform
        self.enterprises: list[Enterprise] = []
        self.assets_of: dict[int, list[IPAsset]] = defaultdict(list)
        self.asset_since: dict[int, date] = {}
        self.risky_assets: set[int] = set()  # any legal cloud: banks would not lend on it
        self.pledged_until: dict[int, date] = {}  # asset pk → day its pledge is released
        self.unconsented: set[int] = set()  # no co-owner consent, dispute or preservation: filing fails
        self.contested: set[int] = set()  # invalidation pending: filed only with the parties' confirmation
        self.p50: dict[int, Decimal] = {}  # asset pk → P50 value (yuan)
        self.potential: dict[int, Decimal] = {}  # enterprise pk → rough collateral it could pledge
        self.caps: dict[int, dict[str, Decimal]] = {}
        self.insurance: list[InsuranceProduct] = []
        self.guarantees: list[GuaranteeProduct] = []
        self.contracts: Counter[tuple[str, int]] = Counter()
        self.registrations: Counter[bool] = Counter()
        self.insurer: Organisation | None = None
        self.guarantor: Organisation | None = None
        self.bank_code: dict[int, str] = {}
        # Timestamps to move onto the world's timeline: (model, pk, {field: value}).
        self.stamps: list[tuple[type[models.Model], int, dict]] = []
        self.change_times: dict[tuple[type[models.Model], int], list[datetime]] = defaultdict(list)

    # --- helpers ------------------------------------------------------------------------------------------
    def at(self, day: date, minutes: int | None = None) -> datetime:
        """An aware moment on ``day`` in office hours (Asia/Shanghai)."""
        minutes = self.rng.randint(9 * 60, 17 * 60) if minutes is None else minutes
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def days_ago(self, lo: int, hi: int) -> date:
        return self.as_of - timedelta(days=self.rng.randint(lo, hi))

    def stamp(self, obj: models.Model, **values) -> None:
        self.stamps.append((type(obj), obj.pk, values))

    @staticmethod
    def validated(obj: models.Model) -> models.Model:
        """Field and cross-field validation in Python; the database checks the constraints on insert."""
        obj.full_clean(validate_constraints=False)
        return obj

    def uscc(self, *, prefix: str, division: str, modern: bool) -> str:
        """A valid USCC: firms registered since late 2015 carry an ``MA…`` body, older ones their old code."""
        while True:
            if modern:
                body = "MA" + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(6))
            else:
                body = f"{self.rng.randint(10_000_000, 79_999_999)}"
            first17 = f"{prefix}{division}{body}{_org_code_check(body)}"
            code = first17 + uscc_check_char(first17)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    @staticmethod
    def address(district: str, key: str) -> str:
        """A plausible registered address, drawn from a hash of ``key`` so the seeded stream stays as it was."""
        n = int(hashlib.sha256(key.encode()).hexdigest(), 16)
        place = str(District(district).label).split(" ")[-1].removeprefix("南通")
        return f"江苏省南通市{place}{ROADS[n % len(ROADS)]}{n % 997 + 1}号"

    def person(self) -> dict[str, str]:
        return {"last_name": self.rng.choice(SURNAMES), "first_name": self.rng.choice(GIVEN_NAMES)}

    def poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, round(self.rng.gauss(lam, math.sqrt(lam))))
        limit, k, p = math.exp(-lam), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def filing_day(self, first_year: int, earliest: date, latest: date) -> date:
        """A filing day skewed towards recent years (filings grow), within [earliest, latest]."""
        last_year = latest.year
        first_year = min(max(first_year, earliest.year), last_year)
        year = first_year + int((last_year - first_year + 1) * self.rng.random() ** 0.7)
        day = date(year, 1, 1) + timedelta(days=self.rng.randint(0, 364))
        return min(max(day, earliest), latest)

    # --- the world ----------------------------------------------------------------------------------------
    def build(self) -> None:
        self.institutions()
        self.sme_world()
        self.products()
        self.ip_assets()
        self.valuations()
        self.applications()
        seed_subsidies_and_monitoring(self)
        seed_reporting(self)
        self.apply_stamps()
        seed_risksharing(self)

    def institutions(self) -> None:
        password = settings.DEMO_PASSWORD
        for code, name, short, threshold in BANKS:
            bank = organisation_create(
                kind=OrganisationKind.BANK,
                name=name,
                short_name=short,
                uscc=self.uscc(prefix="91", division=CITY_DIVISION, modern=False),
                maker_checker_threshold=wan(threshold),
                address=self.address(District.CHONGCHUAN, name),
            )
            self.banks[code] = bank
            self.bank_code[bank.pk] = code
            self.stamp(bank, created_at=self.at(LAUNCH))
            if code == DEMO_BANK:
                officer = user_create(
                    username="demo-bank-officer",
                    password=password,
                    organisation=bank,
                    role=Role.BANK_OFFICER,
                    **self.person(),
                )
                checker = user_create(
                    username="demo-bank-checker",
                    password=password,
                    organisation=bank,
                    role=Role.BANK_CHECKER,
                    **self.person(),
                )
            else:
                officer = self.staff(bank, f"{code.lower()}-officer", Role.BANK_OFFICER)
                checker = self.staff(bank, f"{code.lower()}-checker", Role.BANK_CHECKER)
            self.officers[bank.pk], self.checkers[bank.pk] = officer, checker

        others = (
            (OrganisationKind.INSURER, INSURER, "91", "demo-insurer", Role.UNDERWRITER, {}),
            (OrganisationKind.GUARANTOR, GUARANTOR, "91", "demo-guarantor", Role.UNDERWRITER, {}),
            (OrganisationKind.APPRAISER, APPRAISER, "91", "demo-appraiser", Role.APPRAISER, {}),
            (OrganisationKind.CITY_OFFICE, CITY_OFFICE, "11", "demo-city", Role.ANALYST, {}),
            (
                OrganisationKind.PLATFORM,
                PLATFORM,
                "91",
                "demo-admin",
                Role.PLATFORM_ADMIN,
                {"is_staff": True, "is_superuser": True},
            ),
        )
        for kind, (name, short), prefix, username, role, flags in others:
            org = organisation_create(
                kind=kind,
                name=name,
                short_name=short,
                uscc=self.uscc(prefix=prefix, division=CITY_DIVISION, modern=kind == OrganisationKind.PLATFORM),
                address=self.address(District.CHONGCHUAN, name),
            )
            self.stamp(org, created_at=self.at(LAUNCH))
            user_create(username=username, password=password, organisation=org, role=role, **flags, **self.person())
            if kind == OrganisationKind.INSURER:
                self.insurer = org
            elif kind == OrganisationKind.GUARANTOR:
                self.guarantor = org

    def staff(self, organisation: Organisation, username: str, role: str) -> User:
        """A person who never logs in to the demo: no usable password, no hashing cost."""
        user = User(
            username=username, organisation=organisation, role=role, password=make_password(None), **self.person()
        )
        user.save()
        return user

    # --- SMEs ---------------------------------------------------------------------------------------------
    def sme_world(self) -> None:
        chains = self.draw_chains()
        districts = self.draw_districts(chains)
        trade_names = self.rng.sample([a + b for a in TRADE_NAME_FIRST for b in TRADE_NAME_SECOND], SME_COUNT)
        profiles = [self.sme_profile(i, chains[i], districts[i], trade_names[i]) for i in range(SME_COUNT)]
        self.ensure_markers(profiles)
        enterprises = []
        for org_fields, fields, _ in profiles:
            org = organisation_create(kind=OrganisationKind.SME, **org_fields)
            enterprises.append(self.validated(Enterprise(organisation=org, uscc=org_fields["uscc"], **fields)))
        Enterprise.objects.bulk_create(enterprises)
        for i, (enterprise, (_, _, joined)) in enumerate(zip(enterprises, profiles, strict=True)):
            org = enterprise.organisation
            if i == 0:
                owner = user_create(
                    username="demo-sme",
                    password=settings.DEMO_PASSWORD,
                    organisation=org,
                    role=Role.SME_OWNER,
                    **self.person(),
                )
            else:
                owner = self.staff(org, f"sme{i:02d}-owner", Role.SME_OWNER)
            moment = self.at(joined)
            self.stamp(org, created_at=moment, updated_at=moment)
            self.stamp(enterprise, created_at=moment, updated_at=moment)
            self.stamp(owner, date_joined=moment)
            self.enterprises.append(enterprise)
            self.owners[enterprise.pk] = owner
            self.joined[enterprise.pk] = joined

    def draw_chains(self) -> list[str]:
        """The demo SME makes integrated circuits; every one of the 16 chains has at least one firm."""
        every_chain = [chain for cluster in SIX_CLUSTERS for chain in CLUSTER_CHAINS[cluster]]
        every_chain.remove(Chain.INTEGRATED_CIRCUITS)
        clusters = self.rng.choices(
            list(CLUSTER_WEIGHTS), weights=list(CLUSTER_WEIGHTS.values()), k=SME_COUNT - 1 - len(every_chain)
        )
        rest = every_chain + [self.rng.choice(CLUSTER_CHAINS[c]) for c in clusters]
        self.rng.shuffle(rest)
        return [Chain.INTEGRATED_CIRCUITS, *rest]

    def draw_districts(self, chains: list[str]) -> list[str]:
        all_districts = list(District.values)
        drawn = [District.CHONGCHUAN.value]
        for chain in chains[1:]:
            affinity = DISTRICT_AFFINITY[CHAIN_CLUSTER[chain]]
            drawn.append(self.rng.choices(all_districts, weights=[affinity.get(d, 1) for d in all_districts])[0])
        # Every district and park gets a firm: move one from the busiest district where one is missing.
        for missing in all_districts:
            if missing not in drawn:
                busiest = Counter(drawn[1:]).most_common(1)[0][0]
                index = max(i for i, d in enumerate(drawn) if d == busiest and i > 0)
                drawn[index] = missing
        return drawn

    def sme_profile(self, i: int, chain: str, district: str, trade_name: str) -> tuple[dict, dict, date]:
        rng = self.rng
        cluster = CHAIN_CLUSTER[chain]
        # Revenue is lognormal (median 4000万): most firms are small, a few are large.
        revenue_wan = min(max(rng.lognormvariate(math.log(4000), 1.0), 300), 300_000)
        founded = date(rng.randint(2003, 2021), rng.randint(1, 12), rng.randint(1, 28))
        if i == 0:
            founded, revenue_wan = date(2014, 6, 18), 12_800.0
        large = revenue_wan > 20_000
        division = DIVISION_CODES[district]
        prefix = COUNTY_PREFIX.get(district) if rng.random() < 0.5 else None
        prefix = prefix or ("江苏" if large else "南通")
        industry = rng.choice(CHAIN_PROFILE[chain]["industry"])
        suffix = "股份有限公司" if large or rng.random() < 0.1 else "有限公司"
        legal_name = f"{prefix}{trade_name}{industry}{suffix}"
        uscc = self.uscc(prefix="91", division=division, modern=founded >= date(2015, 10, 1))

        tech_bias = 1.3 if cluster in (Cluster.NEXT_GEN_IT, Cluster.NEW_MATERIALS, Cluster.NEW_ENERGY) else 1.0
        high_tech = rng.random() < 0.38 * tech_bias
        tech_sme = revenue_wan < 20_000 and rng.random() < 0.55
        specialised = rng.random() < (0.35 if high_tech else 0.08)
        little_giant = specialised and rng.random() < 0.2
        if i == 0:
            high_tech, tech_sme, specialised, little_giant = True, True, True, False
        employees = max(8, round(revenue_wan / rng.uniform(60, 150)))
        overdue_events = rng.choices((0, 1, 2, 3), weights=(85, 10, 3, 2))[0]
        fields = {
            "legal_name": legal_name,
            "district": district,
            "cluster": cluster,
            "chain": chain,
            "founded_on": founded,
            "registered_capital": wan(max(50, round(revenue_wan * rng.uniform(0.05, 0.4) / 10) * 10)),
            "employees": employees,
            "annual_revenue": wan(round(revenue_wan, 1)),
            "is_high_tech": high_tech,
            "is_tech_sme": tech_sme,
            "is_specialised": specialised,
            "is_little_giant": little_giant,
            "is_ip_certified": rng.random() < (0.35 if high_tech else 0.1),
            "existing_debt": wan(round(revenue_wan * rng.uniform(0, 0.6))),
            "prior_ip_loans": rng.choices((0, 1, 2, 3), weights=(60, 25, 10, 5))[0],
            "overdue_events_24m": overdue_events,
            "max_days_past_due_24m": rng.randint(3, 45) if overdue_events else 0,
            "has_court_enforcement": rng.random() < 0.03,
            "tax_credit_grade": rng.choices([g.value for g in TaxCreditGrade], weights=(38, 42, 12, 4, 1, 3))[0],
        }
        if i == 0:
            fields.update(
                overdue_events_24m=0,
                max_days_past_due_24m=0,
                has_court_enforcement=False,
                tax_credit_grade=TaxCreditGrade.A.value,
                is_ip_certified=True,
            )
        org_fields = {
            "name": legal_name,
            "short_name": f"{trade_name}{industry}",
            "uscc": uscc,
            "address": self.address(district, legal_name),
        }
        joined = LAUNCH + timedelta(days=rng.randint(0, 45))
        return org_fields, fields, joined

    def ensure_markers(self, profiles: list[tuple[dict, dict, date]]) -> None:
        """At least one little giant (the specialised firm with the largest revenue)."""
        fields = [p[1] for p in profiles]
        if not any(f["is_little_giant"] for f in fields):
            candidates = [f for f in fields[1:] if f["is_specialised"]] or fields[1:]
            top = max(candidates, key=lambda f: f["annual_revenue"])
            top.update(is_specialised=True, is_little_giant=True)

    # --- products -----------------------------------------------------------------------------------------
    def products(self) -> None:
        moment = self.at(LAUNCH + timedelta(days=10))
        for code, name, description, (lo, hi), (t_lo, t_hi), (r_lo, r_hi), methods, caps, extra in LOAN_PRODUCTS:
            bank = self.banks[code]
            product = loan_product_create(
                actor=self.officers[bank.pk],
                bank=bank,
                pledge_rate_caps={t: Decimal(rate) for t, rate in caps.items()},
                name=name,
                description=description,
                min_amount=wan(lo),
                max_amount=wan(hi),
                min_term_months=t_lo,
                max_term_months=t_hi,
                min_rate=Decimal(r_lo),
                max_rate=Decimal(r_hi),
                repayment_methods=list(methods),
                **extra,
            )
            self.caps[product.pk] = {t: Decimal(rate) for t, rate in caps.items()}
            self.stamp(product, created_at=moment, updated_at=moment)
        for name, premium, coverage, cap in INSURANCE_PRODUCTS:
            product = save_validated(
                InsuranceProduct(
                    insurer=self.insurer,
                    name=name,
                    premium_rate=Decimal(premium),
                    coverage_ratio=Decimal(coverage),
                    coverage_cap=wan(cap),
                )
            )
            self.insurance.append(product)
            self.stamp(product, created_at=moment, updated_at=moment)
        for name, fee, coverage in GUARANTEE_PRODUCTS:
            product = save_validated(
                GuaranteeProduct(
                    guarantor=self.guarantor, name=name, fee_rate=Decimal(fee), coverage_ratio=Decimal(coverage)
                )
            )
            self.guarantees.append(product)
            self.stamp(product, created_at=moment, updated_at=moment)
        self.loan_products = list(LoanProduct.objects.select_related("bank").order_by("pk"))

    # --- IP assets ----------------------------------------------------------------------------------------
    def ip_assets(self) -> None:
        counts = self.asset_counts()
        specs: list[dict] = []
        for enterprise, n in zip(self.enterprises, counts, strict=True):
            weights = dict(TYPE_WEIGHTS[enterprise.cluster])
            if enterprise.chain in IC_CHAINS:
                weights[T.IC_LAYOUT] = 8
            types = self.rng.choices(list(weights), weights=list(weights.values()), k=n)
            if enterprise is self.enterprises[0]:
                types = [t for t, n in DEMO_SME_PORTFOLIO.items() for _ in range(n)]
            specs.extend({"owner": enterprise, "ip_type": t} for t in types)
        self.ensure_types(specs)
        for spec in specs:
            spec.update(self.asset_fields(spec["owner"], spec["ip_type"]))
        self.mark_assets(specs)
        since = [spec.pop("since") for spec in specs]
        co_owners = [spec.pop("co_owners", []) for spec in specs]
        assets = IPAsset.objects.bulk_create([self.validated(IPAsset(**spec)) for spec in specs])
        shares = []
        for asset, day, partners in zip(assets, since, co_owners, strict=True):
            moment = self.at(day)
            self.assets_of[asset.owner_id].append(asset)
            self.asset_since[asset.pk] = day
            self.stamp(asset, created_at=moment, updated_at=moment)
            for partner in partners:
                consent_at = moment if partner["consent_given"] else None
                shares.append(self.validated(CoOwner(asset=asset, consent_recorded_at=consent_at, **partner)))
            # Grounds on which the pledge registration pre-check fails outright, or asks for confirmation.
            if any(not p["consent_given"] for p in partners) or asset.ownership_dispute or asset.court_preservation:
                self.unconsented.add(asset.pk)
            if asset.invalidation_pending:
                self.contested.add(asset.pk)
        self.risky_assets = self.unconsented | self.contested
        for co in CoOwner.objects.bulk_create(shares):
            moment = self.at(self.asset_since[co.asset_id])
            self.stamp(co, created_at=moment, updated_at=moment)

    def asset_counts(self) -> list[int]:
        """Every SME holds at least one asset; the rest go heavy-tailed, favouring larger tech firms."""
        weights = []
        for e in self.enterprises[1:]:
            tech = 1.8 if e.is_high_tech else 1.0
            weights.append(tech * float(e.annual_revenue / WAN) ** 0.25 * self.rng.lognormvariate(0, 0.9))
        counts = [DEMO_SME_ASSETS] + [1] * (SME_COUNT - 1)
        for index in self.rng.choices(range(1, SME_COUNT), weights=weights, k=ASSET_COUNT - sum(counts)):
            counts[index] += 1
        return counts

    def ensure_types(self, specs: list[dict]) -> None:
        """Every IP type is present a few times: convert a plentiful type of a suitable owner into a scarce one."""
        suitable = {
            T.IC_LAYOUT: lambda e: e.cluster == Cluster.NEXT_GEN_IT,
            T.GEOGRAPHICAL_INDICATION: lambda e: e.cluster == Cluster.TEXTILES,
        }
        demo = self.enterprises[0]
        for ip_type in IPType.values:
            fits = suitable.get(ip_type, lambda e: True)
            while sum(s["ip_type"] == ip_type for s in specs) < MIN_PER_TYPE.get(ip_type, 8):
                counts = Counter(s["ip_type"] for s in specs)
                candidates = [
                    s
                    for s in specs
                    if counts[s["ip_type"]] > 2 * MIN_PER_TYPE.get(s["ip_type"], 8)
                    and s["owner"] != demo
                    and fits(s["owner"])
                ]
                if not candidates:
                    raise RuntimeError(f"No owner suits the {ip_type} assets the demo world needs.")
                self.rng.choice(candidates)["ip_type"] = ip_type

    def asset_fields(self, owner: Enterprise, ip_type: str) -> dict:
        if ip_type in PATENT_TYPES:
            return self.patent_fields(owner, ip_type)
        return {
            T.TRADEMARK: self.trademark_fields,
            T.SOFTWARE_COPYRIGHT: self.software_fields,
            T.COPYRIGHT: self.work_fields,
            T.GEOGRAPHICAL_INDICATION: self.gi_fields,
            T.IC_LAYOUT: self.ic_layout_fields,
        }[ip_type](owner)

    def since(self, owner: Enterprise, known: date) -> date:
        """When the asset was registered on the platform: after its owner joined and after it existed."""
        day = max(
            self.joined[owner.pk] + timedelta(days=self.rng.randint(0, 30)),
            known + timedelta(days=self.rng.randint(5, 60)),
        )
        return min(day, self.as_of - timedelta(days=1))

    def unique(self, ip_type: str, make) -> str:
        for _ in range(1000):
            number = make()
            if (ip_type, number) not in self.identifiers:
                self.identifiers.add((ip_type, number))
                return number
        raise RuntimeError(f"Cannot draw a fresh {ip_type} number.")  # pragma: no cover

    def patent_fields(self, owner: Enterprise, ip_type: str) -> dict:
        rng, chain = self.rng, CHAIN_PROFILE[owner.chain]
        first_year = {T.INVENTION_PATENT: 2008, T.UTILITY_MODEL: 2014, T.DESIGN_PATENT: 2016}[ip_type]
        filing = self.filing_day(first_year, owner.founded_on, self.as_of - timedelta(days=30))
        if ip_type == T.INVENTION_PATENT:
            type_digit, serial_max = ("8" if rng.random() < 0.05 else "1"), 1_599_999
            lag = round(rng.lognormvariate(math.log(800), 0.35))
        elif ip_type == T.UTILITY_MODEL:
            type_digit, serial_max, lag = ("9" if rng.random() < 0.01 else "2"), 2_999_999, rng.randint(120, 330)
        else:
            type_digit, serial_max, lag = "3", 899_999, rng.randint(90, 300)

        def number() -> str:
            digits = f"{filing.year}{type_digit}{rng.randint(1, serial_max):07d}"
            return f"{digits}.{patent_check_char(digits)}"

        grant = filing + timedelta(days=lag)
        expiry = statutory_expiry(ip_type, filing)
        status = LegalStatus.VALID
        if grant >= self.as_of:
            grant, status = None, LegalStatus.PENDING
        elif expiry <= self.as_of:
            status = LegalStatus.EXPIRED
        fees_through = None
        if status == LegalStatus.VALID:
            # Paid through the next anniversary of filing; close to it, the coming year is paid in advance.
            years = self.as_of.year - filing.year
            fees_through = _add_years(filing, years if _add_years(filing, years) >= self.as_of else years + 1)
            if fees_through < self.as_of + timedelta(days=90):
                fees_through = min(_add_years(fees_through, 1), expiry)
        elif status == LegalStatus.EXPIRED:
            fees_through = expiry

        subject = rng.choice(chain["subjects"])
        if ip_type == T.INVENTION_PATENT:
            title = rng.choice(("一种{}及其制备方法", "一种{}", "一种{}的控制方法", "{}的检测方法及系统")).format(
                subject
            )
            ipc = rng.sample(chain["ipc"], rng.randint(1, 3))
            claims = min(40, max(1, round(rng.lognormvariate(math.log(9), 0.45))))
            backward = self.poisson(7)
            citation_rate = 0.6
        elif ip_type == T.UTILITY_MODEL:
            title = "一种" + rng.choice(("", "新型", "高效", "便于安装的", "可拆卸的", "节能型")) + subject
            ipc = rng.sample(chain["ipc"], rng.randint(1, 2))
            claims = min(20, max(1, round(rng.lognormvariate(math.log(7), 0.4))))
            backward = self.poisson(4)
            citation_rate = 0.25
        else:
            product = rng.choice(DESIGN_PRODUCTS[owner.cluster])
            title, ipc, claims, backward, citation_rate = f"{product}（{rng.choice(DESIGN_VARIANTS)}）", [], 0, 0, 0.05
        # Forward citations: Poisson with a gamma-distributed quality (negative binomial) — most never
        # cited, a few cited a lot.
        age_years = max(0.0, (self.as_of - filing).days / 365.25 - 1)
        quality = rng.gammavariate(0.5, 2.0)
        family, overseas = 1, 0
        if ip_type == T.INVENTION_PATENT and rng.random() < 0.22:
            family = 1 + min(30, int(rng.paretovariate(1.1)))
            overseas = rng.randint(max(0, family - 3), family - 1)
        elif ip_type == T.UTILITY_MODEL and rng.random() < 0.03:
            family = 2  # filed the same day as an invention application for the same creation
        licences = rng.randint(1, 3) if rng.random() < (0.12 if ip_type == T.INVENTION_PATENT else 0.04) else 0
        return {
            "identifier": self.unique(ip_type, number),
            "title": title,
            "filing_date": filing,
            "grant_date": grant,
            "expiry_date": expiry,
            "legal_status": status,
            "annual_fee_paid_through": fees_through,
            "ipc_classes": ipc,
            "claims_count": claims,
            "forward_citations": self.poisson(citation_rate * age_years * quality * (1 + math.log(family))),
            "backward_citations": backward,
            "family_size": family,
            "overseas_family_members": overseas,
            "licence_count": licences,
            "licence_revenue": wan(sum(rng.randint(5, 60) for _ in range(licences))),
            "since": self.since(owner, grant or filing),
        }

    def trademark_fields(self, owner: Enterprise) -> dict:
        rng = self.rng
        filing = self.filing_day(2005, owner.founded_on, self.as_of - timedelta(days=30))
        base = _interpolate(TRADEMARK_NUMBER_BASE, filing.year) * 1_000_000
        span = max(_interpolate(TRADEMARK_NUMBER_BASE, filing.year + 1) * 1_000_000 - base, 1_000_000)
        identifier = self.unique(T.TRADEMARK, lambda: str(int(base + rng.random() * span)))
        grant = filing + timedelta(days=rng.randint(270, 540))
        status, expiry, renewals = LegalStatus.VALID, None, 0
        if grant >= self.as_of:
            grant, status = None, LegalStatus.PENDING
        else:
            expiry = _add_years(grant, 10) - timedelta(days=1)
            while expiry <= self.as_of:  # renewed every ten years
                renewals += 1
                expiry = _add_years(grant, 10 * (renewals + 1)) - timedelta(days=1)
        brand = owner.organisation.short_name[:2]
        nice = rng.choice(NICE_CLASSES[owner.cluster])
        return {
            "identifier": identifier,
            "title": f"{brand}（第{nice}类）",
            "filing_date": filing,
            "grant_date": grant,
            "expiry_date": expiry,
            "legal_status": status,
            "nice_classes": [nice],
            "renewals": renewals,
            "licence_count": 1 if rng.random() < 0.06 else 0,
            "since": self.since(owner, grant or filing),
        }

    def software_fields(self, owner: Enterprise) -> dict:
        rng = self.rng
        filing = self.filing_day(2010, owner.founded_on, self.as_of - timedelta(days=120))
        grant = filing + timedelta(days=rng.randint(20, 90))
        per_year = int(_interpolate(SOFTWARE_PER_YEAR, grant.year) * 1000)
        width = 7 if grant.year >= 2013 else 6
        return {
            "identifier": self.unique(
                T.SOFTWARE_COPYRIGHT, lambda: f"{grant.year}SR{rng.randint(1, per_year):0{width}d}"
            ),
            "title": f"{owner.organisation.short_name[:2]}{rng.choice(SOFTWARE_TITLES)}V{rng.randint(1, 3)}.0",
            "filing_date": filing,
            "grant_date": grant,
            "since": self.since(owner, grant),
        }

    def work_fields(self, owner: Enterprise) -> dict:
        rng = self.rng
        filing = self.filing_day(2012, owner.founded_on, self.as_of - timedelta(days=90))
        grant = filing + timedelta(days=rng.randint(15, 60))
        category, title = rng.choice(WORK_TITLES)
        identifier = self.unique(
            T.COPYRIGHT, lambda: f"国作登字-{grant.year}-{category}-{rng.randint(1, 5_000_000):08d}"
        )
        return {
            "identifier": identifier,
            "title": f"{owner.organisation.short_name[:2]}{title}",
            "filing_date": filing,
            "grant_date": grant,
            "since": self.since(owner, grant),
        }

    def gi_fields(self, owner: Enterprise) -> dict:
        rng = self.rng
        filing = self.filing_day(2008, owner.founded_on, self.as_of - timedelta(days=720))
        grant = filing + timedelta(days=rng.randint(300, 700))
        return {
            "identifier": self.unique(T.GEOGRAPHICAL_INDICATION, lambda: f"GI-{grant.year}-{rng.randint(1, 2999):04d}"),
            "title": f"{rng.choice(GI_TITLES)}（地理标志）",
            "filing_date": filing,
            "grant_date": grant,
            "since": self.since(owner, grant),
        }

    def ic_layout_fields(self, owner: Enterprise) -> dict:
        rng = self.rng
        filing = self.filing_day(2016, owner.founded_on, self.as_of - timedelta(days=240))
        grant = filing + timedelta(days=rng.randint(60, 200))
        expiry = _add_years(filing, 10)  # ten years from filing (or first commercial use)
        return {
            "identifier": self.unique(T.IC_LAYOUT, lambda: f"BS.{grant.year % 100:02d}5{rng.randint(0, 999_999):06d}"),
            "title": f"{rng.choice(IC_TITLES)}布图设计",
            "filing_date": filing,
            "grant_date": grant,
            "expiry_date": expiry,
            "legal_status": LegalStatus.EXPIRED if expiry <= self.as_of else LegalStatus.VALID,
            "since": self.since(owner, grant),
        }

    def mark_assets(self, specs: list[dict]) -> None:
        """The legal troubles a pledge desk meets: lapsed fees, invalidation, disputes, co-owners, and awards."""
        rng, demo = self.rng, self.enterprises[0]
        patents = [s for s in specs if s["ip_type"] in PATENT_TYPES and s["owner"] != demo]
        valid = [s for s in patents if s["legal_status"] == LegalStatus.VALID]
        old_enough = [s for s in valid if s["grant_date"] <= self.as_of - timedelta(days=800)]
        for spec in rng.sample(old_enough, 5):
            spec["legal_status"] = LegalStatus.LAPSED
            years = rng.randint(1, 2)
            spec["annual_fee_paid_through"] = _add_years(spec["annual_fee_paid_through"], -years)
        valid = [s for s in valid if s["legal_status"] == LegalStatus.VALID]
        invalidated = rng.choice([s for s in valid if s["ip_type"] == T.UTILITY_MODEL])
        invalidated.update(legal_status=LegalStatus.INVALIDATED, annual_fee_paid_through=None)
        valid.remove(invalidated)
        pending = [s for s in patents if s["legal_status"] == LegalStatus.PENDING]
        if pending:
            rng.choice(pending)["legal_status"] = LegalStatus.WITHDRAWN
        # Invalidation requests go after the patents that matter: the most cited.
        for spec in sorted(valid, key=lambda s: -s["forward_citations"])[1:8:2]:
            spec["invalidation_pending"] = True
        rng.choice(valid)["ownership_dispute"] = True
        rng.choice(valid)["court_preservation"] = True
        inventions = sorted(
            (s for s in valid if s["ip_type"] == T.INVENTION_PATENT),
            key=lambda s: (-s["forward_citations"], s["identifier"]),
        )
        for spec, award in zip(
            inventions, (Award.CHINA_PATENT_EXCELLENCE, Award.PROVINCIAL, Award.PROVINCIAL), strict=False
        ):
            spec["award"] = award
        shareable = [s for s in valid if s["ip_type"] != T.DESIGN_PATENT]
        for n, spec in enumerate(rng.sample(shareable, 12)):
            spec["co_owners"] = [self.co_owner(spec["owner"], consent=n % 5 < 3)]
        demo_patent = next(s for s in specs if s["owner"] == demo and s["ip_type"] == T.UTILITY_MODEL)
        demo_patent["co_owners"] = [self.co_owner(demo, consent=False, university="南通大学")]

    def co_owner(self, owner: Enterprise, *, consent: bool, university: str | None = None) -> dict:
        share = Decimal(self.rng.choice(("20.00", "30.00", "40.00", "50.00")))
        if university or self.rng.random() < 0.6:
            return {
                "name": university or self.rng.choice(UNIVERSITIES),
                "share_percent": share,
                "consent_given": consent,
            }
        partner = self.rng.choice([e for e in self.enterprises if e != owner])
        return {"name": partner.legal_name, "uscc": partner.uscc, "share_percent": share, "consent_given": consent}

    # --- applications and loans ---------------------------------------------------------------------------
    def applications(self) -> None:
        plans = self.plan_applications()
        plans.sort(key=lambda p: p.times[0])
        for plan in plans:
            self.place(plan)
            self.run(plan)
        loans_refresh_delinquency(as_of=self.as_of)

    def plan_applications(self) -> list[_Plan]:
        plans = [
            # The demo SME: a loan repaid, a loan running, one application under review and one draft.
            self.plan(S.DISBURSED, demo=True, bank=DEMO_BANK, term=12, end=self.days_ago(600, 640)),
            self.plan(S.DISBURSED, demo=True, bank=DEMO_BANK, term=24, end=self.days_ago(150, 180)),
            self.plan(S.UNDER_REVIEW, demo=True, bank=DEMO_BANK),
            self.plan(S.DRAFT, demo=True),
        ]
        for final, count in APPLICATION_MIX:
            for n in range(count):
                if final == S.DISBURSED and n < len(TROUBLED_LOANS):
                    fate, bank = TROUBLED_LOANS[n]
                    lo, hi = (200, 420) if fate == "overdue" else (260, 480)
                    plans.append(self.plan(final, fate=fate, bank=bank, term=36, end=self.days_ago(lo, hi)))
                else:
                    plans.append(self.plan(final))
        return plans

    def plan(
        self,
        final: str,
        *,
        demo: bool = False,
        bank: str | None = None,
        term: int | None = None,
        fate: str = "performing",
        end: date | None = None,
    ) -> _Plan:
        path = self.path_to(final)
        if end is not None:
            end_at = self.at(end)
        elif final == S.DISBURSED:
            span = (self.as_of - timedelta(days=10) - FIRST_DISBURSEMENT).days
            end_at = self.at(FIRST_DISBURSEMENT + timedelta(days=int(span * self.rng.random() ** 0.75)))
        elif final in FAILED:
            span = (self.as_of - timedelta(days=5) - FIRST_DISBURSEMENT).days
            end_at = self.at(FIRST_DISBURSEMENT + timedelta(days=int(span * self.rng.random() ** 0.8)))
        else:  # still in the pipeline: the last move was recent
            end_at = self.at(self.days_ago(1, 18))
        times = [end_at]
        for previous, move in zip(reversed([None, *path][: len(path)]), reversed(path), strict=True):
            lo, hi = REPLY_GAP_DAYS if (previous, move) == (S.INFO_REQUESTED, S.UNDER_REVIEW) else GAP_DAYS[move]
            step = timedelta(days=self.rng.randint(lo, hi), minutes=self.rng.randint(20, 300))
            times.insert(0, times[0] - step)
        return _Plan(final=final, path=path, times=times, fate=fate, demo=demo, bank=bank, term=term)

    def path_to(self, final: str) -> list[str]:
        rng = self.rng
        review = [S.SUBMITTED, S.UNDER_REVIEW]
        if rng.random() < 0.3:
            review += [S.INFO_REQUESTED, S.UNDER_REVIEW]
        offer = [*review, S.APPROVED, S.OFFER_ACCEPTED]
        paths = {
            S.DRAFT: [],
            S.SUBMITTED: [S.SUBMITTED],
            S.UNDER_REVIEW: review,
            S.INFO_REQUESTED: [S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED],
            S.APPROVED: [*review, S.APPROVED],
            S.OFFER_ACCEPTED: offer,
            S.PLEDGE_REGISTRATION: [*offer, S.PLEDGE_REGISTRATION],
            S.REGISTERED: [*offer, S.PLEDGE_REGISTRATION, S.REGISTERED],
            S.DISBURSED: [*offer, S.PLEDGE_REGISTRATION, S.REGISTERED, S.DISBURSED],
        }
        if final in paths:
            return paths[final]
        options = {
            S.REJECTED: ([*review, S.REJECTED], [*review, S.REJECTED], [*offer, S.PLEDGE_REGISTRATION, S.REJECTED]),
            S.WITHDRAWN: ([S.SUBMITTED, S.WITHDRAWN], [*review, S.WITHDRAWN], [*review, S.APPROVED, S.WITHDRAWN]),
            S.EXPIRED: (
                [S.SUBMITTED, S.EXPIRED],
                [S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED, S.EXPIRED],
                [*review, S.APPROVED, S.EXPIRED],
            ),
        }[final]
        return list(rng.choice(options))

    def eligible_products(self, enterprise: Enterprise, bank: str | None) -> list[LoanProduct]:
        markers = set(enterprise.tech_markers)
        return [
            p
            for p in self.loan_products
            if (bank is None or self.bank_code[p.bank_id] == bank)
            and (not p.eligible_districts or enterprise.district in p.eligible_districts)
            and (not p.eligible_clusters or enterprise.cluster in p.eligible_clusters)
            and (not p.required_tech_markers or markers & set(p.required_tech_markers))
        ]

    def pledgeable(self, plan: _Plan, enterprise: Enterprise, product: LoanProduct, term: int) -> list[IPAsset]:
        """Assets this application may pledge, best collateral first.

        Applications that end well take no right with a legal cloud nor one still pledged elsewhere; any
        application that files a pledge takes none that the registration pre-check would fail."""
        created = plan.times[0].date()
        clean = plan.final not in FAILED
        files = S.PLEDGE_REGISTRATION in plan.path
        # The pre-check runs today: the debt, counted from today, must end before the right does.
        ends = add_months(self.as_of, term + 1)
        assets = []
        for a in self.assets_of[enterprise.pk]:
            pledged = self.pledged_until.get(a.pk, date.min) >= created
            usable = (
                a.ip_type in self.caps[product.pk]
                and a.legal_status == LegalStatus.VALID
                and a.pk in self.p50
                and self.asset_since[a.pk] < created
                and (a.expiry_date is None or a.expiry_date > ends)
            )
            if not usable or (clean and a.pk in self.risky_assets) or ((clean or files) and pledged):
                continue
            if files and a.pk in self.unconsented:
                continue
            assets.append(a)
        # Best collateral first; a right under a cloud comes last unless the plan is refused for it.
        return sorted(assets, key=lambda a: (a.pk in self.risky_assets, -self.collateral(product, [a]), a.pk))

    def collateral(self, product: LoanProduct, assets: list[IPAsset]) -> Decimal:
        """What the bank lends on at most: Σ P50 × the product's pledge-rate cap (as the approval service)."""
        return sum((self.p50[a.pk] * self.caps[product.pk][a.ip_type] for a in assets), Decimal("0"))

    def place(self, plan: _Plan) -> None:
        """Choose the enterprise, product, term, assets and amounts of a plan, or fail loudly."""
        rng = self.rng
        created = plan.times[0].date()
        approves = S.APPROVED in plan.path
        if plan.demo:
            candidates = [self.enterprises[0]]
        else:
            candidates = [e for e in self.enterprises[1:] if self.joined[e.pk] < created]
        # Firms with valuable IP borrow more often.
        weights = [float(self.potential[e.pk] / WAN) ** 0.8 + 10 for e in candidates]
        for _ in range(300):
            enterprise = rng.choices(candidates, weights=weights)[0]
            products = self.eligible_products(enterprise, plan.bank)
            if not products:
                continue
            product = rng.choices(products, weights=[BANK_WEIGHTS[self.bank_code[p.bank_id]] for p in products])[0]
            terms = [t for t in TERMS if product.min_term_months <= t <= product.max_term_months]
            term = plan.term or rng.choice(terms)
            if not product.min_term_months <= term <= product.max_term_months:
                continue
            assets = self.pledgeable(plan, enterprise, product, term)
            if plan.final == S.REJECTED and plan.path[-2] == S.PLEDGE_REGISTRATION:
                # Refused at registration: filed with invalidation proceedings pending, the office says no.
                assets = sorted(assets, key=lambda a: a.pk not in self.contested)
            # The firm wants a lognormal amount around 350万 and pledges its best rights until they cover it.
            wanted = wan(round(rng.lognormvariate(math.log(350), 0.6)))
            portfolio = []
            for asset in assets[:MAX_PORTFOLIO]:
                portfolio.append(asset)
                if self.collateral(product, portfolio) >= wanted:
                    break
            if not portfolio:
                continue
            limit = self.collateral(product, portfolio)
            if approves and limit < product.min_amount:
                continue
            plan.enterprise, plan.product, plan.term, plan.assets = enterprise, product, term, portfolio
            plan.requested, plan.approved = self.amounts(product, limit, wanted)
            if plan.final not in FAILED:
                if plan.final == S.DISBURSED and plan.fate == "performing":
                    released = add_months(plan.times[-1].date(), term) + timedelta(days=7)
                else:
                    released = date.max
                self.pledged_until.update((a.pk, released) for a in portfolio)
            return
        raise RuntimeError(f"No enterprise can make a {plan.final} application on {created}.")  # pragma: no cover

    def amounts(self, product: LoanProduct, limit: Decimal, wanted: Decimal) -> tuple[Decimal, Decimal]:
        """Requested and approved yuan, in steps of 10万 within the product: the bank approves what the
        collateral limit allows, sometimes cutting the request."""
        step = wan(10)

        def within(amount: Decimal) -> Decimal:
            return min(max(amount, product.min_amount), product.max_amount)

        if limit < product.min_amount:  # never approved: the firm asks for what it wants
            return within((wanted / step).quantize(Decimal("1")) * step), product.min_amount
        approved = within((min(limit, wanted) / step).to_integral_value(rounding=ROUND_FLOOR) * step)
        requested = approved / Decimal(self.rng.choice(("1", "1", "1", "0.9", "0.8")))
        return within((requested / step).to_integral_value(rounding=ROUND_CEILING) * step), approved

    def run(self, plan: _Plan) -> None:
        rng, product = self.rng, plan.product
        sme_user = self.owners[plan.enterprise.pk]
        methods = product.repayment_methods
        if plan.term <= 12 and RepaymentMethod.INTEREST_ONLY in methods and rng.random() < 0.5:
            method = RepaymentMethod.INTEREST_ONLY.value
        elif RepaymentMethod.EQUAL_PRINCIPAL in methods and rng.random() < 0.3:
            method = RepaymentMethod.EQUAL_PRINCIPAL.value
        else:
            method = RepaymentMethod.EQUAL_INSTALMENT.value
        application = application_create(
            actor=sme_user,
            enterprise=plan.enterprise,
            product=product,
            assets=plan.assets,
            requested_amount=plan.requested,
            requested_term_months=plan.term,
            repayment_method=method,
            purpose=rng.choice(PURPOSES),
            # A product that requires cover is applied for with it (approval may pick another, below).
            insurance_product=self.insurance[0] if product.requires_insurance else None,
            guarantee_product=self.guarantees[0] if product.requires_guarantee else None,
        )
        officer = self.officers[product.bank_id]
        loan, times, stamps = None, plan.times, {}
        for k, move in enumerate(plan.path, start=1):
            previous = plan.path[k - 2] if k > 1 else S.DRAFT
            if move == S.SUBMITTED:
                application_submit(actor=sme_user, application=application)
            elif move == S.UNDER_REVIEW and previous == S.INFO_REQUESTED:
                application_respond(actor=sme_user, application=application, comment=REPLY_COMMENT)
            elif move == S.UNDER_REVIEW:
                application_start_review(actor=officer, application=application)
            elif move == S.INFO_REQUESTED:
                application_request_info(actor=officer, application=application, comment=INFO_REQUEST)
            elif move == S.APPROVED:
                proposed_at = times[k - 1] + (times[k] - times[k - 1]) / 2
                if self.approve(application, plan):
                    stamps["approval_proposed_at"] = proposed_at
            elif move == S.REJECTED:
                code, comment = self.rejection(plan)
                application_reject(actor=officer, application=application, reason_code=code, comment=comment)
            elif move == S.WITHDRAWN and previous == S.APPROVED:
                application_decline_offer(actor=sme_user, application=application, reason=DECLINE_REASON)
            elif move == S.WITHDRAWN:
                application_withdraw(actor=sme_user, application=application, reason=WITHDRAW_REASON)
            elif move == S.OFFER_ACCEPTED:
                application_accept_offer(actor=sme_user, application=application)
            elif move == S.PLEDGE_REGISTRATION:
                package = filing_package_generate(actor=officer, application=application)
                for signer in (sme_user, officer):
                    filing_package_sign(actor=signer, application=application, sha256=package.sha256)
                registration = pledge_registration_file(actor=officer, application=application)
                self.stamp(registration, filed_at=times[k], created_at=times[k], updated_at=times[k])
            elif move == S.REGISTERED:
                registration = pledge_registration_record(
                    actor=officer,
                    application=application,
                    registration_number=self.registration_number(plan, times[k]),
                    registered_on=times[k].date(),
                )
                self.stamp(registration, updated_at=times[k])
            elif move == S.DISBURSED:
                contract = self.contract_number(product, times[k])
                application.refresh_from_db()  # the approval services saved the terms on their own copy
                loan = loan_disburse(
                    actor=officer, application=application, contract_number=contract, disbursed_at=times[k]
                )
            else:  # expiry: the platform's schedule moves it, no actor
                application_change_status(actor=None, application=application, to=move, reason=EXPIRY_REASON)
            self.change_times[(Application, application.pk)].append(times[k])
        decided = [t for m, t in zip(plan.path, times[1:], strict=True) if m in (S.APPROVED, S.REJECTED)]
        submitted = [t for m, t in zip(plan.path, times[1:], strict=True) if m == S.SUBMITTED]
        self.stamp(
            application,
            created_at=times[0],
            updated_at=times[-1],
            submitted_at=submitted[0] if submitted else None,
            decided_at=decided[-1] if decided else None,
            **stamps,
        )
        if loan is not None:
            self.service_loan(loan, plan)

    def approve(self, application: Application, plan: _Plan) -> bool:
        """Approve at the plan's terms; above the bank's threshold the officer proposes and the checker
        confirms. Returns whether it went through maker-checker."""
        product, rng = plan.product, self.rng
        officer, checker = self.officers[product.bank_id], self.checkers[product.bank_id]
        # Better tax credit, lower rate: place the rate within the product's band.
        position = {"A": 0.2, "B": 0.45, "M": 0.6}.get(plan.enterprise.tax_credit_grade, 0.8)
        position = min(1.0, max(0.0, position + rng.uniform(-0.2, 0.2)))
        rate = to_rate(round(product.min_rate + (product.max_rate - product.min_rate) * Decimal(str(position)), 4))
        # Insurance and guarantee are bound with the terms (no service yet binds them on their own).
        application.insurance_product = (
            rng.choice(self.insurance) if (product.requires_insurance or rng.random() < 0.1) else None
        )
        application.guarantee_product = (
            rng.choice(self.guarantees) if (product.requires_guarantee or rng.random() < 0.1) else None
        )
        application.save(update_fields=["insurance_product", "guarantee_product", "updated_at"])
        # plan.approved lies within Σ P50 × cap, the same collateral limit the service checks.
        application_approve(
            actor=officer,
            application=application,
            amount=plan.approved,
            rate=rate,
            term_months=plan.term,
            comment=APPROVAL,
        )
        if plan.approved <= product.bank.maker_checker_threshold:
            return False
        application_confirm_approval(actor=checker, application=application, comment=CHECKER_APPROVAL)
        return True

    def rejection(self, plan: _Plan) -> tuple[str, str]:
        if plan.path[-2] == S.PLEDGE_REGISTRATION and any(a.pk in self.contested for a in plan.assets):
            return RejectReason.IP_LEGAL_DEFECT.value, "登记机关不予登记：质押专利无效宣告程序尚未终结。"
        if plan.path[-2] == S.PLEDGE_REGISTRATION:
            return RejectReason.INCOMPLETE_DOCUMENTS.value, "登记机关不予登记：质押合同要素与登记申请不一致。"
        if any(a.pk in self.risky_assets for a in plan.assets):
            return RejectReason.IP_LEGAL_DEFECT.value, "质押专利存在无效宣告请求、权属纠纷或共有人未同意。"
        return self.rng.choice(REJECTIONS)

    def registration_number(self, plan: _Plan, moment: datetime) -> str:
        """Patents register at CNIPA (Y + year + serial); trademarks and copyrights under their own series."""
        patents = any(a.ip_type in PATENT_TYPES for a in plan.assets)
        self.registrations[patents] += 1
        if patents:
            return f"Y{moment.year}980{self.registrations[patents]:06d}"
        return f"ZY{moment.year}{self.registrations[patents]:06d}"

    def contract_number(self, product: LoanProduct, moment: datetime) -> str:
        code = self.bank_code[product.bank_id]
        self.contracts[(code, moment.year)] += 1
        return f"{code}-ZY-{moment.year}-{self.contracts[(code, moment.year)]:04d}"

    def service_loan(self, loan: Loan, plan: _Plan) -> None:
        """Repay what fell due before the as-of day; leave the tail unpaid for overdue and defaulted loans."""
        officer = self.officers[loan.bank_id]
        lines = list(loan.schedule.order_by("sequence"))
        due = [line for line in lines if line.due_date < self.as_of]
        unpaid = 0
        if plan.fate == "overdue":
            unpaid = max(k for k in (1, 2) if (self.as_of - due[-k].due_date).days < 90)
        elif plan.fate == "defaulted":
            unpaid = min(k for k in range(1, len(due)) if (self.as_of - due[-k].due_date).days >= 95)
        paid = due[: len(due) - unpaid]
        last_event = loan.disbursed_at
        for line in paid:
            late = self.rng.randint(1, 4) if self.rng.random() < 0.05 else 0
            day = min(line.due_date + timedelta(days=late), self.as_of - timedelta(days=1))
            last_event = self.at(day, minutes=self.rng.randint(9 * 60, 16 * 60))
            repayment_record(
                actor=officer,
                loan=loan,
                amount=line.principal_due + line.interest_due,
                paid_at=last_event,
                reference=f"{loan.contract_number}-{line.sequence:02d}",
            )
        if len(paid) == len(lines):  # the service closed the loan on its last payment; the pledge is released
            self.change_times[(Loan, loan.pk)].append(last_event)
            released = PledgeRegistration.objects.get(application_id=loan.application_id)
            self.stamp(released, released_on=min(last_event.date() + timedelta(days=5), self.as_of))
        if unpaid:
            # The platform's daily delinquency refresh (run at the end) finds the missed instalments.
            first_missed = due[len(paid)].due_date
            days_past_due = (self.as_of - first_missed).days
            last_event = self.at(first_missed + timedelta(days=1), minutes=2 * 60)
            self.change_times[(Loan, loan.pk)].append(last_event)
            if days_past_due > DEFAULT_AFTER_DAYS:
                last_event = self.at(first_missed + timedelta(days=DEFAULT_AFTER_DAYS + 1), minutes=2 * 60)
                self.change_times[(Loan, loan.pk)].append(last_event)
            owner = self.owners[loan.borrower_id]
            borrower = Enterprise.objects.get(pk=loan.borrower_id)
            enterprise_update(
                actor=owner,
                enterprise=borrower,
                overdue_events_24m=borrower.overdue_events_24m + 1,
                max_days_past_due_24m=max(borrower.max_days_past_due_24m, days_past_due),
            )
        self.stamp(loan, created_at=loan.disbursed_at, updated_at=last_event)

    def valuations(self) -> None:
        """Value every live asset in one model call, as an SME sees it on registering. Approvals cap loans by
        these values, and scoring an application (on submission, after commit) reuses them."""
        live = list(IPAsset.objects.filter(legal_status__in=(LegalStatus.VALID, LegalStatus.PENDING)).order_by("pk"))
        for asset, valuation in zip(live, assets_valuate(assets=live), strict=True):
            self.p50[asset.pk] = valuation.p50
        for enterprise in self.enterprises:
            # What the firm could pledge at a 0.4 cap on its three best assets: who borrows, and how much.
            best = sorted((self.p50.get(a.pk, Decimal("0")) for a in self.assets_of[enterprise.pk]), reverse=True)
            self.potential[enterprise.pk] = sum(best[:3], Decimal("0")) * Decimal("0.4")

    # --- timeline -----------------------------------------------------------------------------------------
    def apply_stamps(self) -> None:
        """Move the services' "now" timestamps onto the world's timeline."""
        for model, pk, values in self.stamps:
            model.objects.filter(pk=pk).update(**values)
        for model in (Application, Loan):
            content_type = ContentType.objects.get_for_model(model)
            changes = defaultdict(list)
            for change_id, object_id in (
                StatusChange.objects.filter(content_type=content_type)
                .order_by("object_id", "pk")
                .values_list("pk", "object_id")
            ):
                changes[object_id].append(change_id)
            for object_id, change_ids in changes.items():
                times = self.change_times[(model, object_id)]
                if len(times) != len(change_ids):
                    raise RuntimeError(f"{model.__name__} {object_id}: {len(change_ids)} changes, {len(times)} times.")
                for change_id, moment in zip(change_ids, times, strict=True):
                    StatusChange.objects.filter(pk=change_id).update(created_at=moment)
