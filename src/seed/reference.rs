//! Reference data: territories, budget classification, organizations of every kind and a head
//! user for each, plus the authorized body's and the integrator's administrative staff.

use chrono::Utc;
use sea_query::Value;

use super::names::Names;
use crate::domain::budget::BudgetLevel;
use crate::domain::org::BodyKind;
use crate::domain::territory::{REPUBLIC_KATO, TerritoryKind};
use crate::error::AppResult;
use crate::store::Tx;
use crate::store::bulk::{insert_rows, resync_identity};
use crate::store::schema::{
    Administrators, EconomicSpecifics, FunctionalGroups, Organizations, Territories, Users,
};

const REGIONS_CSV: &str = include_str!("data/regions.csv");

/// A territory of the reference data.
#[derive(Debug, Clone)]
pub struct Territory {
    /// KATO code.
    pub kato: String,
    /// Kind.
    pub kind: TerritoryKind,
    /// Region (`None` for the Republic and for regions themselves).
    pub region: Option<String>,
    /// Names (kk, ru, en).
    pub names: [String; 3],
}

/// An organization of the reference data.
#[derive(Debug, Clone)]
pub struct Org {
    /// Id assigned at seeding.
    pub id: i64,
    /// BIN.
    pub bin: String,
    /// Kind.
    pub kind: BodyKind,
    /// Names (kk, ru, en).
    pub names: [String; 3],
    /// Territory.
    pub kato: String,
    /// Level of the budget that funds it.
    pub level: BudgetLevel,
    /// Administrator code.
    pub administrator: Option<String>,
    /// Parent organization id.
    pub parent: Option<i64>,
    /// Excluded from the audit bodies by paragraph 2.6.
    pub excluded: bool,
}

/// Everything the reference seed created, for the demo seed to build on.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Territories.
    pub territories: Vec<Territory>,
    /// Organizations.
    pub orgs: Vec<Org>,
    /// (level, kato, administrator code, names) of every administrator.
    pub administrators: Vec<(BudgetLevel, String, String, [String; 2])>,
}

/// Central state bodies: administrator code, names kk/ru/en, functional group they spend in.
pub const CENTRAL_BODIES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "201",
        "ҚР Ішкі істер министрлігі",
        "Министерство внутренних дел РК",
        "Ministry of Internal Affairs",
        "03",
    ),
    (
        "212",
        "ҚР Ауыл шаруашылығы министрлігі",
        "Министерство сельского хозяйства РК",
        "Ministry of Agriculture",
        "10",
    ),
    (
        "213",
        "ҚР Еңбек және халықты әлеуметтік қорғау министрлігі",
        "Министерство труда и социальной защиты населения РК",
        "Ministry of Labour and Social Protection",
        "06",
    ),
    (
        "215",
        "ҚР Көлік министрлігі",
        "Министерство транспорта РК",
        "Ministry of Transport",
        "12",
    ),
    (
        "225",
        "ҚР Оқу-ағарту министрлігі",
        "Министерство просвещения РК",
        "Ministry of Education",
        "04",
    ),
    (
        "226",
        "ҚР Денсаулық сақтау министрлігі",
        "Министерство здравоохранения РК",
        "Ministry of Health",
        "05",
    ),
    (
        "233",
        "ҚР Өнеркәсіп және құрылыс министрлігі",
        "Министерство промышленности и строительства РК",
        "Ministry of Industry and Construction",
        "11",
    ),
    (
        "240",
        "ҚР Мәдениет және ақпарат министрлігі",
        "Министерство культуры и информации РК",
        "Ministry of Culture and Information",
        "08",
    ),
    (
        "241",
        "ҚР Энергетика министрлігі",
        "Министерство энергетики РК",
        "Ministry of Energy",
        "09",
    ),
    (
        "243",
        "ҚР Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
        "Министерство цифрового развития, инноваций и аэрокосмической промышленности РК",
        "Ministry of Digital Development",
        "01",
    ),
];

/// Administrators of every regional budget: code, names kk/ru, functional group. The police
/// code (252 in oblasts, 352 in cities of republican significance and the capital) is added per region.
pub const REGIONAL_ADMINISTRATORS: &[(&str, &str, &str, &str)] = &[
    (
        "110",
        "Облыс мәслихатының аппараты",
        "Аппарат маслихата области",
        "01",
    ),
    (
        "120",
        "Облыс әкімінің аппараты",
        "Аппарат акима области",
        "01",
    ),
    ("257", "Қаржы басқармасы", "Управление финансов", "01"),
    ("261", "Білім басқармасы", "Управление образования", "04"),
    (
        "253",
        "Денсаулық сақтау басқармасы",
        "Управление здравоохранения",
        "05",
    ),
    (
        "256",
        "Жұмыспен қамтуды үйлестіру және әлеуметтік бағдарламалар басқармасы",
        "Управление координации занятости и социальных программ",
        "06",
    ),
    (
        "268",
        "Жолаушылар көлігі және автомобиль жолдары басқармасы",
        "Управление пассажирского транспорта и автомобильных дорог",
        "12",
    ),
];

/// Administrators of every district budget.
pub const DISTRICT_ADMINISTRATORS: &[(&str, &str, &str, &str)] = &[
    (
        "112",
        "Аудан мәслихатының аппараты",
        "Аппарат маслихата района",
        "01",
    ),
    (
        "122",
        "Аудан әкімінің аппараты",
        "Аппарат акима района",
        "01",
    ),
    (
        "452",
        "Аудандық қаржы бөлімі",
        "Отдел финансов района",
        "01",
    ),
    (
        "464",
        "Аудандық білім бөлімі",
        "Отдел образования района",
        "04",
    ),
];

/// Administrators of every rural budget.
pub const RURAL_ADMINISTRATORS: &[(&str, &str, &str, &str)] = &[(
    "124",
    "Ауылдық округ әкімінің аппараты",
    "Аппарат акима сельского округа",
    "01",
)];

/// Functional groups of the budget classification.
pub const FUNCTIONAL_GROUPS: &[(&str, &str, &str, &str)] = &[
    (
        "01",
        "Жалпы сипаттағы мемлекеттік қызметтер",
        "Государственные услуги общего характера",
        "General public services",
    ),
    ("02", "Қорғаныс", "Оборона", "Defence"),
    (
        "03",
        "Қоғамдық тәртіп, қауіпсіздік, құқықтық, сот, қылмыстық-атқару қызметі",
        "Общественный порядок, безопасность, правовая, судебная, уголовно-исполнительная деятельность",
        "Public order and safety",
    ),
    ("04", "Білім беру", "Образование", "Education"),
    ("05", "Денсаулық сақтау", "Здравоохранение", "Health"),
    (
        "06",
        "Әлеуметтік көмек және әлеуметтік қамсыздандыру",
        "Социальная помощь и социальное обеспечение",
        "Social assistance and social security",
    ),
    (
        "07",
        "Тұрғын үй-коммуналдық шаруашылық",
        "Жилищно-коммунальное хозяйство",
        "Housing and utilities",
    ),
    (
        "08",
        "Мәдениет, спорт, туризм және ақпараттық кеңістік",
        "Культура, спорт, туризм и информационное пространство",
        "Culture, sport, tourism and information",
    ),
    (
        "09",
        "Отын-энергетика кешені және жер қойнауын пайдалану",
        "Топливно-энергетический комплекс и недропользование",
        "Fuel, energy and subsoil use",
    ),
    (
        "10",
        "Ауыл, су, орман, балық шаруашылығы, ерекше қорғалатын табиғи аумақтар",
        "Сельское, водное, лесное, рыбное хозяйство, особо охраняемые природные территории",
        "Agriculture, water, forestry and fisheries",
    ),
    (
        "11",
        "Өнеркәсіп, сәулет, қала құрылысы және құрылыс қызметі",
        "Промышленность, архитектурная, градостроительная и строительная деятельность",
        "Industry and construction",
    ),
    (
        "12",
        "Көлік және коммуникация",
        "Транспорт и коммуникации",
        "Transport and communications",
    ),
    ("13", "Басқалар", "Прочие", "Other"),
    (
        "14",
        "Борышқа қызмет көрсету",
        "Обслуживание долга",
        "Debt service",
    ),
    ("15", "Трансферттер", "Трансферты", "Transfers"),
];

/// Economic classification specifics used by the demo data.
pub const SPECIFICS: &[(&str, &str, &str, &str)] = &[
    ("111", "Еңбекке ақы төлеу", "Оплата труда", "Wages"),
    ("121", "Әлеуметтік салық", "Социальный налог", "Social tax"),
    (
        "144",
        "Отын, жанар-жағар май сатып алу",
        "Приобретение топлива, горюче-смазочных материалов",
        "Fuel",
    ),
    (
        "149",
        "Өзге де қорларды сатып алу",
        "Приобретение прочих запасов",
        "Other supplies",
    ),
    (
        "152",
        "Байланыс қызметтеріне ақы төлеу",
        "Оплата услуг связи",
        "Communications",
    ),
    (
        "159",
        "Өзге де қызметтер мен жұмыстарға ақы төлеу",
        "Оплата прочих услуг и работ",
        "Other services and works",
    ),
    (
        "169",
        "Өзге де ағымдағы шығындар",
        "Прочие текущие затраты",
        "Other current costs",
    ),
    (
        "414",
        "Материалдық емес активтерді сатып алу",
        "Приобретение нематериальных активов",
        "Intangible assets",
    ),
    (
        "431",
        "Жаңа объектілер салу",
        "Строительство новых объектов",
        "New construction",
    ),
];

const DISTRICT_STEMS: &[&str] = &[
    "Бурабай",
    "Целиноград",
    "Есіл",
    "Ақсу",
    "Ордабасы",
    "Сарыағаш",
    "Қарасай",
    "Талғар",
    "Байзақ",
    "Шиелі",
    "Қармақшы",
    "Теректі",
    "Мұнайлы",
    "Бейнеу",
    "Қызылжар",
    "Аққайың",
    "Зайсан",
    "Ұлан",
    "Әулиекөл",
    "Шет",
    "Абай",
    "Ақтоғай",
    "Баянауыл",
    "Успен",
    "Махамбет",
    "Құрманғазы",
    "Мұғалжар",
    "Хромтау",
    "Сырдария",
    "Жаңақорған",
    "Көксу",
    "Ескелді",
    "Панфилов",
    "Жарма",
    "Аягөз",
    "Жаңаарқа",
    "Қорғалжын",
    "Сандықтау",
    "Жуалы",
    "Меркі",
    "Талас",
    "Қаратал",
    "Алакөл",
    "Денисов",
    "Науырзым",
    "Жаңаөзен",
    "Тайынша",
    "Ғабит Мүсірепов",
    "Түлкібас",
    "Отырар",
    "Бәйдібек",
    "Кеген",
];

const CITY_DISTRICTS: &[(&str, &[&str])] = &[
    ("71", &["Алматы", "Есіл", "Сарыарқа", "Байқоңыр", "Нұра"]),
    (
        "75",
        &[
            "Алатау",
            "Алмалы",
            "Әуезов",
            "Бостандық",
            "Жетісу",
            "Медеу",
            "Наурызбай",
            "Түрксіб",
        ],
    ),
    ("79", &["Абай", "Әл-Фараби", "Еңбекші", "Қаратау", "Тұран"]),
];

/// Districts generated per oblast.
pub const DISTRICTS_PER_OBLAST: usize = 3;
/// Rural districts generated per district.
pub const RURAL_PER_DISTRICT: usize = 2;

/// Builds the territories: the Republic, the 20 regions, districts, rural districts and city districts.
pub fn territories() -> anyhow::Result<Vec<Territory>> {
    let mut out = vec![Territory {
        kato: REPUBLIC_KATO.to_owned(),
        kind: TerritoryKind::Republic,
        region: None,
        names: [
            "Қазақстан Республикасы".into(),
            "Республика Казахстан".into(),
            "Republic of Kazakhstan".into(),
        ],
    }];
    let mut stems = DISTRICT_STEMS.iter().cycle();
    for (i, line) in REGIONS_CSV.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let [kato, kind, kk, ru, en] = f[..] else {
            anyhow::bail!("regions.csv line {}: expected 5 columns", i + 2);
        };
        let kind: TerritoryKind = kind.parse()?;
        out.push(Territory {
            kato: kato.to_owned(),
            kind,
            region: None,
            names: [kk.into(), ru.into(), en.into()],
        });
        let prefix = &kato[..2];
        if kind == TerritoryKind::Oblast {
            for d in 0..DISTRICTS_PER_OBLAST {
                let stem = stems.next().copied().unwrap_or("Аудан");
                let dcode = format!("{prefix}{:02}00000", 20 + 4 * d);
                out.push(Territory {
                    kato: dcode.clone(),
                    kind: TerritoryKind::District,
                    region: Some(kato.to_owned()),
                    names: [
                        format!("{stem} ауданы"),
                        format!("{stem} район"),
                        format!("{stem} District"),
                    ],
                });
                for r in 0..RURAL_PER_DISTRICT {
                    out.push(Territory {
                        kato: format!("{prefix}{:02}{:02}000", 20 + 4 * d, 30 + 2 * r),
                        kind: TerritoryKind::Rural,
                        region: Some(kato.to_owned()),
                        names: [
                            format!("{stem} ауданының {}-ауылдық округі", r + 1),
                            format!("Сельский округ № {} района {stem}", r + 1),
                            format!("{stem} rural district {}", r + 1),
                        ],
                    });
                }
            }
        } else if let Some((_, names)) = CITY_DISTRICTS.iter().find(|(p, _)| *p == prefix) {
            for (d, stem) in names.iter().enumerate() {
                out.push(Territory {
                    kato: format!("{prefix}{:02}00000", 20 + 2 * d),
                    kind: TerritoryKind::CityDistrict,
                    region: Some(kato.to_owned()),
                    names: [
                        format!("{stem} ауданы"),
                        format!("район {stem}"),
                        format!("{stem} District"),
                    ],
                });
            }
        }
    }
    Ok(out)
}

/// Whether the reference data is already present.
pub async fn present(tx: &mut Tx) -> AppResult<bool> {
    crate::store::seed::has_reference(tx).await
}

struct OrgBuilder {
    orgs: Vec<Org>,
    names: Names,
}

impl OrgBuilder {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        kind: BodyKind,
        names: [&str; 3],
        kato: &str,
        level: BudgetLevel,
        administrator: Option<&str>,
        parent: Option<i64>,
        excluded: bool,
    ) -> i64 {
        let id = self.orgs.len() as i64 + 1;
        self.orgs.push(Org {
            id,
            bin: self.names.bin(),
            kind,
            names: names.map(str::to_owned),
            kato: kato.to_owned(),
            level,
            administrator: administrator.map(str::to_owned),
            parent,
            excluded,
        });
        id
    }
}

/// Builds the organizations of every kind.
pub fn organizations(territories: &[Territory]) -> Vec<Org> {
    use BodyKind as K;
    use BudgetLevel::{District, Regional, Republican};
    let r = REPUBLIC_KATO;
    let mut b = OrgBuilder {
        orgs: Vec::new(),
        names: Names::new(2_700),
    };
    b.add(
        K::Parliament,
        [
            "ҚР Парламенті Мәжілісі",
            "Мажилис Парламента РК",
            "Mazhilis of the Parliament",
        ],
        r,
        Republican,
        Some("102"),
        None,
        false,
    );
    b.add(
        K::Parliament,
        [
            "ҚР Парламенті Сенаты",
            "Сенат Парламента РК",
            "Senate of the Parliament",
        ],
        r,
        Republican,
        Some("102"),
        None,
        false,
    );
    b.add(
        K::SupremeAuditChamber,
        [
            "ҚР Жоғары аудиторлық палатасы",
            "Высшая аудиторская палата РК",
            "Supreme Audit Chamber",
        ],
        r,
        Republican,
        Some("406"),
        None,
        false,
    );
    let minfin = b.add(
        K::AuthorizedBody,
        [
            "ҚР Қаржы министрлігі",
            "Министерство финансов РК",
            "Ministry of Finance",
        ],
        r,
        Republican,
        Some("217"),
        None,
        false,
    );
    b.add(
        K::InternalStateAuditAuthority,
        [
            "ҚР Қаржы министрлігінің Ішкі мемлекеттік аудит комитеті",
            "Комитет внутреннего государственного аудита МФ РК",
            "Internal State Audit Committee",
        ],
        r,
        Republican,
        Some("217"),
        Some(minfin),
        false,
    );
    b.add(
        K::CentralBodyInternalAudit,
        [
            "ҚР Қаржы министрлігінің ішкі аудит қызметі",
            "Служба внутреннего аудита МФ РК",
            "Internal audit service of the Ministry of Finance",
        ],
        r,
        Republican,
        Some("217"),
        Some(minfin),
        false,
    );
    b.add(
        K::Integrator,
        [
            "«Ақпараттық-есептік орталық» РМК",
            "РГП «Информационно-учетный центр»",
            "Information and Accounting Centre",
        ],
        r,
        Republican,
        None,
        Some(minfin),
        false,
    );
    for (code, kk, ru, en, _) in CENTRAL_BODIES {
        let body = b.add(
            K::CentralStateBody,
            [kk, ru, en],
            r,
            Republican,
            Some(code),
            None,
            false,
        );
        b.add(
            K::CentralBodyInternalAudit,
            [
                &format!("{kk} ішкі аудит қызметі"),
                &format!("Служба внутреннего аудита: {ru}"),
                &format!("Internal audit service, {en}"),
            ],
            r,
            Republican,
            Some(code),
            Some(body),
            false,
        );
    }
    let nb = b.add(
        K::CentralStateBody,
        [
            "ҚР Ұлттық Банкі",
            "Национальный Банк РК",
            "National Bank of Kazakhstan",
        ],
        r,
        Republican,
        None,
        None,
        false,
    );
    b.add(
        K::CentralBodyInternalAudit,
        [
            "ҚР Ұлттық Банкінің ішкі аудит қызметі",
            "Служба внутреннего аудита Национального Банка РК",
            "Internal audit service of the National Bank",
        ],
        r,
        Republican,
        None,
        Some(nb),
        true,
    );
    let ardfm = b.add(
        K::CentralStateBody,
        [
            "ҚР Қаржы нарығын реттеу және дамыту агенттігі",
            "Агентство РК по регулированию и развитию финансового рынка",
            "Financial Market Regulation Agency",
        ],
        r,
        Republican,
        None,
        None,
        false,
    );
    b.add(
        K::CentralBodyInternalAudit,
        [
            "Қаржы нарығын реттеу агенттігінің ішкі аудит қызметі",
            "Служба внутреннего аудита АРРФР",
            "Internal audit service of the financial regulator",
        ],
        r,
        Republican,
        None,
        Some(ardfm),
        true,
    );

    for t in territories.iter().filter(|t| {
        matches!(
            t.kind,
            TerritoryKind::Oblast | TerritoryKind::CityRepublican | TerritoryKind::Capital
        )
    }) {
        let [kk, ru, en] = &t.names;
        let k = t.kato.as_str();
        b.add(
            K::Maslikhat,
            [
                &format!("{kk} мәслихаты"),
                &format!("Маслихат: {ru}"),
                &format!("{en} Maslikhat"),
            ],
            k,
            Regional,
            Some("110"),
            None,
            false,
        );
        b.add(
            K::RevisionCommission,
            [
                &format!("{kk} тексеру комиссиясы"),
                &format!("Ревизионная комиссия: {ru}"),
                &format!("{en} Revision Commission"),
            ],
            k,
            Regional,
            None,
            None,
            false,
        );
        let akimat = b.add(
            K::LocalExecutiveBody,
            [
                &format!("{kk} әкімдігі"),
                &format!("Акимат: {ru}"),
                &format!("{en} Akimat"),
            ],
            k,
            Regional,
            Some("120"),
            None,
            false,
        );
        b.add(
            K::RegionalExecutiveInternalAudit,
            [
                &format!("{kk} әкімдігінің ішкі аудит қызметі"),
                &format!("Служба внутреннего аудита акимата: {ru}"),
                &format!("{en} Akimat internal audit"),
            ],
            k,
            Regional,
            Some("120"),
            Some(akimat),
            false,
        );
        b.add(
            K::LocalExecutiveBody,
            [
                &format!("{kk} білім басқармасы"),
                &format!("Управление образования: {ru}"),
                &format!("{en} Education Department"),
            ],
            k,
            Regional,
            Some("261"),
            Some(akimat),
            false,
        );
        b.add(
            K::LocalExecutiveBody,
            [
                &format!("{kk} денсаулық сақтау басқармасы"),
                &format!("Управление здравоохранения: {ru}"),
                &format!("{en} Health Department"),
            ],
            k,
            Regional,
            Some("253"),
            Some(akimat),
            false,
        );
        let police_code = police_code(t.kind);
        let police = b.add(
            K::PoliceDepartment,
            [
                &format!("{kk} полиция департаменті"),
                &format!("Департамент полиции: {ru}"),
                &format!("{en} Police Department"),
            ],
            k,
            Regional,
            Some(police_code),
            None,
            false,
        );
        b.add(
            K::PoliceInternalAudit,
            [
                &format!("{kk} полиция департаментінің ішкі аудит қызметі"),
                &format!("Служба внутреннего аудита департамента полиции: {ru}"),
                &format!("{en} Police internal audit"),
            ],
            k,
            Regional,
            Some(police_code),
            Some(police),
            false,
        );
    }
    // A maslikhat and an akimat in the first district of every oblast.
    let mut seen_regions = std::collections::BTreeSet::new();
    for t in territories
        .iter()
        .filter(|t| t.kind == TerritoryKind::District)
    {
        let [kk, ru, en] = &t.names;
        let akimat = b.add(
            K::LocalExecutiveBody,
            [
                &format!("{kk} әкімдігі"),
                &format!("Акимат: {ru}"),
                &format!("{en} Akimat"),
            ],
            &t.kato,
            District,
            Some("122"),
            None,
            false,
        );
        if seen_regions.insert(t.region.clone()) {
            b.add(
                K::Maslikhat,
                [
                    &format!("{kk} мәслихаты"),
                    &format!("Маслихат: {ru}"),
                    &format!("{en} Maslikhat"),
                ],
                &t.kato,
                District,
                Some("112"),
                Some(akimat),
                false,
            );
        }
    }
    b.orgs
}

/// The police administrator code of a region: 252 in oblasts, 352 in cities of republican
/// significance and the capital.
pub fn police_code(kind: TerritoryKind) -> &'static str {
    match kind {
        TerritoryKind::Oblast => "252",
        _ => "352",
    }
}

/// Every (level, kato, administrator) with names, for the regions and districts given.
pub fn administrators(
    territories: &[Territory],
) -> Vec<(BudgetLevel, String, String, [String; 2])> {
    let mut out = Vec::new();
    for (code, kk, ru, _, _) in CENTRAL_BODIES {
        out.push((
            BudgetLevel::Republican,
            REPUBLIC_KATO.to_owned(),
            (*code).to_owned(),
            [(*kk).to_owned(), (*ru).to_owned()],
        ));
    }
    for (code, kk, ru) in [
        (
            "102",
            "ҚР Парламентінің Шаруашылық басқармасы",
            "Хозяйственное управление Парламента РК",
        ),
        ("217", "ҚР Қаржы министрлігі", "Министерство финансов РК"),
        (
            "406",
            "ҚР Жоғары аудиторлық палатасы",
            "Высшая аудиторская палата РК",
        ),
    ] {
        out.push((
            BudgetLevel::Republican,
            REPUBLIC_KATO.to_owned(),
            code.to_owned(),
            [kk.to_owned(), ru.to_owned()],
        ));
    }
    for t in territories {
        let list: Vec<(String, String, String)> = match t.kind {
            TerritoryKind::Oblast | TerritoryKind::CityRepublican | TerritoryKind::Capital => {
                let mut l: Vec<_> = REGIONAL_ADMINISTRATORS
                    .iter()
                    .map(|(c, kk, ru, _)| ((*c).to_owned(), (*kk).to_owned(), (*ru).to_owned()))
                    .collect();
                l.push((
                    police_code(t.kind).to_owned(),
                    "Полиция департаменті".to_owned(),
                    "Департамент полиции".to_owned(),
                ));
                l
            }
            TerritoryKind::District => DISTRICT_ADMINISTRATORS
                .iter()
                .map(|(c, kk, ru, _)| ((*c).to_owned(), (*kk).to_owned(), (*ru).to_owned()))
                .collect(),
            TerritoryKind::Rural => RURAL_ADMINISTRATORS
                .iter()
                .map(|(c, kk, ru, _)| ((*c).to_owned(), (*kk).to_owned(), (*ru).to_owned()))
                .collect(),
            _ => Vec::new(),
        };
        let level = level_of(t.kind);
        for (code, kk, ru) in list {
            out.push((
                level,
                t.kato.clone(),
                code,
                [
                    format!("{kk} ({})", t.names[0]),
                    format!("{ru} ({})", t.names[1]),
                ],
            ));
        }
    }
    out
}

/// The budget level a territory's own budget has.
pub fn level_of(kind: TerritoryKind) -> BudgetLevel {
    match kind {
        TerritoryKind::Republic => BudgetLevel::Republican,
        TerritoryKind::Oblast | TerritoryKind::CityRepublican | TerritoryKind::Capital => {
            BudgetLevel::Regional
        }
        TerritoryKind::District | TerritoryKind::CityDistrict => BudgetLevel::District,
        TerritoryKind::Rural => BudgetLevel::Rural,
    }
}

fn text(s: &str) -> Value {
    s.into()
}

/// Inserts the reference data into an empty database.
pub async fn insert(tx: &mut Tx) -> AppResult<Reference> {
    let territories = territories()?;
    let rows: Vec<Vec<Value>> = territories
        .iter()
        .map(|t| {
            vec![
                text(&t.kato),
                t.kind.into(),
                t.region
                    .clone()
                    .or_else(|| (t.kind != TerritoryKind::Republic).then(|| t.kato.clone()))
                    .into(),
                t.region.clone().into(),
                text(&t.names[0]),
                text(&t.names[1]),
                text(&t.names[2]),
            ]
        })
        .collect();
    // Regions first, so that every row's region reference exists when it is inserted.
    let (regions, rest): (Vec<Vec<Value>>, Vec<Vec<Value>>) = rows
        .into_iter()
        .partition(|r: &Vec<Value>| r[3] == Value::String(None));
    let cols = [
        Territories::Kato,
        Territories::Kind,
        Territories::RegionKato,
        Territories::ParentKato,
        Territories::NameKk,
        Territories::NameRu,
        Territories::NameEn,
    ];
    insert_rows(tx, Territories::Table, &cols, regions).await?;
    insert_rows(tx, Territories::Table, &cols, rest).await?;

    let fg = FUNCTIONAL_GROUPS
        .iter()
        .map(|(c, kk, ru, en)| vec![text(c), text(kk), text(ru), text(en)])
        .collect();
    insert_rows(
        tx,
        FunctionalGroups::Table,
        &[
            FunctionalGroups::Code,
            FunctionalGroups::NameKk,
            FunctionalGroups::NameRu,
            FunctionalGroups::NameEn,
        ],
        fg,
    )
    .await?;
    let sp = SPECIFICS
        .iter()
        .map(|(c, kk, ru, en)| vec![text(c), text(kk), text(ru), text(en)])
        .collect();
    insert_rows(
        tx,
        EconomicSpecifics::Table,
        &[
            EconomicSpecifics::Code,
            EconomicSpecifics::NameKk,
            EconomicSpecifics::NameRu,
            EconomicSpecifics::NameEn,
        ],
        sp,
    )
    .await?;

    let administrators = administrators(&territories);
    let rows = administrators
        .iter()
        .map(|(level, kato, code, [kk, ru])| {
            vec![(*level).into(), text(kato), text(code), text(kk), text(ru)]
        })
        .collect();
    insert_rows(
        tx,
        Administrators::Table,
        &[
            Administrators::Level,
            Administrators::Kato,
            Administrators::Code,
            Administrators::NameKk,
            Administrators::NameRu,
        ],
        rows,
    )
    .await?;

    let orgs = organizations(&territories);
    let rows = orgs
        .iter()
        .map(|o| {
            vec![
                o.id.into(),
                text(&o.bin),
                o.kind.into(),
                text(&o.names[0]),
                text(&o.names[1]),
                text(&o.names[2]),
                text(&o.kato),
                o.level.into(),
                o.administrator.clone().into(),
                o.parent.into(),
                o.excluded.into(),
            ]
        })
        .collect();
    let cols = [
        Organizations::Id,
        Organizations::Bin,
        Organizations::Kind,
        Organizations::NameKk,
        Organizations::NameRu,
        Organizations::NameEn,
        Organizations::Kato,
        Organizations::BudgetLevel,
        Organizations::Administrator,
        Organizations::ParentId,
        Organizations::AuditExcluded,
    ];
    insert_rows(tx, Organizations::Table, &cols, rows).await?;
    resync_identity(tx, Organizations::Table).await?;

    insert_users(tx, &orgs).await?;
    crate::store::calendar::seed_known_days(tx, Utc::now()).await?;
    Ok(Reference {
        territories,
        orgs,
        administrators,
    })
}

/// A head user for every organization, and three staff members each for the authorized body and
/// the integrator.
async fn insert_users(tx: &mut Tx, orgs: &[Org]) -> AppResult<()> {
    let mut names = Names::new(1_991);
    let now = Utc::now();
    let mut rows = Vec::new();
    for o in orgs {
        // The access administrators have staff to process applications; a chamber of Parliament
        // has one employee besides its head, who holds no grant in the demo data.
        let staff = match o.kind {
            BodyKind::AuthorizedBody | BodyKind::Integrator => 4,
            BodyKind::Parliament => 2,
            _ => 1,
        };
        for n in 0..staff {
            let p = names.person();
            let head = n == 0;
            rows.push(vec![
                text(&p.iin),
                text(&p.surname),
                text(&p.name),
                p.patronymic.into(),
                text(if head {
                    "Басшы / Руководитель"
                } else {
                    "Бас маман / Главный специалист"
                }),
                text(if head {
                    "Басшылық / Руководство"
                } else {
                    "Қолжетімділік басқармасы / Управление доступа"
                }),
                text(&format!("+7701{:07}", o.id * 10 + i64::from(n))),
                text(&format!("user{}.{}@example.kz", o.id, n)),
                text(&format!("EQ-{:06}-{n}", o.id)),
                o.id.into(),
                head.into(),
                now.into(),
            ]);
        }
    }
    let cols = [
        Users::Iin,
        Users::Surname,
        Users::Name,
        Users::Patronymic,
        Users::Position,
        Users::StructuralUnit,
        Users::Phone,
        Users::Email,
        Users::EqyzmetQr,
        Users::OrganizationId,
        Users::IsHead,
        Users::CreatedAt,
    ];
    insert_rows(tx, Users::Table, &cols, rows).await?;
    crate::store::memberships::start_missing(tx, crate::authz::principal::local_day(now)).await?;
    Ok(())
}
