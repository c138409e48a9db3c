//! GraphQL output types over the store's rows.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::context::{org_loader, reader, req};
use crate::domain::budget::{BudgetLevel, BudgetPhase, InformationSystem, tenths_to_decimal};
use crate::domain::lang::Lang;
use crate::domain::object::{
    AccessLevel, AttestationStatus, DocumentFormat, DocumentLanguage, DocumentType, LifecycleStage,
    ObjectKind,
};
use crate::domain::org::BodyKind;
use crate::graphql::date::Date;
use crate::graphql::object_page::ObjectChildren;
use crate::graphql::plain::Plain;
use crate::store::budget::{AggregateRow, BudgetLineRow};
use crate::store::documents::DocumentRow;
use crate::store::objects::{FundingRow, ObjectRow, StageRow};
use crate::store::orgs::OrgRow;

pub(crate) fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

pub(crate) fn localized(lang: Lang, kk: &str, ru: &str, en: Option<&str>) -> String {
    localized_str(lang, kk, ru, en).to_owned()
}

/// The name in language `lang`: English falls back to Russian where a row has no English name.
pub(crate) fn localized_str<'a>(
    lang: Lang,
    kk: &'a str,
    ru: &'a str,
    en: Option<&'a str>,
) -> &'a str {
    match lang {
        Lang::Kk => kk,
        Lang::Ru => ru,
        Lang::En => en.unwrap_or(ru),
    }
}

/// One amount of one budget line in one phase.
pub struct BudgetLine(pub BudgetLineRow);

#[Object]
impl BudgetLine {
    /// Id of this amount row.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Budget year.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// Budget level.
    async fn level(&self) -> BudgetLevel {
        self.0.level
    }
    /// KATO code of the budget's territory (`000000000` for the republican budget).
    async fn territory(&self) -> &str {
        &self.0.kato
    }
    /// KATO code of the region (`XX0000000`); null for the republican budget.
    async fn region(&self) -> Option<&str> {
        self.0.region_kato.as_deref()
    }
    /// Budget program administrator code.
    async fn administrator(&self) -> &str {
        &self.0.administrator
    }
    /// Budget program code.
    async fn program(&self) -> &str {
        &self.0.program
    }
    /// Subprogram code, if any.
    async fn subprogram(&self) -> Option<String> {
        non_empty(&self.0.subprogram)
    }
    /// Economic classification specific, if any.
    async fn specific(&self) -> Option<String> {
        non_empty(&self.0.specific)
    }
    /// Functional group.
    async fn functional_group(&self) -> &str {
        &self.0.functional_group
    }
    /// Phase of the budget process.
    async fn phase(&self) -> BudgetPhase {
        self.0.phase
    }
    /// The source system of this row.
    async fn system(&self) -> InformationSystem {
        self.0.phase.system()
    }
    /// For EXECUTED rows, the date the cumulative amount is as of.
    async fn as_of(&self) -> Option<Date> {
        self.0.as_of.map(Date)
    }
    /// Amount in thousands of tenge (exact).
    async fn amount(&self) -> Decimal {
        tenths_to_decimal(self.0.amount_tenths)
    }
}

/// The grouping keys of a summary row; a field is null unless grouped by it.
#[derive(SimpleObject)]
pub struct BudgetKey {
    /// Year.
    pub year: Option<i32>,
    /// Level.
    pub level: Option<BudgetLevel>,
    /// Region KATO (`XX0000000`); null for the republican budget.
    pub region: Option<String>,
    /// Territory KATO.
    pub territory: Option<String>,
    /// Administrator code.
    pub administrator: Option<String>,
    /// Program code.
    pub program: Option<String>,
    /// Subprogram code (null also when the rows have none).
    pub subprogram: Option<String>,
    /// Specific (null also when the rows have none).
    pub specific: Option<String>,
    /// Functional group.
    pub functional_group: Option<String>,
    /// Phase.
    pub phase: Option<BudgetPhase>,
}

/// One group of a budget summary.
#[derive(SimpleObject)]
pub struct BudgetAggregate {
    /// The group's keys.
    pub key: BudgetKey,
    /// Exact sum in thousands of tenge.
    pub amount: Decimal,
    /// Number of amount rows summed.
    pub line_count: i32,
}

impl From<AggregateRow> for BudgetAggregate {
    fn from(r: AggregateRow) -> Self {
        let code = |s: Option<String>| s.filter(|s| !s.is_empty());
        BudgetAggregate {
            key: BudgetKey {
                year: r.year,
                level: r.level.and_then(|l| l.parse().ok()),
                region: r.region,
                territory: r.territory,
                administrator: r.administrator,
                program: r.program,
                subprogram: code(r.subprogram),
                specific: code(r.specific),
                functional_group: r.functional_group,
                phase: r.phase.and_then(|p| p.parse().ok()),
            },
            amount: tenths_to_decimal(r.amount_tenths),
            line_count: i32::try_from(r.line_count).unwrap_or(i32::MAX),
        }
    }
}

/// An organization.
#[derive(Clone)]
pub struct Organization(pub OrgRow);

#[Object]
impl Organization {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Business identification number.
    async fn bin(&self) -> &str {
        &self.0.bin
    }
    /// Kind of body.
    async fn kind(&self) -> BodyKind {
        self.0.kind
    }
    /// Name in the request's language.
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        let lang = req(ctx)?.lang;
        Ok(localized(
            lang,
            &self.0.name_kk,
            &self.0.name_ru,
            self.0.name_en.as_deref(),
        ))
    }
    /// Name in Kazakh.
    async fn name_kk(&self) -> &str {
        &self.0.name_kk
    }
    /// Name in Russian.
    async fn name_ru(&self) -> &str {
        &self.0.name_ru
    }
    /// Name in English, where known.
    async fn name_en(&self) -> Option<&str> {
        self.0.name_en.as_deref()
    }
    /// KATO code of the territory it serves or is located in.
    async fn territory(&self) -> &str {
        &self.0.kato
    }
    /// Level of the budget that funds it.
    async fn budget_level(&self) -> BudgetLevel {
        self.0.budget_level
    }
    /// Its administrator code (for an internal audit service, its body's).
    async fn administrator(&self) -> Option<&str> {
        self.0.administrator.as_deref()
    }
    /// Whether the law excludes it from the audit bodies (paragraph 2.6).
    async fn audit_excluded(&self) -> bool {
        self.0.audit_excluded
    }
    /// Parent organization, when visible to the caller.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(org_loader(ctx)?.load_one(id).await?.map(Organization))
    }
}

/// One step of an object's lifecycle.
#[derive(SimpleObject, Clone)]
pub struct StageChange {
    /// Stage entered.
    pub stage: LifecycleStage,
    /// Date entered.
    pub started_on: Date,
    /// The act or order it rests on.
    pub basis: Option<String>,
}

impl From<StageRow> for StageChange {
    fn from(r: StageRow) -> Self {
        StageChange {
            stage: r.stage,
            started_on: Date(r.started_on),
            basis: r.basis,
        }
    }
}

/// A budget line (classification only) that funds an object.
#[derive(SimpleObject, Clone)]
pub struct FundingLine {
    /// Budget line id.
    pub id: ID,
    /// Year.
    pub year: i32,
    /// Level.
    pub level: BudgetLevel,
    /// Territory KATO.
    pub territory: String,
    /// Administrator code.
    pub administrator: String,
    /// Program code.
    pub program: String,
    /// Subprogram code.
    pub subprogram: Option<String>,
    /// Specific.
    pub specific: Option<String>,
    /// Functional group.
    pub functional_group: String,
}

impl From<FundingRow> for FundingLine {
    fn from(r: FundingRow) -> Self {
        FundingLine {
            id: ID(r.line_id.to_string()),
            year: r.year,
            level: r.level,
            territory: r.kato,
            administrator: r.administrator,
            program: r.program,
            subprogram: non_empty(&r.subprogram),
            specific: non_empty(&r.specific),
            functional_group: r.functional_group,
        }
    }
}

/// An informatization object; on a page, with the children the page read ahead for every
/// object at once (its fields read them there, and through the request's loaders otherwise).
pub struct InformatizationObject(pub ObjectRow, pub Option<Arc<ObjectChildren>>);

#[Object]
impl InformatizationObject {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Kind of object.
    async fn kind(&self) -> ObjectKind {
        self.0.kind
    }
    /// Class (1–3).
    async fn object_class(&self) -> i32 {
        self.0.object_class
    }
    /// Name in the request's language.
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        let lang = req(ctx)?.lang;
        Ok(localized(
            lang,
            &self.0.name_kk,
            &self.0.name_ru,
            self.0.name_en.as_deref(),
        ))
    }
    /// Name in Kazakh.
    async fn name_kk(&self) -> &str {
        &self.0.name_kk
    }
    /// Name in Russian.
    async fn name_ru(&self) -> &str {
        &self.0.name_ru
    }
    /// Account code on the architecture portal.
    async fn account_code(&self) -> &str {
        &self.0.account_code
    }
    /// Current lifecycle stage.
    async fn stage(&self) -> LifecycleStage {
        self.0.stage
    }
    /// Access level.
    async fn access_level(&self) -> AccessLevel {
        self.0.access_level
    }
    /// Date registered.
    async fn registered_on(&self) -> Date {
        Date(self.0.registered_on)
    }
    /// Information-security attestation (required of state information systems before
    /// industrial operation).
    async fn attestation(&self) -> AttestationStatus {
        self.0.attestation
    }
    /// Date of the attestation certificate, when attested.
    async fn attested_on(&self) -> Option<Date> {
        self.0.attested_on.map(Date)
    }
    /// Owner organization.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        self.org(ctx, self.0.owner_id).await
    }
    /// Possessor organization, when visible to the caller.
    async fn possessor(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        self.org(ctx, self.0.possessor_id).await
    }
    /// Lifecycle history, oldest first.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn stage_history(&self, ctx: &Context<'_>) -> Result<Vec<StageChange>> {
        if let Some(read) = self.children().and_then(|c| c.stages(self.0.id)) {
            return Ok(read.to_vec());
        }
        let rows = reader(ctx)?
            .stages
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Into::into).collect())
    }
    /// Budget lines that fund the object (those within the caller's scope).
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn funding_lines(&self, ctx: &Context<'_>) -> Result<Vec<Plain<FundingLine>>> {
        if let Some(read) = self.children().and_then(|c| c.funding(self.0.id)) {
            return Ok(read.iter().cloned().map(Plain).collect());
        }
        let rows = reader(ctx)?
            .funding
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(|r| Plain(r.into())).collect())
    }
    /// Technical documents.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<Plain<Document>>> {
        if let Some(read) = self.children().and_then(|c| c.documents(self.0.id)) {
            return Ok(read.iter().cloned().map(Plain).collect());
        }
        let rows = reader(ctx)?
            .documents
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(|r| Plain(Document(r))).collect())
    }
}

impl InformatizationObject {
    /// The children its page read ahead, if it was read on a page.
    pub(crate) fn children(&self) -> Option<&ObjectChildren> {
        self.1.as_deref()
    }

    /// Organization `id` as the caller sees it: from the page when it read them ahead.
    async fn org(&self, ctx: &Context<'_>, id: i64) -> Result<Option<Organization>> {
        if let Some(read) = self.children().and_then(|c| c.org(id)) {
            return Ok(read.cloned());
        }
        Ok(org_loader(ctx)?.load_one(id).await?.map(Organization))
    }
}

/// An electronic copy of a technical document.
#[derive(Clone)]
pub struct Document(pub DocumentRow);

impl Document {
    /// Path of document `id`'s content download, relative to the server.
    pub(crate) fn download_path(id: i64) -> String {
        format!("/documents/{id}/content")
    }
}

#[Object]
impl Document {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Type of document.
    #[graphql(name = "type")]
    async fn doc_type(&self) -> DocumentType {
        self.0.doc_type
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Registration number.
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }
    /// Approval date.
    async fn approved_on(&self) -> Option<Date> {
        self.0.approved_on.map(Date)
    }
    /// Version.
    async fn version(&self) -> &str {
        &self.0.version
    }
    /// Language.
    async fn language(&self) -> DocumentLanguage {
        self.0.language
    }
    /// File format.
    async fn format(&self) -> DocumentFormat {
        self.0.format
    }
    /// File name offered on download.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// Size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    /// SHA-256 of the content (hex); also the download's ETag.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Path of the content download, relative to the server.
    async fn download_url(&self) -> String {
        Document::download_path(self.0.id)
    }
    /// The object documented.
    async fn object(&self, ctx: &Context<'_>) -> Result<Option<InformatizationObject>> {
        Ok(reader(ctx)?
            .objects
            .load_one(self.0.object_id)
            .await?
            .map(|o| InformatizationObject(o, None)))
    }
}
