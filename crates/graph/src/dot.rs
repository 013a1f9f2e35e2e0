//! Graphviz DOT: a cluster per Parallel or Map state holding a cluster per group.

use std::fmt::Write;

use crate::model::{EdgeKind, Graph, NodeId, NodeKind};

/// The graph in DOT. Node ids are `n<index>`; a Parallel or Map state is a cluster whose title
/// node (`n<index>`) takes the incoming edges and whose invisible exit point (`n<index>_out`)
/// the outgoing ones, both clipped at the cluster's border (`compound=true`).
pub fn to_dot(graph: &Graph) -> String {
    let mut s = String::new();
    s.push_str("digraph \"state machine\" {\n");
    s.push_str("  graph [compound=true, rankdir=TB, fontname=\"Helvetica\", fontsize=11, nodesep=0.4, ranksep=0.5];\n");
    s.push_str("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, fillcolor=\"#ffffff\", color=\"#8a9099\"];\n");
    s.push_str(
        "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#5f6368\", fontcolor=\"#3c4043\"];\n",
    );
    if let Some(comment) = &graph.comment {
        let _ = writeln!(s, "  label={};\n  labelloc=t;", quote(comment));
    }
    for &id in &graph.top {
        node(&mut s, graph, id, 1);
    }
    for e in &graph.edges {
        let from = exit(graph, e.from);
        let mut attrs = Vec::new();
        if graph.nodes[e.from].is_container() {
            attrs.push(format!("ltail=cluster_{}", e.from));
        }
        if graph.nodes[e.to].is_container() {
            attrs.push(format!("lhead=cluster_{}", e.to));
        }
        if let Some(label) = &e.label {
            attrs.push(format!("label={}", quote(label)));
        }
        match e.kind {
            EdgeKind::Next => {}
            EdgeKind::Choice => attrs.push("color=\"#b06000\", fontcolor=\"#8a4b00\"".into()),
            EdgeKind::Catch => {
                attrs.push("style=dashed, color=\"#c5221f\", fontcolor=\"#a50e0e\"".into())
            }
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(s, "  {from} -> n{}{attrs};", e.to);
    }
    s.push_str("}\n");
    s
}

/// Where an edge leaving `id` starts: a compound state's exit point.
fn exit(graph: &Graph, id: NodeId) -> String {
    if graph.nodes[id].is_container() {
        format!("n{id}_out")
    } else {
        format!("n{id}")
    }
}

fn colours(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Start | NodeKind::End => ("#3c4043", "#3c4043"),
        NodeKind::Task => ("#e8f0fe", "#4a76c9"),
        NodeKind::Choice => ("#fef3e0", "#d48a1a"),
        NodeKind::Pass => ("#f1f3f4", "#8a9099"),
        NodeKind::Wait => ("#f3e8fd", "#8e5cc9"),
        NodeKind::Succeed => ("#e6f4ea", "#2e8b57"),
        NodeKind::Fail => ("#fce8e6", "#c5221f"),
        NodeKind::Parallel | NodeKind::Map => ("#f8f9fa", "#7b8794"),
    }
}

fn node(s: &mut String, graph: &Graph, id: NodeId, depth: usize) {
    let n = &graph.nodes[id];
    let pad = "  ".repeat(depth);
    let (fill, line) = colours(n.kind);
    if n.kind.is_pseudo() {
        let _ = writeln!(
            s,
            "{pad}n{id} [label={}, shape=oval, fillcolor=\"{fill}\", color=\"{line}\", fontcolor=\"#ffffff\"];",
            quote(&n.name)
        );
        return;
    }
    let label = quote(&format!("{}\n{}", n.name, n.detail));
    if !n.is_container() {
        let shape = if n.kind == NodeKind::Choice {
            ", shape=diamond, style=\"filled\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "{pad}n{id} [label={label}, fillcolor=\"{fill}\", color=\"{line}\"{shape}];"
        );
        return;
    }
    let _ = writeln!(s, "{pad}subgraph cluster_{id} {{");
    let _ = writeln!(
        s,
        "{pad}  label={}; style=\"rounded,filled\"; fillcolor=\"{fill}\"; color=\"{line}\";",
        quote(&format!("{} ({})", n.name, n.kind.type_name()))
    );
    let _ = writeln!(
        s,
        "{pad}  n{id} [label={label}, fillcolor=\"{fill}\", color=\"{line}\"];"
    );
    for &g in &n.groups {
        let group = &graph.groups[g];
        let _ = writeln!(s, "{pad}  subgraph cluster_g{g} {{");
        let _ = writeln!(
            s,
            "{pad}    label={}; style=\"rounded,dashed,filled\"; fillcolor=\"#ffffff\"; color=\"#b6bec8\";",
            quote(&group.label)
        );
        for &child in &group.nodes {
            node(s, graph, child, depth + 2);
        }
        s.push_str(&pad);
        s.push_str("  }\n");
    }
    let _ = writeln!(
        s,
        "{pad}  n{id}_out [shape=point, style=invis, width=0.01, height=0.01];"
    );
    // Invisible edges keep the title above the branches and the exit below them.
    for &g in &n.groups {
        let group = &graph.groups[g];
        let _ = writeln!(s, "{pad}  n{id} -> n{} [style=invis];", group.start);
        for &child in &group.nodes {
            if graph.nodes[child].terminal {
                let _ = writeln!(
                    s,
                    "{pad}  {} -> n{id}_out [style=invis];",
                    exit(graph, child)
                );
            }
        }
    }
    s.push_str(&pad);
    s.push_str("}\n");
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    let mut q = String::with_capacity(text.len() + 2);
    q.push('"');
    for c in text.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c if c.is_control() => q.push(' '),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}
