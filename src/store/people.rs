//! Finding people: the office console's search by IIN, surname or body, within the people the
//! caller reads ([`PeopleRows`]).

use sea_query::{Condition, Expr, ExprTrait, Order, Query};

use super::Db;
use super::page::{Page, PageRequest};
use super::schema::Users;
use super::users::{USER_COLUMNS, UserRow};
use crate::authz::permissions::PeopleRows;
use crate::error::AppResult;

/// What a search matches: every given part at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonSearch {
    /// Digits the IIN starts with (already checked to be 1 to 12 digits).
    pub iin_prefix: Option<String>,
    /// The beginning of the surname (already checked to be a name: letters, spaces, hyphens,
    /// apostrophes, dots, so it holds no `LIKE` wildcard).
    pub surname_prefix: Option<String>,
    /// The body the person is registered at.
    pub organization_id: Option<i64>,
}

/// The written forms a surname's beginning is matched in: as typed, capitalised ("Сейтқали")
/// and in capitals ("СЕЙТҚАЛИ"). Registers keep surnames in one of these; `LIKE` folds case
/// only for ASCII on SQLite, so the forms are folded here, the same way on both backends.
pub fn surname_forms(prefix: &str) -> Vec<String> {
    let lower = prefix.to_lowercase();
    let mut chars = lower.chars();
    let capitalised: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    let mut forms = vec![prefix.to_owned(), capitalised, prefix.to_uppercase()];
    forms.sort();
    forms.dedup();
    forms
}

fn condition(s: &PersonSearch) -> Condition {
    let mut c = Condition::all();
    if let Some(iin) = &s.iin_prefix {
        c = c.add(Expr::col(Users::Iin).like(format!("{iin}%")));
    }
    if let Some(surname) = &s.surname_prefix {
        let mut any = Condition::any();
        for form in surname_forms(surname) {
            any = any.add(Expr::col(Users::Surname).like(format!("{form}%")));
        }
        c = c.add(any);
    }
    if let Some(org) = s.organization_id {
        c = c.add(Expr::col(Users::OrganizationId).eq(org));
    }
    c
}

/// A page of the people visible in `people` that `search` matches, in id order.
pub async fn search(
    db: &Db,
    people: PeopleRows,
    search: &PersonSearch,
    page: PageRequest,
) -> AppResult<Page<UserRow>> {
    let mut q = Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .cond_where(people.user_condition(Expr::col(Users::Id), Expr::col(Users::OrganizationId)))
        .cond_where(condition(search))
        .to_owned();
    if let Some(after) = page.after {
        q.and_where(Expr::col(Users::Id).gt(after));
    }
    q.order_by(Users::Id, Order::Asc).limit(page.limit());
    Ok(Page::from_overfetch(db.all(&q).await?, page))
}

#[cfg(test)]
mod tests {
    use super::surname_forms;

    #[test]
    fn a_surname_is_matched_as_typed_capitalised_and_in_capitals() {
        for (typed, forms) in [
            ("сейт", vec!["СЕЙТ", "Сейт", "сейт"]),
            ("Сейт", vec!["СЕЙТ", "Сейт"]),
            ("ӘБІЛ", vec!["ӘБІЛ", "Әбіл"]),
            ("o'neil", vec!["O'NEIL", "O'neil", "o'neil"]),
        ] {
            let mut want: Vec<String> = forms.into_iter().map(str::to_owned).collect();
            want.sort();
            assert_eq!(surname_forms(typed), want, "{typed}");
        }
    }
}
