//! Calls of librdkafka's transactional API under a watchdog.
//!
//! Those calls block their thread, and after a broker loss they can block past their own
//! timeout: `send_offsets_to_transaction` waits for a group coordinator that is never looked
//! up again when the cached one was on the lost broker (confluentinc/librdkafka#5456, #5511).
//! A call stuck that way on tokio's blocking pool would stall the batch for good and, at
//! shutdown, the runtime too. So each call runs on a thread of its own that is never joined;
//! the processor waits at most the call's timeout plus [`MARGIN`], then reports
//! [`KafkaError::TxnStuck`] and replaces the producer: a new producer with the same
//! transactional id fences the stuck one and aborts its open transaction, and the batch is
//! processed again. The stuck thread is left to end with the process. The final synchronous
//! offset commits at shutdown (processor and memory sink) go through [`call`] as well
//! ([`leave_group`]).

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError as RdError, KafkaResult};

use crate::KafkaError;

/// Slack over a call's own timeout before it counts as stuck.
pub(crate) const MARGIN: Duration = Duration::from_secs(5);

/// Whether after `e` the producer's transactional state is unknown, so that it must be
/// replaced: a call that never returned, an abort that failed (its transaction may still be
/// open), or a begin refused (an earlier call is still running, or the state is wrong).
pub(crate) fn needs_new_producer(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::TxnStuck { .. }
            | KafkaError::Client {
                stage: "abort_transaction" | "begin_transaction",
                ..
            }
    )
}

/// Runs `f` on its own thread; `TxnStuck` when it has not returned within `limit`.
pub(crate) async fn call<T: Send + 'static>(
    stage: &'static str,
    limit: Duration,
    f: impl FnOnce() -> KafkaResult<T> + Send + 'static,
) -> Result<T, KafkaError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("kompress-txn-{stage}"))
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|source| KafkaError::Io {
            path: format!("thread for {stage}"),
            source,
        })?;
    match tokio::time::timeout(limit, rx).await {
        Ok(Ok(r)) => r.map_err(KafkaError::client(stage)),
        // the call panicked: its thread dropped the sender
        Ok(Err(_)) => Err(KafkaError::Client {
            stage,
            source: RdError::Canceled,
        }),
        Err(_) => {
            tracing::warn!(
                stage,
                limit_ms = limit.as_millis() as u64,
                "transactional call did not return; the producer will be replaced"
            );
            Err(KafkaError::TxnStuck {
                stage,
                timeout_ms: limit.as_millis() as u64,
            })
        }
    }
}

/// [`call`] for a call taking `timeout`, repeated while librdkafka says its error is
/// retriable (a coordinator moving after a broker loss), as its transactional API asks
/// callers to; each attempt has its own watchdog of `timeout + MARGIN`.
pub(crate) async fn call_retrying(
    stage: &'static str,
    timeout: Duration,
    f: impl Fn() -> KafkaResult<()> + Send + Sync + 'static,
) -> Result<(), KafkaError> {
    let f = Arc::new(f);
    let mut attempt = 0u64;
    loop {
        let g = f.clone();
        match call(stage, timeout + MARGIN, move || g()).await {
            Err(KafkaError::Client {
                source: RdError::Transaction(e),
                ..
            }) if e.is_retriable() && attempt < 5 => {
                attempt += 1;
                tracing::warn!(attempt, stage, "transactional call failed, retrying: {e}");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            r => return r,
        }
    }
}

/// Leaves the consumer group at shutdown, committing the consumer's offsets synchronously
/// first when `commit`. The commit waits for the group coordinator, so it runs under the same
/// watchdog, bounded by the session timeout (after it the group has moved on anyway).
pub(crate) async fn leave_group<C: ConsumerContext + 'static>(
    consumer: Arc<StreamConsumer<C>>,
    commit: bool,
    session_timeout_ms: u64,
) {
    let bound = Duration::from_millis(session_timeout_ms);
    let _ = call("final_commit", bound, move || {
        if commit {
            if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
                tracing::debug!("final commit: {e}");
            }
        }
        consumer.unsubscribe();
        Ok(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_that_returns_in_time_gives_its_result() {
        let r = call("begin_transaction", Duration::from_secs(5), || Ok(7)).await;
        assert_eq!(r.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_call_that_never_returns_is_reported_stuck_without_waiting_for_it() {
        let started = std::time::Instant::now();
        let r: Result<(), _> = call(
            "send_offsets_to_transaction",
            Duration::from_millis(50),
            || {
                std::thread::sleep(Duration::from_secs(3600));
                Ok(())
            },
        )
        .await;
        assert!(
            matches!(
                r,
                Err(KafkaError::TxnStuck {
                    stage: "send_offsets_to_transaction",
                    timeout_ms: 50
                })
            ),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_panicking_call_is_a_client_error_not_a_crash() {
        let r: Result<(), _> = call("commit_transaction", Duration::from_secs(5), || {
            panic!("inside librdkafka")
        })
        .await;
        assert!(
            matches!(
                r,
                Err(KafkaError::Client {
                    stage: "commit_transaction",
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn stuck_calls_and_failed_aborts_or_begins_need_a_new_producer() {
        let client = |stage| KafkaError::Client {
            stage,
            source: RdError::Canceled,
        };
        assert!(needs_new_producer(&KafkaError::TxnStuck {
            stage: "commit_transaction",
            timeout_ms: 1
        }));
        assert!(needs_new_producer(&client("abort_transaction")));
        assert!(needs_new_producer(&client("begin_transaction")));
        assert!(!needs_new_producer(&client("delivery")));
        assert!(!needs_new_producer(&client("commit_transaction")));
    }

    #[tokio::test]
    async fn errors_that_are_not_transactional_are_not_retried() {
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let c = calls.clone();
        let r = call_retrying(
            "commit_transaction",
            Duration::from_millis(100),
            move || {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Err(RdError::Canceled)
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
