//! A pipeline whose pruner stops inside its first batch until the test lets it go, so that a
//! test can act while a request is certainly in flight (no sleeps, no timing guesses).

use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::Duration;

use kompress_core::{CoreError, Pruner, PrunerScores, TokenizedText};
use kompress_pipeline::{Pipeline, PipelineSettings};
use kompress_stat::{StatConfig, StatPruner};
use tokio::sync::oneshot;

/// How long either side waits for the other before the test fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);

struct HeldPruner {
    inner: StatPruner,
    hold: Option<(oneshot::Sender<()>, Receiver<()>)>,
}

impl Pruner for HeldPruner {
    fn name(&self) -> &str {
        "held-stat"
    }

    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        if let Some((entered, release)) = self.hold.take() {
            let _ = entered.send(());
            let _ = release.recv_timeout(PATIENCE);
        }
        self.inner.score_batch(texts)
    }
}

/// The test's side: learn that the first batch is held, then let it go.
pub struct Gate {
    entered: oneshot::Receiver<()>,
    release: Sender<()>,
}

impl Gate {
    /// Returns once the pruner holds its first batch.
    pub async fn entered(&mut self) {
        actix_web::rt::time::timeout(PATIENCE, &mut self.entered)
            .await
            .expect("the pruner received the request in time")
            .expect("the held pruner is alive");
    }

    pub fn release(&self) {
        self.release.send(()).expect("the held pruner is waiting");
    }
}

/// A one-worker pipeline on the statistical pruner whose first batch waits for `Gate::release`.
pub fn held_pipeline() -> (Pipeline, Gate) {
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = channel();
    let pruner = HeldPruner {
        inner: StatPruner::new(StatConfig::default()),
        hold: Some((entered_tx, release_rx)),
    };
    let pipeline = Pipeline::start(PipelineSettings {
        pruner: Box::new(move || Ok(Box::new(pruner))),
        workers: 1,
        ..Default::default()
    })
    .expect("pipeline starts");
    (
        pipeline,
        Gate {
            entered: entered_rx,
            release: release_tx,
        },
    )
}
