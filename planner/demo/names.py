"""Name, place and route tables for the demo generator (``planner.demo.generate``).

Plain data only, so the generator reads as logic and these tables can grow without touching it.
Every Chinese entry pairs the Hanzi with its pinyin, so a generated native name and its
romanised family/given names always agree (``郑磊`` -> ``ZHENG`` / ``LEI``).
"""

from __future__ import annotations

# ---------------------------------------------------------------- Spanish-speaking countries

#: Family names common across Latin America (upper case, diacritics kept).
SPANISH_FAMILY_NAMES: tuple[str, ...] = (
    "GARCÍA", "LÓPEZ", "HERNÁNDEZ", "MARTÍNEZ", "GONZÁLEZ", "RODRÍGUEZ", "PÉREZ", "SÁNCHEZ",
    "RAMÍREZ", "CRUZ", "FLORES", "GÓMEZ", "DÍAZ", "REYES", "MORALES", "JIMÉNEZ", "RUIZ", "TORRES",
    "ÁLVAREZ", "CASTILLO", "ORTIZ", "VÁSQUEZ", "MENDOZA", "CHÁVEZ", "RAMOS", "AGUILAR", "MUÑOZ",
    "ROMERO", "HERRERA", "MEDINA", "CASTRO", "VARGAS", "GUZMÁN", "NÚÑEZ", "PEÑA", "ÁVILA",
    "SALAZAR", "ROJAS", "CONTRERAS", "MOLINA", "ESTRADA", "DOMÍNGUEZ", "FERNÁNDEZ", "GUTIÉRREZ",
)  # fmt: skip

#: Family names that give each country a little local colour.
SPANISH_FAMILY_NAMES_BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "GTM": ("XOL", "CHOC", "TZOC", "AJPOP", "COC", "CAAL", "PÉREZ", "LÓPEZ", "ORELLANA", "BARRIOS"),
    "HND": ("ZELAYA", "CÁRCAMO", "BONILLA", "MEJÍA", "LAÍNEZ", "ZÚNIGA", "ALVARADO"),
    "SLV": ("ARGUETA", "MEJÍA", "ALFARO", "HENRÍQUEZ", "PORTILLO", "QUINTANILLA"),
    "NIC": ("CHAMORRO", "OBANDO", "SEQUEIRA", "URBINA", "LACAYO", "PASTORA"),
    "MEX": ("HUERTA", "VILLALOBOS", "ZAVALA", "CERVANTES", "IBARRA", "OCHOA"),
    "COL": ("OSPINA", "MONTOYA", "CARDONA", "ARBELÁEZ", "QUINTERO", "VALENCIA"),
    "ECU": ("ZAMBRANO", "GUAMÁN", "QUISHPE", "CEVALLOS", "ANDRADE", "SARMIENTO"),
    "DOM": ("DE LA CRUZ", "DE LOS SANTOS", "FÉLIZ", "BATISTA", "ENCARNACIÓN", "TAVERAS"),
}

SPANISH_GIVEN_MALE: tuple[str, ...] = (
    "JOSÉ", "LUIS", "JUAN", "CARLOS", "JESÚS", "ÓSCAR", "RAÚL", "ANDRÉS", "HÉCTOR", "MIGUEL",
    "ÁNGEL", "JOAQUÍN", "RAMÓN", "FERNANDO", "JORGE", "MARIO", "PEDRO", "FRANCISCO", "ALEJANDRO",
    "DAVID", "EDGAR", "ELÍAS", "MOISÉS", "RUBÉN", "TOMÁS", "NÉSTOR", "BYRON", "WILMER", "KEVIN",
    "BRAYAN", "ANTONIO", "MANUEL",
)  # fmt: skip

SPANISH_GIVEN_FEMALE: tuple[str, ...] = (
    "MARÍA", "LUCÍA", "SOFÍA", "ANA", "ELENA", "INÉS", "MARTA", "ROCÍO", "BEATRIZ", "JOSEFINA",
    "GLORIA", "ROSA", "CARMEN", "DIANA", "ANDREA", "VALERIA", "XIMENA", "FÁTIMA", "YESENIA",
    "KARLA", "DAYANA", "NOEMÍ", "ISABEL", "VERÓNICA", "MÓNICA", "ASUNCIÓN", "GUADALUPE", "RAQUEL",
)  # fmt: skip

# ---------------------------------------------------------------- China

#: (Hanzi, pinyin) of common surnames.
CHINESE_SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "WANG"), ("李", "LI"), ("张", "ZHANG"), ("刘", "LIU"), ("陈", "CHEN"), ("杨", "YANG"),
    ("黄", "HUANG"), ("赵", "ZHAO"), ("吴", "WU"), ("周", "ZHOU"), ("徐", "XU"), ("孙", "SUN"),
    ("马", "MA"), ("朱", "ZHU"), ("胡", "HU"), ("郭", "GUO"), ("何", "HE"), ("林", "LIN"),
    ("郑", "ZHENG"), ("高", "GAO"), ("罗", "LUO"), ("梁", "LIANG"), ("谢", "XIE"), ("宋", "SONG"),
    ("唐", "TANG"), ("邓", "DENG"), ("冯", "FENG"), ("韩", "HAN"), ("曹", "CAO"), ("潘", "PAN"),
    ("叶", "YE"), ("蔡", "CAI"), ("江", "JIANG"), ("卢", "LU"), ("魏", "WEI"), ("沈", "SHEN"),
)  # fmt: skip

#: (Hanzi, pinyin) of given-name characters that read as male. None starts with a vowel,
#: so two-character given names never need a pinyin apostrophe (XI'AN).
CHINESE_GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "WEI"), ("强", "QIANG"), ("磊", "LEI"), ("军", "JUN"), ("勇", "YONG"), ("杰", "JIE"),
    ("涛", "TAO"), ("明", "MING"), ("超", "CHAO"), ("刚", "GANG"), ("平", "PING"), ("辉", "HUI"),
    ("鹏", "PENG"), ("华", "HUA"), ("飞", "FEI"), ("波", "BO"), ("斌", "BIN"), ("宇", "YU"),
    ("浩", "HAO"), ("建", "JIAN"), ("国", "GUO"), ("志", "ZHI"), ("文", "WEN"), ("龙", "LONG"),
    ("海", "HAI"), ("东", "DONG"), ("峰", "FENG"), ("俊", "JUN"), ("亮", "LIANG"), ("成", "CHENG"),
)  # fmt: skip

CHINESE_GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("芳", "FANG"), ("娜", "NA"), ("敏", "MIN"), ("静", "JING"), ("丽", "LI"), ("艳", "YAN"),
    ("娟", "JUAN"), ("霞", "XIA"), ("秀", "XIU"), ("英", "YING"), ("玲", "LING"), ("婷", "TING"),
    ("雪", "XUE"), ("慧", "HUI"), ("琳", "LIN"), ("洁", "JIE"), ("红", "HONG"), ("梅", "MEI"),
    ("燕", "YAN"), ("萍", "PING"), ("兰", "LAN"), ("凤", "FENG"), ("佳", "JIA"), ("欣", "XIN"),
)  # fmt: skip

#: Every Hanzi the generator may write, with its pinyin (the consistency tests read this).
HANZI_PINYIN: dict[str, str] = dict(CHINESE_SURNAMES + CHINESE_GIVEN_MALE + CHINESE_GIVEN_FEMALE)

# ---------------------------------------------------------------- India

INDIAN_FAMILY_NAMES: tuple[str, ...] = (
    "PATEL", "SHAH", "DESAI", "MEHTA", "JOSHI", "SHARMA", "KUMAR", "GUPTA", "VERMA", "YADAV",
    "REDDY", "RAO", "NAIR", "IYER", "CHAUDHARY", "PANDEY", "MISHRA", "SANDHU", "GILL", "DHILLON",
)  # fmt: skip

INDIAN_GIVEN_MALE: tuple[str, ...] = (
    "ARJUN", "RAHUL", "AMIT", "VIKRAM", "SURESH", "RAJESH", "SANJAY", "DEEPAK", "HARPREET",
    "GURPREET", "MANPREET", "JASPREET", "ANIL", "RAVI", "KIRAN", "VIJAY", "NIKHIL", "ROHIT",
)  # fmt: skip

INDIAN_GIVEN_FEMALE: tuple[str, ...] = (
    "PRIYA", "ANITA", "DEEPA", "SUNITA", "KAVITA", "POOJA", "NEHA", "ANJALI", "LAKSHMI", "MEERA",
    "SIMRAN", "HARLEEN", "KOMAL", "REKHA", "SHREYA",
)  # fmt: skip

#: Share of Indian families that are Sikh: men carry SINGH, women KAUR.
SIKH_SHARE = 0.4

# ---------------------------------------------------------------- other nationalities

#: (family names, male given names, female given names) of nationalities named in the simple
#: way: one family name, one or two given names, no native-script name.
SIMPLE_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "HTI": (
        ("JEAN", "PIERRE", "JOSEPH", "LOUIS", "CHARLES", "BAPTISTE", "DORVAL", "ÉTIENNE", "AUGUSTIN",
         "LAFONTANT", "DESROSIERS", "CÉLESTIN", "THÉLUSMA", "FRANÇOIS", "SAINT-FLEUR", "DORCÉUS"),
        ("JEAN", "WILNER", "JOSUÉ", "FRANTZ", "RICHARDSON", "WOODLEY", "MACKENSON", "EMMANUEL",
         "JUNIOR", "STANLEY", "DIEUDONNÉ", "FRITZNER"),
        ("MARIE", "NADÈGE", "ROSELINE", "MIRLANDE", "GUERLINE", "WIDELINE", "FABIOLA", "JESULA",
         "ISLANDE", "NATACHA", "ROSEMANIE", "YOLETTE"),
    ),
    "BRA": (
        ("SILVA", "SANTOS", "OLIVEIRA", "SOUZA", "RODRIGUES", "FERREIRA", "ALVES", "PEREIRA", "LIMA",
         "GOMES", "COSTA", "RIBEIRO", "MARTINS", "CARVALHO", "ARAÚJO", "CONCEIÇÃO"),
        ("JOÃO", "JOSÉ", "ANTÔNIO", "FRANCISCO", "CARLOS", "PAULO", "PEDRO", "LUCAS", "MARCOS",
         "GABRIEL", "RAFAEL", "THIAGO"),
        ("MARIA", "ANA", "FRANCISCA", "ANTÔNIA", "ADRIANA", "JULIANA", "MÁRCIA", "FERNANDA",
         "PATRÍCIA", "ALINE", "CONCEIÇÃO", "LETÍCIA"),
    ),
    "VNM": (
        ("NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "HUYNH", "PHAN", "VU", "VO", "DANG", "BUI", "DO",
         "HO", "NGO", "DUONG", "LY"),
        ("VAN MINH", "VAN HUNG", "DUC ANH", "QUANG", "TUAN", "THANH", "HOANG LONG", "VAN NAM", "KHANH",
         "DUC TRI", "MINH KHOA", "VAN DUNG"),
        ("THI LAN", "THI HOA", "THI MAI", "NGOC ANH", "THU TRANG", "THI HUONG", "THI THAO", "KIM NGAN",
         "THI LINH", "PHUONG", "THI HANG", "BAO NGOC"),
    ),
    "MRT": (
        ("OULD AHMED", "OULD MOHAMED", "OULD SIDI", "OULD ABDALLAHI", "OULD CHEIKH", "MINT AHMED",
         "SALL", "BA", "DIALLO", "KANE", "SY", "DIOP", "SOW", "CAMARA"),
        ("MOHAMED", "AHMED", "SIDI", "CHEIKH", "ABDALLAHI", "MOCTAR", "BRAHIM", "ALIOUNE", "MAMADOU",
         "OUSMANE", "HAMADY", "ISMAIL"),
        ("FATIMETOU", "MARIEM", "AICHETOU", "KHADIJETOU", "MOUNA", "ZEINABOU", "AMINATA", "COUMBA",
         "HAWA", "MARIAMA", "OUMOU", "TOUTOU"),
    ),
}  # fmt: skip

# ---------------------------------------------------------------- places of birth

PLACES_OF_BIRTH: dict[str, tuple[str, ...]] = {
    "GTM": ("Guatemala City", "Quetzaltenango", "Huehuetenango", "San Marcos", "Cobán", "Escuintla"),
    "HND": ("San Pedro Sula", "Tegucigalpa", "La Ceiba", "Choloma", "El Progreso", "Comayagua"),
    "SLV": ("San Salvador", "San Miguel", "Santa Ana", "Soyapango", "Usulután", "La Libertad"),
    "NIC": ("Managua", "León", "Masaya", "Matagalpa", "Chinandega", "Estelí"),
    "MEX": ("Guadalajara", "Morelia", "Oaxaca", "Puebla", "Acapulco", "Ciudad Juárez", "Chilpancingo"),
    "COL": ("Bogotá", "Medellín", "Cali", "Pereira", "Barranquilla", "Cúcuta"),
    "ECU": ("Quito", "Guayaquil", "Cuenca", "Azogues", "Riobamba", "Machala"),
    "DOM": ("Santo Domingo", "Santiago de los Caballeros", "San Pedro de Macorís", "La Romana", "Baní"),
    "CHN": ("Fuzhou", "Changle", "Wenzhou", "Guangzhou", "Shanghai", "Beijing", "Chengdu"),
    "IND": ("Amritsar", "Jalandhar", "Ludhiana", "Ahmedabad", "Vadodara", "Delhi", "Hyderabad"),
    "HTI": ("Port-au-Prince", "Cap-Haïtien", "Gonaïves", "Les Cayes", "Jacmel", "Pétion-Ville"),
    "BRA": ("Governador Valadares", "Belo Horizonte", "Brasília", "Goiânia", "São Paulo", "Vitória"),
    "VNM": ("Hồ Chí Minh City", "Hà Nội", "Hải Phòng", "Cần Thơ", "Nghệ An", "Hà Tĩnh"),
    "MRT": ("Nouakchott", "Nouadhibou", "Kaédi", "Rosso", "Kiffa", "Sélibaby"),
}

# ---------------------------------------------------------------- nationality mix

#: Baseline share of each nationality among people in custody awaiting removal (illustrative).
NATIONALITY_BASE_SHARE: dict[str, float] = {
    "GTM": 0.20, "HND": 0.19, "MEX": 0.16, "SLV": 0.09, "COL": 0.08, "ECU": 0.08,
    "NIC": 0.05, "DOM": 0.05, "IND": 0.05, "CHN": 0.05,
    "HTI": 0.03, "BRA": 0.03, "VNM": 0.015, "MRT": 0.015,
}  # fmt: skip

#: How much demand outruns flight capacity per country (rare long-haul charters: long queues).
DEMAND_PRESSURE: dict[str, float] = {"CHN": 3.0, "IND": 2.0, "NIC": 1.4}

#: Share of the latest consular answer that is CONFIRMED, PENDING, NOT_CONFIRMED by country;
#: countries not listed use ``DEFAULT_VERIFICATION_MIX``.
DEFAULT_VERIFICATION_MIX = (0.9, 0.06, 0.04)
VERIFICATION_MIX: dict[str, tuple[float, float, float]] = {
    "CHN": (0.7, 0.24, 0.06),
    "IND": (0.8, 0.14, 0.06),
    "NIC": (0.82, 0.12, 0.06),
}

#: How fast each consulate answers requests in the demo's history, as a multiple of its rule's
#: lead time (the median of the drawn lead times); countries not listed answer on time (1.0).
ANSWER_SPEED: dict[str, float] = {
    "CHN": 1.5,
    "IND": 1.3,
    "VNM": 1.4,
    "NIC": 1.2,
    "HTI": 1.1,
    "DOM": 0.9,
    "COL": 0.8,
    "ECU": 0.9,
    "MEX": 0.6,
    "GTM": 0.6,
    "HND": 0.7,
    "SLV": 0.7,
}
#: Documents a receiving state issues on request (travel-document batches in the demo's history).
ON_REQUEST_DOCUMENTS = ("EMERGENCY_TRAVEL_DOCUMENT", "TRAVEL_DOCUMENT")

#: Neighbours a person may turn out to be a national of (the claimed country does not confirm).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "GTM": ("HND", "SLV", "MEX"),
    "HND": ("GTM", "SLV", "NIC"),
    "SLV": ("GTM", "HND"),
    "NIC": ("HND",),
    "MEX": ("GTM",),
    "COL": ("ECU",),
    "ECU": ("COL",),
    "DOM": (),
    "CHN": (),
    "IND": (),
    "HTI": (),
    "BRA": (),
    "VNM": (),
    "MRT": (),
}

# ---------------------------------------------------------------- flights

#: Route templates: receiving countries in stop order, with a relative weight.
ROUTES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("GTM",), 16), (("HND",), 15), (("MEX",), 11), (("SLV",), 7), (("COL",), 7), (("ECU",), 7),
    (("DOM",), 5), (("NIC",), 3), (("IND",), 3), (("CHN",), 2.5),
    (("SLV", "GTM"), 3.5), (("GTM", "HND"), 3.5), (("SLV", "HND"), 2.5), (("HND", "NIC"), 2),
    (("COL", "ECU"), 2), (("MEX", "GTM"), 1.5),
    (("SLV", "GTM", "HND"), 4), (("GTM", "HND", "NIC"), 1.5), (("SLV", "HND", "NIC"), 1),
    (("HTI",), 3), (("BRA",), 2), (("VNM",), 1), (("MRT",), 1), (("DOM", "HTI"), 1),
)  # fmt: skip

#: US staging airports missions pick people up at (the demo facilities transfer to them).
STAGING_AIRPORTS: tuple[str, ...] = ("AEX", "BRO", "ELP", "HRL", "IAH", "IWA", "LRD", "MIA", "SAT")

#: Receiving airports by country: the ten shipped countries (``resources/country_rules.csv``) and
#: a few real destinations without a shipped rule (they run on the default rule).
DESTINATION_AIRPORTS: dict[str, tuple[str, ...]] = {
    "GTM": ("GUA",), "HND": ("SAP", "XPL"), "SLV": ("SAL",), "NIC": ("MGA",), "MEX": ("MEX", "GDL"),
    "COL": ("BOG",), "ECU": ("UIO",), "DOM": ("SDQ",), "CHN": ("PEK", "PVG", "CAN"), "IND": ("DEL",),
    "HTI": ("PAP",), "BRA": ("BSB", "CNF"), "VNM": ("SGN",), "MRT": ("NKC",),
}  # fmt: skip

#: Number of pickups of a mission (1, 2, 3): most missions stage people at several airports.
PICKUP_COUNT_WEIGHTS: tuple[float, ...] = (35, 40, 25)

#: Relative use of a country's airports when it has several.
AIRPORT_WEIGHT: dict[str, float] = {
    "SAP": 3.0,
    "XPL": 1.0,
    "MEX": 2.0,
    "GDL": 1.0,
    "PEK": 1.0,
    "PVG": 1.0,
    "CAN": 1.0,
}

#: Which US hubs serve which destinations (relative weights; hubs missing from the database are skipped).
HUB_WEIGHTS_BY_REGION: dict[str, dict[str, float]] = {
    "central": {"AEX": 3, "BRO": 3, "HRL": 2, "IAH": 3, "SAT": 2, "LRD": 1, "ELP": 1, "IWA": 1, "MIA": 1},
    "mexico": {"ELP": 3, "IWA": 2, "LRD": 2, "SAT": 2, "BRO": 1, "HRL": 1, "IAH": 1},
    "caribbean": {"MIA": 4, "AEX": 2, "IAH": 2},
    "andes": {"MIA": 3, "AEX": 2, "IAH": 2, "SAT": 1},
    "longhaul": {"IWA": 2, "ELP": 1, "IAH": 2, "MIA": 1, "AEX": 1},
}
REGION_OF_COUNTRY: dict[str, str] = {
    "GTM": "central", "HND": "central", "SLV": "central", "NIC": "central", "MEX": "mexico",
    "DOM": "caribbean", "COL": "andes", "ECU": "andes", "CHN": "longhaul", "IND": "longhaul",
    "HTI": "caribbean", "BRA": "andes", "VNM": "longhaul", "MRT": "longhaul",
}  # fmt: skip

#: (carrier, [(aircraft, min seats, max seats, widebody)]).
CARRIERS: tuple[tuple[str, tuple[tuple[str, int, int, bool], ...]], ...] = (
    ("iAero Airways", (("B737-800", 110, 150, False), ("B737-400", 100, 130, False))),
    ("GlobalX", (("A320", 100, 140, False), ("A321", 120, 165, False))),
    ("Avelo Airlines", (("B737-800", 110, 150, False),)),
    ("World Atlantic Airlines", (("MD-83", 100, 135, False), ("A321", 120, 165, False))),
    ("Eastern Airlines", (("B767-300", 135, 180, True), ("B777-200", 150, 180, True))),
    ("Omni Air International", (("B767-300", 135, 180, True), ("B777-200", 150, 180, True))),
)

# ---------------------------------------------------------------- facilities

#: (name, city, state, {hub: transfer hours}) — towns near real staging hubs; names generic.
FACILITY_SITES: tuple[tuple[str, str, str, dict[str, float]], ...] = (
    ("Port Isabel", "Los Fresnos", "TX", {"BRO": 1, "HRL": 1, "LRD": 4, "SAT": 5}),
    ("South Texas", "Pearsall", "TX", {"SAT": 1.5, "LRD": 2, "HRL": 4}),
    ("Karnes County", "Karnes City", "TX", {"SAT": 1.5, "IAH": 4, "HRL": 4}),
    ("Dilley", "Dilley", "TX", {"SAT": 1.5, "LRD": 2, "BRO": 4.5}),
    ("Rio Grande", "Laredo", "TX", {"LRD": 0.5, "SAT": 3, "HRL": 3}),
    ("Houston", "Houston", "TX", {"IAH": 0.5, "AEX": 4, "SAT": 3.5}),
    ("Montgomery", "Conroe", "TX", {"IAH": 1, "AEX": 4, "SAT": 4}),
    ("El Paso", "El Paso", "TX", {"ELP": 0.5, "IWA": 7, "SAT": 9}),
    ("Otero County", "Chaparral", "NM", {"ELP": 1, "IWA": 7}),
    ("Torrance County", "Estancia", "NM", {"ELP": 4, "IWA": 7}),
    ("Central Louisiana", "Jena", "LA", {"AEX": 1, "IAH": 5, "SAT": 8}),
    ("Pine Prairie", "Pine Prairie", "LA", {"AEX": 1.5, "IAH": 4}),
    ("Winn", "Winnfield", "LA", {"AEX": 1, "IAH": 5}),
    ("Richwood", "Monroe", "LA", {"AEX": 2, "IAH": 6}),
    ("Eloy", "Eloy", "AZ", {"IWA": 1.5, "ELP": 6}),
    ("Florence", "Florence", "AZ", {"IWA": 1, "ELP": 6}),
    ("Krome", "Miami", "FL", {"MIA": 0.5, "AEX": 11}),
    ("Broward", "Pompano Beach", "FL", {"MIA": 1, "AEX": 12}),
    ("Glades County", "Moore Haven", "FL", {"MIA": 2.5, "AEX": 12}),
    ("Stewart", "Lumpkin", "GA", {"AEX": 8, "MIA": 10, "IAH": 11}),
    ("Adelanto", "Adelanto", "CA", {"IWA": 6, "ELP": 11}),
    ("Otay Mesa", "San Diego", "CA", {"IWA": 6, "ELP": 11}),
    ("Aurora", "Aurora", "CO", {"ELP": 9, "IWA": 12}),
    ("Cibola County", "Milan", "NM", {"IWA": 5, "ELP": 5}),
    ("Bluebonnet", "Anson", "TX", {"SAT": 5, "ELP": 7, "IAH": 6}),
    ("Prairieland", "Alvarado", "TX", {"IAH": 4, "SAT": 4, "AEX": 5}),
    ("Hutto", "Taylor", "TX", {"SAT": 1.5, "IAH": 3}),
    ("Coastal Bend", "Robstown", "TX", {"HRL": 2.5, "SAT": 3, "BRO": 3}),
    ("Baker County", "Macclenny", "FL", {"MIA": 6, "AEX": 10}),
    ("Jackson Parish", "Jonesboro", "LA", {"AEX": 2, "IAH": 6}),
)

LEGAL_HOLD_REASONS: tuple[str, ...] = (
    "Stay of removal",
    "Pending appeal (BIA)",
    "Court order",
    "Federal habeas petition",
    "Motion to reopen pending",
    "Material witness",
)
