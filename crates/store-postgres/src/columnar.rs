//! The writes of many steps as one statement per table. A group often holds many executions
//! that started and finished in one step (a chain of Pass states): each writes its execution
//! row, one run of history events and its journal. Sent one statement per execution, the
//! server pays a statement's fixed cost (parse of the bind, executor start, locks) for each;
//! sent as arrays through `unnest`, it pays it once per group. The statement's checks are the
//! database's own (the ARN's uniqueness); any failure sends the group to the writer's
//! per-batch path, which says which batch failed and why.

use std::borrow::Cow;
use std::collections::HashSet;

use baton_store::{list_date, Execution, WriteBatch};

use crate::apply::{step_shape, Param, Step, Stmt};
use crate::rows::{backend, big, get, int, Result};

/// The batch's step when the batch is exactly a new execution's one step: its row, one run of
/// consecutive history events and its journal entries.
pub(crate) fn one_step_start(batch: &WriteBatch) -> Option<Step<'_>> {
    step_shape(batch.ops()).filter(|step| step.create && batch.ops().len() == 3)
}

/// Which of `batches` can share one statement: one-step starts whose execution no other batch
/// of the group writes. Their indexes.
pub(crate) fn shareable(batches: &[&WriteBatch]) -> Vec<usize> {
    let starts: Vec<Option<&Execution>> = batches
        .iter()
        .map(|b| one_step_start(b).map(|step| step.execution))
        .collect();
    let mut named = HashSet::new();
    let mut twice = HashSet::new();
    for b in batches {
        let mut mine = HashSet::new();
        for op in b.ops() {
            if let Some(arn) = op.execution() {
                mine.insert(arn);
            }
        }
        for arn in mine {
            if !named.insert(arn) {
                twice.insert(arn);
            }
        }
    }
    starts
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.filter(|e| !twice.contains(e.arn.as_str())).map(|_| i))
        .collect()
}

/// ONE statement writing every batch of `starts` (each a [`one_step_start`]), their fences
/// checked inside it: the statement first share-locks the fenced partitions' rows (in id
/// order, as every writer does) and writes nothing unless each holds the epoch its batch
/// carries. A takeover's `UPDATE` of such a row waits for the statement's transaction; a
/// statement that comes after one reads the new epoch (`FOR SHARE` under READ COMMITTED
/// returns the row's latest committed version). Whatever is wrong (a fence off, a name taken),
/// the statement writes no row and its check fails: the writer's per-batch path says which
/// batch and why. Being one statement, it needs no `BEGIN`/`COMMIT` of its own when it is a
/// group's only one: its implicit transaction commits before its answer is read.
pub(crate) fn statement(starts: &[&WriteBatch]) -> Result<Stmt> {
    let n = starts.len();
    let mut cols: [Vec<Option<String>>; 15] = Default::default();
    let mut ints: [Vec<Option<i64>>; 5] = Default::default();
    let (mut first, mut last, mut lo, mut hi) = (vec![], vec![], vec![], vec![]);
    let mut events: Vec<String> = Vec::new();
    let (mut j_arn, mut j_seq, mut j_event, mut j_epoch) = (vec![], vec![], vec![], vec![]);
    let mut partitions: Vec<i32> = Vec::with_capacity(n);
    let mut fences: Vec<(i32, i64)> = Vec::new();
    for b in starts {
        let Some(Step {
            execution: e,
            events: h,
            entries,
            ..
        }) = one_step_start(b)
        else {
            return Err(baton_store::Error::backend("not a one-step start"));
        };
        if let Some(f) = b.fence() {
            fences.push((
                i32::try_from(f.partition).unwrap_or(-1),
                i64::try_from(f.epoch).unwrap_or(-1),
            ));
        }
        let texts = [
            Some(e.arn.clone()),
            Some(e.name.clone()),
            Some(e.state_machine_arn.clone()),
            e.version_arn.clone(),
            e.alias_arn.clone(),
            Some(e.revision_id.clone()),
            Some(e.machine_type.as_str().to_string()),
            Some(e.status.as_str().to_string()),
            Some(e.input.clone()),
            e.output.clone(),
            e.error.clone(),
            e.cause.clone(),
            e.map_run_arn.clone(),
            e.parent_arn.clone(),
            e.trace_header.clone(),
        ];
        for (col, v) in cols.iter_mut().zip(texts) {
            col.push(v);
        }
        let numbers = [
            Some(e.start_date),
            e.stop_date,
            Some(i64::from(e.redrive_count)),
            e.redrive_date,
            Some(list_date(e.start_date)),
        ];
        for (col, v) in ints.iter_mut().zip(numbers) {
            col.push(v);
        }
        partitions.push(int(e.partition)?);
        first.push(big(h[0].id)?);
        last.push(big(h[h.len() - 1].id)?);
        // 1-based bounds of this chunk's events in the flat array.
        let base = i32::try_from(events.len()).unwrap_or(i32::MAX);
        lo.push(base + 1);
        hi.push(base + i32::try_from(h.len()).unwrap_or(i32::MAX));
        events.extend(h.iter().map(|r| r.json.clone()));
        let epoch = crate::writer::journal_epoch(b);
        for en in entries {
            j_arn.push(e.arn.clone());
            j_seq.push(big(en.seq)?);
            j_event.push(en.json.clone());
            j_epoch.push(epoch);
        }
    }
    // $1…$13 the text columns, $14…$18 the numbers, then $19 and $20 parent and trace header,
    // $21…$28 the history and journal, $29 the partitions, $30 the journal's epochs, then
    // $31 and $32 the fences (partitions and epochs, one each, sorted).
    let [arn, name, machine, version, alias, revision, kind, status, input, output, error, cause, map_run, parent, trace] =
        cols;
    let mut params: Vec<Param> = Vec::with_capacity(32);
    for col in [
        arn, name, machine, version, alias, revision, kind, status, input, output, error, cause,
        map_run,
    ] {
        params.push(Box::new(col));
    }
    for col in ints {
        params.push(Box::new(col));
    }
    params.push(Box::new(parent));
    params.push(Box::new(trace));
    params.push(Box::new(first));
    params.push(Box::new(last));
    params.push(Box::new(lo));
    params.push(Box::new(hi));
    params.push(Box::new(events));
    params.push(Box::new(j_arn));
    params.push(Box::new(j_seq));
    params.push(Box::new(j_event));
    params.push(Box::new(partitions));
    params.push(Box::new(j_epoch));
    fences.sort_unstable();
    fences.dedup();
    let (fence_ids, fence_epochs): (Vec<i32>, Vec<i64>) = fences.into_iter().unzip();
    params.push(Box::new(fence_ids));
    params.push(Box::new(fence_epochs));
    let expected = n;
    Ok(Stmt {
        sql: Cow::Borrowed(
            "WITH f AS MATERIALIZED (SELECT id, epoch FROM partitions WHERE id = ANY($31::int[]) \
               ORDER BY id FOR SHARE), \
             fenced AS (SELECT count(*) = cardinality($31::int[]) AS ok \
               FROM f JOIN unnest($31::int[], $32::bigint[]) AS w(id, epoch) \
                 ON w.id = f.id AND w.epoch = f.epoch), \
             x AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
               $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
               $11::text[], $12::text[], $13::text[], $14::bigint[], $15::bigint[], \
               $16::bigint[], $17::bigint[], $18::bigint[], $19::text[], $20::text[], \
               $21::bigint[], $22::bigint[], $23::int[], $24::int[], $29::int[]) \
               AS x(arn, name, machine, version, alias, revision, type, status, input, output, \
                    error, cause, map_run, start_date, stop_date, redrive_count, redrive_date, \
                    list_date, parent, trace, first_event, last_event, lo, hi, partition_id) \
               WHERE (SELECT ok FROM fenced)), \
             e AS (INSERT INTO executions (arn, name, state_machine_arn, version_arn, alias_arn, \
               revision_id, type, status, input, output, error, cause, start_date, stop_date, \
               redrive_count, redrive_date, map_run_arn, parent_arn, trace_header, list_date, \
               partition_id) \
               SELECT arn, name, machine, version, alias, revision, type, status, input, output, \
                 error, cause, start_date, stop_date, redrive_count, redrive_date, map_run, \
                 parent, trace, list_date, partition_id FROM x \
               RETURNING id, arn), \
             h AS (INSERT INTO history_chunks (execution_id, first_event, last_event, events) \
               SELECT e.id, x.first_event, x.last_event, ($25::text[])[x.lo:x.hi] \
               FROM x JOIN e ON e.arn = x.arn), \
             j AS (INSERT INTO journal (execution_id, seq, epoch, event) \
               SELECT e.id, y.seq, y.epoch, y.event \
               FROM unnest($26::text[], $27::bigint[], $28::text[], $30::bigint[]) \
                 AS y(arn, seq, event, epoch) \
               JOIN e ON e.arn = y.arn) \
             SELECT count(*) FROM e",
        ),
        params,
        check: Box::new(move |r| {
            let rows = r.map_err(backend)?;
            let written = rows.first().map(|row| get::<i64>(row, 0)).transpose()?;
            if written == Some(expected as i64) {
                Ok(())
            } else {
                Err(baton_store::Error::backend(
                    "not every execution was written",
                ))
            }
        }),
    })
}
