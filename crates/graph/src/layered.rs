//! A layered (Sugiyama-style) layout of one flat graph: the top level of a machine or one
//! group. Nodes are boxes of given sizes; the caller nests groups by giving a Parallel or Map
//! node the size of its already laid-out contents.
//!
//! The phases: DFS back edges are reversed to make the graph acyclic; longest-path layering
//! (End forced to the last layer); edges spanning several layers get dummy nodes, and edges
//! that go back up get dummies in every layer they pass including both endpoints', so a loop
//! is drawn beside its nodes, going up on the right; barycenter sweeps (down and up, keeping
//! the order with the fewest crossings) order each layer; x coordinates come from repeated
//! isotonic regression (each node pulled towards the mean of its neighbours, the layer's order
//! and spacing kept exactly), which straightens long edges and centres fan-outs; y is one row
//! per layer.
//!
//! Everything is deterministic: ties are broken by position, never by hashing.

use crate::layout::{Point, Rect};

/// Horizontal space between two state boxes in a layer.
const NODE_SEP: f64 = 30.0;
/// Horizontal space next to a dummy (an edge passing through the layer).
const DUMMY_SEP: f64 = 16.0;
/// Vertical space between layers; more when edges carry labels.
const LAYER_GAP: f64 = 44.0;
const LABELLED_LAYER_GAP: f64 = 62.0;
/// Room kept right of a node for its self-loop.
pub(crate) const SELF_LOOP: f64 = 24.0;
/// Height of an edge label's box.
pub(crate) const LABEL_H: f64 = 16.0;
const SWEEPS: usize = 12;
const POSITION_PASSES: usize = 8;

/// One graph to lay out.
pub(crate) struct Input {
    /// Width and height of each node's box.
    pub sizes: Vec<(f64, f64)>,
    /// Edges as (from, to, width of the label if any).
    pub edges: Vec<(usize, usize, Option<f64>)>,
    /// Where the DFS starts (the Start node, or a group's `StartAt`): laid out on top.
    pub entry: usize,
    /// A node forced into the last layer (End).
    pub last: Option<usize>,
}

/// The result, relative to (0, 0).
pub(crate) struct Output {
    pub boxes: Vec<Rect>,
    pub routes: Vec<Route>,
    pub width: f64,
    pub height: f64,
}

/// One edge's path.
pub(crate) struct Route {
    pub points: Vec<Point>,
    /// Centre of its label, if it has one.
    pub label: Option<Point>,
    /// Drawn going up (a loop).
    pub back: bool,
}

#[derive(Clone, Copy)]
enum Shape {
    SelfLoop,
    Down,
    Up,
}

struct Work<'a> {
    input: &'a Input,
    /// Layer of every layer node (real nodes first, then dummies).
    rank: Vec<usize>,
    /// Real node behind a layer node, if any.
    real: Vec<Option<usize>>,
    /// Width of every layer node (a real node's includes its self-loop room).
    width: Vec<f64>,
    /// Neighbours in the layer above / below.
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
    /// Per edge: its shape and its chain of layer nodes from top to bottom.
    chains: Vec<(Shape, Vec<usize>)>,
    layers: Vec<Vec<usize>>,
    x: Vec<f64>,
}

pub(crate) fn place(input: &Input) -> Output {
    let n = input.sizes.len();
    let order = dfs_order(input);
    let back = back_edges(input, &order);
    let rank = layering(input, &back, &order);
    let has_self: Vec<bool> = (0..n)
        .map(|v| input.edges.iter().any(|e| e.0 == v && e.1 == v))
        .collect();
    let mut w = Work {
        input,
        rank: rank.clone(),
        real: (0..n).map(Some).collect(),
        width: (0..n)
            .map(|v| input.sizes[v].0 + if has_self[v] { SELF_LOOP } else { 0.0 })
            .collect(),
        up: vec![Vec::new(); n],
        down: vec![Vec::new(); n],
        chains: Vec::new(),
        layers: Vec::new(),
        x: Vec::new(),
    };
    w.build_chains(&back);
    w.order_layers(&order);
    w.assign_x();
    w.finish()
}

/// DFS discovery order from the entry, then from every node not yet reached.
fn dfs_order(input: &Input) -> Vec<usize> {
    let n = input.sizes.len();
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in input.edges.iter().enumerate() {
        out_edges[e.0].push(i);
    }
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let roots = std::iter::once(input.entry).chain(0..n);
    for root in roots {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        order.push(root);
        let mut stack = vec![(root, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (v, next) = *top;
            if next < out_edges[v].len() {
                top.1 += 1;
                let to = input.edges[out_edges[v][next]].1;
                if !seen[to] {
                    seen[to] = true;
                    order.push(to);
                    stack.push((to, 0));
                }
            } else {
                stack.pop();
            }
        }
    }
    order
}

/// Edges that close a cycle in the DFS (to a node still on the stack). Self-loops are not.
fn back_edges(input: &Input, order: &[usize]) -> Vec<bool> {
    let n = input.sizes.len();
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in input.edges.iter().enumerate() {
        out_edges[e.0].push(i);
    }
    // 0 unvisited, 1 on the stack, 2 done.
    let mut colour = vec![0u8; n];
    let mut back = vec![false; input.edges.len()];
    for &root in order {
        if colour[root] != 0 {
            continue;
        }
        colour[root] = 1;
        let mut stack = vec![(root, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (v, next) = *top;
            if next < out_edges[v].len() {
                top.1 += 1;
                let e = out_edges[v][next];
                let to = input.edges[e].1;
                if to == v {
                    continue;
                }
                match colour[to] {
                    0 => {
                        colour[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => back[e] = true,
                    _ => {}
                }
            } else {
                colour[v] = 2;
                stack.pop();
            }
        }
    }
    back
}

/// Longest-path layering of the graph with back edges reversed.
fn layering(input: &Input, back: &[bool], order: &[usize]) -> Vec<usize> {
    let n = input.sizes.len();
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (i, &(a, b, _)) in input.edges.iter().enumerate() {
        if a == b {
            continue;
        }
        let (a, b) = if back[i] { (b, a) } else { (a, b) };
        succ[a].push(b);
        indegree[b] += 1;
    }
    let mut position = vec![0usize; n];
    for (i, &v) in order.iter().enumerate() {
        position[v] = i;
    }
    // Kahn's algorithm, taking ready nodes in DFS order.
    let mut ready: std::collections::BTreeSet<(usize, usize)> = (0..n)
        .filter(|&v| indegree[v] == 0)
        .map(|v| (position[v], v))
        .collect();
    let mut rank = vec![0usize; n];
    while let Some(&first) = ready.iter().next() {
        ready.remove(&first);
        let v = first.1;
        for &s in &succ[v] {
            rank[s] = rank[s].max(rank[v] + 1);
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.insert((position[s], s));
            }
        }
    }
    if let Some(last) = input.last {
        if succ[last].is_empty() {
            let max = (0..n).filter(|&v| v != last).map(|v| rank[v]).max();
            rank[last] = max.map_or(0, |m| m + 1).max(rank[last]);
        }
    }
    rank
}

impl Work<'_> {
    fn add_dummy(&mut self, rank: usize) -> usize {
        self.rank.push(rank);
        self.real.push(None);
        self.width.push(0.0);
        self.up.push(Vec::new());
        self.down.push(Vec::new());
        self.rank.len() - 1
    }

    fn link(&mut self, upper: usize, lower: usize) {
        self.down[upper].push(lower);
        self.up[lower].push(upper);
    }

    /// Dummy nodes for every edge that is not between adjacent layers, and the chains.
    fn build_chains(&mut self, back: &[bool]) {
        for (i, &(a, b, _)) in self.input.edges.iter().enumerate() {
            if a == b {
                self.chains.push((Shape::SelfLoop, vec![a]));
                continue;
            }
            if back[i] {
                // Goes up from `a` (below) to `b` (above): dummies in every layer from b's to
                // a's, the outer two beside the endpoints.
                let (top, bottom) = (self.rank[b], self.rank[a]);
                let mut chain = vec![b];
                let mut prev: Option<usize> = None;
                for r in top..=bottom {
                    let d = self.add_dummy(r);
                    if let Some(p) = prev {
                        self.link(p, d);
                    }
                    prev = Some(d);
                    chain.push(d);
                }
                chain.push(a);
                self.chains.push((Shape::Up, chain));
            } else {
                let (top, bottom) = (self.rank[a], self.rank[b]);
                let mut chain = vec![a];
                let mut prev = a;
                for r in top + 1..bottom {
                    let d = self.add_dummy(r);
                    self.link(prev, d);
                    prev = d;
                    chain.push(d);
                }
                self.link(prev, b);
                chain.push(b);
                self.chains.push((Shape::Down, chain));
            }
        }
    }

    /// Initial order by DFS discovery, then barycenter sweeps.
    fn order_layers(&mut self, order: &[usize]) {
        let count = self.rank.len();
        let layer_count = self.rank.iter().copied().max().map_or(0, |m| m + 1);
        let mut key = vec![0.0f64; count];
        for (i, &v) in order.iter().enumerate() {
            key[v] = i as f64;
        }
        for (edge, (shape, chain)) in self.chains.iter().enumerate() {
            let anchor = match shape {
                Shape::Up => chain[chain.len() - 1],
                _ => chain[0],
            };
            for &d in chain.iter().filter(|&&d| self.real[d].is_none()) {
                key[d] = key[anchor] + 0.5 + edge as f64 * 1e-6;
            }
        }
        let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
        for v in 0..count {
            layers[self.rank[v]].push(v);
        }
        for layer in &mut layers {
            layer.sort_by(|&a, &b| key[a].total_cmp(&key[b]).then(a.cmp(&b)));
        }
        let mut best = layers.clone();
        let mut best_crossings = self.crossings(&layers);
        for sweep in 0..SWEEPS {
            if best_crossings == 0 {
                break;
            }
            if sweep % 2 == 0 {
                for r in 1..layer_count {
                    let (above, rest) = layers.split_at_mut(r);
                    reorder(&mut rest[0], &above[r - 1], &self.up, count);
                }
            } else {
                for r in (0..layer_count.saturating_sub(1)).rev() {
                    let (head, below) = layers.split_at_mut(r + 1);
                    reorder(&mut head[r], &below[0], &self.down, count);
                }
            }
            let c = self.crossings(&layers);
            if c < best_crossings {
                best_crossings = c;
                best = layers.clone();
            }
        }
        // A loop's outer dummies sit right beside their endpoints.
        for (shape, chain) in &self.chains {
            if let Shape::Up = shape {
                let pairs = [
                    (chain[0], chain[1]),
                    (chain[chain.len() - 1], chain[chain.len() - 2]),
                ];
                for (node, dummy) in pairs {
                    let layer = &mut best[self.rank[node]];
                    layer.retain(|&v| v != dummy);
                    let at = layer.iter().position(|&v| v == node).map_or(0, |p| p + 1);
                    layer.insert(at, dummy);
                }
            }
        }
        self.layers = best;
    }

    /// Edge crossings between adjacent layers.
    fn crossings(&self, layers: &[Vec<usize>]) -> usize {
        let mut pos = vec![0usize; self.rank.len()];
        for layer in layers {
            for (i, &v) in layer.iter().enumerate() {
                pos[v] = i;
            }
        }
        let mut total = 0;
        for layer in layers {
            let mut segs: Vec<(usize, usize)> = Vec::new();
            for &v in layer {
                for &w in &self.down[v] {
                    segs.push((pos[v], pos[w]));
                }
            }
            segs.sort_unstable();
            for i in 0..segs.len() {
                for j in i + 1..segs.len() {
                    if segs[i].0 < segs[j].0 && segs[i].1 > segs[j].1 {
                        total += 1;
                    }
                }
            }
        }
        total
    }

    fn gap(&self, a: usize, b: usize) -> f64 {
        let sep = if self.real[a].is_some() && self.real[b].is_some() {
            NODE_SEP
        } else {
            DUMMY_SEP
        };
        (self.width[a] + self.width[b]) / 2.0 + sep
    }

    /// Centre x of every layer node.
    fn assign_x(&mut self) {
        let count = self.rank.len();
        self.x = vec![0.0; count];
        for layer in &self.layers {
            let mut at = 0.0;
            for (i, &v) in layer.iter().enumerate() {
                if i == 0 {
                    at = self.width[v] / 2.0;
                } else {
                    at += self.gap(layer[i - 1], v);
                }
                self.x[v] = at;
            }
        }
        for pass in 0..POSITION_PASSES {
            let last = pass + 1 == POSITION_PASSES;
            let layer_count = self.layers.len();
            let sequence: Vec<usize> = if pass % 2 == 0 {
                (0..layer_count).collect()
            } else {
                (0..layer_count).rev().collect()
            };
            for r in sequence {
                let layer = self.layers[r].clone();
                let desired: Vec<f64> = layer
                    .iter()
                    .map(|&v| {
                        let nbrs: Vec<usize> = if last {
                            self.up[v].iter().chain(&self.down[v]).copied().collect()
                        } else if pass % 2 == 0 {
                            self.up[v].clone()
                        } else {
                            self.down[v].clone()
                        };
                        if nbrs.is_empty() {
                            self.x[v]
                        } else {
                            nbrs.iter().map(|&u| self.x[u]).sum::<f64>() / nbrs.len() as f64
                        }
                    })
                    .collect();
                let gaps: Vec<f64> = layer.windows(2).map(|p| self.gap(p[0], p[1])).collect();
                // Dummies weigh more, so long edges come out straight.
                let weights: Vec<f64> = layer
                    .iter()
                    .map(|&v| if self.real[v].is_some() { 1.0 } else { 2.0 })
                    .collect();
                let placed = isotonic(&desired, &gaps, &weights);
                for (&v, x) in layer.iter().zip(placed) {
                    self.x[v] = x;
                }
            }
        }
        let left = (0..count)
            .map(|v| self.x[v] - self.width[v] / 2.0)
            .fold(f64::INFINITY, f64::min);
        if left.is_finite() {
            for x in &mut self.x {
                *x -= left;
            }
        }
    }

    fn finish(self) -> Output {
        let input = self.input;
        let n = input.sizes.len();
        let labelled = input.edges.iter().any(|e| e.2.is_some());
        let gap = if labelled {
            LABELLED_LAYER_GAP
        } else {
            LAYER_GAP
        };
        let mut layer_h = vec![0.0f64; self.layers.len()];
        for v in 0..n {
            layer_h[self.rank[v]] = layer_h[self.rank[v]].max(input.sizes[v].1);
        }
        let mut layer_top = Vec::with_capacity(layer_h.len());
        let mut y = 0.0;
        for h in &layer_h {
            layer_top.push(y);
            y += h + gap;
        }
        let mut height = (y - gap).max(0.0);
        let boxes: Vec<Rect> = (0..n)
            .map(|v| {
                let (w, h) = input.sizes[v];
                let r = self.rank[v];
                Rect {
                    x: self.x[v] - self.width[v] / 2.0,
                    y: layer_top[r] + (layer_h[r] - h) / 2.0,
                    width: w,
                    height: h,
                }
            })
            .collect();
        let centre_y = |v: usize| boxes[v].y + boxes[v].height / 2.0;
        let bottom = |r: usize| layer_top[r] + layer_h[r];
        let ports = self.ports(&boxes);
        let mut routes: Vec<Route> = Vec::with_capacity(input.edges.len());
        for (i, (shape, chain)) in self.chains.iter().enumerate() {
            let label_w = input.edges[i].2;
            let route = match shape {
                Shape::SelfLoop => {
                    let b = boxes[chain[0]];
                    let (right, cy) = (b.x + b.width, centre_y(chain[0]));
                    let out = right + SELF_LOOP - 6.0;
                    Route {
                        points: vec![
                            Point::new(right, cy - 8.0),
                            Point::new(out, cy - 8.0),
                            Point::new(out, cy + 8.0),
                            Point::new(right, cy + 8.0),
                        ],
                        label: label_w.map(|w| Point::new(out + 4.0 + w / 2.0, cy - 8.0 - LABEL_H)),
                        back: false,
                    }
                }
                Shape::Down => {
                    // Straight down inside layers, curves only in the gaps between them, so
                    // an edge never crosses a box.
                    let (from, to) = (chain[0], chain[chain.len() - 1]);
                    let (out, inn) = ports[i];
                    let mut points = vec![out];
                    push(&mut points, Point::new(out.x, bottom(self.rank[from])));
                    let gap_start = points.len() - 1;
                    for &d in &chain[1..chain.len() - 1] {
                        let r = self.rank[d];
                        push(&mut points, Point::new(self.x[d], layer_top[r]));
                        push(&mut points, Point::new(self.x[d], bottom(r)));
                    }
                    push(&mut points, Point::new(inn.x, layer_top[self.rank[to]]));
                    push(&mut points, inn);
                    let label = label_w.map(|_| midpoint(points[gap_start], points[gap_start + 1]));
                    Route {
                        points,
                        label,
                        back: false,
                    }
                }
                Shape::Up => {
                    // chain: [top node, dummy beside it, …, dummy beside the bottom node,
                    // bottom node]; drawn from the bottom node's right side up to the top
                    // node's right side.
                    let (target, source) = (chain[0], chain[chain.len() - 1]);
                    let (sb, tb) = (boxes[source], boxes[target]);
                    let (rs, rt) = (self.rank[source], self.rank[target]);
                    let dummies = &chain[1..chain.len() - 1];
                    let (dv, du) = (dummies[0], dummies[dummies.len() - 1]);
                    let mut points = vec![Point::new(sb.right(), centre_y(source))];
                    push(&mut points, Point::new(self.x[du], centre_y(source)));
                    push(&mut points, Point::new(self.x[du], layer_top[rs]));
                    for &d in dummies[1..dummies.len() - 1].iter().rev() {
                        let r = self.rank[d];
                        push(&mut points, Point::new(self.x[d], bottom(r)));
                        push(&mut points, Point::new(self.x[d], layer_top[r]));
                    }
                    push(&mut points, Point::new(self.x[dv], bottom(rt)));
                    push(&mut points, Point::new(self.x[dv], centre_y(target)));
                    push(&mut points, Point::new(tb.right(), centre_y(target)));
                    // In the gap above the source's layer, right of the line.
                    let label = label_w
                        .map(|w| Point::new(self.x[du] + w / 2.0 + 4.0, layer_top[rs] - gap / 2.0));
                    Route {
                        points,
                        label,
                        back: true,
                    }
                }
            };
            routes.push(route);
        }
        let mut width = boxes
            .iter()
            .zip(&self.width)
            .map(|(b, w)| b.x + w)
            .fold(0.0, f64::max);
        for x in &self.x {
            width = width.max(*x);
        }
        separate_labels(&mut routes, input);
        for (route, e) in routes.iter().zip(&input.edges) {
            if let (Some(p), Some(w)) = (route.label, e.2) {
                width = width.max(p.x + w / 2.0);
                height = height.max(p.y + LABEL_H / 2.0);
            }
        }
        // Labels pushed left of 0 shift everything right.
        let left = routes
            .iter()
            .zip(&input.edges)
            .filter_map(|(r, e)| Some(r.label?.x - e.2? / 2.0))
            .fold(0.0, f64::min);
        let mut boxes = boxes;
        if left < 0.0 {
            for b in &mut boxes {
                b.x -= left;
            }
            for r in &mut routes {
                for p in &mut r.points {
                    p.x -= left;
                }
                if let Some(p) = &mut r.label {
                    p.x -= left;
                }
            }
            width -= left;
        }
        Output {
            boxes,
            routes,
            width,
            height,
        }
    }

    /// Where each downward edge leaves its source (bottom side) and enters its target (top
    /// side): spread along the side, in the order of the edges' other ends, so fan-outs do not
    /// cross at the box.
    fn ports(&self, boxes: &[Rect]) -> Vec<(Point, Point)> {
        let n = boxes.len();
        let mut out: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        let mut inc: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        for (i, (shape, chain)) in self.chains.iter().enumerate() {
            if let Shape::Down = shape {
                let (a, b) = (chain[0], chain[chain.len() - 1]);
                out[a].push((self.x[chain[1]], i));
                inc[b].push((self.x[chain[chain.len() - 2]], i));
            }
        }
        let mut ports = vec![(Point::new(0.0, 0.0), Point::new(0.0, 0.0)); self.chains.len()];
        for v in 0..n {
            let b = boxes[v];
            let cx = b.x + b.width / 2.0;
            for (list, bottom) in [(&mut out[v], true), (&mut inc[v], false)] {
                list.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
                let k = list.len();
                let spacing = if k > 1 {
                    (b.width * 0.6 / (k - 1) as f64).min(18.0)
                } else {
                    0.0
                };
                for (j, &(_, e)) in list.iter().enumerate() {
                    let x = cx + (j as f64 - (k as f64 - 1.0) / 2.0) * spacing;
                    if bottom {
                        ports[e].0 = Point::new(x, b.y + b.height);
                    } else {
                        ports[e].1 = Point::new(x, b.y);
                    }
                }
            }
        }
        ports
    }
}

/// Appends `p` unless it repeats the last point.
fn push(points: &mut Vec<Point>, p: Point) {
    if points.last() != Some(&p) {
        points.push(p);
    }
}

fn midpoint(a: Point, b: Point) -> Point {
    Point::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
}

/// Sorts `layer` by the mean position of each node's neighbours in `fixed`; nodes without
/// neighbours keep their place.
fn reorder(layer: &mut [usize], fixed: &[usize], nbrs: &[Vec<usize>], count: usize) {
    let mut pos = vec![0.0f64; count];
    for (i, &v) in fixed.iter().enumerate() {
        pos[v] = i as f64;
    }
    let keys: Vec<(f64, usize)> = layer
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let ns = &nbrs[v];
            let k = if ns.is_empty() {
                // Keep relative place: scale own index into the fixed layer's range.
                i as f64 * (fixed.len().max(1) as f64 / layer.len().max(1) as f64)
            } else {
                ns.iter().map(|&u| pos[u]).sum::<f64>() / ns.len() as f64
            };
            (k, i)
        })
        .collect();
    let mut idx: Vec<usize> = (0..layer.len()).collect();
    idx.sort_by(|&a, &b| keys[a].0.total_cmp(&keys[b].0).then(a.cmp(&b)));
    let old = layer.to_vec();
    for (slot, i) in idx.into_iter().enumerate() {
        layer[slot] = old[i];
    }
}

/// Positions as close as possible (weighted least squares) to `desired`, keeping the order
/// and at least `gaps[i]` between position `i` and `i + 1`: pool-adjacent-violators on the
/// positions with the gaps taken out.
pub(crate) fn isotonic(desired: &[f64], gaps: &[f64], weights: &[f64]) -> Vec<f64> {
    let n = desired.len();
    let mut offset = vec![0.0; n];
    for i in 1..n {
        offset[i] = offset[i - 1] + gaps[i - 1];
    }
    // Blocks of (weighted sum, weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(n);
    for i in 0..n {
        let w = weights[i].max(1e-9);
        blocks.push(((desired[i] - offset[i]) * w, w, 1));
        while blocks.len() > 1 {
            let (s1, w1, _) = blocks[blocks.len() - 1];
            let (s0, w0, _) = blocks[blocks.len() - 2];
            if s0 / w0 <= s1 / w1 {
                break;
            }
            if let (Some(last), Some(_)) = (blocks.pop(), blocks.last()) {
                let len = blocks.len();
                let b = &mut blocks[len - 1];
                b.0 += last.0;
                b.1 += last.1;
                b.2 += last.2;
            }
        }
    }
    let mut out = Vec::with_capacity(n);
    for (s, w, c) in blocks {
        for _ in 0..c {
            let i = out.len();
            out.push(s / w + offset[i]);
        }
    }
    out
}

/// Moves labels sideways until no two overlap.
fn separate_labels(routes: &mut [Route], input: &Input) {
    let mut labels: Vec<(usize, Point, f64)> = routes
        .iter()
        .zip(&input.edges)
        .enumerate()
        .filter_map(|(i, (r, e))| Some((i, r.label?, e.2?)))
        .collect();
    labels.sort_by(|a, b| {
        a.1.y
            .total_cmp(&b.1.y)
            .then(a.1.x.total_cmp(&b.1.x))
            .then(a.0.cmp(&b.0))
    });
    // Rows of labels whose boxes overlap vertically.
    let mut start = 0;
    while start < labels.len() {
        let mut end = start + 1;
        while end < labels.len() && labels[end].1.y - labels[start].1.y < LABEL_H + 2.0 {
            end += 1;
        }
        let row = &mut labels[start..end];
        row.sort_by(|a, b| a.1.x.total_cmp(&b.1.x).then(a.0.cmp(&b.0)));
        let desired: Vec<f64> = row.iter().map(|l| l.1.x).collect();
        let gaps: Vec<f64> = row
            .windows(2)
            .map(|p| (p[0].2 + p[1].2) / 2.0 + 10.0)
            .collect();
        let weights = vec![1.0; row.len()];
        let placed = isotonic(&desired, &gaps, &weights);
        for (l, x) in row.iter_mut().zip(placed) {
            l.1.x = x;
        }
        start = end;
    }
    for (i, p, _) in labels {
        routes[i].label = Some(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_keeps_order_and_gaps() {
        let x = isotonic(&[10.0, 10.0, 10.0], &[20.0, 20.0], &[1.0, 1.0, 1.0]);
        assert_eq!(x, vec![-10.0, 10.0, 30.0]);
        let x = isotonic(&[0.0, 100.0], &[20.0], &[1.0, 1.0]);
        assert_eq!(x, vec![0.0, 100.0]);
    }

    #[test]
    fn a_cycle_gets_a_back_edge() {
        let input = Input {
            sizes: vec![(100.0, 40.0); 3],
            edges: vec![(0, 1, None), (1, 2, None), (2, 1, Some(40.0))],
            entry: 0,
            last: None,
        };
        let out = place(&input);
        assert!(out.routes[2].back);
        assert!(out.boxes[1].y < out.boxes[2].y);
    }
}
