//! The graph of a state machine: one node per state plus Start and End, typed edges, and the
//! groups (Parallel branches, Map item processors) that nest states inside a state.

use baton_asl::model::{StateKind, StateMachine, StateSet, Transition};
use serde::Serialize;

use crate::label;

/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;
/// Index of a group in [`Graph::groups`].
pub type GroupId = usize;

/// What a node is: a state's `Type`, or one of the two pseudo-nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Start,
    End,
    Pass,
    Task,
    Choice,
    Wait,
    Succeed,
    Fail,
    Parallel,
    Map,
}

impl NodeKind {
    /// The CSS class and serialized name: `task`, `choice`, `start`, …
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Start => "start",
            NodeKind::End => "end",
            NodeKind::Pass => "pass",
            NodeKind::Task => "task",
            NodeKind::Choice => "choice",
            NodeKind::Wait => "wait",
            NodeKind::Succeed => "succeed",
            NodeKind::Fail => "fail",
            NodeKind::Parallel => "parallel",
            NodeKind::Map => "map",
        }
    }

    /// The state's `Type` as ASL spells it (`Start`/`End` for the pseudo-nodes).
    pub fn type_name(self) -> &'static str {
        match self {
            NodeKind::Start => "Start",
            NodeKind::End => "End",
            NodeKind::Pass => "Pass",
            NodeKind::Task => "Task",
            NodeKind::Choice => "Choice",
            NodeKind::Wait => "Wait",
            NodeKind::Succeed => "Succeed",
            NodeKind::Fail => "Fail",
            NodeKind::Parallel => "Parallel",
            NodeKind::Map => "Map",
        }
    }

    /// Start and End, which are not states.
    pub fn is_pseudo(self) -> bool {
        matches!(self, NodeKind::Start | NodeKind::End)
    }

    /// Parallel and Map, drawn as boxes around their groups.
    pub fn is_compound(self) -> bool {
        matches!(self, NodeKind::Parallel | NodeKind::Map)
    }
}

/// One state, or the Start/End pseudo-node of the top level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// The path of the state: its name at the top level, `Owner/<index>/Name` inside the
    /// `index`th branch of the Parallel (or the item processor, index 0, of the Map) `Owner`.
    /// `(start)` and `(end)` for the pseudo-nodes.
    pub id: String,
    /// The state's name (`Start`/`End` for the pseudo-nodes).
    pub name: String,
    pub kind: NodeKind,
    /// The group this node is in; `None` at the top level.
    pub parent: Option<GroupId>,
    /// A Parallel's branches or a Map's item processor, in order.
    pub groups: Vec<GroupId>,
    /// Whether the node ends its state set (`End: true`, Succeed, Fail).
    pub terminal: bool,
    /// A second line for people: the kind, with a Map's mode or a Task's resource.
    pub detail: String,
}

impl Node {
    /// A Parallel or Map state with its groups: drawn as a box around them.
    pub fn is_container(&self) -> bool {
        self.kind.is_compound() && !self.groups.is_empty()
    }
}

/// What a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Branch,
    ItemProcessor,
}

/// A state set nested in a state: one Parallel branch or a Map's item processor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// `Owner/<index>`, the prefix of its states' ids.
    pub id: String,
    /// `Branch 1`, `Item processor`.
    pub label: String,
    pub kind: GroupKind,
    /// The Parallel or Map state it belongs to.
    pub owner: NodeId,
    /// Its states, in definition order.
    pub nodes: Vec<NodeId>,
    /// Its `StartAt` state.
    pub start: NodeId,
}

/// Why one node follows another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// `Next`, `End` (to the End node), Start to `StartAt`, Succeed/Fail to End.
    Next,
    /// A Choice rule's `Next` or the Choice's `Default`.
    Choice,
    /// A Catcher's `Next`.
    Catch,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Next => "next",
            EdgeKind::Choice => "choice",
            EdgeKind::Catch => "catch",
        }
    }
}

/// A transition. Several rules (or catchers) of one state that lead to the same state are one
/// edge whose label lists them, separated by ` | `.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    /// The rule (`$.x > 10`, `Default`) or the error names (`States.ALL`).
    pub label: Option<String>,
}

/// A state machine as a graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graph {
    pub comment: Option<String>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub groups: Vec<Group>,
    /// The top-level nodes: Start, the top-level states in definition order, End.
    pub top: Vec<NodeId>,
    pub start: NodeId,
    pub end: NodeId,
}

/// Id of the Start pseudo-node.
pub const START_ID: &str = "(start)";
/// Id of the End pseudo-node.
pub const END_ID: &str = "(end)";

impl Graph {
    /// The graph of a state machine. Every state and transition of the model appears; nothing
    /// here can fail on a model `StateMachine::from_value` built.
    pub fn from_machine(machine: &StateMachine) -> Graph {
        let mut g = Graph {
            comment: machine.comment.clone(),
            nodes: Vec::new(),
            edges: Vec::new(),
            groups: Vec::new(),
            top: Vec::new(),
            start: 0,
            end: 0,
        };
        g.start = g.push_node(START_ID, "Start", NodeKind::Start, None, "Start".into());
        let ids = g.add_set(&machine.states, "", None);
        g.end = g.push_node(END_ID, "End", NodeKind::End, None, "End".into());
        g.top.push(g.start);
        g.top.extend(ids.iter().copied());
        g.top.push(g.end);
        g.add_edge(g.start, ids[machine.states.start_at], EdgeKind::Next, None);
        g.add_set_edges(&machine.states, &ids, true);
        g
    }

    /// The node of the state called `name` (state names are unique within a machine).
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| !n.kind.is_pseudo() && n.name == name)
    }

    /// The node whose id is `id`.
    pub fn find_id(&self, id: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.id == id)
    }

    /// How many groups enclose `node`.
    pub fn depth(&self, node: NodeId) -> usize {
        let mut depth = 0;
        let mut at = self.nodes[node].parent;
        while let Some(g) = at {
            depth += 1;
            at = self.nodes[self.groups[g].owner].parent;
        }
        depth
    }

    fn push_node(
        &mut self,
        id: &str,
        name: &str,
        kind: NodeKind,
        parent: Option<GroupId>,
        detail: String,
    ) -> NodeId {
        self.nodes.push(Node {
            id: id.to_string(),
            name: name.to_string(),
            kind,
            parent,
            groups: Vec::new(),
            terminal: false,
            detail,
        });
        self.nodes.len() - 1
    }

    /// Adds the nodes of one state set (and, recursively, of the sets nested in it); returns
    /// the node of each state by its index in the set.
    fn add_set(&mut self, set: &StateSet, prefix: &str, parent: Option<GroupId>) -> Vec<NodeId> {
        let ids: Vec<NodeId> = set
            .states
            .iter()
            .map(|s| {
                let kind = kind_of(&s.kind);
                let detail = detail_of(&s.kind);
                let id = format!("{prefix}{}", s.name);
                let node = self.push_node(&id, &s.name, kind, parent, detail);
                self.nodes[node].terminal = matches!(s.next, Transition::End)
                    || matches!(s.kind, StateKind::Succeed | StateKind::Fail(_));
                node
            })
            .collect();
        for (state, &node) in set.states.iter().zip(&ids) {
            let id = self.nodes[node].id.clone();
            let sets: Vec<(&StateSet, GroupKind, String)> = match &state.kind {
                StateKind::Parallel(p) => p
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (b, GroupKind::Branch, format!("Branch {}", i + 1)))
                    .collect(),
                StateKind::Map(m) => vec![(
                    &m.processor,
                    GroupKind::ItemProcessor,
                    "Item processor".to_string(),
                )],
                _ => Vec::new(),
            };
            for (index, (inner, kind, label)) in sets.into_iter().enumerate() {
                let group = self.groups.len();
                let group_id = format!("{id}/{index}");
                self.groups.push(Group {
                    id: group_id.clone(),
                    label,
                    kind,
                    owner: node,
                    nodes: Vec::new(),
                    start: node,
                });
                self.nodes[node].groups.push(group);
                let inner_ids = self.add_set(inner, &format!("{group_id}/"), Some(group));
                self.groups[group].start = inner_ids[inner.start_at];
                self.groups[group].nodes = inner_ids.clone();
                self.add_set_edges(inner, &inner_ids, false);
            }
        }
        ids
    }

    fn add_set_edges(&mut self, set: &StateSet, ids: &[NodeId], top: bool) {
        for (state, &node) in set.states.iter().zip(ids) {
            if let StateKind::Choice(choice) = &state.kind {
                for rule in &choice.choices {
                    let text = label::choice_rule(rule);
                    self.add_edge(node, ids[rule.next], EdgeKind::Choice, Some(text));
                }
                if let Some(default) = choice.default {
                    self.add_edge(node, ids[default], EdgeKind::Choice, Some("Default".into()));
                }
            }
            match state.next {
                Transition::Next(next) => self.add_edge(node, ids[next], EdgeKind::Next, None),
                Transition::End if top => self.add_edge(node, self.end, EdgeKind::Next, None),
                Transition::End => {}
                Transition::None => {
                    if top && matches!(state.kind, StateKind::Succeed | StateKind::Fail(_)) {
                        self.add_edge(node, self.end, EdgeKind::Next, None);
                    }
                }
            }
            for catcher in state.kind.catchers() {
                let names: Vec<&str> = catcher.error_equals.iter().map(|e| e.as_str()).collect();
                let text = label::shorten(&names.join(", "));
                self.add_edge(node, ids[catcher.next], EdgeKind::Catch, Some(text));
            }
        }
    }

    fn add_edge(&mut self, from: NodeId, to: NodeId, kind: EdgeKind, text: Option<String>) {
        if let Some(e) = self
            .edges
            .iter_mut()
            .find(|e| e.from == from && e.to == to && e.kind == kind)
        {
            if let (Some(old), Some(new)) = (&mut e.label, text) {
                *old = label::shorten(&format!("{old} | {new}"));
            }
            return;
        }
        self.edges.push(Edge {
            from,
            to,
            kind,
            label: text,
        });
    }
}

fn kind_of(kind: &StateKind) -> NodeKind {
    match kind {
        StateKind::Pass { .. } => NodeKind::Pass,
        StateKind::Task(_) => NodeKind::Task,
        StateKind::Choice(_) => NodeKind::Choice,
        StateKind::Wait(_) => NodeKind::Wait,
        StateKind::Succeed => NodeKind::Succeed,
        StateKind::Fail(_) => NodeKind::Fail,
        StateKind::Parallel(_) => NodeKind::Parallel,
        StateKind::Map(_) => NodeKind::Map,
    }
}

/// `Task · lambda:invoke`, `Map · distributed`, `Wait`.
fn detail_of(kind: &StateKind) -> String {
    let name = kind_of(kind).type_name();
    match kind {
        StateKind::Task(t) => match short_resource(&t.resource) {
            Some(r) => format!("{name} · {r}"),
            None => name.to_string(),
        },
        StateKind::Map(m) if m.mode == baton_asl::model::MapMode::Distributed => {
            format!("{name} · distributed")
        }
        _ => name.to_string(),
    }
}

/// The part of a Task resource a reader recognises: `lambda:invoke` of
/// `arn:aws:states:::lambda:invoke`, `fn` of `arn:aws:lambda:…:function:fn`, an activity's name.
fn short_resource(resource: &str) -> Option<String> {
    let short = if let Some(service) = resource.strip_prefix("arn:aws:states:::") {
        service.to_string()
    } else if let Some((_, name)) = resource.split_once(":function:") {
        format!("λ {name}")
    } else if let Some((_, name)) = resource.split_once(":activity:") {
        format!("activity {name}")
    } else {
        return None;
    };
    Some(label::shorten(&short))
}
