//! The one thing the wallet's flows need from the issuer: settle a batch. [`SyncClient`] is the
//! HTTP implementation; tests and simulators can put an in-process issuer behind this trait
//! (cdk's `MintConnector` is the model), so the flows are tested without HTTP.
//!
//! Contract: `settle` is idempotent by the batch's id (the issuer answers a resent batch from
//! its stored answer); a transport failure is an error the caller may retry with the same batch.

use std::future::Future;

use crate::sync::{SyncBatch, SyncClient, SyncError, SyncOutcome};

/// Settles batches at the issuer.
pub trait Settlement: Send + Sync {
    /// Uploads `batch` and returns the issuer's answer.
    fn settle(&self, batch: &SyncBatch) -> impl Future<Output = Result<SyncOutcome, SyncError>> + Send;
}

impl Settlement for SyncClient {
    fn settle(&self, batch: &SyncBatch) -> impl Future<Output = Result<SyncOutcome, SyncError>> + Send {
        self.sync_batch(batch)
    }
}
