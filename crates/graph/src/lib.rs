//! State machines drawn as pictures: `baton graph` and the console's graphs.
//!
//! ```text
//! StateMachine ──Graph::from_machine──► Graph ──layout──► Layout ──to_svg──► SVG
//!                                         │
//!                                         ├──to_dot──► Graphviz DOT
//!                                         └──to_mermaid──► Mermaid flowchart
//! ```
//!
//! * [`Graph`] (`model.rs`): a node per state (its id the path of names, `Par/0/Inner` for a
//!   state in the first branch of `Par`), Start and End pseudo-nodes, edges typed `next`,
//!   `choice` (labelled with the rule, `$.x > 10`, or `Default`) and `catch` (labelled with the
//!   error names), and groups for Parallel branches and Map item processors, nested as deep as
//!   the definition nests them.
//! * [`layout()`] (`layout.rs`, `layered.rs`): a layered layout, groups first, each Parallel or
//!   Map state a box around its groups that takes one slot of its parent's layer. Loops go up
//!   on the right of their states; labels never overlap each other.
//! * [`to_svg`] (`svg.rs`): self-contained SVG with classes per node kind and an optional
//!   status per state ([`Styles`]), each element carrying its colours and fonts as presentation
//!   attributes (`paint.rs`) so that it draws the same without CSS; [`to_dot`] and [`to_mermaid`] need no layout.
//!
//! Pure: no I/O, and the same input always gives the same bytes.
//!
//! # Why the layout is written here
//!
//! A layered layout that nests boxes is what a workflow picture needs, and none of the Rust
//! crates we checked on crates.io when writing this gives it well:
//!
//! * `layout-rs` (0.1.3) is pure Rust and draws DOT files, but flattens subgraphs: it parses
//!   `subgraph` and lays the nodes out as if it were not there, so Parallel branches and Map
//!   processors would not be boxes.
//! * `dagre` (0.1.x), `dagre-dgl-rs` and `dugong` are recent ports of dagre.js with compound
//!   graph support. They are young (first releases within months, one maintainer each; `dagre`
//!   is ~13,000 lines pulled in for one picture), and dagre.js's compound layout ranks every
//!   nested node in one global layering, where a state machine's nesting is strict: no edge
//!   ever crosses a group's border, so laying each group out on its own and treating it as a
//!   box is both simpler and guarantees, by construction, that every state stays inside its
//!   group and no two boxes overlap.
//! * Graphviz itself is C, not a dependency a pure crate can take.
//!
//! The whole layout is about 1,100 lines with its unit tests, held by the property tests in
//! `tests/properties.rs` (no overlapping boxes, every node inside its group, every edge
//! starting and ending on its nodes' borders, deterministic output, a bounded aspect ratio on
//! a 60-state machine).
//!
//! # Tests
//!
//! `tests/snapshots.rs` compares SVG, DOT and Mermaid output byte for byte with the files in
//! `tests/snapshots/` (the seed workflows' definitions, read from `../shared/seeds` at test
//! time, `examples/hello.asl.json`, nested Map/Parallel definitions). After a deliberate
//! change, `BATON_UPDATE_SNAPSHOTS=1 cargo test -p baton-graph` rewrites them; review the diff
//! and look at the SVGs.

mod dot;
mod label;
mod layered;
mod layout;
mod mermaid;
mod model;
mod paint;
mod svg;
mod text;

pub use dot::to_dot;
pub use label::MAX_LABEL;
pub use layout::{layout, EdgeRoute, Layout, Point, Rect};
pub use mermaid::to_mermaid;
pub use model::{
    Edge, EdgeKind, Graph, Group, GroupId, GroupKind, Node, NodeId, NodeKind, END_ID, START_ID,
};
pub use svg::{to_svg, Status, Styles};
