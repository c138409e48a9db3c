//! Which permission rule governs each GraphQL object type: every type the schema exposes is
//! listed here against the entity of [`crate::authz::permissions`] whose rows it shows, so a new
//! type cannot be added without saying who may see it (the test below fails).

use crate::authz::permissions::Entity;

/// Whose rule a GraphQL object type follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Governed {
    /// The rows of an entity, through its rule.
    By(Entity),
    /// A page of another type (connection, edge, page info): the rule of its items.
    PageOf,
    /// The root operation types: each field names its own entity.
    Root,
    /// Reference data the same for every caller (enum labels).
    Public,
}

/// Every GraphQL object type with its rule.
pub const TYPES: &[(&str, Governed)] = &[
    ("Query", Governed::Root),
    ("Mutation", Governed::Root),
    ("Viewer", Governed::By(Entity::Caller)),
    ("BudgetLine", Governed::By(Entity::Budget)),
    ("BudgetAggregate", Governed::By(Entity::Budget)),
    ("BudgetKey", Governed::By(Entity::Budget)),
    ("InformatizationObject", Governed::By(Entity::Budget)),
    ("FundingLine", Governed::By(Entity::Budget)),
    ("StageChange", Governed::By(Entity::Budget)),
    ("Document", Governed::By(Entity::Budget)),
    ("Organization", Governed::By(Entity::Organizations)),
    ("User", Governed::By(Entity::People)),
    ("AccessGrant", Governed::By(Entity::People)),
    ("Membership", Governed::By(Entity::People)),
    ("TrainingReport", Governed::By(Entity::People)),
    ("AccessApplication", Governed::By(Entity::Applications)),
    ("ApplicationEmployee", Governed::By(Entity::Applications)),
    ("EmployeeConflict", Governed::By(Entity::Applications)),
    ("BlockRequest", Governed::By(Entity::BlockRequests)),
    ("AuditEvent", Governed::By(Entity::AuditEvents)),
    ("CalendarDay", Governed::By(Entity::Calendar)),
    ("EnumLabel", Governed::Public),
    ("PageInfo", Governed::PageOf),
    ("AccessApplicationConnection", Governed::PageOf),
    ("AccessApplicationEdge", Governed::PageOf),
    ("AuditEventConnection", Governed::PageOf),
    ("AuditEventEdge", Governed::PageOf),
    ("BudgetLineConnection", Governed::PageOf),
    ("BudgetLineEdge", Governed::PageOf),
    ("DocumentConnection", Governed::PageOf),
    ("DocumentEdge", Governed::PageOf),
    ("InformatizationObjectConnection", Governed::PageOf),
    ("InformatizationObjectEdge", Governed::PageOf),
    ("OrganizationConnection", Governed::PageOf),
    ("OrganizationEdge", Governed::PageOf),
    ("UserConnection", Governed::PageOf),
    ("UserEdge", Governed::PageOf),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn object_types() -> Vec<String> {
        super::super::sdl()
            .lines()
            .filter_map(|l| l.strip_prefix("type "))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_object_type_has_a_permission_rule() {
        let types = object_types();
        assert!(types.len() > 10, "{types:?}");
        for t in &types {
            assert!(
                TYPES.iter().any(|(name, _)| name == t),
                "GraphQL type {t} has no permission rule: add it to graphql/visibility.rs"
            );
        }
        for (name, _) in TYPES {
            assert!(
                types.iter().any(|t| t == name),
                "{name} is listed but not in the schema"
            );
        }
    }

    #[test]
    fn pages_are_named_after_their_items() {
        for (name, rule) in TYPES {
            let paged = name.ends_with("Connection") || name.ends_with("Edge");
            assert_eq!(
                paged,
                *rule == Governed::PageOf && *name != "PageInfo",
                "{name}"
            );
        }
    }
}
