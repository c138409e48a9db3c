//! Per-request state: the caller's permissions and language, and DataLoaders built with them.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, ErrorExtensions};

use crate::authz::Scope;
use crate::authz::permissions::{Acting, Action, OrgRows, Permissions};
use crate::authz::principal::Principal;
use crate::clock::Clock;
use crate::domain::lang::Lang;
use crate::error::{AppError, ErrorCode};
use crate::store::Db;
use crate::store::documents::{self, DocumentRow};
use crate::store::objects::{self, FundingRow, ObjectRow, StageRow};
use crate::store::orgs::{self, OrgRow};
use crate::store::positional::Reads;

/// Everything a resolver needs about the request it serves.
pub struct RequestCtx {
    db: Db,
    /// The language of messages.
    pub lang: Lang,
    /// The clock requests are judged by.
    pub clock: Clock,
    /// Rows returned to the caller so far (for the audit trail).
    pub rows: Arc<std::sync::atomic::AtomicU64>,
    permissions: Arc<Permissions>,
    reader: Result<Reader, ErrorCode>,
    orgs: Result<Loaders<OrgLoader>, ErrorCode>,
}

/// Reads within the caller's budget scope: the scope and the loaders built with it.
pub struct Reader {
    db: Db,
    scope: Arc<Scope>,
    /// The language of messages.
    pub lang: Lang,
    /// Rows returned to the caller so far (shared with the request context).
    pub rows: Arc<std::sync::atomic::AtomicU64>,
    /// Objects by id.
    pub objects: Loaders<ScopedLoader<ObjectsById>>,
    /// Stage history by object id.
    pub stages: Loaders<ScopedLoader<StagesByObject>>,
    /// Funding lines by object id.
    pub funding: Loaders<ScopedLoader<FundingByObject>>,
    /// Documents by object id.
    pub documents: Loaders<ScopedLoader<DocumentsByObject>>,
}

impl RequestCtx {
    /// A context for one request: what the caller may read and do. `reads` serves the
    /// caller's budget-scoped reads (a read replica, or `db` itself); workflow, audit and every
    /// write use `db`.
    pub fn new(
        db: Db,
        reads: Db,
        lang: Lang,
        clock: Clock,
        permissions: Arc<Permissions>,
    ) -> RequestCtx {
        let rows = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let reader = match permissions.budget() {
            Ok(scope) => Ok(Reader::new(reads, scope.clone(), lang, rows.clone())),
            Err(e) => Err(e.code()),
        };
        let orgs = match permissions.organizations() {
            Ok(visible) => Ok(new_org_loader(&db, visible.clone(), lang)),
            Err(e) => Err(e.code()),
        };
        RequestCtx {
            db,
            lang,
            clock,
            rows,
            permissions,
            reader,
            orgs,
        }
    }

    /// Counts rows returned to the caller.
    pub fn returned(&self, n: usize) {
        self.rows.fetch_add(
            u64::try_from(n).unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The database, for the permission-taking store functions and the services.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// What the caller may read and do.
    pub fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// The caller doing `action`, with the targets it may touch; `FORBIDDEN` when their body
    /// may not (`UNAUTHENTICATED` without a caller). Every mutation starts here.
    pub fn act(&self, action: Action) -> async_graphql::Result<Acting<'_>> {
        self.permissions.act(action).map_err(|e| self.error(e))
    }

    /// A permission of the caller's, or its refusal as a GraphQL error.
    pub fn allowed<T>(&self, decided: Result<T, AppError>) -> async_graphql::Result<T> {
        decided.map_err(|e| self.error(e))
    }

    /// The reader, or the refusal (`UNAUTHENTICATED` / `FORBIDDEN`) before any SQL runs.
    pub fn reader(&self) -> async_graphql::Result<&Reader> {
        self.reader
            .as_ref()
            .map_err(|c| self.error(AppError::denied(*c)))
    }

    /// Organizations by id, as the caller sees them (one rule whatever the path).
    pub fn orgs(&self) -> async_graphql::Result<&Loaders<OrgLoader>> {
        self.orgs
            .as_ref()
            .map_err(|c| self.error(AppError::denied(*c)))
    }

    /// The caller, or `UNAUTHENTICATED`.
    pub fn principal(&self) -> async_graphql::Result<&Principal> {
        self.permissions
            .caller()
            .map(|p| &**p)
            .map_err(|e| self.error(e))
    }

    /// Converts an error to a GraphQL error in the caller's language, logging internal causes.
    pub fn error(&self, e: AppError) -> async_graphql::Error {
        to_graphql_error(e, self.lang)
    }
}

impl Reader {
    /// A reader for one request; its loaders carry the same scope.
    pub fn new(
        db: Db,
        scope: Arc<Scope>,
        lang: Lang,
        rows: Arc<std::sync::atomic::AtomicU64>,
    ) -> Reader {
        Reader {
            objects: scoped_loader(&db, &scope, lang, ObjectsById),
            stages: scoped_loader(&db, &scope, lang, StagesByObject),
            funding: scoped_loader(&db, &scope, lang, FundingByObject),
            documents: scoped_loader(&db, &scope, lang, DocumentsByObject),
            db,
            scope,
            lang,
            rows,
        }
    }

    /// The database the scoped reads go to.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// The caller's budget scope: every read through this reader goes through it.
    pub(crate) fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Counts rows returned to the caller.
    pub fn returned(&self, n: usize) {
        self.rows.fetch_add(
            u64::try_from(n).unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Converts an error to a GraphQL error in the caller's language, logging internal causes.
    pub fn error(&self, e: AppError) -> async_graphql::Error {
        to_graphql_error(e, self.lang)
    }
}

/// A GraphQL error with a stable `code` (and `field`) extension; internal causes are logged only.
pub fn to_graphql_error(e: AppError, lang: Lang) -> async_graphql::Error {
    if matches!(e, AppError::Database(_) | AppError::Internal(_)) {
        tracing::error!(error = %e, "request failed");
    }
    let field = e.field().map(str::to_owned);
    async_graphql::Error::new(e.message(lang)).extend_with(|_, ext| {
        ext.set("code", e.wire_code());
        if let Some(f) = &field {
            ext.set("field", f.as_str());
        }
    })
}

/// Parses a GraphQL id argument as a row id; a malformed one is `BAD_USER_INPUT` naming `field`.
pub fn parse_id(lang: Lang, field: &str, id: &async_graphql::ID) -> async_graphql::Result<i64> {
    id.parse::<i64>().map_err(|_| {
        to_graphql_error(
            AppError::invalid(field, crate::error::Expected::IntegerIn(1, i64::MAX)),
            lang,
        )
    })
}

/// The request context of a resolver.
pub fn req<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a RequestCtx> {
    ctx.data::<RequestCtx>()
}

/// The scoped reader of a resolver's request, or the refusal.
pub fn reader<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Reader> {
    req(ctx)?.reader()
}

/// Organizations by id as the caller sees them, or the refusal.
pub fn org_loader<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Loaders<OrgLoader>> {
    req(ctx)?.orgs()
}

/// A per-request loader with a cache, so rows primed by a list resolver are not read again.
pub type Loaders<T> = DataLoader<T, HashMapCache>;

/// A batch loader that reads through the request's scope; `K` says what it loads.
pub struct ScopedLoader<K> {
    db: Db,
    scope: Arc<Scope>,
    lang: Lang,
    _kind: K,
}

fn scoped_loader<K: Send + Sync + 'static>(
    db: &Db,
    scope: &Arc<Scope>,
    lang: Lang,
    kind: K,
) -> Loaders<ScopedLoader<K>> {
    DataLoader::with_cache(
        ScopedLoader {
            db: db.clone(),
            scope: scope.clone(),
            lang,
            _kind: kind,
        },
        // A batch runs on a task of its own: inside the span of the request that asked for it,
        // so its log lines carry the request id like the request's own.
        |batch| tokio::spawn(tracing::Instrument::in_current_span(batch)),
        HashMapCache::default(),
    )
}

/// Organizations by id, as the caller sees them.
pub struct OrgLoader {
    db: Db,
    visible: OrgRows,
    lang: Lang,
}

impl OrgLoader {
    /// Organizations `ids` the caller may see, by id.
    pub(crate) async fn read(&self, ids: &[i64]) -> Result<HashMap<i64, OrgRow>, AppError> {
        Ok(orgs::by_ids(&self.db, &self.visible, ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect())
    }
}

impl Loader<i64> for OrgLoader {
    type Value = OrgRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, OrgRow>, Self::Error> {
        self.read(keys)
            .await
            .map_err(|e| to_graphql_error(e, self.lang))
    }
}

fn new_org_loader(db: &Db, visible: OrgRows, lang: Lang) -> Loaders<OrgLoader> {
    DataLoader::with_cache(
        OrgLoader {
            db: db.clone(),
            visible,
            lang,
        },
        |batch| tokio::spawn(tracing::Instrument::in_current_span(batch)),
        HashMapCache::default(),
    )
}
/// Key kind: objects by id.
pub struct ObjectsById;
/// Key kind: stage history by object id.
pub struct StagesByObject;
/// Key kind: funding lines by object id.
pub struct FundingByObject;
/// Key kind: documents by object id.
pub struct DocumentsByObject;

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut map: HashMap<i64, Vec<T>> = HashMap::new();
    for r in rows {
        map.entry(key(&r)).or_default().push(r);
    }
    map
}

macro_rules! loader {
    ($kind:ty, $value:ty, |$l:ident, $keys:ident| $body:expr) => {
        impl Loader<i64> for ScopedLoader<$kind> {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, $keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let $l = self;
                let result: Result<HashMap<i64, $value>, AppError> = async { $body }.await;
                result.map_err(|e| to_graphql_error(e, self.lang))
            }
        }
    };
}

loader!(ObjectsById, ObjectRow, |l, keys| Ok(objects::by_ids(
    &l.db, &l.scope, keys
)
.await?
.into_iter()
.map(|o| (o.id, o))
.collect()));
loader!(StagesByObject, Vec<StageRow>, |l, keys| Ok(group(
    objects::stages(&l.db, &l.scope, keys).await?,
    |r| r.object_id
)));
loader!(FundingByObject, Vec<FundingRow>, |l, keys| Ok(group(
    objects::funding(&l.db, &l.scope, keys, Reads::all()).await?,
    |r| r.object_id
)));
loader!(DocumentsByObject, Vec<DocumentRow>, |l, keys| Ok(group(
    documents::by_objects(&l.db, &l.scope, keys, Reads::all()).await?,
    |r| r.object_id
)));
