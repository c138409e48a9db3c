//! Reference data: territories and organizations of every kind with a head for each, loaded
//! from the files under `src/seed/data/` through the KATO and register imports, plus the
//! budget classification names, the authorized body's and the integrator's administrative
//! staff, and the calendar.

use chrono::Utc;
use sea_query::Value;

use super::names::Names;
use crate::domain::budget::BudgetLevel;
use crate::domain::org::BodyKind;
use crate::domain::territory::{REPUBLIC_KATO, TerritoryKind};
use crate::error::{AppError, AppResult};
use crate::import::report::ImportError;
use crate::import::source::{Run, Source};
use crate::store::Tx;
use crate::store::bulk::insert_rows;
use crate::store::schema::{Administrators, EconomicSpecifics, FunctionalGroups, Users};

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

/// Whether the reference data is already present.
pub async fn present(tx: &mut Tx) -> AppResult<bool> {
    crate::store::seed::has_reference(tx).await
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

/// The territories the reference seed loads: the KATO file format (docs/formats/kato.md), with
/// the hub's own English names in an extra `name_en` column the importer does not read.
pub const KATO_CSV: &str = include_str!("data/kato.csv");
/// The bodies the reference seed loads, with their heads: the register format
/// (docs/formats/organizations.md).
pub const ORGANIZATIONS_CSV: &str = include_str!("data/organizations.csv");

/// The Republic's names: the root of the tree, the hub's own (the classifier has no row for it).
const REPUBLIC_NAMES: [&str; 3] = [
    "Қазақстан Республикасы",
    "Республика Казахстан",
    "Republic of Kazakhstan",
];

/// Loads the reference data: the Republic, then the territories and the register of bodies
/// through the same imports an operator runs on official files (each recorded in the audit
/// trail, heads designated as the register names them), the hub's English names of territories,
/// the classification names the demo budgets use, the administrative staff, and the calendar.
pub async fn insert(tx: &mut Tx, run: &Run) -> AppResult<Reference> {
    crate::store::seed::put_republic(tx, REPUBLIC_NAMES).await?;
    let kato = Source::from_bytes("src/seed/data/kato.csv", KATO_CSV.as_bytes().to_vec());
    crate::import::kato::import_in(tx, &kato, None, run)
        .await
        .map_err(seed_file_error)?;
    let file_territories = kato_rows()?;
    let english: Vec<(String, String)> = file_territories
        .iter()
        .map(|(kato, names)| (kato.clone(), names[2].clone()))
        .collect();
    crate::store::seed::set_english_names(tx, &english).await?;

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

    let territories = loaded_territories(tx, &file_territories).await?;
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

    let register = Source::from_bytes(
        "src/seed/data/organizations.csv",
        ORGANIZATIONS_CSV.as_bytes().to_vec(),
    );
    crate::import::organizations::import_in(tx, &register, run)
        .await
        .map_err(seed_file_error)?;
    let orgs = loaded_orgs(tx).await?;
    insert_staff(tx, &orgs, run.now).await?;
    crate::store::calendar::seed_known_days(tx, run.now).await?;
    Ok(Reference {
        territories,
        orgs,
        administrators,
    })
}

/// The reference data as loaded in the database (the demo seed builds on it).
pub async fn load(tx: &mut Tx) -> AppResult<Reference> {
    let territories = loaded_territories(tx, &kato_rows()?).await?;
    let orgs = loaded_orgs(tx).await?;
    let administrators = administrators(&territories);
    Ok(Reference {
        territories,
        orgs,
        administrators,
    })
}

/// A shipped file the importer refused: a defect of the build, reported with its first lines.
fn seed_file_error(e: ImportError) -> AppError {
    anyhow::anyhow!(
        "reference seed file refused: {}",
        e.lines(crate::domain::lang::Lang::En).join("; ")
    )
    .into()
}

/// The seed's KATO rows in file order: code and names (kk, ru, en).
fn kato_rows() -> AppResult<Vec<(String, [String; 3])>> {
    let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("src/seed/data/kato.csv: {e}");
    let mut reader = csv::Reader::from_reader(KATO_CSV.as_bytes());
    let header = reader.headers().map_err(|e| bad(&e))?.clone();
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(&format!("no column {name}")))
    };
    let (te, kk, ru, en) = (at("te")?, at("name_kaz")?, at("name_rus")?, at("name_en")?);
    let mut out = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| bad(&e))?;
        let field = |i: usize| r.get(i).unwrap_or_default().to_owned();
        out.push((field(te), [field(kk), field(ru), field(en)]));
    }
    Ok(out)
}

/// The Republic and the territories of the seed's file, in the file's order (the demo's
/// generators walk them in it), as the import built them.
async fn loaded_territories(
    tx: &mut Tx,
    file: &[(String, [String; 3])],
) -> AppResult<Vec<Territory>> {
    let stored = crate::store::territories::all(tx).await?;
    let mut out = vec![Territory {
        kato: REPUBLIC_KATO.to_owned(),
        kind: TerritoryKind::Republic,
        region: None,
        names: REPUBLIC_NAMES.map(str::to_owned),
    }];
    for (kato, names) in file {
        let t = stored
            .get(kato)
            .ok_or_else(|| anyhow::anyhow!("territory {kato} of the seed file is not loaded"))?;
        out.push(Territory {
            kato: kato.clone(),
            kind: t.kind,
            region: t.region_kato.clone().filter(|r| r != kato),
            names: names.clone(),
        });
    }
    Ok(out)
}

/// Every registered body, by id.
async fn loaded_orgs(tx: &mut Tx) -> AppResult<Vec<Org>> {
    let bodies = crate::store::register::all(tx).await?;
    let ids: std::collections::HashMap<&str, i64> = bodies
        .iter()
        .map(|(bin, (id, _))| (bin.as_str(), *id))
        .collect();
    let mut orgs: Vec<Org> = bodies
        .values()
        .map(|(id, b)| Org {
            id: *id,
            bin: b.bin.clone(),
            kind: b.kind,
            names: [
                b.name_kk.clone(),
                b.name_ru.clone(),
                b.name_en.clone().unwrap_or_default(),
            ],
            kato: b.kato.clone(),
            level: b.budget_level,
            administrator: b.administrator.clone(),
            parent: b.parent_bin.as_deref().and_then(|p| ids.get(p).copied()),
            excluded: b.audit_excluded,
        })
        .collect();
    orgs.sort_by_key(|o| o.id);
    Ok(orgs)
}

/// Contacts for every head, and staff besides the head: three each for the authorized body and
/// the integrator (to process applications), one for each chamber of Parliament (who holds no
/// grant in the demo data). People are drawn from the one name generator in the order they
/// always were, heads included, so that every person keeps their IIN.
async fn insert_staff(tx: &mut Tx, orgs: &[Org], now: chrono::DateTime<Utc>) -> AppResult<()> {
    let mut names = Names::new(1_991);
    let mut rows = Vec::new();
    let mut contacts = Vec::new();
    for o in orgs {
        let staff = match o.kind {
            BodyKind::AuthorizedBody | BodyKind::Integrator => 4,
            BodyKind::Parliament => 2,
            _ => 1,
        };
        for n in 0..staff {
            let p = names.person();
            let phone = format!("+7701{:07}", o.id * 10 + i64::from(n));
            let email = format!("user{}.{}@example.kz", o.id, n);
            let qr = format!("EQ-{:06}-{n}", o.id);
            if n == 0 {
                // The head came in with the register.
                contacts.push((o.id, phone, email, qr));
                continue;
            }
            rows.push(vec![
                text(&p.iin),
                text(&p.surname),
                text(&p.name),
                p.patronymic.into(),
                text("Бас маман / Главный специалист"),
                text("Қолжетімділік басқармасы / Управление доступа"),
                text(&phone),
                text(&email),
                text(&qr),
                o.id.into(),
                false.into(),
                now.into(),
            ]);
        }
    }
    crate::store::seed::set_head_contacts(tx, &contacts).await?;
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
