//! A signed-in connection to one Resource Manager endpoint: environment, transport and tokens.

use url::Url;

use crate::cloud::{Cloud, Environment};
use crate::credential::{Credential, TokenProvider};
use crate::error::Result;
use crate::transport::{Response, Transport, TransportOptions};

/// Which Resource Manager endpoint to talk to.
#[derive(Debug, Clone)]
pub enum EnvironmentSpec {
    Cloud(Cloud),
    /// An Azure Stack Hub (or any) ARM endpoint whose `/metadata/endpoints` describes it.
    Discover {
        arm_endpoint: Url,
    },
    Custom(Environment),
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub environment: EnvironmentSpec,
    pub credential: Credential,
    pub transport: TransportOptions,
}

pub struct Client {
    _private: (),
}

impl Client {
    /// Builds the transport and, for `Discover`, reads the endpoint's metadata. No token is requested yet.
    pub fn new(_options: ClientOptions) -> Result<Client> {
        unimplemented!()
    }

    pub fn environment(&self) -> &Environment {
        unimplemented!()
    }

    pub fn transport(&self) -> &Transport {
        unimplemented!()
    }

    pub fn tokens(&self) -> &TokenProvider {
        unimplemented!()
    }

    /// `path_and_query` (e.g. "subscriptions/x/providers/...?api-version=...") resolved against the
    /// Resource Manager URL.
    pub fn arm_url(&self, _path_and_query: &str) -> Result<Url> {
        unimplemented!()
    }

    /// Authenticated GET of a JSON resource on this endpoint, with retries; a 401 invalidates the cached
    /// token and is retried once with a fresh one.
    pub fn get_json(&self, _url: &Url) -> Result<Response> {
        unimplemented!()
    }
}
