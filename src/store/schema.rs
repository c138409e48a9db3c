//! The names of the tables and columns of the migrations, as sea-query identifiers: SQL built in
//! `store/` names a table or column through these enums, never through a string literal.
//!
//! Every table is one enum: its `Table` variant renders the table's name, each other variant one
//! column, rendered by sea-query's `Iden` derive in snake_case (`EqyzmetQr` → `eqyzmet_qr`,
//! `Sha256` → `sha256`). `tests/it/schema_names.rs` holds [`every_table`] against the migrated
//! database on each backend, both ways, so a name here that no table has (or a column of a
//! migration that is missing here) fails there.

use sea_query::Iden;

/// Declares one enum per table with its column variants and `COLUMNS`, and [`every_table`] over
/// them all.
macro_rules! tables {
    ($(
        $(#[$doc:meta])*
        $table:ident { $($column:ident),* $(,)? }
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, sea_query::Iden)]
            pub enum $table {
                /// The table itself.
                Table,
                $(
                    #[doc = concat!("Column `", stringify!($column), "`, rendered in snake_case.")]
                    $column,
                )*
            }

            impl $table {
                /// Every column, in the order the migrations create them.
                pub const COLUMNS: &'static [Self] = &[$(Self::$column),*];
            }
        )*

        /// Every table of the migrations with its columns, as the SQL renders them (for the
        /// test that holds them against the migrated database).
        #[doc(hidden)]
        pub fn every_table() -> Vec<(String, Vec<String>)> {
            vec![$((
                $table::Table.to_string(),
                $table::COLUMNS.iter().map(|c| c.to_string()).collect(),
            )),*]
        }
    };
}

tables! {
    /// `access_applications`: applications for access to the systems, and their steps.
    AccessApplications {
        Id, OrganizationId, SubmittedBy, Systems, HeadFullName, ExecutorPhone, ExecutorEmail,
        OutgoingNumber, OutgoingDate, Status, ReceivedAt, ReviewDue, ReviewedBy, ReviewedAt,
        ReviewComment, GrantDue, GrantedBy, GrantedAt, Channel, IncomingNumber, RefusedBy,
        RefusedAt, RefusalReason,
    }
    /// `access_grants`: a person's access to one system for a period.
    AccessGrants {
        Id, UserId, ApplicationId, System, ValidFrom, ValidUntil, Status, GrantedBy, GrantedAt,
        RevokedAt,
    }
    /// `administrators`: budget program administrators of every budget.
    Administrators { Id, Level, Kato, Code, NameKk, NameRu, NameEn }
    /// `application_employees`: the employee rows of an application's form.
    ApplicationEmployees {
        Id, ApplicationId, RowNo, Surname, Name, Patronymic, Iin, Position, StructuralUnit,
        EqyzmetQr, Phone, Email, Purpose, Outcome, Refusal, UserId,
    }
    /// `audit_events`: the hash-chained audit trail.
    AuditEvents {
        Seq, At, UserId, OrganizationId, Operation, QueryHash, Variables, Scope, Outcome,
        RowsReturned, DurationMs, ClientAddr, PrevHash, Hash, RequestId, ServedFromCache,
    }
    /// `auth_challenges`: one-time login challenges.
    AuthChallenges { Nonce, CreatedAt, ExpiresAt, UsedAt }
    /// `block_requests`: requests to block a person whose powers ended.
    BlockRequests {
        Id, UserId, OrganizationId, RequestedBy, TerminatedOn, Reason, RequestedAt, Due, Late,
        ExecutedBy, ExecutedAt,
    }
    /// `budget_amounts`: one amount of a budget line in one phase, with its line's group keys.
    BudgetAmounts { Id, LineId, Phase, AsOf, AmountTenths, Year, Level, Kato, Administrator }
    /// `budget_lines`: budget lines by their classification.
    /// `budget_classification`: the unified budget classification, year by year.
    BudgetClassification { Year, Kind, Level, Code, NameKk, NameRu, RetiredOn }

    BudgetLines {
        Id, Year, Level, Kato, RegionKato, Administrator, Program, Subprogram, Specific,
        FunctionalGroup,
    }
    /// `budget_programs`: the programs of administrators.
    BudgetPrograms { Id, Level, Kato, Administrator, Program, NameKk, NameRu, NameEn }
    /// `budget_region_rollup`: amounts summed by year, level, region, phase and snapshot date.
    BudgetRegionRollup { Year, Level, RegionKato, Phase, AsOf, AmountTenths, RowCount }
    /// `budget_rollup`: amounts summed by year, level, territory, administrator, phase and
    /// snapshot date.
    BudgetRollup {
        Year, Level, Kato, RegionKato, Administrator, Phase, AsOf, AmountTenths, RowCount,
    }
    /// `calendar_days`: Kurban Ait dates and transfers of days off.
    CalendarDays { Day, IsWorking, Kind, Note, UpdatedBy, UpdatedAt }
    /// `change_epochs`: counters bumped whenever data a server process caches changes.
    ChangeEpochs { Topic, Epoch }
    /// `demo_marker`: present when the demo seed made the database.
    DemoMarker { Id, SeededAt }
    /// `document_chunks`: the bytes of document files, at most 1 MiB a row, in order.
    DocumentChunks { Sha256, Seq, Bytes }
    /// `document_contents`: the files of documents, by their SHA-256, with their size.
    DocumentContents { Sha256, SizeBytes }
    /// `documents`: technical documents of informatization objects.
    Documents {
        Id, ObjectId, DocType, Title, Number, ApprovedOn, Version, Language, Format, FileName,
        SizeBytes, Sha256,
    }
    /// `economic_specifics`: the economic classification's specifics.
    EconomicSpecifics { Code, NameKk, NameRu, NameEn }
    /// `functional_groups`: the functional classification's groups.
    FunctionalGroups { Code, NameKk, NameRu, NameEn }
    /// `informatization_objects`: informatization objects and their current stage.
    InformatizationObjects {
        Id, Kind, ObjectClass, NameKk, NameRu, NameEn, AccountCode, OwnerId, PossessorId, Stage,
        AccessLevel, RegisteredOn, Attestation, AttestedOn, OwnerLevel, OwnerKato,
        OwnerAdministrator,
    }
    /// `memberships`: a person's belonging to a body over time.
    Memberships {
        Id, UserId, OrganizationId, Position, StructuralUnit, StartedOn, EndedOn, EndReason,
        ApplicationId,
    }
    /// `object_funding`: the budget lines funding an object.
    ObjectFunding { ObjectId, LineId }
    /// `object_stage_history`: the lifecycle stages an object went through.
    ObjectStageHistory { Id, ObjectId, Stage, StartedOn, Basis }
    /// `organizations`: the bodies and organizations.
    Organizations {
        Id, Bin, Kind, NameKk, NameRu, NameEn, Kato, BudgetLevel, Administrator, ParentId,
        AuditExcluded,
    }
    /// `policy_revisions`: published revisions of the access policy.
    PolicyRevisions { Id, Model, Rules, Sha256, Source, Note, PublishedAt }
    /// `revoked_tokens`: bearer tokens revoked until they expire.
    RevokedTokens { Jti, UserId, ExpiresAt, RevokedAt }
    /// `territories`: the KATO territories.
    Territories { Kato, Kind, RegionKato, ParentKato, NameKk, NameRu, NameEn, RetiredOn }
    /// `training_records`: completed trainings and their reports.
    TrainingRecords {
        Id, UserId, CompletedOn, Language, RecordedBy, RecordedAt, ReportDue, ReportedAt,
    }
    /// `users`: the people who sign in.
    Users {
        Id, Iin, Surname, Name, Patronymic, Position, StructuralUnit, Phone, Email, EqyzmetQr,
        OrganizationId, IsHead, Status, CreatedAt, BlockedAt,
    }
}

/// sqlx's ledger of applied migrations (created by sqlx, not by a migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sea_query::Iden)]
#[iden = "_sqlx_migrations"]
pub enum SqlxMigrations {
    /// The table itself.
    Table,
    /// The migration's number.
    Version,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_render_in_snake_case() {
        assert_eq!(Users::Table.to_string(), "users");
        assert_eq!(
            BudgetRegionRollup::Table.to_string(),
            "budget_region_rollup"
        );
        assert_eq!(DocumentContents::Sha256.to_string(), "sha256");
        assert_eq!(Users::EqyzmetQr.to_string(), "eqyzmet_qr");
        assert_eq!(ApplicationEmployees::RowNo.to_string(), "row_no");
        assert_eq!(Organizations::NameKk.to_string(), "name_kk");
        assert_eq!(SqlxMigrations::Table.to_string(), "_sqlx_migrations");
    }
}
