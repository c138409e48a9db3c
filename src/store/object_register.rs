//! The register of informatization objects as the objects import reads and writes it: objects
//! by account code with their owner's and possessor's BINs, their stage history, funding lines
//! and documents, each by its natural key.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query};

use super::Tx;
use super::bulk::{insert_rows, resync_identity};
use super::schema::{
    Documents, InformatizationObjects as Obj, ObjectFunding, ObjectStageHistory, Organizations,
};
use crate::domain::object::{
    AccessLevel, AttestationStatus, DocumentFormat, DocumentLanguage, DocumentType, LifecycleStage,
    ObjectKind,
};
use crate::error::AppResult;

/// An object as the register describes it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Object {
    /// Account code on the architecture portal (the natural key).
    pub account_code: String,
    /// Kind.
    #[sqlx(try_from = "String")]
    pub kind: ObjectKind,
    /// Class 1–3.
    pub object_class: i32,
    /// Name in Kazakh.
    pub name_kk: String,
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English.
    pub name_en: Option<String>,
    /// Owner's BIN.
    pub owner_bin: String,
    /// Possessor's BIN.
    pub possessor_bin: String,
    /// Current stage.
    #[sqlx(try_from = "String")]
    pub stage: LifecycleStage,
    /// Access level.
    #[sqlx(try_from = "String")]
    pub access_level: AccessLevel,
    /// Date registered.
    pub registered_on: NaiveDate,
    /// Information-security attestation.
    #[sqlx(try_from = "String")]
    pub attestation: AttestationStatus,
    /// Date of the attestation certificate.
    pub attested_on: Option<NaiveDate>,
}

/// A step of an object's stage history by its natural key: (account code, date, stage).
pub type StageKey = (String, NaiveDate, &'static str);

/// A document as the register describes it (its file by SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Document {
    /// The object's account code.
    pub account_code: String,
    /// Type.
    #[sqlx(try_from = "String")]
    pub doc_type: DocumentType,
    /// Title.
    pub title: String,
    /// Registration number.
    pub number: Option<String>,
    /// Approval date.
    pub approved_on: Option<NaiveDate>,
    /// Version.
    pub version: String,
    /// Language.
    #[sqlx(try_from = "String")]
    pub language: DocumentLanguage,
    /// Format.
    #[sqlx(try_from = "String")]
    pub format: DocumentFormat,
    /// File name offered on download (unique within the object: the natural key with the code).
    pub file_name: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// Serializes imports of the objects register.
pub async fn lock(tx: &mut Tx) -> AppResult<()> {
    super::bulk::lock_for_import(tx, Obj::Table).await
}

const OWNER: &str = "ow";
const POSSESSOR: &str = "po";
const OBJECT: &str = "o";

/// Every object, by account code, with its id.
pub async fn all(tx: &mut Tx) -> AppResult<BTreeMap<String, (i64, Object)>> {
    #[derive(sqlx::FromRow)]
    struct Stored {
        id: i64,
        #[sqlx(flatten)]
        object: Object,
    }
    let q = Query::select()
        .column((OBJECT, Obj::Id))
        .columns(
            [
                Obj::AccountCode,
                Obj::Kind,
                Obj::ObjectClass,
                Obj::NameKk,
                Obj::NameRu,
                Obj::NameEn,
                Obj::Stage,
                Obj::AccessLevel,
                Obj::RegisteredOn,
                Obj::Attestation,
                Obj::AttestedOn,
            ]
            .map(|c| (OBJECT, c)),
        )
        .expr_as(
            Expr::col((OWNER, Organizations::Bin)),
            Alias::new("owner_bin"),
        )
        .expr_as(
            Expr::col((POSSESSOR, Organizations::Bin)),
            Alias::new("possessor_bin"),
        )
        .from_as(Obj::Table, OBJECT)
        .join_as(
            JoinType::InnerJoin,
            Organizations::Table,
            OWNER,
            Expr::col((OWNER, Organizations::Id)).equals((OBJECT, Obj::OwnerId)),
        )
        .join_as(
            JoinType::InnerJoin,
            Organizations::Table,
            POSSESSOR,
            Expr::col((POSSESSOR, Organizations::Id)).equals((OBJECT, Obj::PossessorId)),
        )
        .to_owned();
    Ok(tx
        .all::<Stored>(&q)
        .await?
        .into_iter()
        .map(|s| (s.object.account_code.clone(), (s.id, s.object)))
        .collect())
}

const COLUMNS: [Obj; 13] = [
    Obj::AccountCode,
    Obj::Kind,
    Obj::ObjectClass,
    Obj::NameKk,
    Obj::NameRu,
    Obj::NameEn,
    Obj::OwnerId,
    Obj::PossessorId,
    Obj::Stage,
    Obj::AccessLevel,
    Obj::RegisteredOn,
    Obj::Attestation,
    Obj::AttestedOn,
];

/// The values of [`COLUMNS`]; `orgs` resolves BINs to ids.
fn values(o: &Object, orgs: &HashMap<String, i64>) -> Vec<sea_query::Value> {
    vec![
        o.account_code.clone().into(),
        o.kind.into(),
        o.object_class.into(),
        o.name_kk.clone().into(),
        o.name_ru.clone().into(),
        o.name_en.clone().into(),
        orgs.get(&o.owner_bin).copied().into(),
        orgs.get(&o.possessor_bin).copied().into(),
        o.stage.into(),
        o.access_level.into(),
        o.registered_on.into(),
        o.attestation.into(),
        o.attested_on.into(),
    ]
}

/// Inserts new objects with ids in the order given (under the import lock, the ids past the
/// largest are free) and adds them to `ids` by account code.
pub async fn insert(
    tx: &mut Tx,
    objects: &[Object],
    orgs: &HashMap<String, i64>,
    ids: &mut HashMap<String, i64>,
) -> AppResult<()> {
    let max = Query::select()
        .expr(Func::coalesce([
            Expr::from(Func::max(Expr::col(Obj::Id))),
            Expr::val(0),
        ]))
        .from(Obj::Table)
        .to_owned();
    let first = tx.scalar_i64(&max).await? + 1;
    let mut rows = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        let id = first + i as i64;
        ids.insert(o.account_code.clone(), id);
        let mut row = vec![id.into()];
        row.extend(values(o, orgs));
        rows.push(row);
    }
    let mut columns = vec![Obj::Id];
    columns.extend(COLUMNS);
    insert_rows(tx, Obj::Table, &columns, rows).await?;
    resync_identity(tx, Obj::Table).await
}

/// Rewrites a changed object.
pub async fn update(tx: &mut Tx, object: &Object, orgs: &HashMap<String, i64>) -> AppResult<()> {
    let q = Query::update()
        .table(Obj::Table)
        .values(
            COLUMNS
                .into_iter()
                .zip(values(object, orgs))
                .filter(|(c, _)| *c != Obj::AccountCode)
                .map(|(c, v)| (c, Expr::from(v))),
        )
        .and_where(Expr::col(Obj::AccountCode).eq(object.account_code.as_str()))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// The stage history of every object: basis by (account code, date, stage).
pub async fn stages(tx: &mut Tx) -> AppResult<BTreeMap<StageKey, Option<String>>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        account_code: String,
        started_on: NaiveDate,
        #[sqlx(try_from = "String")]
        stage: LifecycleStage,
        basis: Option<String>,
    }
    let q = Query::select()
        .column((OBJECT, Obj::AccountCode))
        .columns(
            [
                ObjectStageHistory::StartedOn,
                ObjectStageHistory::Stage,
                ObjectStageHistory::Basis,
            ]
            .map(|c| (ObjectStageHistory::Table, c)),
        )
        .from(ObjectStageHistory::Table)
        .join_as(
            JoinType::InnerJoin,
            Obj::Table,
            OBJECT,
            Expr::col((OBJECT, Obj::Id))
                .equals((ObjectStageHistory::Table, ObjectStageHistory::ObjectId)),
        )
        .to_owned();
    Ok(tx
        .all::<Row>(&q)
        .await?
        .into_iter()
        .map(|r| ((r.account_code, r.started_on, r.stage.as_str()), r.basis))
        .collect())
}

/// Removes these steps of the stage history.
pub async fn delete_stages(
    tx: &mut Tx,
    keys: &[StageKey],
    ids: &HashMap<String, i64>,
) -> AppResult<()> {
    for (code, on, stage) in keys {
        let q = Query::delete()
            .from_table(ObjectStageHistory::Table)
            .and_where(Expr::col(ObjectStageHistory::ObjectId).eq(ids.get(code).copied()))
            .and_where(Expr::col(ObjectStageHistory::StartedOn).eq(*on))
            .and_where(Expr::col(ObjectStageHistory::Stage).eq(*stage))
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Writes these steps of the stage history: inserts new keys, sets the basis of existing ones.
pub async fn put_stages(
    tx: &mut Tx,
    steps: &[(StageKey, Option<String>)],
    existing: &BTreeMap<StageKey, Option<String>>,
    ids: &HashMap<String, i64>,
) -> AppResult<()> {
    let mut rows = Vec::new();
    for ((code, on, stage), basis) in steps {
        let object_id = ids.get(code).copied();
        if existing.contains_key(&(code.clone(), *on, *stage)) {
            let q = Query::update()
                .table(ObjectStageHistory::Table)
                .value(ObjectStageHistory::Basis, basis.clone())
                .and_where(Expr::col(ObjectStageHistory::ObjectId).eq(object_id))
                .and_where(Expr::col(ObjectStageHistory::StartedOn).eq(*on))
                .and_where(Expr::col(ObjectStageHistory::Stage).eq(*stage))
                .to_owned();
            tx.execute(&q).await?;
        } else {
            rows.push(vec![
                object_id.into(),
                (*stage).into(),
                (*on).into(),
                basis.clone().into(),
            ]);
        }
    }
    insert_rows(
        tx,
        ObjectStageHistory::Table,
        &[
            ObjectStageHistory::ObjectId,
            ObjectStageHistory::Stage,
            ObjectStageHistory::StartedOn,
            ObjectStageHistory::Basis,
        ],
        rows,
    )
    .await
}

/// Every funding link: (account code, budget line id).
pub async fn funding(tx: &mut Tx) -> AppResult<BTreeSet<(String, i64)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        account_code: String,
        line_id: i64,
    }
    let q = Query::select()
        .column((OBJECT, Obj::AccountCode))
        .column((ObjectFunding::Table, ObjectFunding::LineId))
        .from(ObjectFunding::Table)
        .join_as(
            JoinType::InnerJoin,
            Obj::Table,
            OBJECT,
            Expr::col((OBJECT, Obj::Id)).equals((ObjectFunding::Table, ObjectFunding::ObjectId)),
        )
        .to_owned();
    Ok(tx
        .all::<Row>(&q)
        .await?
        .into_iter()
        .map(|r| (r.account_code, r.line_id))
        .collect())
}

/// Adds and removes funding links.
pub async fn put_funding(
    tx: &mut Tx,
    add: &[(String, i64)],
    remove: &[(String, i64)],
    ids: &HashMap<String, i64>,
) -> AppResult<()> {
    for (code, line) in remove {
        let q = Query::delete()
            .from_table(ObjectFunding::Table)
            .and_where(Expr::col(ObjectFunding::ObjectId).eq(ids.get(code).copied()))
            .and_where(Expr::col(ObjectFunding::LineId).eq(*line))
            .to_owned();
        tx.execute(&q).await?;
    }
    let rows = add
        .iter()
        .map(|(code, line)| vec![ids.get(code).copied().into(), (*line).into()])
        .collect();
    insert_rows(
        tx,
        ObjectFunding::Table,
        &[ObjectFunding::ObjectId, ObjectFunding::LineId],
        rows,
    )
    .await
}

/// The documents' columns the register writes, the object aside.
const DOCUMENT_COLUMNS: [Documents; 10] = [
    Documents::DocType,
    Documents::Title,
    Documents::Number,
    Documents::ApprovedOn,
    Documents::Version,
    Documents::Language,
    Documents::Format,
    Documents::FileName,
    Documents::SizeBytes,
    Documents::Sha256,
];

/// Every document by (account code, file name), with its id; and, of two or more documents of
/// one object under one file name (possible before imports kept them apart), the ids of all but
/// the latest, which the key lists.
pub async fn documents(tx: &mut Tx) -> AppResult<StoredDocuments> {
    #[derive(sqlx::FromRow)]
    struct Stored {
        id: i64,
        #[sqlx(flatten)]
        document: Document,
    }
    let q = Query::select()
        .column((Documents::Table, Documents::Id))
        .column((OBJECT, Obj::AccountCode))
        .columns(DOCUMENT_COLUMNS.map(|c| (Documents::Table, c)))
        .from(Documents::Table)
        .join_as(
            JoinType::InnerJoin,
            Obj::Table,
            OBJECT,
            Expr::col((OBJECT, Obj::Id)).equals((Documents::Table, Documents::ObjectId)),
        )
        .order_by((Documents::Table, Documents::Id), sea_query::Order::Asc)
        .to_owned();
    let mut latest = BTreeMap::new();
    let mut shadowed = Vec::new();
    for s in tx.all::<Stored>(&q).await? {
        let key = (
            s.document.account_code.clone(),
            s.document.file_name.clone(),
        );
        // Ordered by id: a later row shadows an earlier one of the same key.
        if let Some((old, _)) = latest.insert(key.clone(), (s.id, s.document)) {
            shadowed.push((key, old));
        }
    }
    Ok((latest, shadowed))
}

/// What [`documents`] reads: the latest document of each key, and the shadowed ones' ids.
pub type StoredDocuments = (
    BTreeMap<(String, String), (i64, Document)>,
    Vec<((String, String), i64)>,
);

fn document_values(d: &Document) -> Vec<sea_query::Value> {
    vec![
        d.doc_type.into(),
        d.title.clone().into(),
        d.number.clone().into(),
        d.approved_on.into(),
        d.version.clone().into(),
        d.language.into(),
        d.format.into(),
        d.file_name.clone().into(),
        d.size_bytes.into(),
        d.sha256.clone().into(),
    ]
}

/// Inserts new documents (their files stored already).
pub async fn insert_documents(
    tx: &mut Tx,
    documents: &[Document],
    ids: &HashMap<String, i64>,
) -> AppResult<()> {
    let rows = documents
        .iter()
        .map(|d| {
            let mut row = vec![ids.get(&d.account_code).copied().into()];
            row.extend(document_values(d));
            row
        })
        .collect();
    let mut columns = vec![Documents::ObjectId];
    columns.extend(DOCUMENT_COLUMNS);
    insert_rows(tx, Documents::Table, &columns, rows).await
}

/// Rewrites the document with id `id`.
pub async fn update_document(tx: &mut Tx, id: i64, document: &Document) -> AppResult<()> {
    let q = Query::update()
        .table(Documents::Table)
        .values(
            DOCUMENT_COLUMNS
                .into_iter()
                .zip(document_values(document))
                .map(|(c, v)| (c, Expr::from(v))),
        )
        .and_where(Expr::col(Documents::Id).eq(id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Removes the documents with these ids (their files stay: another document may share them).
pub async fn delete_documents(tx: &mut Tx, ids: &[i64]) -> AppResult<()> {
    for part in ids.chunks(500) {
        let q = Query::delete()
            .from_table(Documents::Table)
            .and_where(Expr::col(Documents::Id).is_in(part.iter().copied()))
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}
