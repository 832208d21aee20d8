//! A node's HTTP API from the client's side (reqwest over HTTP/1.1, no TLS: the load generator
//! and the demo crowd reach a node on loopback). [`NodeClient::post_commands`] sends a body
//! already written (so a load run serialises nothing while it is timed) and reads the answer
//! only as far as counting needs: per command its sequence number, time and event kinds.

use std::time::Duration;

use axum::body::Bytes;
use serde::Deserialize;

/// A request that got no API answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No HTTP answer: connection refused or reset, timeout.
    #[error("{url}: {source}")]
    Transport {
        /// What was asked.
        url: String,
        /// Why it failed.
        #[source]
        source: reqwest::Error,
    },
    /// An HTTP answer whose body is not what the API answers.
    #[error("{url} answered {status} with a body that is not an API answer: {detail}")]
    BadAnswer {
        /// What was asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Why it could not be read.
        detail: String,
    },
}

impl HttpError {
    /// A short name for counting failures by kind.
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::Transport { source, .. } if source.is_timeout() => "timeout",
            HttpError::Transport { source, .. } if source.is_connect() => "connect",
            HttpError::Transport { .. } => "transport",
            HttpError::BadAnswer { .. } => "bad_answer",
        }
    }
}

/// One event of an outcome, as far as a client counts it.
#[derive(Debug, Clone, Deserialize)]
pub struct EventHead {
    /// `accepted`, `rejected`, `deal`, `cancelled`, `expired`, `reference`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
}

/// One command's durable outcome.
#[derive(Debug, Clone, Deserialize)]
pub struct Outcome {
    /// Its sequence number in the journal.
    pub seq: u64,
    /// The node's time stamped on it, ms.
    pub ts: u64,
    /// What it did.
    pub events: Vec<EventHead>,
}

/// A request refused before sequencing (nothing journaled).
#[derive(Debug, Clone, Deserialize)]
pub struct Refusal {
    /// The HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// The API's error code (`bad_signature`, `rate_limited`, `overloaded`, …).
    pub error: String,
    /// What exactly is wrong.
    pub detail: String,
    /// The field it is about (`[i].field` inside a batch).
    pub field: Option<String>,
}

/// The node's answer to one `POST /v1/commands`.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Every command is durable and applied: one outcome each, in order.
    Acknowledged(Vec<Outcome>),
    /// The whole request was refused.
    Refused(Refusal),
}

/// A client of one node.
#[derive(Debug, Clone)]
pub struct NodeClient {
    http: reqwest::Client,
    base: String,
}

/// The answer to a `GET`: status and body.
#[derive(Debug, Clone)]
pub struct Got {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl NodeClient {
    /// A client of the node at `base` (`http://127.0.0.1:8080`) that keeps at most
    /// `connections` idle connections open and gives up on a request after `timeout`.
    pub fn new(base: &str, connections: usize, timeout: Duration) -> Result<NodeClient, HttpError> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .timeout(timeout)
            .tcp_nodelay(true)
            // A node is reached directly: an HTTP_PROXY in the environment must not reroute it.
            .no_proxy()
            .build()
            .map_err(|source| HttpError::Transport { url: base.to_owned(), source })?;
        Ok(NodeClient { http, base: base.trim_end_matches('/').to_owned() })
    }

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /v1/commands` with `body` (one command object or an array, see
    /// [`super::commands::request_body`]) holding `count` commands.
    pub async fn post_commands(&self, body: Bytes, count: usize) -> Result<Answer, HttpError> {
        let url = format!("{}/v1/commands", self.base);
        let transport = |source| HttpError::Transport { url: url.clone(), source };
        let response = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(transport)?;
        let bad = |detail: String| HttpError::BadAnswer { url: url.clone(), status, detail };
        if status != 200 {
            let mut refusal: Refusal =
                serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
            refusal.status = status;
            return Ok(Answer::Refused(refusal));
        }
        let outcomes: Vec<Outcome> = if bytes.first() == Some(&b'[') {
            serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?
        } else {
            vec![serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?]
        };
        if outcomes.len() != count {
            return Err(bad(format!("{} outcomes for {count} commands", outcomes.len())));
        }
        Ok(Answer::Acknowledged(outcomes))
    }

    /// `GET path` (`/v1/eip712`, `/v1/events?after=0&limit=5`, …).
    pub async fn get(&self, path: &str) -> Result<Got, HttpError> {
        let url = format!("{}{path}", self.base);
        let transport = |source| HttpError::Transport { url: url.clone(), source };
        let response = self.http.get(&url).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?;
        Ok(Got { status, body })
    }

    /// The node's EIP-712 domain, from `GET /v1/eip712`, to sign commands for it.
    pub async fn domain(&self) -> Result<crate::auth::Domain, HttpError> {
        let got = self.get("/v1/eip712").await?;
        let url = format!("{}/v1/eip712", self.base);
        let bad = |detail: &str| HttpError::BadAnswer {
            url: url.clone(),
            status: got.status,
            detail: detail.to_owned(),
        };
        let described: serde_json::Value =
            serde_json::from_slice(&got.body).map_err(|e| bad(&e.to_string()))?;
        let domain = &described["domain"];
        let chain_id = domain["chainId"].as_u64().ok_or_else(|| bad("no domain.chainId"))?;
        let contract = domain["verifyingContract"]
            .as_str()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| bad("no domain.verifyingContract"))?;
        Ok(crate::auth::Domain::new(chain_id, contract))
    }
}
