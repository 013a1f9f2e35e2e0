//! Layout properties over generated definitions: no two boxes overlap (except a Parallel or
//! Map around its own contents), every node is inside its group and every group inside its
//! state, every edge starts and ends on its nodes' borders, output is deterministic; and a
//! 60-state machine keeps a bounded aspect ratio.

mod support;

use baton_graph::{layout, to_dot, to_mermaid, to_svg, Graph, Layout, Styles};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A generated state machine: a chain of steps; jumps name other steps of the same chain.
#[derive(Debug, Clone)]
enum Step {
    Pass,
    Wait,
    /// Catch: `None`, a step of the chain (index taken modulo its length), or a new Fail.
    Task(Option<Catch>),
    /// Rules jumping to steps of the chain (forward or back); `Default` is the next step.
    Choice(Vec<usize>),
    Parallel(Vec<Vec<Step>>, Option<Catch>),
    Map(Vec<Step>),
    /// Loops to itself once, through a Choice rule.
    SelfLoop,
}

#[derive(Debug, Clone)]
enum Catch {
    To(usize),
    NewFail,
}

fn catch() -> impl Strategy<Value = Option<Catch>> {
    prop_oneof![
        2 => Just(None),
        1 => any::<usize>().prop_map(|i| Some(Catch::To(i))),
        1 => Just(Some(Catch::NewFail)),
    ]
}

fn step(depth: u32) -> BoxedStrategy<Step> {
    let leaf = prop_oneof![
        Just(Step::Pass),
        Just(Step::Wait),
        catch().prop_map(Step::Task),
        prop::collection::vec(any::<usize>(), 1..4).prop_map(Step::Choice),
        Just(Step::SelfLoop),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        4 => leaf,
        1 => (prop::collection::vec(chain(depth - 1), 1..4), catch())
            .prop_map(|(b, c)| Step::Parallel(b, c)),
        1 => chain(depth - 1).prop_map(Step::Map),
    ]
    .boxed()
}

fn chain(depth: u32) -> BoxedStrategy<Vec<Step>> {
    prop::collection::vec(step(depth), 1..7).boxed()
}

/// Renders a chain as a `StartAt` + `States` object; names are unique across the machine.
fn render(steps: &[Step], counter: &mut usize) -> Value {
    let names: Vec<String> = steps
        .iter()
        .map(|_| {
            *counter += 1;
            format!("S{counter}")
        })
        .collect();
    let mut states = Map::new();
    let mut extra = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let mut state = Map::new();
        let next = names.get(i + 1);
        let link = |state: &mut Map<String, Value>| match next {
            Some(n) => {
                state.insert("Next".into(), json!(n));
            }
            None => {
                state.insert("End".into(), json!(true));
            }
        };
        let mut catcher =
            |c: &Option<Catch>, state: &mut Map<String, Value>, counter: &mut usize| {
                let target = match c {
                    None => return,
                    Some(Catch::To(k)) => names[k % names.len()].clone(),
                    Some(Catch::NewFail) => {
                        *counter += 1;
                        let f = format!("F{counter}");
                        extra.push((f.clone(), json!({"Type": "Fail", "Error": "Boom"})));
                        f
                    }
                };
                state.insert(
                    "Catch".into(),
                    json!([{"ErrorEquals": ["States.ALL"], "Next": target}]),
                );
            };
        match s {
            Step::Pass => {
                state.insert("Type".into(), json!("Pass"));
                link(&mut state);
            }
            Step::Wait => {
                state.insert("Type".into(), json!("Wait"));
                state.insert("Seconds".into(), json!(1));
                link(&mut state);
            }
            Step::Task(c) => {
                state.insert("Type".into(), json!("Task"));
                state.insert("Resource".into(), json!("arn:aws:states:::lambda:invoke"));
                catcher(c, &mut state, counter);
                link(&mut state);
            }
            // The last step has no next one to default to: it succeeds instead.
            Step::Choice(_) | Step::SelfLoop if next.is_none() => {
                state.insert("Type".into(), json!("Succeed"));
            }
            Step::Choice(rules) => {
                state.insert("Type".into(), json!("Choice"));
                let choices: Vec<Value> = rules
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        json!({"Variable": "$.v", "NumericGreaterThan": k,
                               "Next": names[r % names.len()]})
                    })
                    .collect();
                state.insert("Choices".into(), Value::Array(choices));
                state.insert("Default".into(), json!(next));
            }
            Step::SelfLoop => {
                state.insert("Type".into(), json!("Choice"));
                state.insert(
                    "Choices".into(),
                    json!([{"Variable": "$.again", "BooleanEquals": true, "Next": names[i]}]),
                );
                state.insert("Default".into(), json!(next));
            }
            Step::Parallel(branches, c) => {
                state.insert("Type".into(), json!("Parallel"));
                let b: Vec<Value> = branches.iter().map(|b| render(b, counter)).collect();
                state.insert("Branches".into(), Value::Array(b));
                catcher(c, &mut state, counter);
                link(&mut state);
            }
            Step::Map(body) => {
                state.insert("Type".into(), json!("Map"));
                state.insert("ItemProcessor".into(), render(body, counter));
                link(&mut state);
            }
        }
        states.insert(names[i].clone(), Value::Object(state));
    }
    for (name, state) in extra {
        states.insert(name, state);
    }
    json!({"StartAt": names[0], "States": states})
}

fn definition(steps: &[Step]) -> String {
    let mut counter = 0;
    render(steps, &mut counter).to_string()
}

/// Every property the layout promises.
fn check(layout: &Layout) {
    let g = &layout.graph;
    let whole = baton_graph::Rect {
        x: 0.0,
        y: 0.0,
        width: layout.width,
        height: layout.height,
    };
    // Ancestors of each node (the compound states it is inside).
    let ancestors = |mut n: usize| {
        let mut out = Vec::new();
        while let Some(group) = g.nodes[n].parent {
            n = g.groups[group].owner;
            out.push(n);
        }
        out
    };
    for (i, r) in layout.nodes.iter().enumerate() {
        assert!(
            whole.contains(r),
            "node {} outside the picture",
            g.nodes[i].id
        );
        assert!(
            r.width > 0.0 && r.height > 0.0,
            "node {} has no size",
            g.nodes[i].id
        );
        if let Some(group) = g.nodes[i].parent {
            assert!(
                layout.groups[group].contains(r),
                "node {} outside its group {}",
                g.nodes[i].id,
                g.groups[group].id
            );
        }
        for (j, other) in layout.nodes.iter().enumerate().skip(i + 1) {
            let related = ancestors(i).contains(&j) || ancestors(j).contains(&i);
            assert!(
                related || !r.overlaps(other),
                "nodes {} and {} overlap: {r:?} {other:?}",
                g.nodes[i].id,
                g.nodes[j].id
            );
        }
    }
    for (k, group) in g.groups.iter().enumerate() {
        let r = layout.groups[k];
        assert!(
            layout.nodes[group.owner].contains(&r),
            "group {} outside its state",
            group.id
        );
        for (k2, other) in g.groups.iter().enumerate().skip(k + 1) {
            if other.owner == group.owner {
                assert!(
                    !r.overlaps(&layout.groups[k2]),
                    "groups {} and {} overlap",
                    group.id,
                    other.id
                );
            }
        }
    }
    for (e, route) in g.edges.iter().zip(&layout.edges) {
        let (first, last) = (route.points[0], route.points[route.points.len() - 1]);
        assert!(
            layout.nodes[e.from].on_border(first),
            "edge {} -> {} starts at {first:?}, not on {:?}",
            g.nodes[e.from].id,
            g.nodes[e.to].id,
            layout.nodes[e.from]
        );
        assert!(
            layout.nodes[e.to].on_border(last),
            "edge {} -> {} ends at {last:?}, not on {:?}",
            g.nodes[e.from].id,
            g.nodes[e.to].id,
            layout.nodes[e.to]
        );
        for p in &route.points {
            assert!(p.x.is_finite() && p.y.is_finite());
            assert!(
                p.x >= -1e-6 && p.x <= layout.width + 1e-6,
                "edge point outside: {p:?}"
            );
        }
        if let Some(p) = route.label {
            assert!(p.x >= 0.0 && p.x <= layout.width && p.y >= 0.0 && p.y <= layout.height);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn layouts_keep_their_promises(steps in chain(3)) {
        let text = definition(&steps);
        let graph = Graph::from_machine(&support::machine(&text));
        let l = layout(&graph);
        check(&l);
        // Deterministic, and every format renders.
        let again = layout(&Graph::from_machine(&support::machine(&text)));
        prop_assert_eq!(&l, &again);
        let svg = to_svg(&l, &Styles::default());
        prop_assert!(svg.ends_with("</svg>\n"));
        prop_assert!(!to_dot(&graph).is_empty());
        prop_assert!(!to_mermaid(&graph).is_empty());
    }
}

/// A fixed pseudo-random stream (xorshift), so the 60-state machine is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 1_000_003) as usize
    }
}

/// About 60 states: a main chain with Choice fan-out and loops, catches, two Parallels and a
/// Map.
fn sixty_states() -> Vec<Step> {
    let mut rng = Rng(0x5eed_0060);
    let leaf = |rng: &mut Rng| match rng.next() % 6 {
        0 => Step::Pass,
        1 => Step::Wait,
        2 | 3 => Step::Task(match rng.next() % 3 {
            0 => Some(Catch::NewFail),
            1 => Some(Catch::To(rng.next())),
            _ => None,
        }),
        _ => Step::Choice((0..1 + rng.next() % 3).map(|_| rng.next()).collect()),
    };
    let mut steps: Vec<Step> = Vec::new();
    for i in 0..38 {
        let s = match i {
            8 => Step::Parallel(
                (0..3)
                    .map(|_| (0..3).map(|_| leaf(&mut rng)).collect())
                    .collect(),
                Some(Catch::NewFail),
            ),
            18 => Step::Map((0..5).map(|_| leaf(&mut rng)).collect()),
            26 => Step::Parallel(
                vec![
                    (0..2).map(|_| leaf(&mut rng)).collect(),
                    vec![Step::Map((0..3).map(|_| leaf(&mut rng)).collect())],
                ],
                None,
            ),
            _ => leaf(&mut rng),
        };
        steps.push(s);
    }
    steps.push(Step::Pass);
    steps
}

#[test]
fn sixty_states_stay_readable() {
    let text = definition(&sixty_states());
    let graph = Graph::from_machine(&support::machine(&text));
    let states = graph.nodes.iter().filter(|n| !n.kind.is_pseudo()).count();
    assert!(states >= 60, "only {states} states");
    let l = layout(&graph);
    check(&l);
    let ratio = l.width / l.height;
    assert!(
        (1.0 / 8.0..=4.0).contains(&ratio),
        "aspect ratio {ratio:.2} ({} x {})",
        l.width,
        l.height
    );
    support::snapshot("sixty_states.svg", &to_svg(&l, &Styles::default()));
}
