"""The demo world's reference tables: its institutions, the 616 system's firms and what they file, the
products, and how the applications are spread over their fates. Data only."""

from __future__ import annotations

from datetime import date

from tongzhirong.core.money import wan
from tongzhirong.core.reference import CLUSTER_CHAINS, Chain, Cluster, District, IPType, RepaymentMethod
from tongzhirong.core.reference import TechMarker as TM
from tongzhirong.financing.models import ApplicationStatus as S
from tongzhirong.financing.models import RejectReason

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
COVER_CONDITION = "借款企业按季度报送财务报表；质押专利年费按期缴纳。"
DECLINE_REASON = "已获其他银行授信。"
WITHDRAW_REASON = "资金需求推迟。"
