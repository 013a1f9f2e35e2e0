//! Where everything goes: boxes for nodes and groups, polylines for edges. Groups are laid out
//! first, inside out: a Parallel or Map node is a box as large as its groups side by side, and
//! takes one slot of its parent's layer like any other node.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::layered::{self, Input};
use crate::model::{Graph, GroupId, NodeId};
use crate::text::{self, LABEL_CHAR, NAME_CHAR};

/// Height of a state's box.
pub const NODE_HEIGHT: f64 = 46.0;
const NODE_MIN_WIDTH: f64 = 120.0;
const NODE_MAX_WIDTH: f64 = 280.0;
/// Space left and right of a state's text.
pub(crate) const TEXT_PAD: f64 = 14.0;
/// Advance of one character of the second line (11px).
pub(crate) const DETAIL_CHAR: f64 = 6.3;
const PSEUDO_WIDTH: f64 = 76.0;
const PSEUDO_HEIGHT: f64 = 30.0;
/// Height of a Parallel or Map box's title (name and kind).
pub const COMPOUND_HEADER: f64 = 42.0;
const COMPOUND_PAD: f64 = 12.0;
/// Height of a group's title (`Branch 1`).
pub const GROUP_HEADER: f64 = 24.0;
const GROUP_PAD: f64 = 14.0;
const GROUP_GAP: f64 = 14.0;
/// Space around the whole picture.
const MARGIN: f64 = 16.0;
/// Padding added to a label's text width.
pub(crate) const LABEL_PAD: f64 = 8.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Point {
        Point { x, y }
    }
}

/// A box: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.width
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }
    /// Whether `other` lies inside this box (touching the border counts).
    pub fn contains(&self, other: &Rect) -> bool {
        const EPS: f64 = 1e-6;
        other.x >= self.x - EPS
            && other.y >= self.y - EPS
            && other.right() <= self.right() + EPS
            && other.bottom() <= self.bottom() + EPS
    }
    /// Whether the two boxes share any area (touching borders do not).
    pub fn overlaps(&self, other: &Rect) -> bool {
        const EPS: f64 = 1e-6;
        self.x < other.right() - EPS
            && other.x < self.right() - EPS
            && self.y < other.bottom() - EPS
            && other.y < self.bottom() - EPS
    }
    /// Whether `p` is on the border of this box.
    pub fn on_border(&self, p: Point) -> bool {
        const EPS: f64 = 1e-6;
        let inside_x = p.x >= self.x - EPS && p.x <= self.right() + EPS;
        let inside_y = p.y >= self.y - EPS && p.y <= self.bottom() + EPS;
        let on_x = (p.x - self.x).abs() < EPS || (p.x - self.right()).abs() < EPS;
        let on_y = (p.y - self.y).abs() < EPS || (p.y - self.bottom()).abs() < EPS;
        (inside_x && on_y) || (inside_y && on_x)
    }
}

/// One edge's drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeRoute {
    /// From the source's border to the target's border. Consecutive points are joined by
    /// curves that leave and arrive vertically (straight lines where the points are level).
    pub points: Vec<Point>,
    /// Centre of the label.
    pub label: Option<Point>,
    /// A loop going back up, drawn on the right of its nodes.
    pub back: bool,
}

/// A laid out graph: the graph itself and, by the same indices, where its parts go.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    pub graph: Graph,
    pub width: f64,
    pub height: f64,
    /// By [`NodeId`]. A Parallel or Map node's box encloses its groups.
    pub nodes: Vec<Rect>,
    /// By [`GroupId`].
    pub groups: Vec<Rect>,
    /// By index in [`Graph::edges`].
    pub edges: Vec<EdgeRoute>,
}

/// Lays the graph out. Deterministic: the same graph gives the same coordinates.
pub fn layout(graph: &Graph) -> Layout {
    let block = measure(graph, &graph.top, graph.start, Some(graph.end));
    let mut out = Layout {
        graph: graph.clone(),
        width: block.width + 2.0 * MARGIN,
        height: block.height + 2.0 * MARGIN,
        nodes: vec![Rect::default_zero(); graph.nodes.len()],
        groups: vec![Rect::default_zero(); graph.groups.len()],
        edges: vec![
            EdgeRoute {
                points: Vec::new(),
                label: None,
                back: false,
            };
            graph.edges.len()
        ],
    };
    let block = block.shifted(MARGIN, MARGIN);
    for (id, r) in block.nodes {
        out.nodes[id] = r;
    }
    for (id, r) in block.groups {
        out.groups[id] = r;
    }
    for (id, r) in block.edges {
        out.edges[id] = r;
    }
    out
}

impl Rect {
    fn default_zero() -> Rect {
        Rect {
            x: 0.0,
            y: 0.0,
            width: 0.0,
            height: 0.0,
        }
    }

    fn shifted(self, dx: f64, dy: f64) -> Rect {
        Rect {
            x: self.x + dx,
            y: self.y + dy,
            ..self
        }
    }
}

/// Width of a state's box: room for its name and second line, within bounds.
pub(crate) fn state_width(name: &str, detail: &str) -> f64 {
    let text = text::width(name, NAME_CHAR).max(text::width(detail, DETAIL_CHAR));
    (text + 2.0 * TEXT_PAD).clamp(NODE_MIN_WIDTH, NODE_MAX_WIDTH)
}

/// The label's box width.
pub(crate) fn label_width(label: &str) -> f64 {
    text::width(label, LABEL_CHAR) + LABEL_PAD
}

/// One laid out scope, relative to its own top-left corner, with everything nested in it.
struct Block {
    width: f64,
    height: f64,
    nodes: Vec<(NodeId, Rect)>,
    groups: Vec<(GroupId, Rect)>,
    edges: Vec<(usize, EdgeRoute)>,
}

impl Block {
    fn shifted(self, dx: f64, dy: f64) -> Block {
        let p = |p: Point| Point::new(p.x + dx, p.y + dy);
        Block {
            width: self.width,
            height: self.height,
            nodes: self
                .nodes
                .into_iter()
                .map(|(i, r)| (i, r.shifted(dx, dy)))
                .collect(),
            groups: self
                .groups
                .into_iter()
                .map(|(i, r)| (i, r.shifted(dx, dy)))
                .collect(),
            edges: self
                .edges
                .into_iter()
                .map(|(i, r)| {
                    (
                        i,
                        EdgeRoute {
                            points: r.points.into_iter().map(p).collect(),
                            label: r.label.map(p),
                            back: r.back,
                        },
                    )
                })
                .collect(),
        }
    }
}

/// Lays out the nodes `scope` (one state set, or the top level) and, first, every group in
/// them.
fn measure(graph: &Graph, scope: &[NodeId], entry: NodeId, last: Option<NodeId>) -> Block {
    let local: BTreeMap<NodeId, usize> = scope.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    // Children first: each compound node's groups, laid out side by side.
    let mut inner: BTreeMap<NodeId, Vec<(GroupId, Block)>> = BTreeMap::new();
    let mut sizes = Vec::with_capacity(scope.len());
    for &id in scope {
        let node = &graph.nodes[id];
        let size = if node.kind.is_pseudo() {
            (PSEUDO_WIDTH, PSEUDO_HEIGHT)
        } else if node.is_container() {
            let blocks: Vec<(GroupId, Block)> = node
                .groups
                .iter()
                .map(|&g| {
                    let group = &graph.groups[g];
                    (g, measure(graph, &group.nodes, group.start, None))
                })
                .collect();
            let (w, h) = compound_size(graph, id, &blocks);
            inner.insert(id, blocks);
            (w, h)
        } else {
            (state_width(&node.name, &node.detail), NODE_HEIGHT)
        };
        sizes.push(size);
    }
    let edge_ids: Vec<usize> = graph
        .edges
        .iter()
        .enumerate()
        .filter(|(_, e)| local.contains_key(&e.from) && local.contains_key(&e.to))
        .map(|(i, _)| i)
        .collect();
    let input = Input {
        sizes,
        edges: edge_ids
            .iter()
            .map(|&i| {
                let e = &graph.edges[i];
                (
                    local[&e.from],
                    local[&e.to],
                    e.label.as_deref().map(label_width),
                )
            })
            .collect(),
        entry: local.get(&entry).copied().unwrap_or(0),
        last: last.and_then(|l| local.get(&l).copied()),
    };
    let placed = layered::place(&input);
    let mut block = Block {
        width: placed.width,
        height: placed.height,
        nodes: Vec::new(),
        groups: Vec::new(),
        edges: Vec::new(),
    };
    for (&id, r) in scope.iter().zip(&placed.boxes) {
        block.nodes.push((id, *r));
        if let Some(children) = inner.remove(&id) {
            place_groups(graph, &mut block, r, children);
        }
    }
    for (&i, route) in edge_ids.iter().zip(placed.routes) {
        block.edges.push((
            i,
            EdgeRoute {
                points: route.points,
                label: route.label,
                back: route.back,
            },
        ));
    }
    block
}

fn group_box_size(graph: &Graph, g: GroupId, b: &Block) -> (f64, f64) {
    let label = text::width(&graph.groups[g].label, DETAIL_CHAR) + 2.0 * GROUP_PAD;
    (
        (b.width + 2.0 * GROUP_PAD).max(label),
        b.height + GROUP_HEADER + GROUP_PAD,
    )
}

fn compound_size(graph: &Graph, id: NodeId, blocks: &[(GroupId, Block)]) -> (f64, f64) {
    let node = &graph.nodes[id];
    let mut inner_w = 0.0;
    let mut inner_h: f64 = 0.0;
    for (i, (g, b)) in blocks.iter().enumerate() {
        let (w, h) = group_box_size(graph, *g, b);
        inner_w += w + if i > 0 { GROUP_GAP } else { 0.0 };
        inner_h = inner_h.max(h);
    }
    let title = text::width(&node.name, NAME_CHAR).max(text::width(&node.detail, DETAIL_CHAR))
        + 2.0 * TEXT_PAD;
    let width = (inner_w + 2.0 * COMPOUND_PAD)
        .max(title.min(NODE_MAX_WIDTH))
        .max(NODE_MIN_WIDTH);
    (width, COMPOUND_HEADER + inner_h + COMPOUND_PAD)
}

/// Puts a compound node's groups (and their contents) inside its box `r`, side by side under
/// its title, all as tall as the tallest.
fn place_groups(graph: &Graph, block: &mut Block, r: &Rect, children: Vec<(GroupId, Block)>) {
    let sizes: Vec<(f64, f64)> = children
        .iter()
        .map(|(g, b)| group_box_size(graph, *g, b))
        .collect();
    let inner_w: f64 =
        sizes.iter().map(|s| s.0).sum::<f64>() + GROUP_GAP * (sizes.len().max(1) - 1) as f64;
    let height = sizes.iter().map(|s| s.1).fold(0.0, f64::max);
    let mut x = r.x + (r.width - inner_w) / 2.0;
    let y = r.y + COMPOUND_HEADER;
    for ((g, b), (w, _)) in children.into_iter().zip(sizes) {
        block.groups.push((
            g,
            Rect {
                x,
                y,
                width: w,
                height,
            },
        ));
        let dx = x + (w - b.width) / 2.0;
        let content = b.shifted(dx, y + GROUP_HEADER);
        block.nodes.extend(content.nodes);
        block.groups.extend(content.groups);
        block.edges.extend(content.edges);
        x += w + GROUP_GAP;
    }
}
