//! Scripting for the in-memory parts: fail or stall a chosen operation.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Notify, watch};

use crate::error::{Error, Result};

/// Failures and stalls scheduled for the operations of one in-memory part.
///
/// `Op` is the part's operation enum (for example
/// [`RuntimeOp`](super::RuntimeOp)). Each implementation calls
/// [`Faults::enter`] at the start of every operation.
///
/// ```
/// # tokio_test_block(async {
/// use rivetr_core::memory::{Faults, RuntimeOp};
/// use rivetr_core::Error;
///
/// let faults = Faults::<RuntimeOp>::default();
/// faults.fail_next(RuntimeOp::CreateContainer, Error::unavailable("daemon down"));
/// assert!(faults.enter(RuntimeOp::CreateContainer).await.is_err());
/// assert!(faults.enter(RuntimeOp::CreateContainer).await.is_ok());
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub struct Faults<Op> {
    state: Mutex<HashMap<Op, Scripted>>,
}

struct Scripted {
    fail_next: Vec<Error>,
    fail_always: Option<(crate::ErrorKind, String)>,
    stall: Option<Stall>,
}

impl<Op> Default for Faults<Op> {
    fn default() -> Self {
        Self {
            state: Mutex::new(HashMap::new()),
        }
    }
}

impl<Op: fmt::Debug> fmt::Debug for Faults<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Faults")
            .field("scripted", &state.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<Op: Copy + Eq + Hash + fmt::Debug> Faults<Op> {
    fn with<R>(&self, op: Op, f: impl FnOnce(&mut Scripted) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = state.entry(op).or_insert_with(|| Scripted {
            fail_next: Vec::new(),
            fail_always: None,
            stall: None,
        });
        f(entry)
    }

    /// The next call of `op` fails with `error` (calls queue up in order).
    pub fn fail_next(&self, op: Op, error: Error) {
        self.with(op, |s| s.fail_next.push(error));
    }

    /// Every call of `op` fails with an error of `error`'s kind and message
    /// until [`Faults::clear`].
    pub fn fail_always(&self, op: Op, error: &Error) {
        self.with(op, |s| {
            s.fail_always = Some((error.kind(), error.message().to_owned()));
        });
    }

    /// Every call of `op` waits until the returned [`Stall`] is released
    /// (or dropped calls are cancelled by their caller).
    pub fn stall(&self, op: Op) -> Stall {
        let stall = Stall::new();
        self.with(op, |s| s.stall = Some(stall.clone()));
        stall
    }

    /// Remove every failure and stall scripted for `op` (releasing a stall).
    pub fn clear(&self, op: Op) {
        let removed = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.remove(&op)
        };
        if let Some(Scripted {
            stall: Some(stall), ..
        }) = removed
        {
            stall.release();
        }
    }

    /// Called by an implementation at the start of `op`: waits out a stall,
    /// then returns the scripted failure, if any.
    ///
    /// # Errors
    ///
    /// The scripted error.
    pub async fn enter(&self, op: Op) -> Result<()> {
        let stall = self.with(op, |s| s.stall.clone());
        if let Some(stall) = stall {
            stall.wait().await;
        }
        self.with(op, |s| {
            if !s.fail_next.is_empty() {
                return Err(s.fail_next.remove(0));
            }
            if let Some((kind, message)) = &s.fail_always {
                return Err(Error::new(*kind, message.clone()));
            }
            Ok(())
        })
    }
}

/// A stall scripted with [`Faults::stall`].
#[derive(Clone, Debug)]
pub struct Stall {
    inner: Arc<StallInner>,
}

#[derive(Debug)]
struct StallInner {
    released: watch::Sender<bool>,
    waiting: Mutex<usize>,
    arrived: Notify,
}

impl Stall {
    fn new() -> Self {
        let (released, _) = watch::channel(false);
        Self {
            inner: Arc::new(StallInner {
                released,
                waiting: Mutex::new(0),
                arrived: Notify::new(),
            }),
        }
    }

    async fn wait(&self) {
        let mut rx = self.inner.released.subscribe();
        if *rx.borrow() {
            return;
        }
        *self
            .inner
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        self.inner.arrived.notify_waiters();
        let _ = rx.wait_for(|released| *released).await;
    }

    /// Resolves once at least one call is waiting at the stall.
    pub async fn reached(&self) {
        loop {
            let arrived = self.inner.arrived.notified();
            if self.waiting() > 0 {
                return;
            }
            arrived.await;
        }
    }

    /// How many calls have arrived at the stall so far.
    #[must_use]
    pub fn waiting(&self) -> usize {
        *self
            .inner
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Let every waiting and future call through.
    pub fn release(&self) {
        self.inner.released.send_replace(true);
    }
}
