"""Reference data of Nantong's plan: districts and parks, the 616 industry system, tech markers."""

from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.TextChoices):
    CHONGCHUAN = "320613", _("Chongchuan District 崇川区")
    TONGZHOU = "320612", _("Tongzhou District 通州区")
    HAIMEN = "320614", _("Haimen District 海门区")
    RUDONG = "320623", _("Rudong County 如东县")
    QIDONG = "320681", _("Qidong City 启东市")
    RUGAO = "320682", _("Rugao City 如皋市")
    HAIAN = "320685", _("Haian City 海安市")
    # Directly run parks carry no administrative code of their own: stable slugs instead.
    NETDA = "park-netda", _("Nantong Economic and Technological Development Area 南通经济技术开发区")
    SXT = "park-sxt", _("Su-Xi-Tong Science and Technology Industrial Park 苏锡通科技产业园区")
    TZW = "park-tzw", _("Tongzhou Bay Demonstration Zone 通州湾示范区")


class Cluster(models.TextChoices):
    SHIPBUILDING = "shipbuilding_marine", _("Shipbuilding and offshore engineering 船舶海工")
    TEXTILES = "high_end_textiles", _("High-end textiles 高端纺织")
    NEXT_GEN_IT = "next_gen_it", _("Next-generation information technology 新一代信息技术")
    NEW_MATERIALS = "new_materials", _("New materials 新材料")
    HIGH_END_EQUIPMENT = "high_end_equipment", _("High-end equipment 高端装备")
    NEW_ENERGY = "new_energy", _("New energy 新能源")
    OTHER = "other", _("Other 其他")


class Chain(models.TextChoices):
    HIGH_TECH_SHIPS = "high_tech_ships", _("High-tech ships and marine equipment 高技术船舶和海洋工程装备")
    HOME_TEXTILES = "home_textiles", _("High-end home textiles 高端家纺")
    CHEMICAL_FIBRE = "chemical_fibre", _("Chemical fibre 化学纤维")
    FABRICS = "fabrics", _("Textile fabrics 纺织面料")
    ELECTRONIC_COMPONENTS = "electronic_components", _("Electronic components 电子元器(部)件")
    INTEGRATED_CIRCUITS = "integrated_circuits", _("Integrated circuits 集成电路")
    SOFTWARE = "software_it_services", _("Software and IT services 软件和信息服务")
    ADVANCED_COMMUNICATIONS = "advanced_communications", _("Advanced communications 先进通信")
    METAL_MATERIALS = "metal_materials", _("Metal materials 金属材料")
    CHEMICAL_MATERIALS = "chemical_materials", _("New chemical materials 化工新材料")
    BIOMEDICINE = "biomedicine_devices", _("Biomedicine and medical devices 生物医药及医疗器械")
    POWER_EQUIPMENT = "power_equipment", _("Power transmission equipment 输配电设备")
    COMPLETE_EQUIPMENT = "complete_equipment", _("High-end complete equipment 高端成套设备")
    AUTOMOTIVE = "automotive_parts", _("Automobiles and parts 汽车及零部件")
    PV_STORAGE = "pv_storage", _("Photovoltaics and energy storage 光伏和储能")
    WIND_POWER = "wind_power_equipment", _("Wind power equipment 风力发电装备")
    OTHER = "other", _("Other 其他")


# Which chains belong to which cluster (the plan's 616 system).
CLUSTER_CHAINS: dict[str, tuple[str, ...]] = {
    Cluster.SHIPBUILDING: (Chain.HIGH_TECH_SHIPS,),
    Cluster.TEXTILES: (Chain.HOME_TEXTILES, Chain.CHEMICAL_FIBRE, Chain.FABRICS),
    Cluster.NEXT_GEN_IT: (
        Chain.ELECTRONIC_COMPONENTS,
        Chain.INTEGRATED_CIRCUITS,
        Chain.SOFTWARE,
        Chain.ADVANCED_COMMUNICATIONS,
    ),
    Cluster.NEW_MATERIALS: (Chain.METAL_MATERIALS, Chain.CHEMICAL_MATERIALS, Chain.BIOMEDICINE),
    Cluster.HIGH_END_EQUIPMENT: (Chain.POWER_EQUIPMENT, Chain.COMPLETE_EQUIPMENT, Chain.AUTOMOTIVE),
    Cluster.NEW_ENERGY: (Chain.PV_STORAGE, Chain.WIND_POWER),
    Cluster.OTHER: (Chain.OTHER,),
}


class TechMarker(models.TextChoices):
    HIGH_TECH = "high_tech", _("High-tech enterprise 高新技术企业")
    TECH_SME = "tech_sme", _("Tech-based SME 科技型中小企业")
    SPECIALISED = "specialised", _("Specialised SME 专精特新")
    LITTLE_GIANT = "little_giant", _("Little giant 专精特新小巨人")


class IPType(models.TextChoices):
    INVENTION_PATENT = "invention_patent", _("Invention patent 发明专利")
    UTILITY_MODEL = "utility_model", _("Utility model 实用新型")
    DESIGN_PATENT = "design_patent", _("Design patent 外观设计")
    TRADEMARK = "trademark", _("Trademark 商标")
    COPYRIGHT = "copyright", _("Copyright 著作权")
    SOFTWARE_COPYRIGHT = "software_copyright", _("Software copyright 软件著作权")
    GEOGRAPHICAL_INDICATION = "geographical_indication", _("Geographical indication 地理标志")
    IC_LAYOUT = "ic_layout", _("IC layout design 集成电路布图设计")


# Days, months and policy years are Asia/Shanghai's (UTC+8, no daylight saving since 1991).
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Past 90 days a loan is non-performing (五级分类: substandard or worse) and is marked defaulted.
DEFAULT_AFTER_DAYS = 90
# The pledge-risk bands, best first. Their PD edges are the model's (scoring.ml.metrics.BANDS, which may not
# import Django); a test holds the two lists equal.
RISK_BANDS = ("A", "B", "C", "D", "E")

PATENT_TYPES = (IPType.INVENTION_PATENT, IPType.UTILITY_MODEL, IPType.DESIGN_PATENT)


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALMENT = "equal_instalment", _("Equal instalments 等额本息")
    EQUAL_PRINCIPAL = "equal_principal", _("Equal principal 等额本金")
    INTEREST_ONLY = "interest_only", _("Interest only, balloon at maturity 先息后本")
