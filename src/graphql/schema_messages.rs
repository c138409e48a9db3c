//! Kazakh and Russian wording of the errors the GraphQL engine itself reports in English (a
//! request that does not parse, or names a field, argument, variable or value the schema does not
//! have), so a caller's mistake is explained in the caller's language. The engine's English text
//! is kept in `extensions.detail`, for support and for searching the engine's documentation.

use async_graphql::ServerError;

use crate::domain::lang::Lang;

/// An engine message: its English pattern (`{}` stands for one name or phrase), then Kazakh and
/// Russian, where `{0}`, `{1}`... are the captured parts in order. Captured parts are themselves
/// worded again when they are one of the [`PHRASES`] (the reason an argument value is invalid,
/// the "did you mean" hint).
const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "Unknown field \"{}\" on type \"{}\".{}",
        "«{1}» типінде «{0}» өрісі жоқ.{2}",
        "В типе «{1}» нет поля «{0}».{2}",
    ),
    (
        "Unknown argument \"{}\" on field \"{}\" of type \"{}\".{}",
        "«{2}» типінің «{1}» өрісінде «{0}» аргументі жоқ.{3}",
        "У поля «{1}» типа «{2}» нет аргумента «{0}».{3}",
    ),
    (
        "Unknown argument \"{}\" on directive \"{}\".{}",
        "«{1}» директивасында «{0}» аргументі жоқ.{2}",
        "У директивы «{1}» нет аргумента «{0}».{2}",
    ),
    (
        "Field \"{}\" argument \"{}\" of type \"{}\" is required but not provided",
        // "of type" is the type the field belongs to.
        "«{2}» типінің «{0}» өрісіне «{1}» аргументі міндетті, бірақ берілмеген.",
        "Не указан обязательный аргумент «{1}» поля «{0}» типа «{2}».",
    ),
    (
        "Directive \"@{}\" argument \"{}\" of type \"{}\" is required but not provided",
        "«@{0}» директивасының «{2}» типті «{1}» аргументі міндетті, бірақ берілмеген.",
        "Не указан обязательный аргумент «{1}» типа «{2}» директивы «@{0}».",
    ),
    (
        "Field \"{}\" of type \"{}\" must have a selection of subfields",
        "«{1}» типті «{0}» өрісінің ішкі өрістерін таңдау керек.",
        "Для поля «{0}» типа «{1}» нужно выбрать вложенные поля.",
    ),
    (
        "Field \"{}\" must not have a selection since type \"{}\" has no subfields",
        "«{0}» өрісінің «{1}» типінде ішкі өрістер жоқ, оларды таңдауға болмайды.",
        "У поля «{0}» тип «{1}» без вложенных полей: выбирать их нельзя.",
    ),
    (
        "Invalid value for argument \"{}\", {}",
        "«{0}» аргументінің мәні жарамсыз: {1}.",
        "Недопустимое значение аргумента «{0}»: {1}.",
    ),
    (
        "Invalid default value for argument: \"{}\", {}",
        "«{0}» аргументінің әдепкі мәні жарамсыз: {1}.",
        "Недопустимое значение по умолчанию аргумента «{0}»: {1}.",
    ),
    (
        "Variable \"${}\" is not defined by operation \"{}\"",
        "«${0}» айнымалысы «{1}» операциясында жарияланбаған.",
        "Переменная «${0}» не объявлена в операции «{1}».",
    ),
    (
        "Variable \"${}\" is not defined",
        "«${0}» айнымалысы жарияланбаған.",
        "Переменная «${0}» не объявлена.",
    ),
    (
        "Variable \"${}\" is not used by operation \"{}\"",
        "«${0}» айнымалысы «{1}» операциясында қолданылмайды.",
        "Переменная «${0}» не используется в операции «{1}».",
    ),
    (
        "Variable \"${}\" is not used",
        "«${0}» айнымалысы қолданылмайды.",
        "Переменная «${0}» не используется.",
    ),
    (
        "Variable \"{}\" of type \"{}\" used in position expecting type \"{}\"",
        "«{1}» типті «{0}» айнымалысы «{2}» типі күтілген жерде қолданылған.",
        "Переменная «{0}» типа «{1}» использована там, где ожидается тип «{2}».",
    ),
    (
        "Variable \"{}\" cannot be of non-input type \"{}\"",
        "«{0}» айнымалысы «{1}» типті бола алмайды: ол кіріс типі емес.",
        "Переменная «{0}» не может иметь тип «{1}»: это не входной тип.",
    ),
    (
        "There can only be one variable named \"${}\"",
        "«${0}» айнымалысы бір рет қана жариялануы керек.",
        "Переменную «${0}» можно объявить только один раз.",
    ),
    (
        "There can only be one argument named \"{}\"",
        "«{0}» аргументі бір рет қана берілуі керек.",
        "Аргумент «{0}» можно указать только один раз.",
    ),
    ("Unknown type \"{}\"", "«{0}» типі жоқ.", "Типа «{0}» нет."),
    (
        "Unknown fragment: \"{}\"",
        "«{0}» фрагменті жоқ.",
        "Фрагмента «{0}» нет.",
    ),
    (
        "Fragment \"{}\" is never used",
        "«{0}» фрагменті ешқайда қолданылмайды.",
        "Фрагмент «{0}» нигде не используется.",
    ),
    (
        "Unknown directive \"{}\"",
        "«{0}» директивасы жоқ.",
        "Директивы «{0}» нет.",
    ),
    (
        "Duplicate directive \"{}\"",
        "«{0}» директивасы қайталанған.",
        "Директива «{0}» повторяется.",
    ),
    (
        "Fields \"{}\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.",
        "«{0}» өрістері әртүрлі аргументтермен сұралған; екеуін де алу үшін оларға әртүрлі бүркеншік ат (alias) беріңіз.",
        "Поля «{0}» запрошены с разными аргументами; чтобы получить оба, дайте им разные псевдонимы (alias).",
    ),
    (
        "Fields \"{}\" conflict because \"{}\" and \"{}\" are different fields. Use different aliases on the fields to fetch both if this was intentional.",
        "«{0}» атауымен екі түрлі өріс сұралған («{1}» және «{2}»); оларға әртүрлі бүркеншік ат (alias) беріңіз.",
        "Под именем «{0}» запрошены разные поля («{1}» и «{2}»); дайте им разные псевдонимы (alias).",
    ),
    (
        "Unknown operation named \"{}\"",
        "Сұрауда «{0}» атты операция жоқ.",
        "В запросе нет операции «{0}».",
    ),
    (
        "Operation name required in request.",
        "Сұрауда бірнеше операция бар: operationName өрісінде біреуін атаңыз.",
        "В запросе несколько операций: укажите нужную в поле operationName.",
    ),
];

/// Parts of engine messages, worded again wherever they are captured.
const PHRASES: &[(&str, &str, &str)] = &[
    (
        "expected type \"{}\"",
        "«{0}» типті мән күтілген",
        "ожидается значение типа «{0}»",
    ),
    (
        "enumeration type \"{}\" does not contain the value \"{}\"",
        "«{0}» тізімінде «{1}» мәні жоқ",
        "в перечислении «{0}» нет значения «{1}»",
    ),
    (
        "field \"{}\" of type \"{}\" is required but not provided",
        "«{1}» типті «{0}» өрісі міндетті, бірақ берілмеген",
        "не указано обязательное поле «{0}» типа «{1}»",
    ),
    (
        "unknown field \"{}\" of type \"{}\"",
        "«{1}» типінде «{0}» өрісі жоқ",
        "в типе «{1}» нет поля «{0}»",
    ),
    (
        " Did you mean {}?",
        " Мүмкін, {0} керек шығар?",
        " Возможно, имелось в виду {0}?",
    ),
];

/// The parts of `text` that fill the `{}` of `pattern`, if `text` has its shape. Each part is
/// the shortest that lets the next literal follow, and the last literal must end the text.
fn captures<'a>(pattern: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let mut literals = pattern.split("{}");
    let mut rest = text.strip_prefix(literals.next()?)?;
    let literals: Vec<&str> = literals.collect();
    let mut parts = Vec::with_capacity(literals.len());
    for (i, literal) in literals.iter().enumerate() {
        let last = i + 1 == literals.len();
        let at = if last {
            rest.len().checked_sub(literal.len())?
        } else if literal.is_empty() {
            // Two holes in a row never occur in the tables; take nothing.
            0
        } else {
            rest.find(literal)?
        };
        parts.push(rest.get(..at)?);
        rest = rest.get(at..)?.strip_prefix(literal)?;
    }
    rest.is_empty().then_some(parts)
}

/// `"a", "b"` written with the quotation marks of Kazakh and Russian text: «a», «b».
fn guillemets(text: &str) -> String {
    let mut open = true;
    text.chars()
        .map(|c| match c {
            '"' => {
                open = !open;
                if open { '»' } else { '«' }
            }
            c => c,
        })
        .collect()
}

/// `text` worded in `lang` by `table`, or `None` when no entry has its shape.
fn reword(table: &[(&str, &str, &str)], text: &str, lang: Lang) -> Option<String> {
    table.iter().find_map(|(en, kk, ru)| {
        let parts = captures(en, text)?;
        let mut out = lang.pick(kk, ru, en).to_owned();
        for (i, part) in parts.iter().enumerate() {
            let part = reword(PHRASES, part, lang).unwrap_or_else(|| guillemets(part));
            out = out.replace(&format!("{{{i}}}"), &part);
        }
        Some(out)
    })
}

/// The message of a request that does not parse: where it stops being GraphQL.
fn unparsable(e: &ServerError, lang: Lang) -> String {
    match e.locations.first() {
        Some(at) => match lang {
            Lang::Kk => format!(
                "Сұрау GraphQL ретінде оқылмады: {}-жол, {}-баған.",
                at.line, at.column
            ),
            Lang::Ru => format!(
                "Запрос не разобран как GraphQL: строка {}, столбец {}.",
                at.line, at.column
            ),
            Lang::En => e.message.clone(),
        },
        None => lang
            .pick(
                "Сұрау GraphQL ретінде оқылмады.",
                "Запрос не разобран как GraphQL.",
                &e.message,
            )
            .to_owned(),
    }
}

/// Words an engine error in `lang`: one with code `GRAPHQL_PARSE_FAILED` or
/// `GRAPHQL_VALIDATION_FAILED`, or one without a code whose message is an engine message
/// (choosing the operation happens outside validation, and those errors come without a code;
/// they get the validation code). English messages are left as the engine wrote them, and
/// messages of unknown shape too, so nothing is lost.
pub fn localize(e: &mut ServerError, lang: Lang) {
    let code = e
        .extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .map(|c| c.to_string().trim_matches('"').to_owned());
    let worded = match code.as_deref() {
        Some("GRAPHQL_PARSE_FAILED") => Some(unparsable(e, lang)),
        Some("GRAPHQL_VALIDATION_FAILED") => reword(MESSAGES, &e.message, lang),
        None => {
            let Some(worded) = reword(MESSAGES, &e.message, lang) else {
                return;
            };
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", "GRAPHQL_VALIDATION_FAILED");
            Some(worded)
        }
        Some(_) => None,
    };
    if let Some(worded) = worded.filter(|_| lang != Lang::En) {
        let engine = std::mem::replace(&mut e.message, worded);
        e.extensions
            .get_or_insert_with(Default::default)
            .set("detail", engine);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_follow_the_pattern() {
        let cases: [(&str, &str, &str, Option<Vec<&str>>); 5] = [
            (
                "unknown field with a hint",
                "Unknown field \"{}\" on type \"{}\".{}",
                "Unknown field \"nme\" on type \"User\". Did you mean \"name\"?",
                Some(vec!["nme", "User", " Did you mean \"name\"?"]),
            ),
            (
                "unknown field without a hint",
                "Unknown field \"{}\" on type \"{}\".{}",
                "Unknown field \"x\" on type \"Query\".",
                Some(vec!["x", "Query", ""]),
            ),
            (
                "longer message of another shape",
                "Variable \"${}\" is not defined",
                "Variable \"$a\" is not defined by operation \"Q\"",
                None,
            ),
            (
                "argument value with its reason",
                "Invalid value for argument \"{}\", {}",
                "Invalid value for argument \"first\", expected type \"Int\"",
                Some(vec!["first", "expected type \"Int\""]),
            ),
            (
                "no holes",
                "Operation name required in request.",
                "Operation name required in request.",
                Some(vec![]),
            ),
        ];
        for (name, pattern, text, expected) in cases {
            assert_eq!(captures(pattern, text), expected, "{name}");
        }
    }

    #[test]
    fn every_translation_uses_each_captured_part() {
        for (en, kk, ru) in MESSAGES.iter().chain(PHRASES) {
            let holes = en.matches("{}").count();
            for i in 0..holes {
                let mark = format!("{{{i}}}");
                assert!(kk.contains(&mark) && ru.contains(&mark), "{en}: {mark}");
            }
            assert!(!kk.contains(&format!("{{{holes}}}")), "{en}");
        }
    }
}
