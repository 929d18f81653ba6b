//! Leads' ready rows as one `COPY … TO STDOUT` on PostgreSQL. Read page by
//! page, a million leads are 500 queries, each aggregating its page into
//! one text before the first byte leaves, and the database is the bound;
//! one COPY streams the rows as it scans them. One statement reads one MVCC
//! snapshot, so the rows it gives stay consistent while a run publishes
//! and prunes.

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::sea_query::{Order, PostgresQueryBuilder, Query};
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::{DbBackend, DbErr};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::{Datasets, LeadFilter, LeadPage, Snapshot};
use crate::db::entities::lead;

/// What ends a COPY early.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The snapshot had been pruned before the statement began.
    #[error("the snapshot was pruned before the COPY began")]
    Pruned,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The pages a COPY gives.
pub type CopyPages = BoxStream<'static, Result<LeadPage, CopyError>>;

impl Datasets {
    /// Every lead of `s` the filter and group match, as the pages of `rows`
    /// leads that `lead_ready_page` would give one by one; `None` where a
    /// COPY cannot serve: not PostgreSQL, or a filter holding text from the
    /// caller (COPY takes no bound parameters, so only numbers, a time and
    /// a plain group id are written into its statement). Nothing runs
    /// before the first poll. The COPY holds one pooled connection, and
    /// `hold`, until it has read its last row or its reader has gone.
    pub fn lead_ready_copy(
        &self,
        s: &Snapshot,
        f: &LeadFilter,
        group_id: Option<&str>,
        rows: u64,
        hold: impl Send + 'static,
    ) -> Option<CopyPages> {
        if self.db.get_database_backend() != DbBackend::Postgres
            || f.search.is_some()
            || f.has_meetings.is_some()
            || group_id.is_some_and(|g| !plain(g))
        {
            return None;
        }
        let select = Query::select()
            .column(lead::Column::ItemId)
            .column(lead::Column::ExportRow)
            .from(lead::Entity)
            .cond_where(self.lead_condition(s, f, group_id, None))
            .order_by(lead::Column::ItemId, Order::Asc)
            .to_string(PostgresQueryBuilder);
        let sql = format!("COPY ({select}) TO STDOUT (FORMAT binary)");
        let data = self.clone();
        let snapshot = s.clone();
        let start = async move {
            let (tx, rx) = mpsc::channel(1);
            tokio::spawn(
                async move {
                    let _hold = hold;
                    let outcome = async {
                        let pool = data.db.get_postgres_connection_pool();
                        let mut conn = pool.acquire().await.map_err(sqlx_err)?;
                        let done = copy(&mut conn, &sql, rows, &data, &snapshot, &tx).await;
                        if done.is_err() {
                            // A COPY left unread would make the connection's
                            // next user wait for the rest of it; closing it
                            // ends the statement.
                            conn.close_on_drop();
                        }
                        done
                    }
                    .await;
                    // The connection is back (or closed) before the last send,
                    // which may wait on a slow reader.
                    let last = match outcome {
                        Ok(Some(page)) => Ok(page),
                        Ok(None) => return,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(last).await;
                }
                .in_current_span(),
            );
            tokio_stream::wrappers::ReceiverStream::new(rx)
        };
        Some(Box::pin(futures_util::stream::once(start).flatten()))
    }
}

/// A group id as Monday makes them (`topics`, `new_group29`), which can go
/// into a statement as it is; any other goes page by page, bound.
fn plain(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e)))
}

/// Runs the COPY, sending each full page as it fills; gives back the last,
/// partial page. A reader that goes away ends it at the next row, as an
/// error, so the connection is closed rather than reused.
async fn copy(
    conn: &mut PgConnection,
    sql: &str,
    rows: u64,
    data: &Datasets,
    s: &Snapshot,
    tx: &mpsc::Sender<Result<LeadPage, CopyError>>,
) -> Result<Option<LeadPage>, CopyError> {
    let gone = || CopyError::Db(DbErr::Custom("the reader went away".into()));
    let mut stream = conn.copy_out_raw(sql).await.map_err(sqlx_err)?;
    // The statement has its snapshot now. If the run that published `s`
    // is still readable after that, no prune of it had committed before,
    // so the COPY sees every row of `s`.
    if !data.still_readable(s).await? {
        return Err(CopyError::Pruned);
    }
    let mut pager = Pager::new(rows);
    while let Some(chunk) = stream.next().await {
        // A row a chunk: an atomic load each, where waiting on the channel
        // to close would cost a registration each.
        if tx.is_closed() {
            return Err(gone());
        }
        let full = pager
            .feed(&chunk.map_err(sqlx_err)?)
            .map_err(DbErr::Custom)?;
        for page in full {
            if tx.send(Ok(page)).await.is_err() {
                return Err(gone());
            }
        }
    }
    Ok(pager.finish().map_err(DbErr::Custom)?)
}

/// Rows of a binary COPY, however its bytes are cut, made into pages of
/// `rows` leads as `lead_ready_page` gives them.
struct Pager {
    rows: u64,
    tuples: Tuples,
    /// The part of a row cut off at the end of a chunk. PostgreSQL sends a
    /// row per chunk, so rows are read from the chunk itself, not copied.
    carry: Vec<u8>,
    page: LeadPage,
    last: String,
}

impl Pager {
    fn new(rows: u64) -> Self {
        Self {
            rows,
            tuples: Tuples::default(),
            carry: Vec::new(),
            page: LeadPage::default(),
            last: String::new(),
        }
    }

    /// Reads `chunk`; gives the pages it filled.
    fn feed(&mut self, chunk: &[u8]) -> Result<Vec<LeadPage>, String> {
        let joined;
        let data: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            self.carry.extend_from_slice(chunk);
            joined = std::mem::take(&mut self.carry);
            &joined
        };
        let mut full = Vec::new();
        let mut at = 0;
        while let Some((item, row)) = self.tuples.next(data, &mut at)? {
            let page = &mut self.page;
            page.count += 1;
            match row {
                Some(r) => page.text.push_str(r),
                None => page.missing += 1,
            }
            self.last.clear();
            self.last.push_str(item);
            if page.count == self.rows {
                page.last = Some(self.last.clone());
                let next = LeadPage {
                    text: String::with_capacity(page.text.len()),
                    ..LeadPage::default()
                };
                full.push(std::mem::replace(page, next));
            }
        }
        self.carry.extend_from_slice(&data[at..]);
        Ok(full)
    }

    /// The last, partial page, once the whole COPY has been read.
    fn finish(self) -> Result<Option<LeadPage>, String> {
        if !self.tuples.ended || !self.carry.is_empty() {
            return Err("the COPY ended without its trailer".into());
        }
        let mut page = self.page;
        if page.count == 0 {
            return Ok(None);
        }
        page.last = Some(self.last);
        Ok(Some(page))
    }
}

/// PostgreSQL's binary COPY format, for `(text, text or NULL)` rows:
/// a signature, flags and an extension; then per row a field count and
/// each field's length (-1 for NULL) and bytes; then a count of -1.
#[derive(Default)]
struct Tuples {
    header: bool,
    ended: bool,
}

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// One row: the item id, and its ready row if it has one.
type Tuple<'a> = (&'a str, Option<&'a str>);

impl Tuples {
    /// The next whole row of `data` from `at` (moved past it), or `None`
    /// when the rest is cut short (it comes with the next chunk) or the
    /// trailer has been read.
    fn next<'d>(&mut self, data: &'d [u8], at: &mut usize) -> Result<Option<Tuple<'d>>, String> {
        if self.ended {
            return Ok(None);
        }
        let mut i = *at;
        if !self.header {
            let fixed = SIGNATURE.len() + 8;
            let Some(head) = data.get(i..i + fixed) else {
                return Ok(None);
            };
            let (signature, rest) = head.split_at(SIGNATURE.len());
            let &[f0, f1, f2, f3, e0, e1, e2, e3] = rest else {
                return Ok(None);
            };
            if signature != SIGNATURE {
                return Err("not a binary COPY".into());
            }
            // Bits 16-31 flag what changes the layout (16: rows carry OIDs).
            let flags = u32::from_be_bytes([f0, f1, f2, f3]);
            if flags >> 16 != 0 {
                return Err(format!("a binary COPY with flags {flags:#x}"));
            }
            let ext = u32::from_be_bytes([e0, e1, e2, e3]) as usize;
            if data.len() < i + fixed + ext {
                return Ok(None);
            }
            i += fixed + ext;
            *at = i;
            self.header = true;
        }
        let Some(count) = data.get(i..i + 2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        i += 2;
        if count == -1 {
            *at = i;
            self.ended = true;
            return Ok(None);
        }
        if count != 2 {
            return Err(format!("a row of {count} fields, not 2"));
        }
        let Some(item) = field(data, &mut i)? else {
            return Ok(None);
        };
        let Some(row) = field(data, &mut i)? else {
            return Ok(None);
        };
        *at = i;
        let text = |b: &'d [u8]| std::str::from_utf8(b).map_err(|e| format!("not UTF-8: {e}"));
        let item = text(item.ok_or("a row without its item id")?)?;
        let row = row.map(text).transpose()?;
        Ok(Some((item, row)))
    }
}

/// A field's bytes at `at` (moved past it), `Some(None)` for NULL, `None`
/// until it has all arrived.
#[allow(clippy::type_complexity)]
fn field<'d>(data: &'d [u8], at: &mut usize) -> Result<Option<Option<&'d [u8]>>, String> {
    let Some(&[b0, b1, b2, b3]) = data.get(*at..*at + 4) else {
        return Ok(None);
    };
    let len = i32::from_be_bytes([b0, b1, b2, b3]);
    if len == -1 {
        *at += 4;
        return Ok(Some(None));
    }
    let len = usize::try_from(len).map_err(|_| format!("a field of length {len}"))?;
    let start = *at + 4;
    let Some(bytes) = data.get(start..start + len) else {
        return Ok(None);
    };
    *at = start + len;
    Ok(Some(Some(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(out: &mut Vec<u8>, v: Option<&str>) {
        match v {
            Some(v) => {
                out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                out.extend_from_slice(v.as_bytes());
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }

    fn encoded(rows: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&3u32.to_be_bytes());
        out.extend_from_slice(b"ext");
        for (item, row) in rows {
            out.extend_from_slice(&2i16.to_be_bytes());
            field(&mut out, Some(item));
            field(&mut out, *row);
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    /// Reads `bytes` cut into chunks of `cut` as `copy` does: the rows,
    /// and the pages they make.
    #[allow(clippy::type_complexity)]
    fn read(
        bytes: &[u8],
        cut: usize,
        rows: u64,
    ) -> Result<(Vec<(String, Option<String>)>, Vec<LeadPage>), String> {
        read_chunks(bytes.chunks(cut), rows)
    }

    #[allow(clippy::type_complexity)]
    fn read_chunks<'c>(
        chunks: impl IntoIterator<Item = &'c [u8]>,
        rows: u64,
    ) -> Result<(Vec<(String, Option<String>)>, Vec<LeadPage>), String> {
        let mut pager = Pager::new(rows);
        let mut pages = Vec::new();
        for chunk in chunks {
            pages.extend(pager.feed(chunk)?);
        }
        pages.extend(pager.finish()?);
        // The rows back out of the pages' texts (each row's text here is
        // its item id and a line end, or NULL).
        let mut got = Vec::new();
        for p in &pages {
            got.extend(p.text.lines().map(|l| (l.to_owned(), None)));
        }
        Ok((got, pages))
    }

    fn rows(n: u64) -> Vec<(String, Option<String>)> {
        (1..=n)
            .map(|i| (format!("{i:03}"), (i % 4 != 0).then(|| format!("{i:03}\n"))))
            .collect()
    }

    /// Whatever the chunks, the same rows come out, once each, in pages of
    /// the size asked, each with its count, its last item and the rows it
    /// has no text for.
    #[test]
    fn rows_come_out_whole_in_pages_however_the_bytes_are_cut() {
        let all = rows(10);
        let refs: Vec<(&str, Option<&str>)> = all
            .iter()
            .map(|(i, r)| (i.as_str(), r.as_deref()))
            .collect();
        let bytes = encoded(&refs);
        // The header, then a row per chunk, then the trailer, as PostgreSQL
        // sends them: the path that copies nothing.
        let header = encoded(&[]).len() - 2;
        let mut cuts = vec![0, header];
        for r in &refs {
            cuts.push(cuts.last().unwrap() + 2 + 4 + r.0.len() + 4 + r.1.map_or(0, str::len));
        }
        cuts.push(bytes.len());
        let as_sent: Vec<&[u8]> = cuts.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
        assert_eq!(as_sent.concat(), bytes);
        for cut in [1, 2, 3, 7, 19, 0, bytes.len()] {
            let (got, pages) = if cut == 0 {
                read_chunks(as_sent.iter().copied(), 4).unwrap()
            } else {
                read(&bytes, cut, 4).unwrap()
            };
            let texts: Vec<String> = all.iter().filter_map(|(_, r)| r.clone()).collect();
            assert_eq!(got.len(), texts.len(), "cut {cut}");
            let counts: Vec<u64> = pages.iter().map(|p| p.count).collect();
            assert_eq!(counts, [4, 4, 2], "cut {cut}");
            let missing: Vec<u64> = pages.iter().map(|p| p.missing).collect();
            assert_eq!(missing, [1, 1, 0], "cut {cut}");
            let last: Vec<&str> = pages.iter().map(|p| p.last.as_deref().unwrap()).collect();
            assert_eq!(last, ["004", "008", "010"], "cut {cut}");
        }
        let (_, pages) = read(&encoded(&[]), 5, 4).unwrap();
        assert!(pages.is_empty(), "no rows, no page");
        assert!(
            read(&bytes[..bytes.len() - 2], 5, 4).is_err(),
            "no trailer is an error, not a short export"
        );
    }

    #[test]
    fn anything_else_is_an_error() {
        assert!(read(b"id,export_row\n1,x\n2,y\n", 100, 4).is_err());
        let mut bytes = encoded(&[]);
        bytes.truncate(bytes.len() - 2);
        bytes.extend_from_slice(&3i16.to_be_bytes());
        assert!(read(&bytes, 100, 4).unwrap_err().contains("3 fields"));
        let mut with_oids = encoded(&[]);
        with_oids[SIGNATURE.len()..SIGNATURE.len() + 4]
            .copy_from_slice(&(1u32 << 16).to_be_bytes());
        assert!(read(&with_oids, 100, 4).unwrap_err().contains("flags"));
    }

    #[test]
    fn only_plain_group_ids_go_into_a_statement() {
        assert!(plain("new_group29") && plain("topics") && plain("group-1"));
        assert!(!plain("") && !plain("x' OR '1'='1") && !plain("a b"));
    }
}
