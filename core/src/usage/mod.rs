//! Usage retrieval: the provider (`Microsoft.Commerce.Admin/subscriberUsageAggregates`) and tenant
//! (`Microsoft.Commerce/usageAggregates`) APIs, api-version 2015-06-01-preview.

pub mod json;
pub mod pager;
pub mod prefetch;
pub mod query;
pub mod record;

pub use pager::{UsagePage, UsagePager};
pub use prefetch::PrefetchingPager;
pub use query::{Granularity, UsageApi, UsageQuery};
pub use record::{InstanceData, ResourceFields, ResourceId, UsageRecord};

/// The api-version both usage APIs are called with.
pub const API_VERSION: &str = "2015-06-01-preview";
