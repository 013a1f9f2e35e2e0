//! SVG: one self-contained picture (no fonts, scripts or links to fetch). Every element carries
//! its colours, strokes and fonts as presentation attributes, so it draws the same without CSS
//! (ImageMagick, image viewers, documentation tools); a class per node kind and, optionally, per
//! state status, with the same values in a `<style>` block, let a page restyle it.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::layout::{
    EdgeRoute, Layout, Point, Rect, COMPOUND_HEADER, DETAIL_CHAR, GROUP_HEADER, LABEL_PAD, TEXT_PAD,
};
use crate::model::{EdgeKind, Node, NodeId, NodeKind};
use crate::paint::{self, Paint, ROOT};
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

/// The picture. Deterministic: the same layout and styles give the same bytes.
pub fn to_svg(layout: &Layout, styles: &Styles) -> String {
    let g = &layout.graph;
    let p = xml(&styles.id_prefix);
    let mut s = String::new();
    let (w, h) = (num(layout.width), num(layout.height));
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="baton-graph" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img"{}>"#,
        ROOT.attrs()
    );
    let title = styles
        .title
        .clone()
        .or_else(|| g.comment.clone())
        .unwrap_or_else(|| "State machine".to_string());
    let _ = writeln!(s, "<title>{}</title>", xml(&title));
    let _ = writeln!(s, "<style>\n{}</style>", paint::css());
    s.push_str("<defs>\n");
    for kind in [EdgeKind::Next, EdgeKind::Choice, EdgeKind::Catch] {
        let _ = writeln!(
            s,
            r#"<marker id="{p}-arrow-{}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{}"/></marker>"#,
            kind.as_str(),
            paint::edge_colour(kind)
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
                    r#"<g class="group" data-id="{}"><rect x="{}" y="{}" width="{}" height="{}" rx="6"{}/><text x="{}" y="{}"{}>{}</text></g>"#,
                    xml(&g.groups[group].id),
                    num(r.x),
                    num(r.y),
                    num(r.width),
                    num(r.height),
                    paint::GROUP_RECT.attrs(),
                    num(r.x + 10.0),
                    num(r.y + GROUP_HEADER / 2.0 + 4.0),
                    ROOT.with(paint::GROUP_TEXT).attrs(),
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

/// The state's status, when the styles give any.
fn status_of(node: &Node, styles: &Styles) -> Option<Status> {
    if styles.status.is_empty() {
        return None;
    }
    Some(
        styles
            .status
            .get(&node.name)
            .copied()
            .unwrap_or(Status::NotReached),
    )
}

/// The state's group and box; returns the paints of its name and detail texts.
fn open_state(s: &mut String, node: &Node, styles: &Styles, r: Rect) -> (Paint, Paint) {
    let status = status_of(node, styles);
    let mut class = format!("state {}", node.kind.as_str());
    let mut rect = paint::STATE_RECT.with(paint::kind_rect(node.kind));
    let mut name = ROOT.with(paint::STATE_NAME);
    let mut detail = ROOT.with(paint::STATE_DETAIL);
    if let Some(status) = status {
        class.push_str(" status-");
        class.push_str(status.as_str());
        rect = rect.with(paint::status_rect(status));
        name = name.with(paint::status_text(status));
        detail = detail.with(paint::status_text(status));
    }
    let _ = writeln!(
        s,
        r#"<g class="{}" data-id="{}" data-state="{}"><title>{} ({})</title><rect x="{}" y="{}" width="{}" height="{}" rx="8"{}/>"#,
        class,
        xml(&node.id),
        xml(&node.name),
        xml(&node.name),
        xml(&node.detail),
        num(r.x),
        num(r.y),
        num(r.width),
        num(r.height),
        rect.attrs()
    );
    (name, detail)
}

fn badge(s: &mut String, node: &Node, styles: &Styles, r: Rect) {
    if let Some(text) = styles.badges.get(&node.name) {
        let text = text::truncate(text, 120.0, 6.0);
        let w = text::width(&text, 6.0) + 10.0;
        let (x, y) = (r.right() - w - 4.0, r.y - 8.0);
        let _ = writeln!(
            s,
            r#"<g class="badge"><rect x="{}" y="{}" width="{}" height="16" rx="8"{}/><text x="{}" y="{}" text-anchor="middle"{}>{}</text></g>"#,
            num(x),
            num(y),
            num(w),
            paint::BADGE_RECT.attrs(),
            num(x + w / 2.0),
            num(y + 11.5),
            ROOT.with(paint::BADGE_TEXT).attrs(),
            xml(&text)
        );
    }
}

fn state(s: &mut String, layout: &Layout, styles: &Styles, id: NodeId) {
    let node = &layout.graph.nodes[id];
    let r = layout.nodes[id];
    let (name, detail) = open_state(s, node, styles, r);
    let room = r.width - 2.0 * TEXT_PAD;
    let cx = r.x + r.width / 2.0;
    let _ = writeln!(
        s,
        r#"<text class="name" x="{}" y="{}" text-anchor="middle"{}>{}</text><text class="kind" x="{}" y="{}" text-anchor="middle"{}>{}</text>"#,
        num(cx),
        num(r.y + 20.0),
        name.attrs(),
        xml(&text::truncate(&node.name, room, NAME_CHAR)),
        num(cx),
        num(r.y + 36.0),
        detail.attrs(),
        xml(&text::truncate(&node.detail, room, DETAIL_CHAR))
    );
    badge(s, node, styles, r);
    s.push_str("</g>\n");
}

fn compound(s: &mut String, layout: &Layout, styles: &Styles, id: NodeId) {
    let node = &layout.graph.nodes[id];
    let r = layout.nodes[id];
    let (name, detail) = open_state(s, node, styles, r);
    let room = r.width - 2.0 * TEXT_PAD;
    let _ = writeln!(
        s,
        r#"<text class="name" x="{}" y="{}"{}>{}</text><text class="kind" x="{}" y="{}"{}>{}</text>"#,
        num(r.x + TEXT_PAD),
        num(r.y + 18.0),
        name.attrs(),
        xml(&text::truncate(&node.name, room, NAME_CHAR)),
        num(r.x + TEXT_PAD),
        num(r.y + COMPOUND_HEADER - 9.0),
        detail.attrs(),
        xml(&text::truncate(&node.detail, room, DETAIL_CHAR))
    );
    badge(s, node, styles, r);
    s.push_str("</g>\n");
}

fn pseudo(s: &mut String, node: &Node, r: Rect) {
    let _ = writeln!(
        s,
        r#"<g class="pseudo {}" data-id="{}"><rect x="{}" y="{}" width="{}" height="{}" rx="{}"{}/><text x="{}" y="{}" text-anchor="middle"{}>{}</text></g>"#,
        node.kind.as_str(),
        xml(&node.id),
        num(r.x),
        num(r.y),
        num(r.width),
        num(r.height),
        num(r.height / 2.0),
        paint::PSEUDO_RECT.attrs(),
        num(r.x + r.width / 2.0),
        num(r.y + r.height / 2.0 + 4.0),
        ROOT.with(paint::PSEUDO_TEXT).attrs(),
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
        r#"<g class="edge {}{back}"><path d="{}" marker-end="url(#{prefix}-arrow-{})"{}/></g>"#,
        kind.as_str(),
        path_data(&route.points),
        kind.as_str(),
        paint::EDGE.with(paint::edge(kind)).attrs()
    );
}

fn label(s: &mut String, kind: EdgeKind, text: &str, at: Point) {
    let w = text::width(text, LABEL_CHAR) + LABEL_PAD;
    let h = crate::layered::LABEL_H;
    let _ = writeln!(
        s,
        r#"<g class="edge-label {}"><rect x="{}" y="{}" width="{}" height="{}" rx="3"{}/><text x="{}" y="{}" text-anchor="middle"{}>{}</text></g>"#,
        kind.as_str(),
        num(at.x - w / 2.0),
        num(at.y - h / 2.0),
        num(w),
        num(h),
        paint::LABEL_RECT.attrs(),
        num(at.x),
        num(at.y + 4.0),
        ROOT.with(paint::LABEL_TEXT)
            .with(paint::label_text(kind))
            .attrs(),
        xml(text)
    );
}
