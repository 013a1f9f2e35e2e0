//! Mermaid: a `flowchart TD` with a subgraph per Parallel or Map state and per group.

use std::fmt::Write;

use crate::model::{EdgeKind, Graph, NodeId, NodeKind};

/// The graph as a Mermaid flowchart. Node ids are `n<index>` (a Parallel or Map state is the
/// subgraph `n<index>`, which edges may name), group subgraphs `g<index>`.
pub fn to_mermaid(graph: &Graph) -> String {
    let mut s = String::from("flowchart TD\n");
    for &id in &graph.top {
        node(&mut s, graph, id, 1);
    }
    for e in &graph.edges {
        let arrow = match e.kind {
            EdgeKind::Catch => "-.->",
            EdgeKind::Next | EdgeKind::Choice => "-->",
        };
        match &e.label {
            Some(label) => {
                let _ = writeln!(s, "  n{} {arrow}|{}| n{}", e.from, text(label), e.to);
            }
            None => {
                let _ = writeln!(s, "  n{} {arrow} n{}", e.from, e.to);
            }
        }
    }
    for (class, style) in [
        ("pseudo", "fill:#3c4043,stroke:#3c4043,color:#ffffff"),
        ("task", "fill:#e8f0fe,stroke:#4a76c9"),
        ("choice", "fill:#fef3e0,stroke:#d48a1a"),
        ("pass", "fill:#f1f3f4,stroke:#8a9099"),
        ("wait", "fill:#f3e8fd,stroke:#8e5cc9"),
        ("succeed", "fill:#e6f4ea,stroke:#2e8b57"),
        ("fail", "fill:#fce8e6,stroke:#c5221f"),
        ("compound", "fill:#f8f9fa,stroke:#7b8794"),
    ] {
        let _ = writeln!(s, "  classDef {class} {style}");
    }
    let mut by_class: Vec<(&str, Vec<String>)> = Vec::new();
    for (id, n) in graph.nodes.iter().enumerate() {
        let class = match n.kind {
            NodeKind::Start | NodeKind::End => "pseudo",
            NodeKind::Parallel | NodeKind::Map if !n.groups.is_empty() => "compound",
            other => other.as_str(),
        };
        match by_class.iter_mut().find(|(c, _)| *c == class) {
            Some((_, ids)) => ids.push(format!("n{id}")),
            None => by_class.push((class, vec![format!("n{id}")])),
        }
    }
    for (class, ids) in by_class {
        let _ = writeln!(s, "  class {} {class}", ids.join(","));
    }
    s
}

fn node(s: &mut String, graph: &Graph, id: NodeId, depth: usize) {
    let n = &graph.nodes[id];
    let pad = "  ".repeat(depth);
    if n.is_container() {
        let title = format!("{} ({})", n.name, n.kind.type_name());
        let _ = writeln!(s, "{pad}subgraph n{id} [{}]", text(&title));
        let _ = writeln!(s, "{pad}  direction TB");
        for &g in &n.groups {
            let group = &graph.groups[g];
            let _ = writeln!(s, "{pad}  subgraph g{g} [{}]", text(&group.label));
            let _ = writeln!(s, "{pad}    direction TB");
            for &child in &group.nodes {
                node(s, graph, child, depth + 2);
            }
            let _ = writeln!(s, "{pad}  end");
        }
        let _ = writeln!(s, "{pad}end");
        return;
    }
    let label = text(&n.name);
    let shaped = match n.kind {
        NodeKind::Start | NodeKind::End => format!("([{label}])"),
        NodeKind::Choice => format!("{{{label}}}"),
        NodeKind::Succeed | NodeKind::Fail => format!("(({label}))"),
        NodeKind::Wait => format!("[/{label}/]"),
        NodeKind::Pass => format!("({label})"),
        NodeKind::Task | NodeKind::Parallel | NodeKind::Map => format!("[{label}]"),
    };
    let _ = writeln!(s, "{pad}n{id}{shaped}");
}

/// A quoted Mermaid label: quotes and the characters Mermaid reads as markup become entity
/// codes.
fn text(label: &str) -> String {
    let mut q = String::from("\"");
    for c in label.chars() {
        match c {
            '"' => q.push_str("#quot;"),
            '<' => q.push_str("#lt;"),
            '>' => q.push_str("#gt;"),
            '|' => q.push_str("#124;"),
            '#' => q.push_str("#35;"),
            '&' => q.push_str("#amp;"),
            c if c.is_control() => q.push(' '),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}
