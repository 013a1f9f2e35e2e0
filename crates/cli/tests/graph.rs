//! `baton graph` end to end: SVG to a file, DOT to stdout, the format from `-o`'s extension,
//! and an invalid definition (diagnostics on stderr, exit code 1).

mod support;

use support::{baton, example};

#[test]
fn svg_to_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("hello.svg");
    let r = baton(&[
        "graph",
        &example("hello.asl.json"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stdout.is_empty(), "nothing on stdout: {}", r.stdout);
    let svg = std::fs::read_to_string(&out).expect("written");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    for state in [
        "Greet",
        "PriceEach",
        "IsBig",
        "NeedsApproval",
        "Settle",
        "Summary",
    ] {
        assert!(
            svg.contains(&format!("data-state=\"{state}\"")),
            "{state} drawn"
        );
    }
}

#[test]
fn dot_to_stdout() {
    let r = baton(&["graph", &example("hello.asl.json"), "--format", "dot"]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stdout.starts_with("digraph \"state machine\" {"));
    assert!(r.stdout.contains("subgraph cluster_"));
    assert!(r.stdout.contains("label=\"$.total > 1000\""));
}

#[test]
fn format_from_the_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("hello.mmd");
    let r = baton(&[
        "graph",
        &example("hello.asl.json"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(text.starts_with("flowchart TD\n"));
    // Without -o or --format: SVG on stdout.
    let r = baton(&["graph", &example("hello.asl.json")]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("<svg"));
    // An extension that says nothing is an error, not a guess.
    let r = baton(&["graph", &example("hello.asl.json"), "-o", "picture.png"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--format"), "{}", r.stderr);
}

#[test]
fn invalid_definition_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.asl.json");
    std::fs::write(
        &file,
        "{\n  // a comment is fine\n  \"StartAt\": \"A\",\n  \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"}}\n}\n",
    )
    .expect("written");
    let r = baton(&["graph", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "no picture: {}", r.stdout);
    assert!(r.stderr.contains("bad.asl.json:4:"), "{}", r.stderr);
    assert!(r.stderr.contains("error"), "{}", r.stderr);
}
