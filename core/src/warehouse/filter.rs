//! Which stored rows a read means: the filters that rows and sums share, as one SQL condition on
//! `usage_rows r`. Names compare without case, as Azure's do; tag values compare exactly.

use std::collections::BTreeMap;

use crate::error::{Error, Result, quoted};
use crate::warehouse::sql::{Param, Sql};
use crate::warehouse::store::Store;

/// A tag a row must carry: the key in any case, and this value exactly when one is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    /// The tag's name (any case).
    pub key: String,
    /// The tag's value; None: any value.
    pub value: Option<String>,
}

/// Filters of stored rows; each None matches every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowFilter {
    /// One tenant subscription.
    pub subscription: Option<String>,
    /// The tenant subscriptions this owner holds in the newest tenant list a sync stored (provider syncs
    /// store one; a store of tenant syncs only knows no owners, and an owner then matches nothing).
    pub owner: Option<String>,
    /// One meter, in any case, with or without hyphens.
    pub meter_id: Option<String>,
    /// The meters of one catalogue category (`crate::meters::CATEGORIES`: "Compute", "Storage", ...).
    pub category: Option<String>,
    /// One resource group.
    pub resource_group: Option<String>,
    /// `Microsoft.Compute/virtualMachines` (namespace and type), or the type alone (`virtualMachines`).
    pub resource_type: Option<String>,
    /// Rows whose resource carries this tag.
    pub tag: Option<TagFilter>,
}

/// The newest owner of every tenant subscription the store's tenant lists name, by lower-case id.
pub(crate) fn newest_owners(store: &Store) -> Result<BTreeMap<String, String>> {
    // Oldest first, so a later list's owner replaces an earlier one.
    Ok(store.owner_pairs()?.into_iter().collect())
}

/// The statement [`newest_owners`] reads: (lower-case subscription id, owner), oldest list first.
pub(crate) const OWNER_PAIRS: &str = "SELECT lower(subscription_id), owner FROM tenant_snapshots
     WHERE owner IS NOT NULL ORDER BY taken, sync_run_id";

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl RowFilter {
    /// Appends ` AND …` conditions for this filter to `sql`, with their values. `owners` is
    /// [`newest_owners`]' answer, needed only with an owner filter.
    pub(crate) fn push_sql(
        &self,
        owners: impl FnOnce() -> Result<BTreeMap<String, String>>,
        sql: &mut Sql,
    ) -> Result<()> {
        let text = |value: &str| Param::Text(value.to_string());
        if let Some(subscription) = given(&self.subscription) {
            sql.push_bound(
                " AND lower(r.subscription_id) = lower(CAST(? AS TEXT))",
                [text(subscription)],
            );
        }
        if let Some(owner) = given(&self.owner) {
            let held: Vec<String> = owners()?
                .into_iter()
                .filter(|(_, o)| o.eq_ignore_ascii_case(owner))
                .map(|(subscription, _)| subscription)
                .collect();
            push_in(sql, "lower(r.subscription_id)", held);
        }
        if let Some(meter) = given(&self.meter_id) {
            sql.push_bound(
                " AND r.meter_id_normalized = ?",
                [Param::Text(crate::meters::normalize(meter))],
            );
        }
        if let Some(category) = given(&self.category) {
            let Some(known) = crate::meters::CATEGORIES
                .iter()
                .find(|c| c.eq_ignore_ascii_case(category))
            else {
                return Err(Error::invalid(
                    "category",
                    format!(
                        "{} is not a meter category; give one of {}",
                        quoted(category),
                        crate::meters::CATEGORIES.join(", ")
                    ),
                ));
            };
            let meters = crate::meters::all()
                .iter()
                .filter(|m| m.category == *known)
                .map(|m| crate::meters::normalize(&m.id))
                .collect();
            push_in(sql, "r.meter_id_normalized", meters);
        }
        if let Some(group) = given(&self.resource_group) {
            sql.push_bound(
                " AND lower(r.resource_group) = lower(CAST(? AS TEXT))",
                [text(group)],
            );
        }
        if let Some(kind) = given(&self.resource_type) {
            let column = if kind.contains('/') && kind.contains('.') {
                "r.provider || '/' || r.resource_type"
            } else {
                "r.resource_type"
            };
            sql.push_bound(
                &format!(" AND lower({column}) = lower(CAST(? AS TEXT))"),
                [text(kind)],
            );
        }
        if let Some(tag) = &self.tag {
            let key = tag.key.trim();
            if key.is_empty() {
                return Err(Error::invalid(
                    "tag",
                    "the tag has no name; give a name, or a name and a value",
                ));
            }
            let members = sql.json_members("r.tags");
            sql.push_bound(
                &format!(
                    " AND EXISTS (SELECT 1 FROM {members} t WHERE lower(t.key) = lower(CAST(? AS TEXT))"
                ),
                [text(key)],
            );
            if let Some(value) = &tag.value {
                sql.push_bound(" AND t.value = ?", [text(value)]);
            }
            sql.push(")");
        }
        Ok(())
    }
}

/// ` AND column IN (…)`; an empty set matches nothing.
fn push_in(sql: &mut Sql, column: &str, set: Vec<String>) {
    if set.is_empty() {
        sql.push(" AND 1 = 0");
        return;
    }
    sql.push(&format!(" AND {column} IN ("));
    for (i, value) in set.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Param::Text(value));
    }
    sql.push(")");
}
