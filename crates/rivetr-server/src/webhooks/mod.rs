//! Git provider webhooks (in progress).
