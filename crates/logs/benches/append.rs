//! What handing execution log events to the writer costs the caller, per event.

use criterion::{criterion_group, criterion_main, Criterion};

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let logs = baton_logs::Logs::open(dir.path()).unwrap();
    let key = baton_logs::GroupKey {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        name: "bench".into(),
    };
    logs.create_group(&key).unwrap();
    let stream = logs.stream_for(&key, "s").unwrap();
    let message = r#"{"id":"3","type":"PassStateExited","details":{"name":"Pass","output":"{\"a\":1}","outputDetails":{"truncated":false}},"previous_event_id":"2","event_timestamp":"1700000000000","execution_arn":"arn:aws:states:us-east-1:123456789012:execution:m:e","redrive_count":"0"}"#;
    let mut n = 0i64;
    c.bench_function("append one event", |b| {
        b.iter(|| {
            n += 1;
            logs.append(stream, &[(n, message)])
        })
    });
    logs.flush().unwrap();
}

criterion_group!(benches, append);
criterion_main!(benches);
