//! SVG: one self-contained picture (its styles inline, no fonts, scripts or links to fetch),
//! with a class per node kind and, optionally, per state status, so a page can restyle it.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::layout::{
    EdgeRoute, Layout, Point, Rect, COMPOUND_HEADER, DETAIL_CHAR, GROUP_HEADER, LABEL_PAD, TEXT_PAD,
};
use crate::model::{EdgeKind, Node, NodeId, NodeKind};
use crate::text::{self, num, xml, LABEL_CHAR, NAME_CHAR};

/// Where an execution is with one state, as the console colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    NotReached,
    Running,
    Succeeded,
    Failed,
    /// Failed, and a Catcher took over.
    Caught,
}

impl Status {
    /// The CSS class suffix: `status-running`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotReached => "not-reached",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Caught => "caught",
        }
    }
}

/// How to draw: statuses, badges and the prefix of ids inside the SVG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Styles {
    /// Status by state name (names are unique within a machine). When any is given, states
    /// not listed are drawn as not reached.
    pub status: BTreeMap<String, Status>,
    /// A short text by state name, drawn at the top right of the state (a Map's
    /// `3/5 iterations`).
    pub badges: BTreeMap<String, String>,
    /// Prefix of the ids in the SVG (arrow markers), so several pictures can share a page.
    pub id_prefix: String,
    /// The picture's `<title>`; the machine's `Comment` when `None`.
    pub title: Option<String>,
}

impl Default for Styles {
    fn default() -> Styles {
        Styles {
            status: BTreeMap::new(),
            badges: BTreeMap::new(),
            id_prefix: "baton".to_string(),
            title: None,
        }
    }
}

const CSS: &str = "\
.baton-graph{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
.baton-graph .state>rect{fill:#ffffff;stroke:#8a9099;stroke-width:1.5}
.baton-graph .state .name{font-size:13px;font-weight:600;fill:#202124}
.baton-graph .state .kind{font-size:11px;fill:#5f6368}
.baton-graph .state.task>rect{fill:#e8f0fe;stroke:#4a76c9}
.baton-graph .state.choice>rect{fill:#fef3e0;stroke:#d48a1a}
.baton-graph .state.pass>rect{fill:#f1f3f4;stroke:#8a9099}
.baton-graph .state.wait>rect{fill:#f3e8fd;stroke:#8e5cc9}
.baton-graph .state.succeed>rect{fill:#e6f4ea;stroke:#2e8b57}
.baton-graph .state.fail>rect{fill:#fce8e6;stroke:#c5221f}
.baton-graph .state.parallel>rect,.baton-graph .state.map>rect{fill:#f8f9fa;stroke:#7b8794}
.baton-graph .group>rect{fill:#ffffff;stroke:#b6bec8;stroke-width:1;stroke-dasharray:4 3}
.baton-graph .group text{font-size:11px;fill:#5f6368}
.baton-graph .pseudo>rect{fill:#3c4043;stroke:#3c4043}
.baton-graph .pseudo text{font-size:12px;font-weight:600;fill:#ffffff}
.baton-graph .state.status-not-reached>rect{fill:#f5f5f5;stroke:#c4c7c5}
.baton-graph .state.status-not-reached .name,.baton-graph .state.status-not-reached .kind{fill:#9aa0a6}
.baton-graph .state.status-running>rect{fill:#d2e3fc;stroke:#1a73e8;stroke-width:2.5}
.baton-graph .state.status-succeeded>rect{fill:#ceead6;stroke:#188038;stroke-width:2}
.baton-graph .state.status-failed>rect{fill:#fad2cf;stroke:#d93025;stroke-width:2}
.baton-graph .state.status-caught>rect{fill:#feefc3;stroke:#e37400;stroke-width:2}
.baton-graph .badge rect{fill:#3c4043}
.baton-graph .badge text{font-size:10px;fill:#ffffff}
.baton-graph .edge path{fill:none;stroke:#5f6368;stroke-width:1.4}
.baton-graph .edge.choice path{stroke:#b06000}
.baton-graph .edge.catch path{stroke:#c5221f;stroke-dasharray:5 3}
.baton-graph .edge-label rect{fill:#ffffff;fill-opacity:0.92;stroke:none}
.baton-graph .edge-label text{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;font-size:11px;fill:#3c4043}
.baton-graph .edge-label.choice text{fill:#8a4b00}
.baton-graph .edge-label.catch text{fill:#a50e0e}
";

/// The picture. Deterministic: the same layout and styles give the same bytes.
pub fn to_svg(layout: &Layout, styles: &Styles) -> String {
    let g = &layout.graph;
    let p = xml(&styles.id_prefix);
    let mut s = String::new();
    let (w, h) = (num(layout.width), num(layout.height));
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="baton-graph" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">"#
    );
    let title = styles
        .title
        .clone()
        .or_else(|| g.comment.clone())
        .unwrap_or_else(|| "State machine".to_string());
    let _ = writeln!(s, "<title>{}</title>", xml(&title));
    let _ = writeln!(s, "<style>\n{CSS}</style>");
    s.push_str("<defs>\n");
    for (kind, colour) in [
        ("next", "#5f6368"),
        ("choice", "#b06000"),
        ("catch", "#c5221f"),
    ] {
        let _ = writeln!(
            s,
            r#"<marker id="{p}-arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{colour}"/></marker>"#
        );
    }
    s.push_str("</defs>\n");

    // Containers first (outer before inner: the graph lists parents before children), then
    // edges, then states on top.
    for (id, node) in g.nodes.iter().enumerate() {
        if node.is_container() {
            compound(&mut s, layout, styles, id);
            for &group in &node.groups {
                let r = layout.groups[group];
                let label = text::truncate(
                    &g.groups[group].label,
                    r.width - 2.0 * TEXT_PAD,
                    DETAIL_CHAR,
                );
                let _ = writeln!(
                    s,
                    r#"<g class="group" data-id="{}"><rect x="{}" y="{}" width="{}" height="{}" rx="6"/><text x="{}" y="{}">{}</text></g>"#,
                    xml(&g.groups[group].id),
                    num(r.x),
                    num(r.y),
                    num(r.width),
                    num(r.height),
                    num(r.x + 10.0),
                    num(r.y + GROUP_HEADER / 2.0 + 4.0),
                    xml(&label)
                );
            }
        }
    }
    for (i, e) in g.edges.iter().enumerate() {
        edge(&mut s, &p, e.kind, &layout.edges[i]);
    }
    for (id, node) in g.nodes.iter().enumerate() {
        if node.kind.is_pseudo() {
            pseudo(&mut s, node, layout.nodes[id]);
        } else if !node.is_container() {
            state(&mut s, layout, styles, id);
        }
    }
    for (i, e) in g.edges.iter().enumerate() {
        if let (Some(text), Some(at)) = (&e.label, layout.edges[i].label) {
            label(&mut s, e.kind, text, at);
        }
    }
    s.push_str("</svg>\n");
    s
}

fn classes(node: &Node, styles: &Styles) -> String {
    let mut c = format!("state {}", node.kind.as_str());
    if !styles.status.is_empty() {
        let status = styles
            .status
            .get(&node.name)
            .copied()
            .unwrap_or(Status::NotReached);
        c.push_str(" status-");
        c.push_str(status.as_str());
    }
    c
}

fn open_state(s: &mut String, node: &Node, styles: &Styles, r: Rect) {
    let _ = writeln!(
        s,
        r#"<g class="{}" data-id="{}" data-state="{}"><title>{} ({})</title><rect x="{}" y="{}" width="{}" height="{}" rx="8"/>"#,
        classes(node, styles),
        xml(&node.id),
        xml(&node.name),
        xml(&node.name),
        xml(&node.detail),
        num(r.x),
        num(r.y),
        num(r.width),
        num(r.height)
    );
}

fn badge(s: &mut String, node: &Node, styles: &Styles, r: Rect) {
    if let Some(text) = styles.badges.get(&node.name) {
        let text = text::truncate(text, 120.0, 6.0);
        let w = text::width(&text, 6.0) + 10.0;
        let (x, y) = (r.right() - w - 4.0, r.y - 8.0);
        let _ = writeln!(
            s,
            r#"<g class="badge"><rect x="{}" y="{}" width="{}" height="16" rx="8"/><text x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
            num(x),
            num(y),
            num(w),
            num(x + w / 2.0),
            num(y + 11.5),
            xml(&text)
        );
    }
}

fn state(s: &mut String, layout: &Layout, styles: &Styles, id: NodeId) {
    let node = &layout.graph.nodes[id];
    let r = layout.nodes[id];
    open_state(s, node, styles, r);
    let room = r.width - 2.0 * TEXT_PAD;
    let cx = r.x + r.width / 2.0;
    let _ = writeln!(
        s,
        r#"<text class="name" x="{}" y="{}" text-anchor="middle">{}</text><text class="kind" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        num(cx),
        num(r.y + 20.0),
        xml(&text::truncate(&node.name, room, NAME_CHAR)),
        num(cx),
        num(r.y + 36.0),
        xml(&text::truncate(&node.detail, room, DETAIL_CHAR))
    );
    badge(s, node, styles, r);
    s.push_str("</g>\n");
}

fn compound(s: &mut String, layout: &Layout, styles: &Styles, id: NodeId) {
    let node = &layout.graph.nodes[id];
    let r = layout.nodes[id];
    open_state(s, node, styles, r);
    let room = r.width - 2.0 * TEXT_PAD;
    let _ = writeln!(
        s,
        r#"<text class="name" x="{}" y="{}">{}</text><text class="kind" x="{}" y="{}">{}</text>"#,
        num(r.x + TEXT_PAD),
        num(r.y + 18.0),
        xml(&text::truncate(&node.name, room, NAME_CHAR)),
        num(r.x + TEXT_PAD),
        num(r.y + COMPOUND_HEADER - 9.0),
        xml(&text::truncate(&node.detail, room, DETAIL_CHAR))
    );
    badge(s, node, styles, r);
    s.push_str("</g>\n");
}

fn pseudo(s: &mut String, node: &Node, r: Rect) {
    let _ = writeln!(
        s,
        r#"<g class="pseudo {}" data-id="{}"><rect x="{}" y="{}" width="{}" height="{}" rx="{}"/><text x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
        node.kind.as_str(),
        xml(&node.id),
        num(r.x),
        num(r.y),
        num(r.width),
        num(r.height),
        num(r.height / 2.0),
        num(r.x + r.width / 2.0),
        num(r.y + r.height / 2.0 + 4.0),
        xml(&node.name)
    );
    debug_assert!(matches!(node.kind, NodeKind::Start | NodeKind::End));
}

/// The path through the route's points: vertical-tangent curves between points at different
/// heights, straight lines between level ones.
pub(crate) fn path_data(points: &[Point]) -> String {
    let mut d = String::new();
    let Some(first) = points.first() else {
        return d;
    };
    let _ = write!(d, "M{} {}", num(first.x), num(first.y));
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if (a.y - b.y).abs() < 0.5 || (a.x - b.x).abs() < 0.5 {
            let _ = write!(d, "L{} {}", num(b.x), num(b.y));
        } else {
            let my = (a.y + b.y) / 2.0;
            let _ = write!(
                d,
                "C{} {} {} {} {} {}",
                num(a.x),
                num(my),
                num(b.x),
                num(my),
                num(b.x),
                num(b.y)
            );
        }
    }
    d
}

fn edge(s: &mut String, prefix: &str, kind: EdgeKind, route: &EdgeRoute) {
    if route.points.len() < 2 {
        return;
    }
    let back = if route.back { " back" } else { "" };
    let _ = writeln!(
        s,
        r#"<g class="edge {}{back}"><path d="{}" marker-end="url(#{prefix}-arrow-{})"/></g>"#,
        kind.as_str(),
        path_data(&route.points),
        kind.as_str()
    );
}

fn label(s: &mut String, kind: EdgeKind, text: &str, at: Point) {
    let w = text::width(text, LABEL_CHAR) + LABEL_PAD;
    let h = crate::layered::LABEL_H;
    let _ = writeln!(
        s,
        r#"<g class="edge-label {}"><rect x="{}" y="{}" width="{}" height="{}" rx="3"/><text x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
        kind.as_str(),
        num(at.x - w / 2.0),
        num(at.y - h / 2.0),
        num(w),
        num(h),
        num(at.x),
        num(at.y + 4.0),
        xml(text)
    );
}
