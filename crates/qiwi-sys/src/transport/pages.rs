//! Every page of a paginated answer, as one stream: the wallet history's `nextTxnId` /
//! `nextTxnDate`, and any other API that answers a page and the cursor of the next.

use std::future::Future;

use futures_util::Stream;

/// QIWI answered, as the next page's cursor, the cursor of the page just read: following it
/// would read the same page forever.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("QIWI's next-page cursor is the cursor of the page just read ({cursor}); paging stopped")]
pub struct StuckCursor {
    /// The cursor, as `Debug` shows it.
    pub cursor: String,
}

/// A stream of pages: `fetch(None)` reads the first, `fetch(Some(cursor))` the next one, and
/// each answers its page and the cursor after it (`None` on the last page). A cursor equal to
/// the one just followed ends the stream with [`StuckCursor`] after its page; an error from
/// `fetch` ends it after that error.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), qiwi_sys::transport::StuckCursor> {
/// use futures_util::TryStreamExt as _;
/// use qiwi_sys::transport::{StuckCursor, pages};
///
/// // Three pages of a list, two items each, the cursor an offset.
/// let items: Vec<u32> = (1..=5).collect();
/// let stream = pages(|cursor: Option<usize>| {
///     let items = items.clone();
///     async move {
///         let at = cursor.unwrap_or(0);
///         let page = items[at..(at + 2).min(items.len())].to_vec();
///         let next = (at + 2 < items.len()).then_some(at + 2);
///         Ok::<_, StuckCursor>((page, next))
///     }
/// });
/// let pages: Vec<Vec<u32>> = stream.try_collect().await?;
/// assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5]]);
/// # Ok(()) }
/// ```
pub fn pages<C, P, E, F, Fut>(fetch: F) -> impl Stream<Item = Result<P, E>>
where
    C: Clone + PartialEq + std::fmt::Debug,
    F: FnMut(Option<C>) -> Fut,
    Fut: Future<Output = Result<(P, Option<C>), E>>,
    E: From<StuckCursor>,
{
    enum Next<C> {
        First,
        After(C),
        Stuck(C),
        End,
    }
    futures_util::stream::unfold((fetch, Next::First), |(mut fetch, next)| async move {
        let cursor = match next {
            Next::End => return None,
            Next::Stuck(cursor) => {
                let stuck = StuckCursor {
                    cursor: format!("{cursor:?}"),
                };
                return Some((Err(stuck.into()), (fetch, Next::End)));
            }
            Next::First => None,
            Next::After(cursor) => Some(cursor),
        };
        match fetch(cursor.clone()).await {
            Ok((page, None)) => Some((Ok(page), (fetch, Next::End))),
            Ok((page, Some(next))) if cursor.as_ref() == Some(&next) => {
                Some((Ok(page), (fetch, Next::Stuck(next))))
            }
            Ok((page, Some(next))) => Some((Ok(page), (fetch, Next::After(next)))),
            Err(e) => Some((Err(e), (fetch, Next::End))),
        }
    })
}
