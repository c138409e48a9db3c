//! Errors that reach callers: a stable code, a message in the caller's language, and the field
//! at fault. Internal causes are logged, never returned.

use crate::domain::lang::Lang;

/// Stable error codes (GraphQL `extensions.code`, HTTP problem `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No valid credentials.
    Unauthenticated,
    /// Credentials valid, but the action is not allowed.
    Forbidden,
    /// No such item (or not one the caller may see: both look the same).
    NotFound,
    /// The input is malformed; the message names the field.
    BadUserInput,
    /// A workflow step the current state does not allow; the wire code names the step.
    Conflict,
    /// A database statement ran longer than the configured statement timeout.
    Timeout,
    /// The whole request ran longer than the configured request timeout.
    RequestTimeout,
    /// The caller sent more requests than the rate limit allows; retry later.
    RateLimited,
    /// The database cannot be reached (down, restarting, out of connections); retry shortly.
    Unavailable,
    /// Something failed inside the server; the cause is logged.
    Internal,
}

impl ErrorCode {
    /// The wire form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::RequestTimeout => "REQUEST_TIMEOUT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The HTTP status a route that is not GraphQL answers the error with (GraphQL answers 200
    /// with the code in the error's extensions).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadUserInput => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Timeout | ErrorCode::RequestTimeout | ErrorCode::Unavailable => 503,
        }
    }
}

/// What a bad value should have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Exactly this many digits.
    Digits(usize),
    /// At most this many digits.
    UpToDigits(usize),
    /// One of these words.
    OneOf(Vec<&'static str>),
    /// An ISO date (YYYY-MM-DD).
    Date,
    /// An amount in thousands of tenge with at most one decimal.
    Amount,
    /// A whole number in a range.
    IntegerIn(i64, i64),
    /// A value (the field is required).
    Present,
    /// No value (the field must be empty here).
    Absent,
    /// A region that exists in the reference data.
    KnownRegion,
    /// A valid IIN or BIN (12 digits with a matching check digit).
    ValidIdentifier,
    /// A cursor returned by an earlier page.
    Cursor,
    /// The given number of columns.
    Columns(usize),
    /// A value consistent with another field.
    ConsistentWith(&'static str),
    /// An e-mail address.
    Email,
    /// A phone number (10 to 15 digits, optionally with + and separators).
    Phone,
    /// A value not repeated elsewhere in the list.
    Unique,
    /// An employee without a current grant to the requested system.
    NoActiveGrant,
    /// At least one item.
    NonEmpty,
    /// A JSON object of the named input type's fields.
    JsonObject(&'static str),
    /// Text of 1 to N characters without control characters.
    Text(usize),
    /// An oversight body the law does not exclude (paragraph 2.6).
    OversightBody,
    /// A person's name of 1 to N characters: letters, spaces, hyphens, apostrophes, dots.
    PersonName(usize),
    /// A date from the first to the second day, inclusive.
    DateWithin(chrono::NaiveDate, chrono::NaiveDate),
    /// At most N items.
    AtMostItems(usize),
    /// A filter of at most N filter objects (`and`, `or` and `not` members included).
    FilterSize(usize),
    /// Only the named keys.
    KnownKeys(&'static str),
    /// Readable UTF-8 CSV (a line that is not UTF-8 or has broken quoting).
    Utf8Csv,
    /// An XLSX workbook with at least one sheet.
    Workbook,
    /// A territory of the classifier (not the Republic's own code).
    Territory,
    /// A code starting with the given prefix.
    WithinPrefix(String),
    /// A parent territory (the given code) in the file or the database.
    KnownParent(String),
    /// A territory of the classifier that is not retired.
    KnownTerritory,
    /// A body in the file or the register.
    KnownBody,
    /// A parent that is not the body itself or one of its descendants.
    NoCycle,
    /// A person new to the hub, or a current member of this body who is not blocked.
    HeadCandidate,
    /// An entry's parent (kind and code) in the file, the same year and level.
    KnownClassificationParent(String),
    /// A code of the year's budget classification (kind and year).
    ClassifiedCode(String),
    /// A year whose budget classification is loaded.
    ClassifiedYear,
    /// An object listed in the objects table of the same file.
    KnownObject,
    /// A budget line (year, level, territory, administrator, program, subprogram, specific)
    /// already in the hub.
    KnownBudgetLine,
    /// A plain file name (no directories).
    FileName,
    /// A relative path inside the documents directory.
    RelativePath,
    /// This file (its path in the documents directory) present there (`--documents DIR`).
    DocumentFile(String),
    /// A file of at most this many bytes.
    FileSize(u64),
    /// This file (its path in the documents directory) with the SHA-256 given, unchanged while
    /// the import runs.
    MatchingChecksum(String),
    /// A file in the document's format (PDF for PDF_A_1, an OOXML package for DOCX).
    FileOfFormat,
    /// A 64-digit lowercase or uppercase hexadecimal SHA-256.
    Sha256Hex,
    /// An account code of the architecture portal: 1 to 64 letters, digits, `-`, `_`, `.`, `/`.
    AccountCode,
}

impl Expected {
    /// What was expected, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Expected::Digits(n) => match lang {
                Lang::Kk => format!("дәл {n} цифр"),
                Lang::Ru => format!("ровно {n} цифр"),
                Lang::En => format!("exactly {n} digits"),
            },
            Expected::UpToDigits(n) => match lang {
                Lang::Kk => format!("{n} цифрға дейін"),
                Lang::Ru => format!("не более {n} цифр"),
                Lang::En => format!("up to {n} digits"),
            },
            Expected::OneOf(words) => {
                let list = words.join(", ");
                match lang {
                    Lang::Kk => format!("мыналардың бірі: {list}"),
                    Lang::Ru => format!("одно из: {list}"),
                    Lang::En => format!("one of: {list}"),
                }
            }
            Expected::Date => lang
                .pick(
                    "ISO күні (ЖЖЖЖ-АА-КК)",
                    "дата ISO (ГГГГ-ММ-ДД)",
                    "an ISO date (YYYY-MM-DD)",
                )
                .to_owned(),
            Expected::Amount => lang
                .pick(
                    "мың теңгедегі сома, ең көбі бір ондық таңбамен (мысалы 12345.6)",
                    "сумма в тысячах тенге, не более одного знака после точки (например 12345.6)",
                    "an amount in thousands of tenge with at most one decimal (e.g. 12345.6)",
                )
                .to_owned(),
            Expected::IntegerIn(lo, hi) => match lang {
                Lang::Kk => format!("{lo}..{hi} аралығындағы бүтін сан"),
                Lang::Ru => format!("целое число от {lo} до {hi}"),
                Lang::En => format!("a whole number from {lo} to {hi}"),
            },
            Expected::Present => lang
                .pick("мән міндетті", "значение обязательно", "a value (required)")
                .to_owned(),
            Expected::Absent => lang
                .pick(
                    "бос мән (бұл жерде толтырылмайды)",
                    "пустое значение (здесь не заполняется)",
                    "no value (must be empty here)",
                )
                .to_owned(),
            Expected::KnownRegion => lang
                .pick(
                    "анықтамалықтағы өңір коды",
                    "код региона из справочника",
                    "the code of a known region",
                )
                .to_owned(),
            Expected::ValidIdentifier => lang
                .pick(
                    "бақылау цифры дұрыс 12 цифр",
                    "12 цифр с верной контрольной цифрой",
                    "12 digits with a valid check digit",
                )
                .to_owned(),
            Expected::Cursor => lang
                .pick(
                    "алдыңғы беттің курсоры",
                    "курсор предыдущей страницы",
                    "a cursor from an earlier page",
                )
                .to_owned(),
            Expected::Columns(n) => match lang {
                Lang::Kk => format!("{n} баған"),
                Lang::Ru => format!("{n} столбцов"),
                Lang::En => format!("{n} columns"),
            },
            Expected::Email => lang.pick("электрондық пошта мекенжайы", "адрес электронной почты", "an e-mail address").to_owned(),
            Expected::Phone => lang
                .pick("телефон нөмірі (10–15 цифр)", "номер телефона (10–15 цифр)", "a phone number (10 to 15 digits)")
                .to_owned(),
            Expected::Unique => lang.pick("қайталанбайтын мән", "неповторяющееся значение", "a value not repeated in the list").to_owned(),
            Expected::NoActiveGrant => lang
                .pick(
                    "осы жүйеге қолданыстағы рұқсаты жоқ қызметкер (ұзарту рұқсаттың соңғы 30 күнінде беріледі)",
                    "сотрудник без действующего доступа к этой системе (продление подаётся в последние 30 дней доступа)",
                    "an employee without a current grant to this system (a renewal may be filed in a grant's last 30 days)",
                )
                .to_owned(),
            Expected::NonEmpty => lang.pick("кемінде бір элемент", "хотя бы один элемент", "at least one item").to_owned(),
            Expected::JsonObject(input) => match lang {
                Lang::Kk => format!("{input} өрістерінің JSON нысаны"),
                Lang::Ru => format!("JSON-объект с полями {input}"),
                Lang::En => format!("a JSON object of {input} fields"),
            },
            Expected::Text(n) => match lang {
                Lang::Kk => format!("басқару таңбаларынсыз 1–{n} таңбалы мәтін"),
                Lang::Ru => format!("текст от 1 до {n} символов без управляющих символов"),
                Lang::En => format!("text of 1 to {n} characters without control characters"),
            },
            Expected::OversightBody => lang
                .pick(
                    "заң аудит органдарынан шығармаған бақылау органының идентификаторы",
                    "идентификатор органа контроля, не исключённого законом из органов аудита",
                    "the id of an oversight body the law does not exclude from the audit bodies",
                )
                .to_owned(),
            Expected::PersonName(n) => match lang {
                Lang::Kk => format!("әріптерден, бос орындардан, сызықшалардан, апострофтардан және нүктелерден тұратын 1–{n} таңбалы есім"),
                Lang::Ru => format!("имя из 1–{n} символов: буквы, пробелы, дефисы, апострофы и точки"),
                Lang::En => format!("a name of 1 to {n} characters: letters, spaces, hyphens, apostrophes and dots"),
            },
            Expected::DateWithin(from, to) => match lang {
                Lang::Kk => format!("{from} мен {to} аралығындағы күн"),
                Lang::Ru => format!("дата с {from} по {to}"),
                Lang::En => format!("a date from {from} to {to}"),
            },
            Expected::AtMostItems(n) => match lang {
                Lang::Kk => format!("ең көбі {n} элемент"),
                Lang::Ru => format!("не более {n} элементов"),
                Lang::En => format!("at most {n} items"),
            },
            Expected::FilterSize(n) => match lang {
                Lang::Kk => format!("ең көбі {n} сүзгіден тұратын сүзгі (and, or, not ішіндегілерімен)"),
                Lang::Ru => format!("фильтр не более чем из {n} фильтров (с вложенными and, or, not)"),
                Lang::En => format!("a filter of at most {n} filters (and, or and not members included)"),
            },
            Expected::KnownKeys(keys) => match lang {
                Lang::Kk => format!("тек мына кілттер: {keys}"),
                Lang::Ru => format!("только ключи: {keys}"),
                Lang::En => format!("only the keys {keys}"),
            },
            Expected::ConsistentWith(other) => match lang {
                Lang::Kk => format!("{other} өрісіне сәйкес мән"),
                Lang::Ru => format!("значение, согласованное с полем {other}"),
                Lang::En => format!("a value consistent with {other}"),
            },
            Expected::Utf8Csv => lang
                .pick(
                    "UTF-8 кодтауындағы, тырнақшалары дұрыс CSV жолы",
                    "строка CSV в кодировке UTF-8 с правильными кавычками",
                    "a CSV line in UTF-8 with balanced quotes",
                )
                .to_owned(),
            Expected::Workbook => lang
                .pick(
                    "кемінде бір парағы бар XLSX кітабы немесе CSV файлы",
                    "книга XLSX хотя бы с одним листом или файл CSV",
                    "an XLSX workbook with at least one sheet, or a CSV file",
                )
                .to_owned(),
            Expected::Territory => lang
                .pick(
                    "жіктеуіштің аумағы (000000000 — Республиканың өз коды)",
                    "территория классификатора (000000000 — собственный код Республики)",
                    "a territory of the classifier (000000000 is the Republic's own code)",
                )
                .to_owned(),
            Expected::WithinPrefix(prefix) => match lang {
                Lang::Kk => format!("{prefix} деп басталатын код"),
                Lang::Ru => format!("код, начинающийся с {prefix}"),
                Lang::En => format!("a code starting with {prefix}"),
            },
            Expected::KnownParent(code) => match lang {
                Lang::Kk => format!("жоғары тұрған аумақ {code} файлда немесе дерекқорда болуы"),
                Lang::Ru => format!("вышестоящая территория {code} в файле или в базе данных"),
                Lang::En => format!("its parent territory {code} in the file or the database"),
            },
            Expected::KnownTerritory => lang
                .pick(
                    "КАТО жіктеуішіндегі күші жойылмаған аумақтың коды",
                    "код действующей территории из классификатора КАТО",
                    "the code of a current territory of the KATO classifier",
                )
                .to_owned(),
            Expected::KnownBody => lang
                .pick(
                    "файлдағы немесе тізілімдегі органның БСН-і",
                    "БИН органа из файла или из реестра",
                    "the BIN of a body in the file or the register",
                )
                .to_owned(),
            Expected::NoCycle => lang
                .pick(
                    "органның өзі де, оның бағынышты органы да емес жоғары тұрған орган",
                    "вышестоящий орган, не являющийся самим органом или его подчинённым",
                    "a parent that is neither the body itself nor one of its own subordinates",
                )
                .to_owned(),
            Expected::HeadCandidate => lang
                .pick(
                    "хабқа жаңа адам немесе осы органның бұғатталмаған қазіргі қызметкері (басқа органнан ауысу — өтінім арқылы)",
                    "человек, новый для хаба, или действующий незаблокированный сотрудник этого органа (переход из другого органа — через заявку)",
                    "a person new to the hub, or a current, unblocked member of this body (a move from another body goes through an application)",
                )
                .to_owned(),
            Expected::KnownClassificationParent(parent) => match lang {
                Lang::Kk => format!("файлда сол жылдың және деңгейдің жоғары тұрған жазбасы ({parent})"),
                Lang::Ru => format!("вышестоящая запись ({parent}) того же года и уровня в файле"),
                Lang::En => format!("its parent ({parent}) of the same year and level in the file"),
            },
            Expected::ClassifiedYear => lang
                .pick(
                    "бюджеттік сыныптамасы жүктелген жыл (audit-hub import classification)",
                    "год, бюджетная классификация которого загружена (audit-hub import classification)",
                    "a year whose budget classification is loaded (audit-hub import classification)",
                )
                .to_owned(),
            Expected::ClassifiedCode(what) => match lang {
                Lang::Kk => format!("бюджеттік сыныптаманың коды ({what})"),
                Lang::Ru => format!("код бюджетной классификации ({what})"),
                Lang::En => format!("a code of the budget classification ({what})"),
            },
            Expected::KnownObject => lang
                .pick(
                    "осы файлдың objects кестесіндегі объектінің есептік коды",
                    "учётный код объекта из таблицы objects этого файла",
                    "the account code of an object in this file's objects table",
                )
                .to_owned(),
            Expected::KnownBudgetLine => lang
                .pick(
                    "хабқа жүктелген бюджет жолы (жыл, деңгей, КАТО, әкімші, бағдарлама, кіші бағдарлама, ерекшелік)",
                    "строка бюджета, загруженная в хаб (год, уровень, КАТО, администратор, программа, подпрограмма, специфика)",
                    "a budget line loaded in the hub (year, level, KATO, administrator, program, subprogram, specific)",
                )
                .to_owned(),
            Expected::FileName => lang
                .pick(
                    "қалтасыз файл атауы",
                    "имя файла без каталогов",
                    "a file name without directories",
                )
                .to_owned(),
            Expected::RelativePath => lang
                .pick(
                    "құжаттар қалтасының ішіндегі салыстырмалы жол",
                    "относительный путь внутри каталога документов",
                    "a relative path inside the documents directory",
                )
                .to_owned(),
            Expected::DocumentFile(path) => match lang {
                Lang::Kk => format!("құжаттар қалтасындағы «{path}» файлы (--documents DIR)"),
                Lang::Ru => format!("файл «{path}» в каталоге документов (--documents DIR)"),
                Lang::En => format!("the file \"{path}\" in the documents directory (--documents DIR)"),
            },
            Expected::FileSize(max) => match lang {
                Lang::Kk => format!("{max} байттан аспайтын файл"),
                Lang::Ru => format!("файл не больше {max} байт"),
                Lang::En => format!("a file of at most {max} bytes"),
            },
            Expected::MatchingChecksum(path) => match lang {
                Lang::Kk => format!("SHA-256 хэші көрсетілгенге сәйкес, импорт кезінде өзгермеген «{path}» файлы"),
                Lang::Ru => format!("файл «{path}» с указанным SHA-256, не изменявшийся во время импорта"),
                Lang::En => format!("the file \"{path}\" with the SHA-256 given, unchanged while importing"),
            },
            Expected::FileOfFormat => lang
                .pick(
                    "құжат форматындағы файл (PDF_A_1 үшін PDF, DOCX үшін OOXML)",
                    "файл в формате документа (PDF для PDF_A_1, OOXML для DOCX)",
                    "a file in the document's format (PDF for PDF_A_1, an OOXML package for DOCX)",
                )
                .to_owned(),
            Expected::AccountCode => lang
                .pick(
                    "сәулет порталының есептік коды: 1–64 әріп, цифр, - _ . /",
                    "учётный код архитектурного портала: 1–64 буквы, цифры, - _ . /",
                    "an account code of the architecture portal: 1 to 64 letters, digits, - _ . /",
                )
                .to_owned(),
            Expected::Sha256Hex => lang
                .pick(
                    "64 он алтылық цифрдан тұратын SHA-256",
                    "SHA-256 из 64 шестнадцатеричных цифр",
                    "a SHA-256 of 64 hexadecimal digits",
                )
                .to_owned(),
        }
    }
}

/// An error a caller can act on, or an internal failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field holds a bad value.
    #[error("invalid value for `{field}`: expected {}", expected.describe(Lang::En))]
    Invalid {
        /// The field's name as the caller wrote it.
        field: String,
        /// What it should have been.
        expected: Expected,
    },
    /// No such item, or one out of the caller's scope.
    #[error("not found")]
    NotFound,
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Not allowed.
    #[error("forbidden")]
    Forbidden,
    /// A workflow step the current state does not allow.
    #[error("{0}")]
    Transition(#[from] crate::domain::workflow::TransitionError),
    /// The request ran out of time.
    #[error("request timeout")]
    RequestTimeout,
    /// Too many requests from this caller.
    #[error("rate limited")]
    RateLimited,
    /// A database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database could not be reached (the cause is logged where it happened).
    #[error("database unavailable")]
    Unavailable,
    /// Any other internal failure.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

/// Result with [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// Whether the database ended the transaction to break a deadlock or a serialization
    /// conflict (PostgreSQL `40P01`, `40001`): the same step may succeed when run again.
    pub fn is_transient_conflict(&self) -> bool {
        match self {
            AppError::Database(e) => e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "40P01" || c == "40001"),
            _ => false,
        }
    }

    /// An invalid-field error.
    pub fn invalid(field: impl Into<String>, expected: Expected) -> Self {
        AppError::Invalid {
            field: field.into(),
            expected,
        }
    }

    /// The error for a refusal code (`Unauthenticated`, `Forbidden`; anything else is internal).
    pub fn denied(code: ErrorCode) -> AppError {
        match code {
            ErrorCode::Unauthenticated => AppError::Unauthenticated,
            ErrorCode::Forbidden => AppError::Forbidden,
            ErrorCode::NotFound => AppError::NotFound,
            ErrorCode::BadUserInput
            | ErrorCode::Conflict
            | ErrorCode::Timeout
            | ErrorCode::RequestTimeout
            | ErrorCode::RateLimited
            | ErrorCode::Unavailable
            | ErrorCode::Internal => AppError::Internal(anyhow::anyhow!(
                "request refused earlier; cause logged there"
            )),
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Invalid { .. } => ErrorCode::BadUserInput,
            AppError::NotFound => ErrorCode::NotFound,
            AppError::Unauthenticated => ErrorCode::Unauthenticated,
            AppError::Forbidden => ErrorCode::Forbidden,
            AppError::Transition(_) => ErrorCode::Conflict,
            AppError::RequestTimeout => ErrorCode::RequestTimeout,
            AppError::RateLimited => ErrorCode::RateLimited,
            AppError::Database(e) if is_statement_timeout(e) => ErrorCode::Timeout,
            AppError::Database(e) if is_unavailable(e) => ErrorCode::Unavailable,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::Database(_) | AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The code sent to clients: the step's own code for workflow refusals
    /// (`APPLICATION_ALREADY_REVIEWED`, ...), the general code otherwise.
    pub fn wire_code(&self) -> &'static str {
        match self {
            AppError::Transition(t) => t.code(),
            other => other.code().as_str(),
        }
    }

    /// The message for a caller, in `lang`. Internal causes are not included.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Invalid { field, expected } => {
                let what = expected.describe(lang);
                match lang {
                    Lang::Kk => format!("`{field}` өрісінің мәні қате: күтілгені — {what}"),
                    Lang::Ru => format!("неверное значение поля `{field}`: ожидается {what}"),
                    Lang::En => format!("invalid value for `{field}`: expected {what}"),
                }
            }
            AppError::NotFound => lang.pick("табылмады", "не найдено", "not found").to_owned(),
            AppError::Unauthenticated => lang
                .pick(
                    "аутентификация қажет",
                    "требуется аутентификация",
                    "authentication required",
                )
                .to_owned(),
            AppError::Transition(t) => {
                use crate::domain::workflow::TransitionError as T;
                match t {
                    T::AlreadyReviewed => lang.pick(
                        "өтінім қаралып қойған",
                        "заявка уже рассмотрена",
                        "the application was already reviewed",
                    ),
                    T::NotApproved => lang.pick(
                        "тек мақұлданған өтінім бойынша қолжетімділік беріледі",
                        "доступ предоставляется только по одобренной заявке",
                        "only an approved application can be granted",
                    ),
                    T::ReasonRequired => lang.pick(
                        "бас тарту себебі көрсетілуі тиіс",
                        "для отказа нужна причина",
                        "a rejection needs a reason",
                    ),
                    T::UserBlocked => lang.pick(
                        "пайдаланушы бұғатталған",
                        "пользователь заблокирован",
                        "the user is blocked",
                    ),
                    T::AlreadyReported => lang.pick(
                        "оқыту туралы есеп жіберіліп қойған",
                        "отчёт об обучении уже направлен",
                        "the training was already reported",
                    ),
                    T::GrantConflicts => lang.pick(
                        "өтінімдегі қызметкерлердің қайшылықтары бар (employees.conflicts): қалғандарына рұқсат беріңіз (partial: true) немесе өтінімнен бас тартыңыз",
                        "у сотрудников заявки есть конфликты (employees.conflicts): предоставьте доступ остальным (partial: true) или откажите по заявке",
                        "employees of the application have conflicts (employees.conflicts): grant the others (partial: true) or refuse the application",
                    ),
                    T::NothingGrantable => lang.pick(
                        "өтінімдегі бірде-бір қызметкерге рұқсат беру мүмкін емес: өтінімнен бас тартыңыз",
                        "ни одному сотруднику заявки нельзя предоставить доступ: откажите по заявке",
                        "no employee of the application can be granted: refuse the application",
                    ),
                    T::NotCurrentMember => lang.pick(
                        "пайдаланушы осы ұйымның қазіргі қызметкері емес",
                        "пользователь не является текущим сотрудником этой организации",
                        "the user is not a current member of the organization",
                    ),
                }
                .to_owned()
            }
            AppError::Forbidden => lang
                .pick("рұқсат жоқ", "доступ запрещён", "forbidden")
                .to_owned(),
            AppError::RequestTimeout => lang
                .pick(
                    "сұрау белгіленген уақытта орындалмады; сүзгіні тарылтыңыз",
                    "запрос не уложился в отведённое время; сузьте фильтр",
                    "the request did not finish in the time allowed; narrow the filter",
                )
                .to_owned(),
            AppError::RateLimited => lang
                .pick(
                    "сұраулар тым жиі; Retry-After көрсеткен уақыттан кейін қайталаңыз",
                    "слишком много запросов; повторите через время из Retry-After",
                    "too many requests; retry after the time in Retry-After",
                )
                .to_owned(),
            AppError::Database(e) if is_statement_timeout(e) => lang
                .pick(
                    "сұрау тым ұзақ орындалды; сүзгіні тарылтыңыз",
                    "запрос выполнялся слишком долго; сузьте фильтр",
                    "the query took too long; narrow the filter",
                )
                .to_owned(),
            AppError::Unavailable => unavailable(lang),
            AppError::Database(e) if is_storage_full(e) => lang
                .pick(
                    "дерекқордың жазуға орны жоқ (диск толы); оқу жалғасады, жазу үшін орын босатыңыз",
                    "у базы данных нет места для записи (диск заполнен); чтение продолжается, для записи освободите место",
                    "the database has no room left to write (the disk is full); reads go on, free space to write",
                )
                .to_owned(),
            AppError::Database(e) if is_unavailable(e) => unavailable(lang),
            AppError::Database(_) | AppError::Internal(_) => lang
                .pick("ішкі қате", "внутренняя ошибка", "internal error")
                .to_owned(),
        }
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Whether a database error is a statement stopped by the statement timeout: PostgreSQL's
/// `query_canceled` (57014), SQLite's `SQLITE_INTERRUPT` (9) raised by the progress handler.
fn unavailable(lang: Lang) -> String {
    lang.pick(
        "дерекқор уақытша қолжетімсіз; біраздан кейін қайталаңыз",
        "база данных временно недоступна; повторите чуть позже",
        "the database is unavailable for the moment; retry shortly",
    )
    .to_owned()
}

/// Whether `e` says the database cannot be reached now (rather than that a statement failed):
/// no connection within the pool's wait, a connection refused or cut, or the server shutting
/// down or starting (SQLSTATE classes 08 and 57P0x).
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    if is_storage_full(e) {
        return true;
    }
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P0")),
        _ => false,
    }
}

/// Whether `e` says the database has no room to write: SQLite's `SQLITE_FULL` (13), PostgreSQL's
/// `disk_full` (53100).
pub fn is_storage_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("13") | Some("53100")),
        _ => false,
    }
}

fn is_statement_timeout(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("57014") | Some("9")),
        _ => false,
    }
}
