//! Snapshot tests: SVG, DOT and Mermaid of the seed workflows' definitions (read from
//! `../shared/seeds` at test time, never copied here), of `examples/hello.asl.json`, and of
//! nested Map/Parallel definitions below. The expected files are in `tests/snapshots/`;
//! `BATON_UPDATE_SNAPSHOTS=1 cargo test -p baton-graph` rewrites them after a deliberate
//! change (review the diff, and look at the SVGs).

mod support;

use baton_graph::{layout, to_dot, to_mermaid, to_svg, Graph, Status, Styles};
use support::{definitions_in, machine, seed_file, seeds_dir, snapshot, substitute};

/// All three formats of one definition, under `name.svg`, `name.dot`, `name.mmd`.
fn check_all(name: &str, text: &str) {
    let graph = Graph::from_machine(&machine(text));
    let svg = to_svg(&layout(&graph), &Styles::default());
    snapshot(&format!("{name}.svg"), &svg);
    snapshot(&format!("{name}.dot"), &to_dot(&graph));
    snapshot(&format!("{name}.mmd"), &to_mermaid(&graph));
    // Same input, same bytes.
    let again = Graph::from_machine(&machine(text));
    assert_eq!(to_svg(&layout(&again), &Styles::default()), svg);
}

#[test]
fn seed_workflows() {
    let Some(dir) = seeds_dir() else { return };
    let mut manifest = String::new();
    for seed in ["000", "001", "002"] {
        let Some(path) = seed_file(&dir, &format!("{seed}_")) else {
            manifest.push_str(&format!("seed {seed}: missing\n"));
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("seed readable");
        let definitions = definitions_in(&text);
        manifest.push_str(&format!(
            "seed {seed}: {} state machine definition(s)\n",
            definitions.len()
        ));
        if definitions.is_empty() {
            eprintln!(
                "seed {seed} ({}) holds no state machine definition in its text; nothing to draw",
                path.display()
            );
        }
        for (i, def) in definitions.iter().enumerate() {
            check_all(&format!("seed_{seed}_{}", i + 1), &substitute(def));
        }
    }
    snapshot("seeds.txt", &manifest);
}

#[test]
fn hello_example() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/hello.asl.json");
    let text = std::fs::read_to_string(path).expect("examples/hello.asl.json");
    check_all("hello", &text);
}

/// Parallel inside Parallel, Map inside a branch with a loop in its processor, Catch on a
/// nested Task and on the outer Parallel, a top-level polling loop and a JSONata Choice.
const NESTED: &str = r#"{
  "Comment": "Nested Parallel and Map, loops and catches",
  "StartAt": "Prepare",
  "States": {
    "Prepare": { "Type": "Pass", "Next": "Fan out" },
    "Fan out": {
      "Type": "Parallel",
      "Branches": [
        {
          "StartAt": "Each order",
          "States": {
            "Each order": {
              "Type": "Map",
              "ItemsPath": "$.orders",
              "ItemProcessor": {
                "ProcessorConfig": { "Mode": "INLINE" },
                "StartAt": "Reserve",
                "States": {
                  "Reserve": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Retry": [{ "ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2 }],
                    "Catch": [{ "ErrorEquals": ["OutOfStock"], "Next": "Backorder" }],
                    "Next": "Reserved?"
                  },
                  "Reserved?": {
                    "Type": "Choice",
                    "Choices": [
                      { "Variable": "$.reserved", "BooleanEquals": false, "Next": "Pause" }
                    ],
                    "Default": "Done"
                  },
                  "Pause": { "Type": "Wait", "Seconds": 5, "Next": "Reserve" },
                  "Backorder": { "Type": "Pass", "End": true },
                  "Done": { "Type": "Succeed" }
                }
              },
              "End": true
            }
          }
        },
        {
          "StartAt": "Notify",
          "States": {
            "Notify": {
              "Type": "Parallel",
              "Branches": [
                {
                  "StartAt": "Email",
                  "States": {
                    "Email": { "Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true }
                  }
                },
                {
                  "StartAt": "Audit",
                  "States": {
                    "Audit": {
                      "Type": "Task",
                      "Resource": "arn:aws:lambda:us-east-1:123456789012:function:audit",
                      "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Audit failed" }],
                      "End": true
                    },
                    "Audit failed": { "Type": "Fail", "Error": "AuditFailed" }
                  }
                }
              ],
              "End": true
            }
          }
        }
      ],
      "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Report failure" }],
      "Next": "Poll"
    },
    "Poll": { "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject", "Next": "Ready?" },
    "Ready?": {
      "Type": "Choice",
      "QueryLanguage": "JSONata",
      "Choices": [
        { "Condition": "{% $states.input.status = 'READY' %}", "Next": "Finish" },
        { "Condition": "{% $states.input.attempts > 10 %}", "Next": "Report failure" }
      ],
      "Default": "Wait a bit"
    },
    "Wait a bit": { "Type": "Wait", "Seconds": 30, "Next": "Poll" },
    "Report failure": { "Type": "Fail", "Error": "OrderFailed" },
    "Finish": { "Type": "Succeed" }
  }
}"#;

#[test]
fn nested_parallel_and_map() {
    check_all("nested", NESTED);
}

/// A Map inside a Map inside a Map, with a Parallel at the bottom: nesting as deep as a
/// definition goes.
#[test]
fn deeply_nested() {
    let mut inner = r#"{"StartAt": "Leaf", "States": {"Leaf": {"Type": "Parallel", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}], "End": true}}}"#
        .to_string();
    for level in 1..=3 {
        inner = format!(
            r#"{{"StartAt": "Map {level}", "States": {{"Map {level}": {{"Type": "Map",
                "ItemProcessor": {inner}, "End": true}}}}}}"#
        );
    }
    check_all("deeply_nested", &inner);
}

/// The console's colours: every status, a badge, and a prefix for the ids.
#[test]
fn statuses_and_badges() {
    let graph = Graph::from_machine(&machine(NESTED));
    let mut styles = Styles {
        id_prefix: "exec-1".into(),
        title: Some("Execution 1".into()),
        ..Styles::default()
    };
    for (name, status) in [
        ("Prepare", Status::Succeeded),
        ("Fan out", Status::Caught),
        ("Each order", Status::Succeeded),
        ("Reserve", Status::Succeeded),
        ("Notify", Status::Failed),
        ("Audit", Status::Failed),
        ("Report failure", Status::Running),
    ] {
        styles.status.insert(name.into(), status);
    }
    styles
        .badges
        .insert("Each order".into(), "3/3 items".into());
    let svg = to_svg(&layout(&graph), &styles);
    for class in [
        "status-succeeded",
        "status-caught",
        "status-failed",
        "status-running",
        "status-not-reached",
    ] {
        assert!(svg.contains(class), "{class} missing");
    }
    assert!(svg.contains("url(#exec-1-arrow-next)"));
    assert!(svg.contains(">3/3 items<"));
    snapshot("nested_status.svg", &svg);
}

/// Self-contained: nothing to fetch, nothing to run.
#[test]
fn svg_is_self_contained() {
    let graph = Graph::from_machine(&machine(NESTED));
    let svg = to_svg(&layout(&graph), &Styles::default());
    for banned in [
        "<script",
        "@import",
        "@font-face",
        "href=",
        "http://",
        "https://",
    ] {
        let hits: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains(banned) && !l.starts_with("<svg xmlns"))
            .collect();
        assert!(hits.is_empty(), "{banned} in {hits:?}");
    }
}

/// Drawn right without CSS: every shape and text carries its own fill, every line its stroke,
/// every text its font, and each status its colours (a renderer that ignores `<style>` paints a
/// shape without `fill` black).
#[test]
fn svg_draws_without_css() {
    let graph = Graph::from_machine(&machine(NESTED));
    let mut styles = Styles::default();
    styles.status.insert("Prepare".into(), Status::Succeeded);
    styles.status.insert("Poll".into(), Status::Running);
    styles
        .badges
        .insert("Each order".into(), "3/3 items".into());
    let svg = to_svg(&layout(&graph), &styles);
    let body = &svg[svg.find("</style>").expect("a style block")..];
    let elements = |tag: &str| -> Vec<String> {
        body.split(&format!("<{tag} "))
            .skip(1)
            .map(|rest| rest[..rest.find('>').expect("closed")].to_string())
            .collect()
    };
    let (rects, paths, texts) = (elements("rect"), elements("path"), elements("text"));
    assert!(rects.len() > 20 && paths.len() > 15 && texts.len() > 30);
    for element in rects.iter().chain(&paths).chain(&texts) {
        assert!(element.contains(" fill=\""), "no fill: {element}");
    }
    for path in paths.iter().filter(|p| p.contains("marker-end")) {
        assert!(path.contains(" fill=\"none\" stroke=\"#"), "{path}");
    }
    for text in &texts {
        assert!(
            text.contains(" font-family=\"") && text.contains(" font-size=\""),
            "{text}"
        );
    }
    // The cascade, worked out: a Task's box by its status, a not-reached state greyed.
    assert!(body.contains(
        r##"data-state="Poll"><title>Poll (Task · aws-sdk:s3:headObject)</title><rect x="##
    ));
    let poll = &body[body.find(r#"data-state="Poll""#).unwrap()..];
    let poll = &poll[..poll.find("</g>").unwrap()];
    assert!(
        poll.contains(r##"fill="#d2e3fc" stroke="#1a73e8" stroke-width="2.5""##),
        "{poll}"
    );
    let finish = &body[body.find(r#"data-state="Finish""#).unwrap()..];
    let finish = &finish[..finish.find("</g>").unwrap()];
    assert!(finish.contains(r##"fill="#f5f5f5" stroke="#c4c7c5" stroke-width="1.5""##));
    assert!(finish.contains(r##"class="name" x="##) && finish.contains(r##"fill="#9aa0a6""##));
}
