//! Trace context across actor threads. The stateless roles run on `SyncArbiter` threads and
//! the pruner on its own thread, where the caller's `tracing` span is not current. A message
//! wrapped in [`Traced`] carries the sender's span; the handler enters it, so the stage span
//! the role opens is that span's child (and exported spans keep their parent links). It may
//! also carry a [`Meter`]: the handler's own time is recorded into it, and dropping it when
//! the handler is done takes the message off the role's queue depth.

use std::time::Instant;

use actix::prelude::*;
use tracing::Span;

use crate::metrics::Meter;

use crate::actors::{
    Decide, FloorActor, GateActor, PrunerActor, Rewrite, RewriterActor, Scan, Score, Tokenize,
    TokenizerActor,
};

/// A message with the span it was sent from.
pub struct Traced<M> {
    pub msg: M,
    pub span: Span,
    /// Per-actor measurement, when the sender counts its messages.
    pub meter: Option<Meter>,
}

impl<M> Traced<M> {
    /// Wraps `msg` with the current span.
    pub fn new(msg: M) -> Self {
        Traced {
            msg,
            span: Span::current(),
            meter: None,
        }
    }

    /// Wraps `msg` with the current span and the meter of the role it is sent to.
    pub fn metered(msg: M, meter: Meter) -> Self {
        Traced {
            meter: Some(meter),
            ..Traced::new(msg)
        }
    }
}

impl<M: Message> Message for Traced<M> {
    type Result = M::Result;
}

/// Handlers of the synchronous roles: run the plain handler inside the carried span, timed
/// when metered; the meter is dropped (depth down) once the handler has returned.
macro_rules! traced_sync {
    ($actor:ty, $msg:ty) => {
        impl Handler<Traced<$msg>> for $actor {
            type Result = MessageResult<Traced<$msg>>;
            fn handle(&mut self, m: Traced<$msg>, ctx: &mut Self::Context) -> Self::Result {
                let Traced { msg, span, meter } = m;
                let _in = span.enter();
                let t = Instant::now();
                let out = <$actor as Handler<$msg>>::handle(self, msg, ctx).0;
                if let Some(meter) = &meter {
                    meter.record(t.elapsed());
                }
                MessageResult(out)
            }
        }
    };
}

traced_sync!(TokenizerActor, Tokenize);
traced_sync!(FloorActor, Scan);
traced_sync!(GateActor, Decide);
traced_sync!(RewriterActor, Rewrite);

/// The pruner batches: the span waits in the queue with its text, and the `prune` span of
/// each request is opened under it when the batch runs.
impl Handler<Traced<Score>> for PrunerActor {
    type Result = ResponseFuture<Result<kompress_core::PrunerScores, kompress_core::CoreError>>;
    fn handle(&mut self, m: Traced<Score>, ctx: &mut Self::Context) -> Self::Result {
        self.enqueue(m.msg, m.span, m.meter, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn traced_messages_cross_threads() {
        assert_send::<Traced<Tokenize>>();
        assert_send::<Traced<Score>>();
        assert_send::<Traced<Rewrite>>();
    }
}
