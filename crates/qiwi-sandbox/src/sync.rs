//! Locks that one panicking request cannot wedge.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// `Mutex::lock` that takes a poisoned lock as it is: the sandbox must keep answering after a
/// request panicked while holding one (its state is test data, and every update is one
/// assignment or insert). Nothing that can panic should run under a lock in the first place.
pub(crate) trait Locked<T> {
    /// The guard, poisoned or not.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
