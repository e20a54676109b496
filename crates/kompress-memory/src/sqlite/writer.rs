//! The single writer thread: batches arrive on a bounded channel (callers block when it is
//! full), queued batches are committed together in one transaction, and each caller gets its
//! answer only after the commit.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, TransactionBehavior};

use super::fts::{index_body, session_token};
use super::schema::{kind_name, to_i64};
use crate::{MemoryError, MemoryRecord, PutReport, Result};

/// Most records committed in one transaction.
const GROUP_MAX_RECORDS: usize = 4096;

enum WriteCmd {
    Put {
        records: Vec<MemoryRecord>,
        scrubbed: usize,
        reply: SyncSender<Result<PutReport>>,
    },
    Purge {
        now_ms: i64,
        reply: SyncSender<Result<u64>>,
    },
}

impl WriteCmd {
    fn weight(&self) -> usize {
        match self {
            WriteCmd::Put { records, .. } => records.len().max(1),
            WriteCmd::Purge { .. } => GROUP_MAX_RECORDS,
        }
    }
}

pub(super) struct Writer {
    tx: Option<SyncSender<WriteCmd>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn spawn(conn: Connection, queue: usize) -> Result<Writer> {
        let (tx, rx) = mpsc::sync_channel(queue);
        let thread = std::thread::Builder::new()
            .name("kompress-memory-writer".into())
            .spawn(move || run(conn, rx))
            .map_err(|source| MemoryError::Io {
                context: "spawning the writer thread",
                source,
            })?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    fn send(&self, cmd: WriteCmd) -> Result<()> {
        let tx = self.tx.as_ref().ok_or(MemoryError::WriterGone)?;
        tx.send(cmd).map_err(|_| MemoryError::WriterGone)
    }

    pub(super) fn put(&self, records: Vec<MemoryRecord>, scrubbed: usize) -> Result<PutReport> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(WriteCmd::Put {
            records,
            scrubbed,
            reply,
        })?;
        answer.recv().map_err(|_| MemoryError::WriterGone)?
    }

    pub(super) fn purge(&self, now_ms: i64) -> Result<u64> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(WriteCmd::Purge { now_ms, reply })?;
        answer.recv().map_err(|_| MemoryError::WriterGone)?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("kompress-memory writer thread panicked");
            }
        }
    }
}

enum Outcome {
    Put(PutReport),
    Purge(u64),
}

fn run(mut conn: Connection, rx: Receiver<WriteCmd>) {
    while let Ok(first) = rx.recv() {
        let mut weight = first.weight();
        let mut group = vec![first];
        while weight < GROUP_MAX_RECORDS {
            match rx.try_recv() {
                Ok(cmd) => {
                    weight += cmd.weight();
                    group.push(cmd);
                }
                Err(_) => break,
            }
        }
        match apply(&mut conn, &group) {
            Ok(outcomes) => {
                for (cmd, outcome) in group.into_iter().zip(outcomes) {
                    answer(cmd, Ok(outcome));
                }
            }
            // One bad batch must not fail its neighbours: retry each in its own transaction.
            Err(_) if group.len() > 1 => {
                for cmd in group {
                    let res = apply(&mut conn, std::slice::from_ref(&cmd))
                        .map(|mut o| o.pop().expect("one outcome per command"));
                    answer(cmd, res);
                }
            }
            Err(e) => {
                if let Some(cmd) = group.into_iter().next() {
                    answer(cmd, Err(e));
                }
            }
        }
    }
}

fn answer(cmd: WriteCmd, res: Result<Outcome>) {
    // A caller that went away no longer needs its answer; the data is committed regardless.
    match (cmd, res) {
        (WriteCmd::Put { reply, .. }, Ok(Outcome::Put(r))) => drop(reply.send(Ok(r))),
        (WriteCmd::Purge { reply, .. }, Ok(Outcome::Purge(n))) => drop(reply.send(Ok(n))),
        (WriteCmd::Put { reply, .. }, Err(e)) => drop(reply.send(Err(e))),
        (WriteCmd::Purge { reply, .. }, Err(e)) => drop(reply.send(Err(e))),
        // `apply` yields one outcome per command, of the command's own kind; dropping the reply
        // here would surface as `WriterGone` to the caller.
        (_, Ok(_)) => tracing::error!("writer outcome did not match its command"),
    }
}

fn apply(conn: &mut Connection, group: &[WriteCmd]) -> Result<Vec<Outcome>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(MemoryError::sqlite("starting a write transaction"))?;
    let mut outcomes = Vec::with_capacity(group.len());
    for cmd in group {
        outcomes.push(match cmd {
            WriteCmd::Put {
                records, scrubbed, ..
            } => {
                let mut report = insert_records(&tx, records)?;
                report.scrubbed = *scrubbed;
                Outcome::Put(report)
            }
            WriteCmd::Purge { now_ms, .. } => Outcome::Purge(purge(&tx, *now_ms)?),
        });
    }
    tx.commit()
        .map_err(MemoryError::sqlite("committing a write transaction"))?;
    Ok(outcomes)
}

fn insert_records(conn: &Connection, records: &[MemoryRecord]) -> Result<PutReport> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO evictions (id, tenant, session, transcript_id, message_index, \
             start_byte, end_byte, original, replacement, decoded, handle, hash, kind, scrubbed, \
             created_at_ms, expires_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
             ON CONFLICT (id) DO NOTHING",
        )
        .map_err(MemoryError::sqlite("preparing the insert"))?;
    let mut index = conn
        .prepare_cached("INSERT INTO evictions_fts (rowid, body, scope) VALUES (?1, ?2, ?3)")
        .map_err(MemoryError::sqlite("preparing the index insert"))?;
    let mut report = PutReport::default();
    for r in records {
        let e = &r.eviction;
        let n = insert
            .execute(params![
                r.id,
                r.tenant,
                r.session,
                e.transcript_id,
                i64::from(e.message_index),
                to_i64("start", e.start)?,
                to_i64("end", e.end)?,
                e.original,
                e.replacement,
                e.decoded,
                e.handle,
                e.hash,
                kind_name(e.kind),
                i64::from(r.scrubbed),
                r.created_at_ms,
                r.expires_at_ms,
            ])
            .map_err(MemoryError::sqlite("inserting a record"))?;
        if n == 0 {
            report.already_present += 1;
            continue;
        }
        index
            .execute(params![
                conn.last_insert_rowid(),
                index_body(&r.tenant, e.text()),
                session_token(&r.tenant, &r.session),
            ])
            .map_err(MemoryError::sqlite("indexing a record"))?;
        report.inserted += 1;
    }
    Ok(report)
}

fn purge(conn: &Connection, now_ms: i64) -> Result<u64> {
    conn.execute(
        "DELETE FROM evictions_fts WHERE rowid IN (SELECT rowid FROM evictions \
         WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= ?1)",
        params![now_ms],
    )
    .map_err(MemoryError::sqlite("purging the index"))?;
    let n = conn
        .execute(
            "DELETE FROM evictions WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= ?1",
            params![now_ms],
        )
        .map_err(MemoryError::sqlite("purging records"))?;
    Ok(n as u64)
}
