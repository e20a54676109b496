//! Trace context across actor threads. The stateless roles run on `SyncArbiter` threads and
//! the pruner on its own thread, where the caller's `tracing` span is not current. A message
//! wrapped in [`Traced`] carries the sender's span; the handler enters it, so the stage span
//! the role opens is that span's child (and exported spans keep their parent links).

use actix::prelude::*;
use tracing::Span;

use crate::actors::{
    Apply, FloorActor, GateActor, GateMsg, PrunerActor, Rewrite, RewriterActor, Scan, Score,
    Tokenize, TokenizerActor,
};

/// A message with the span it was sent from.
pub struct Traced<M> {
    pub msg: M,
    pub span: Span,
}

impl<M> Traced<M> {
    /// Wraps `msg` with the current span.
    pub fn new(msg: M) -> Self {
        Traced {
            msg,
            span: Span::current(),
        }
    }
}

impl<M: Message> Message for Traced<M> {
    type Result = M::Result;
}

/// Handlers of the synchronous roles: run the plain handler inside the carried span.
macro_rules! traced_sync {
    ($actor:ty, $msg:ty) => {
        impl Handler<Traced<$msg>> for $actor {
            type Result = MessageResult<Traced<$msg>>;
            fn handle(&mut self, m: Traced<$msg>, ctx: &mut Self::Context) -> Self::Result {
                let _in = m.span.enter();
                MessageResult(<$actor as Handler<$msg>>::handle(self, m.msg, ctx).0)
            }
        }
    };
}

traced_sync!(TokenizerActor, Tokenize);
traced_sync!(FloorActor, Scan);
traced_sync!(FloorActor, Apply);
traced_sync!(GateActor, GateMsg);
traced_sync!(RewriterActor, Rewrite);

/// The pruner batches: the span waits in the queue with its text, and the `prune` span of
/// each request is opened under it when the batch runs.
impl Handler<Traced<Score>> for PrunerActor {
    type Result = ResponseFuture<Result<kompress_core::PrunerScores, kompress_core::CoreError>>;
    fn handle(&mut self, m: Traced<Score>, ctx: &mut Self::Context) -> Self::Result {
        self.enqueue(m.msg, m.span, ctx)
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
