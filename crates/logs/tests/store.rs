//! The log store on disk: what is written is read back, survives a reopen, and names never
//! become paths.

use baton_api::{JsonService, RequestContext};
use baton_logs::{GroupKey, Logs, LogsService};
use serde_json::{json, Value};

fn key(name: &str) -> GroupKey {
    GroupKey {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        name: name.into(),
    }
}

fn events(logs: &Logs, key: &GroupKey, stream: &str) -> Vec<(i64, String)> {
    let id = logs.stream_id(key, stream).unwrap();
    let mut out = Vec::new();
    logs.read(id, 0, None, |e| {
        out.push((e.timestamp, e.message));
        true
    })
    .unwrap();
    out
}

#[test]
fn events_are_read_back_in_order_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let group = key("/aws/vendedlogs/states/a");
    {
        let logs = Logs::open(dir.path()).unwrap();
        logs.create_group(&group).unwrap();
        let s = logs.stream_for(&group, "states/a/1").unwrap();
        assert!(logs.append(s, &[(1, "one"), (2, "two\nlines")]));
        assert!(logs.append(s, &[(3, "three")]));
        logs.flush().unwrap();
        assert_eq!(
            events(&logs, &group, "states/a/1"),
            vec![
                (1, "one".into()),
                (2, "two\nlines".into()),
                (3, "three".into())
            ]
        );
    }
    let logs = Logs::open(dir.path()).unwrap();
    assert_eq!(events(&logs, &group, "states/a/1").len(), 3);
    let streams = logs.streams(&group, "").unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0].first_event, Some(1));
    assert_eq!(streams[0].last_event, Some(3));
    assert!(streams[0].stored_bytes > 0);
}

/// Appends `bytes` to the file at `path`, as a write cut short by a crash leaves it.
fn append_raw(path: &std::path::Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_torn_last_line_is_cut_off_and_what_follows_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let group = key("g");
    let stream_file = {
        let logs = Logs::open(dir.path()).unwrap();
        logs.create_group(&group).unwrap();
        let s = logs.stream_for(&group, "s").unwrap();
        assert!(logs.append(s, &[(1, "one"), (2, "two")]));
        logs.flush().unwrap();
        dir.path().join(format!("{s}.log"))
    };
    // A crash in the middle of an event's line, and of a catalog line.
    append_raw(&stream_file, b"3 1700000000000 rthr");
    append_raw(&dir.path().join("catalog.jsonl"), b"{\"op\":\"gro");
    {
        let logs = Logs::open(dir.path()).unwrap();
        assert_eq!(
            events(&logs, &group, "s"),
            vec![(1, "one".into()), (2, "two".into())]
        );
        let streams = logs.streams(&group, "").unwrap();
        assert_eq!(streams[0].last_event, Some(2));
        // Written after the reopen: whole lines, not glued to the torn ones.
        let s = logs.stream_for(&group, "s").unwrap();
        assert!(logs.append(s, &[(4, "four")]));
        logs.create_group(&key("h")).unwrap();
        logs.flush().unwrap();
    }
    let logs = Logs::open(dir.path()).unwrap();
    assert_eq!(
        events(&logs, &group, "s"),
        vec![(1, "one".into()), (2, "two".into()), (4, "four".into())]
    );
    assert!(logs.group_exists(&key("h")));
    assert_eq!(logs.streams(&group, "").unwrap()[0].last_event, Some(4));
}

#[test]
fn deleting_a_group_removes_its_files_and_forgets_it_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let group = key("g");
    {
        let logs = Logs::open(dir.path()).unwrap();
        logs.create_group(&group).unwrap();
        let s = logs.stream_for(&group, "s").unwrap();
        logs.append(s, &[(1, "x")]);
        logs.flush().unwrap();
        logs.delete_group(&group).unwrap();
        logs.flush().unwrap();
        // Written after the delete: dropped, not resurrected.
        logs.append(s, &[(2, "y")]);
        logs.flush().unwrap();
        assert!(!logs.group_exists(&group));
    }
    let logs = Logs::open(dir.path()).unwrap();
    assert!(!logs.group_exists(&group));
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec!["catalog.jsonl".to_string()]);
    // The same name again is a new, empty group.
    logs.create_group(&group).unwrap();
    assert!(logs.streams(&group, "").unwrap().is_empty());
}

#[test]
fn a_name_with_dot_dot_stays_a_name() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("logs");
    let logs = Logs::open(&dir).unwrap();
    let group = key("../../escape");
    logs.create_group(&group).unwrap();
    let s = logs.stream_for(&group, "../../../x").unwrap();
    logs.append(s, &[(1, "inside")]);
    logs.flush().unwrap();
    assert_eq!(
        events(&logs, &group, "../../../x"),
        vec![(1, "inside".into())]
    );
    // Nothing beside the store's folder.
    let beside: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("logs")]);
}

fn call(service: &LogsService, op: &str, body: Value) -> Result<Value, baton_api::ServiceError> {
    let ctx = RequestContext {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        request_id: String::new(),
        trace_header: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(service.call(&ctx, op, body.to_string().as_bytes()))
        .map(|out| serde_json::from_slice(&out).unwrap())
}

#[test]
fn get_log_events_pages_forward_and_back_with_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let service = LogsService::new(Logs::open(dir.path()).unwrap());
    call(&service, "CreateLogGroup", json!({"logGroupName": "g"})).unwrap();
    call(
        &service,
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let batch: Vec<Value> = (0..5)
        .map(|i| json!({"timestamp": now + i, "message": format!("m{i}")}))
        .collect();
    call(
        &service,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": batch}),
    )
    .unwrap();
    let messages = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect()
    };
    // The latest by default, the earliest from the head.
    let latest = call(
        &service,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "limit": 2}),
    )
    .unwrap();
    assert_eq!(messages(&latest), ["m3", "m4"]);
    let back = call(
        &service,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
        "limit": 2, "nextToken": latest["nextBackwardToken"]}),
    )
    .unwrap();
    assert_eq!(messages(&back), ["m1", "m2"]);
    let head = call(
        &service,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
        "limit": 3, "startFromHead": true}),
    )
    .unwrap();
    assert_eq!(messages(&head), ["m0", "m1", "m2"]);
    let on = call(
        &service,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
        "nextToken": head["nextForwardToken"]}),
    )
    .unwrap();
    assert_eq!(messages(&on), ["m3", "m4"]);
    // At the end the forward token stays put, and new events appear behind it.
    let end = call(
        &service,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
        "nextToken": on["nextForwardToken"]}),
    )
    .unwrap();
    assert!(messages(&end).is_empty());
    assert_eq!(end["nextForwardToken"], on["nextForwardToken"]);
    call(
        &service,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
        "logEvents": [{"timestamp": now + 9, "message": "m9"}]}),
    )
    .unwrap();
    let more = call(
        &service,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
        "nextToken": end["nextForwardToken"]}),
    )
    .unwrap();
    assert_eq!(messages(&more), ["m9"]);
    // Filtering by pattern and window.
    let filtered = call(
        &service,
        "FilterLogEvents",
        json!({"logGroupName": "g",
        "filterPattern": "?m1 ?m9", "startTime": now}),
    )
    .unwrap();
    assert_eq!(messages(&filtered), ["m1", "m9"]);
    let bad = call(
        &service,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
        "nextToken": "x/1"}),
    )
    .unwrap_err();
    assert_eq!(bad.code, "InvalidParameterException");
}

#[test]
fn the_api_refuses_what_the_model_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let service = LogsService::new(Logs::open(dir.path()).unwrap());
    let code = |op: &str, body: Value| call(&service, op, body).unwrap_err().code;
    assert_eq!(
        code("CreateLogGroup", json!({"logGroupName": "a b"})),
        "InvalidParameterException"
    );
    assert_eq!(
        code("CreateLogGroup", json!({})),
        "InvalidParameterException"
    );
    assert_eq!(
        code("CreateLogGroup", json!({"logGroupName": 7})),
        "SerializationException"
    );
    call(&service, "CreateLogGroup", json!({"logGroupName": "a"})).unwrap();
    assert_eq!(
        code("CreateLogGroup", json!({"logGroupName": "a"})),
        "ResourceAlreadyExistsException"
    );
    assert_eq!(
        code("DeleteLogGroup", json!({"logGroupName": "b"})),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code("DescribeLogStreams", json!({"logGroupName": "b"})),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            "GetLogEvents",
            json!({"logGroupName": "a", "logStreamName": "none"})
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            "FilterLogEvents",
            json!({"logGroupName": "a", "filterPattern": "{ $.x = "})
        ),
        "InvalidParameterException"
    );
    assert_eq!(
        code("DescribeLogGroups", json!({"limit": 51})),
        "InvalidParameterException"
    );
    call(
        &service,
        "CreateLogStream",
        json!({"logGroupName": "a", "logStreamName": "s"}),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        code(
            "PutLogEvents",
            json!({"logGroupName": "a", "logStreamName": "s",
        "logEvents": [{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}]})
        ),
        "InvalidParameterException"
    );
    // Another account's ARN names nothing here.
    assert_eq!(
        code(
            "DescribeLogStreams",
            json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:999999999999:log-group:a"})
        ),
        "ResourceNotFoundException"
    );
}

#[test]
fn seeking_a_time_skips_the_past_but_nothing_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::open(dir.path()).unwrap();
    let group = key("seek");
    logs.create_group(&group).unwrap();
    let s = logs.stream_for(&group, "s").unwrap();
    let message = "x".repeat(500);
    let events: Vec<(i64, &str)> = (0..10_000).map(|t| (t, message.as_str())).collect();
    logs.append(s, &events);
    logs.flush().unwrap();
    for time in [0, 1, 2_500, 7_777, 9_999, 20_000] {
        let offset = logs.seek(s, time).unwrap();
        let mut first = None;
        logs.read(s, offset, None, |e| {
            first = Some(e.timestamp);
            false
        })
        .unwrap();
        // At or before the first event from `time` on, and not far before it.
        match first {
            Some(first) => {
                assert!(first <= time.max(0), "{time}: starts at {first}");
                assert!(time.min(9_999) - first < 200, "{time}: starts at {first}");
            }
            None => assert!(time > 9_999),
        }
        if time == 0 {
            assert_eq!(offset, 0);
        }
    }
}

/// The blocks the stream files hold on disk (what punching a hole gives back); Linux only.
fn disk_blocks(dir: &std::path::Path) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        Some(
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .map(|p| std::fs::metadata(p).unwrap().blocks())
                .sum(),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        None
    }
}

#[test]
fn a_retention_policy_deletes_what_is_past_it_and_the_trim_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let day = 86_400_000;
    let messages = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect()
    };
    let head = json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true});
    let before_blocks;
    let old_token;
    {
        let service = LogsService::new(Logs::open(dir.path()).unwrap());
        call(&service, "CreateLogGroup", json!({"logGroupName": "g"})).unwrap();
        call(
            &service,
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        )
        .unwrap();
        // 48 events of 16 KiB three days old, then two from a minute ago.
        let big = "x".repeat(16 * 1024);
        let mut batch: Vec<Value> = (0..48)
            .map(|i| json!({"timestamp": now - 3 * day + i, "message": format!("{i}{big}")}))
            .collect();
        batch.push(json!({"timestamp": now - 60_000, "message": "recent one"}));
        batch.push(json!({"timestamp": now - 59_000, "message": "recent two"}));
        call(
            &service,
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": batch}),
        )
        .unwrap();
        let first = call(
            &service,
            "GetLogEvents",
            json!({"logGroupName": "g",
            "logStreamName": "s", "startFromHead": true, "limit": 1}),
        )
        .unwrap();
        old_token = first["nextForwardToken"].clone();
        let groups = call(&service, "DescribeLogGroups", json!({})).unwrap();
        let stored = groups["logGroups"][0]["storedBytes"].as_u64().unwrap();
        assert!(stored > 48 * 16 * 1024, "{groups}");
        assert!(groups["logGroups"][0].get("retentionInDays").is_none());
        before_blocks = disk_blocks(dir.path());

        // Only the periods of the API reference.
        let bad = call(
            &service,
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": 2}),
        )
        .unwrap_err();
        assert_eq!(bad.code, "InvalidParameterException");
        assert!(
            bad.message.contains("enum value set: [1, 3, 5"),
            "{}",
            bad.message
        );
        let missing = call(
            &service,
            "PutRetentionPolicy",
            json!({"logGroupName": "nope", "retentionInDays": 1}),
        )
        .unwrap_err();
        assert_eq!(missing.code, "ResourceNotFoundException");

        call(
            &service,
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": 1}),
        )
        .unwrap();
        let left = call(&service, "GetLogEvents", head.clone()).unwrap();
        assert_eq!(messages(&left), ["recent one", "recent two"]);
        // A token made before the trim reads on from the live events.
        let on = call(
            &service,
            "GetLogEvents",
            json!({"logGroupName": "g",
            "logStreamName": "s", "nextToken": old_token}),
        )
        .unwrap();
        assert_eq!(messages(&on), ["recent one", "recent two"]);
        let groups = call(&service, "DescribeLogGroups", json!({})).unwrap();
        assert_eq!(groups["logGroups"][0]["retentionInDays"], 1);
        let now_stored = groups["logGroups"][0]["storedBytes"].as_u64().unwrap();
        assert!(now_stored < 200, "{groups}");
        let streams = call(&service, "DescribeLogStreams", json!({"logGroupName": "g"})).unwrap();
        assert_eq!(
            streams["logStreams"][0]["firstEventTimestamp"],
            now - 60_000
        );

        // An event older than the group keeps is refused, by index.
        let put = call(
            &service,
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": now - 2 * day, "message": "expired"},
                {"timestamp": now, "message": "kept"}]}),
        )
        .unwrap();
        assert_eq!(put["rejectedLogEventsInfo"]["expiredLogEventEndIndex"], 1);
        let left = call(&service, "GetLogEvents", head.clone()).unwrap();
        assert_eq!(messages(&left), ["recent one", "recent two", "kept"]);
    }
    // The released bytes are gone from the disk (on Linux, where holes are punched).
    if let (Some(before), Some(after)) = (before_blocks, disk_blocks(dir.path())) {
        assert!(after < before / 4, "{before} blocks before, {after} after");
    }

    let logs = Logs::open(dir.path()).unwrap();
    let service = LogsService::new(logs.clone());
    let left = call(&service, "GetLogEvents", head).unwrap();
    assert_eq!(messages(&left), ["recent one", "recent two", "kept"]);
    let streams = logs.streams(&key("g"), "").unwrap();
    assert_eq!(streams[0].first_event, Some(now - 60_000));
    assert!(streams[0].stored_bytes < 300);
    // Without a policy, nothing more goes.
    call(
        &service,
        "DeleteRetentionPolicy",
        json!({"logGroupName": "g"}),
    )
    .unwrap();
    let groups = call(&service, "DescribeLogGroups", json!({})).unwrap();
    assert!(groups["logGroups"][0].get("retentionInDays").is_none());
    assert_eq!(logs.sweep(now + 400 * 86_400_000).unwrap(), 0);
    // A sweep under a policy takes what has expired since.
    call(
        &service,
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 1}),
    )
    .unwrap();
    assert!(logs.sweep(now + 2 * 86_400_000).unwrap() > 0);
    assert!(events(&logs, &key("g"), "s").is_empty());
}

#[test]
fn reading_back_from_the_end_gives_what_reading_everything_would() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::open(dir.path()).unwrap();
    let group = key("g");
    logs.create_group(&group).unwrap();
    let stream = logs.stream_for(&group, "s").unwrap();
    // Lines of many sizes, one of them longer than the first window (64 KiB).
    let messages: Vec<String> = (0..3000)
        .map(|i| match i {
            1500 => "L".repeat(200 * 1024),
            _ => format!("{i}:{}", "x".repeat((i * 37) % 300)),
        })
        .collect();
    let events: Vec<(i64, &str)> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (i as i64, m.as_str()))
        .collect();
    for chunk in events.chunks(500) {
        assert!(logs.append(stream, chunk));
    }
    logs.flush().unwrap();
    let mut all = Vec::new();
    logs.read(stream, 0, None, |e| {
        all.push(e);
        true
    })
    .unwrap();
    assert_eq!(all.len(), 3000);
    // What the whole read gives: the last `limit` events before `to` that `keep` keeps,
    // within `max_bytes` (at least one).
    let naive = |to: Option<u64>, limit: usize, max_bytes: usize, keep: &dyn Fn(i64) -> bool| {
        let mut out: Vec<i64> = Vec::new();
        let mut bytes = 0;
        for e in all.iter().rev() {
            if to.is_some_and(|to| e.end > to) || !keep(e.timestamp) {
                continue;
            }
            let size = e.message.len() + 26;
            if out.len() == limit || (bytes + size > max_bytes && !out.is_empty()) {
                break;
            }
            bytes += size;
            out.push(e.timestamp);
        }
        out.reverse();
        out
    };
    let end = logs.end_of(stream);
    assert_eq!(end, all.last().unwrap().end);
    let cases: Vec<(Option<u64>, usize, usize)> = vec![
        (None, 10, 1 << 20),
        (None, 10_000, 1 << 20),
        (None, 10_000, 1 << 30),
        (Some(all[1501].offset), 5, 1 << 20),
        (Some(all[1501].offset), 3, 1 << 20),
        (Some(all[1500].end), 10_000, 1 << 30),
        (Some(all[10].end), 100, 1 << 20),
        (Some(0), 10, 1 << 20),
        (None, 1, 10),
    ];
    for (to, limit, max_bytes) in cases {
        for keep in [&(|_: i64| true) as &dyn Fn(i64) -> bool, &|t: i64| {
            t % 7 == 0
        }] {
            let got: Vec<i64> = logs
                .read_back(stream, to, limit, max_bytes, |e| keep(e.timestamp))
                .unwrap()
                .iter()
                .map(|e| e.timestamp)
                .collect();
            assert_eq!(
                got,
                naive(to, limit, max_bytes, keep),
                "{to:?} {limit} {max_bytes}"
            );
        }
    }
}

/// Groups and streams are kept in memory, so an account's groups and a group's streams are
/// bounded: past the bound, CloudWatch Logs' `LimitExceededException`; other accounts and
/// groups are not held back.
#[test]
fn groups_per_account_and_streams_per_group_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::open(dir.path()).unwrap();
    for i in 0..baton_logs::GROUPS_PER_ACCOUNT {
        logs.create_group(&key(&format!("g{i}"))).unwrap();
    }
    let full = key("g0");
    for i in 0..baton_logs::STREAMS_PER_GROUP {
        logs.create_stream(&full, &format!("s{i}")).unwrap();
    }
    let service = LogsService::new(logs.clone());
    let refused = call(
        &service,
        "CreateLogGroup",
        json!({"logGroupName": "one-more"}),
    );
    assert_eq!(refused.unwrap_err().code, "LimitExceededException");
    let refused = call(
        &service,
        "CreateLogStream",
        json!({"logGroupName": "g0", "logStreamName": "one-more"}),
    );
    assert_eq!(refused.unwrap_err().code, "LimitExceededException");
    // Another group takes streams; another account takes groups.
    call(
        &service,
        "CreateLogStream",
        json!({"logGroupName": "g1", "logStreamName": "s"}),
    )
    .unwrap();
    let mut other = key("elsewhere");
    other.account = "210987654321".into();
    logs.create_group(&other).unwrap();
}
