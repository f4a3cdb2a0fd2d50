//! Gossip is judged off the network task. The node's [`GossipValidator`] may read state
//! behind a lock its block commits hold for a long time; if the network task called it, sync
//! answers and every other peer's gossip would wait meanwhile. Instead the task queues each
//! message for one worker on tokio's blocking pool, which judges them in arrival order (so
//! accepted messages reach the node in the order they came) and hands the verdicts back.
//!
//! The queue is bounded in messages and in bytes. A message that finds it full is ignored at
//! once (dropped, not forwarded, no penalty: the sender did nothing wrong), so a validator
//! that stalls sheds gossip instead of growing memory. gossipsub holds every message until its
//! verdict, and forgets one that waited longer than its message cache.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use libp2p::{PeerId, gossipsub::MessageId};
use tokio::sync::mpsc;

use crate::{GossipValidator, Verdict, handle::GossipKind};

/// Messages waiting for the validator at most.
pub const MAX_QUEUED_MESSAGES: usize = 1024;
/// Bytes of messages waiting for the validator at most: eight of the largest blocks.
pub const MAX_QUEUED_BYTES: usize = 32 * 1024 * 1024;

/// A gossiped message, waiting for or carrying its verdict.
pub(crate) struct Gossiped {
    pub id: MessageId,
    pub source: PeerId,
    pub kind: GossipKind,
    pub bytes: Vec<u8>,
}

/// The network task's end of the validation worker.
pub(crate) struct ValidationQueue {
    jobs: mpsc::Sender<Gossiped>,
    queued_bytes: Arc<AtomicUsize>,
}

impl ValidationQueue {
    /// Starts the worker; verdicts come back on the returned receiver, in submission order.
    /// The worker stops once the queue is dropped and it has judged what was queued.
    pub fn start(
        validator: Arc<dyn GossipValidator>,
    ) -> (Self, mpsc::UnboundedReceiver<(Gossiped, Verdict)>) {
        let (jobs, mut pending) = mpsc::channel::<Gossiped>(MAX_QUEUED_MESSAGES);
        let (verdicts, judged) = mpsc::unbounded_channel();
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let dequeued = queued_bytes.clone();
        tokio::task::spawn_blocking(move || {
            while let Some(message) = pending.blocking_recv() {
                dequeued.fetch_sub(message.bytes.len(), Ordering::Relaxed);
                let verdict = match message.kind {
                    GossipKind::Transaction => validator.validate_transaction(&message.bytes),
                    GossipKind::Block => validator.validate_block(&message.bytes),
                };
                if verdicts.send((message, verdict)).is_err() {
                    return;
                }
            }
        });
        let queue = Self { jobs, queued_bytes };
        (queue, judged)
    }

    /// Queues `message` for judging, or hands it back if the queue is full.
    pub fn submit(&self, message: Gossiped) -> Result<(), Box<Gossiped>> {
        let size = message.bytes.len();
        let before = self.queued_bytes.fetch_add(size, Ordering::Relaxed);
        if before + size > MAX_QUEUED_BYTES {
            self.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            return Err(Box::new(message));
        }
        self.jobs.try_send(message).map_err(|error| {
            self.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            Box::new(error.into_inner())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{Condvar, Mutex},
        time::Duration,
    };

    use super::*;

    /// Accepts everything, but only once the test lets it go on; counts the messages it
    /// started judging.
    #[derive(Default)]
    struct GatedValidator {
        open: Mutex<bool>,
        opened: Condvar,
        entered: AtomicUsize,
    }

    impl GatedValidator {
        fn open(&self) {
            *self.open.lock().unwrap() = true;
            self.opened.notify_all();
        }
    }

    impl GossipValidator for GatedValidator {
        fn validate_transaction(&self, _: &[u8]) -> Verdict {
            self.entered.fetch_add(1, Ordering::SeqCst);
            let open = self.open.lock().unwrap();
            let _open = self.opened.wait_while(open, |open| !*open).unwrap();
            Verdict::Accept
        }
    }

    /// A worker and its queue, judging through a gated validator.
    fn gated_worker() -> (
        Arc<GatedValidator>,
        ValidationQueue,
        mpsc::UnboundedReceiver<(Gossiped, Verdict)>,
    ) {
        let validator = Arc::new(GatedValidator::default());
        let (queue, judged) = ValidationQueue::start(validator.clone());
        (validator, queue, judged)
    }

    async fn wait_until_judging(validator: &GatedValidator) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while validator.entered.load(Ordering::SeqCst) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the worker never started"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn message(bytes: Vec<u8>) -> Gossiped {
        Gossiped {
            id: MessageId::new(&bytes),
            source: PeerId::random(),
            kind: GossipKind::Transaction,
            bytes,
        }
    }

    async fn next(judged: &mut mpsc::UnboundedReceiver<(Gossiped, Verdict)>) -> Gossiped {
        let (message, verdict) = tokio::time::timeout(Duration::from_secs(30), judged.recv())
            .await
            .expect("a verdict within the deadline")
            .expect("the worker is running");
        assert_eq!(verdict, Verdict::Accept);
        message
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_validator_sheds_what_does_not_fit_and_keeps_the_order_of_the_rest() {
        let (validator, queue, mut judged) = gated_worker();
        queue.submit(message(b"first".to_vec())).ok().unwrap();
        wait_until_judging(&validator).await;
        let mut queued = 0;
        let refused = loop {
            match queue.submit(message(queued.to_string().into_bytes())) {
                Ok(()) => queued += 1,
                Err(refused) => break refused,
            }
            assert!(queued <= MAX_QUEUED_MESSAGES + 1, "the queue never fills");
        };
        assert_eq!(queued, MAX_QUEUED_MESSAGES);
        assert_eq!(refused.bytes, queued.to_string().into_bytes());
        validator.open();
        assert_eq!(next(&mut judged).await.bytes, b"first");
        for expected in 0..queued {
            assert_eq!(
                next(&mut judged).await.bytes,
                expected.to_string().into_bytes()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_queue_refuses_a_message_past_its_byte_budget() {
        let (validator, queue, _judged) = gated_worker();
        queue.submit(message(b"first".to_vec())).ok().unwrap();
        wait_until_judging(&validator).await;
        let half = vec![0u8; MAX_QUEUED_BYTES / 2];
        queue.submit(message(half.clone())).ok().unwrap();
        queue.submit(message(half.clone())).ok().unwrap();
        let over = queue.submit(message(vec![1u8; 1])).err();
        assert!(over.is_some(), "the byte budget is spent");
        validator.open();
    }
}
