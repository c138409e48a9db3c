//! Deterministic synthetic people and identifiers for reference and demo data.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::ident;

const SURNAMES: &[&str] = &[
    "Ахметов",
    "Сейтқали",
    "Жұмабаев",
    "Омаров",
    "Нұрланов",
    "Қасымов",
    "Серікбаев",
    "Әбенов",
    "Төлеуов",
    "Байжанов",
    "Мұхаметжанов",
    "Исаев",
    "Оспанов",
    "Бекмұрат",
    "Ермеков",
    "Смағұлов",
];
const NAMES: &[&str] = &[
    "Айгерім",
    "Ерлан",
    "Дәурен",
    "Гүлнар",
    "Асқар",
    "Мәдина",
    "Нұржан",
    "Жанар",
    "Бауыржан",
    "Сәуле",
    "Ержан",
    "Динара",
    "Арман",
    "Әсел",
    "Серік",
    "Айнұр",
];
const PATRONYMICS: &[&str] = &[
    "Серікұлы",
    "Болатқызы",
    "Нұрланұлы",
    "Ерланқызы",
    "Асқарұлы",
    "Маратқызы",
    "Қайратұлы",
    "",
];

/// A synthetic person.
#[derive(Debug, Clone)]
pub struct Person {
    /// IIN with a valid check digit.
    pub iin: String,
    /// Surname.
    pub surname: String,
    /// Given name.
    pub name: String,
    /// Patronymic, when the person has one.
    pub patronymic: Option<String>,
}

/// A deterministic source of synthetic people and BINs.
pub struct Names {
    rng: ChaCha8Rng,
    serial: u32,
}

impl Names {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Names {
        Names {
            rng: ChaCha8Rng::seed_from_u64(seed),
            serial: 0,
        }
    }

    fn next_serial(&mut self) -> u32 {
        self.serial += 1;
        self.serial
    }

    /// A fresh person with a valid, unique IIN (birth date, century digit and serial).
    pub fn person(&mut self) -> Person {
        let year = self.rng.random_range(60..=99u8);
        let month = self.rng.random_range(1..=12u8);
        let day = self.rng.random_range(1..=28u8);
        let century = if self.rng.random_bool(0.5) { 3 } else { 4 };
        let iin = loop {
            let serial = self.next_serial();
            let d = |v: u32, p: u32| ((v / 10u32.pow(p)) % 10) as u8;
            let digits = [
                year / 10,
                year % 10,
                month / 10,
                month % 10,
                day / 10,
                day % 10,
                century,
                d(serial, 3),
                d(serial, 2),
                d(serial, 1),
                d(serial, 0),
            ];
            if let Some(iin) = ident::complete(digits) {
                break iin;
            }
        };
        let patronymic = PATRONYMICS[self.rng.random_range(0..PATRONYMICS.len())];
        Person {
            iin,
            surname: SURNAMES[self.rng.random_range(0..SURNAMES.len())].to_owned(),
            name: NAMES[self.rng.random_range(0..NAMES.len())].to_owned(),
            patronymic: (!patronymic.is_empty()).then(|| patronymic.to_owned()),
        }
    }

    /// A fresh, unique BIN of a legal entity registered in the 1990s or 2000s.
    pub fn bin(&mut self) -> String {
        loop {
            let serial = self.next_serial();
            let d = |p: u32| ((serial / 10u32.pow(p)) % 10) as u8;
            let digits = [0, 1, 0, 2, 4, 0, d(4), d(3), d(2), d(1), d(0)];
            if let Some(bin) = ident::complete(digits) {
                return bin;
            }
        }
    }
}
