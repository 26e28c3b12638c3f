//! azs-emulator: a local Azure Stack Hub for everything usage-related (admin and tenant Resource Manager
//! endpoints, the identity provider, the usage APIs), faithful enough for official Azure SDK clients.

pub mod dataset;
pub mod identity;
