//! API errors: every refusal is `{"error": CODE, "detail": …, "field": …}` with a 4xx or 5xx
//! status, and the codes are the ones docs/api.md lists.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code (`malformed_json`, `bad_signature`, `rate_limited`, …).
    pub code: String,
    /// What exactly is wrong.
    pub detail: String,
    /// The field it is about, if any (`[2].sig` inside a batch).
    pub field: Option<String>,
    /// Seconds to wait before retrying (429 and 503).
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    /// A 400 about `field`.
    pub fn bad_request(code: &str, detail: impl Into<String>, field: Option<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail, field)
    }

    /// An error with any status.
    pub fn new(
        status: StatusCode,
        code: &str,
        detail: impl Into<String>,
        field: Option<String>,
    ) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            detail: detail.into(),
            field,
            retry_after_s: None,
        }
    }

    /// Adds `Retry-After`.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after_s = Some(seconds);
        self
    }

    /// A request body that could not be read: over `limits.body_bytes_max` (`limit`), most
    /// likely (413).
    pub fn body(rejection: axum::extract::rejection::BytesRejection, limit: usize) -> ApiError {
        let detail =
            format!("the body is over limits.body_bytes_max ({limit} bytes), or could not be read");
        ApiError::new(rejection.status(), "body_too_large", detail, None)
    }

    /// The same error about an element of a batch: its field is prefixed with `[index]`.
    pub fn in_batch(mut self, index: usize) -> ApiError {
        self.field = Some(match self.field {
            Some(field) => format!("[{index}].{field}"),
            None => format!("[{index}]"),
        });
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code, "detail": self.detail, "field": self.field});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}
