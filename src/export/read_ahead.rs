//! Pages read ahead: one task reads pages from the database and another
//! turns each into what the caller wants while the caller writes the one
//! before, so the two cores share the work. Each hand-off holds one page,
//! so memory stays bounded, and a caller that goes away stops both tasks.

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use tracing::Instrument;

use super::ExportError;

/// What `read` gives: a page, and the key to read after next (`None` when
/// that was the last page).
pub type Read<R> = BoxFuture<'static, Result<(R, Option<String>), ExportError>>;

/// The pages `read` gives, from the start (`None`) on, each turned into a
/// `T` by `convert`. Nothing is read before the first poll: a 304, or a
/// group that `/api/json` has not reached yet, reads nothing.
pub fn read_ahead<R, T>(
    mut read: impl FnMut(Option<String>) -> Read<R> + Send + 'static,
    convert: impl FnMut(R) -> BoxFuture<'static, Result<T, ExportError>> + Send + 'static,
) -> BoxStream<'static, Result<T, ExportError>>
where
    R: Send + 'static,
    T: Send + 'static,
{
    let start = async move {
        let (raw_tx, raw_rx) = tokio::sync::mpsc::channel::<Result<R, ExportError>>(1);
        tokio::spawn(
            async move {
                let mut after = None;
                loop {
                    match read(after.take()).await {
                        Ok((page, next)) => {
                            if raw_tx.send(Ok(page)).await.is_err() {
                                return;
                            }
                            match next {
                                Some(n) => after = Some(n),
                                None => return,
                            }
                        }
                        Err(e) => {
                            let _ = raw_tx.send(Err(e)).await;
                            return;
                        }
                    }
                }
            }
            .in_current_span(),
        );
        tokio_stream::wrappers::ReceiverStream::new(raw_rx)
    };
    convert_ahead(
        Box::pin(futures_util::stream::once(start).flatten()),
        convert,
    )
}

/// `pages`, each turned into a `T` by `convert` in a task of its own, a
/// page ahead of the caller. Nothing is polled before the first poll.
pub fn convert_ahead<R, T>(
    mut pages: BoxStream<'static, Result<R, ExportError>>,
    mut convert: impl FnMut(R) -> BoxFuture<'static, Result<T, ExportError>> + Send + 'static,
) -> BoxStream<'static, Result<T, ExportError>>
where
    R: Send + 'static,
    T: Send + 'static,
{
    let start = async move {
        let (out_tx, out_rx) = tokio::sync::mpsc::channel::<Result<T, ExportError>>(1);
        tokio::spawn(
            async move {
                while let Some(page) = pages.next().await {
                    let out = match page {
                        Ok(page) => convert(page).await,
                        Err(e) => Err(e),
                    };
                    let failed = out.is_err();
                    if out_tx.send(out).await.is_err() || failed {
                        return;
                    }
                }
            }
            .in_current_span(),
        );
        tokio_stream::wrappers::ReceiverStream::new(out_rx)
    };
    Box::pin(futures_util::stream::once(start).flatten())
}
