//! The picture's look: colours, strokes and fonts, written twice from one table. Every element
//! carries its own as SVG presentation attributes (`fill="…"`, `font-size="…"`), so a renderer
//! without CSS (ImageMagick, image viewers, IDE previews, documentation tools) draws it right;
//! the same values make the `<style>` block, keyed by the classes, so a page can restyle the
//! picture (a CSS rule wins over a presentation attribute).
//!
//! Each value below is what its CSS rule says: a base (`STATE_RECT`), and overrides for a kind
//! or a status that the cascade lays over it. An element's attributes are that cascade worked
//! out: the base [`Paint::with`] its overrides.

use std::fmt::Write;

use crate::model::{EdgeKind, NodeKind};
use crate::svg::Status;

/// A set of presentation properties; `None` leaves a property to the base or to inheritance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paint {
    fill: Option<&'static str>,
    fill_opacity: Option<&'static str>,
    stroke: Option<&'static str>,
    stroke_width: Option<&'static str>,
    stroke_dasharray: Option<&'static str>,
    font_family: Option<&'static str>,
    font_size: Option<&'static str>,
    font_weight: Option<&'static str>,
}

const NONE: Paint = Paint {
    fill: None,
    fill_opacity: None,
    stroke: None,
    stroke_width: None,
    stroke_dasharray: None,
    font_family: None,
    font_size: None,
    font_weight: None,
};

/// Fill and stroke.
const fn box_of(fill: &'static str, stroke: &'static str) -> Paint {
    Paint {
        fill: Some(fill),
        stroke: Some(stroke),
        ..NONE
    }
}

/// Font size and colour.
const fn text_of(size: &'static str, fill: &'static str) -> Paint {
    Paint {
        font_size: Some(size),
        fill: Some(fill),
        ..NONE
    }
}

/// Stroke colour and width.
const fn line_of(stroke: &'static str, width: &'static str) -> Paint {
    Paint {
        stroke: Some(stroke),
        stroke_width: Some(width),
        ..NONE
    }
}

impl Paint {
    /// `self` with `over`'s properties where `over` sets them.
    pub(crate) fn with(self, over: Paint) -> Paint {
        Paint {
            fill: over.fill.or(self.fill),
            fill_opacity: over.fill_opacity.or(self.fill_opacity),
            stroke: over.stroke.or(self.stroke),
            stroke_width: over.stroke_width.or(self.stroke_width),
            stroke_dasharray: over.stroke_dasharray.or(self.stroke_dasharray),
            font_family: over.font_family.or(self.font_family),
            font_size: over.font_size.or(self.font_size),
            font_weight: over.font_weight.or(self.font_weight),
        }
    }

    const fn bold(self) -> Paint {
        Paint {
            font_weight: Some("600"),
            ..self
        }
    }

    const fn with_width(self, width: &'static str) -> Paint {
        Paint {
            stroke_width: Some(width),
            ..self
        }
    }

    const fn dashed(self, dashes: &'static str) -> Paint {
        Paint {
            stroke_dasharray: Some(dashes),
            ..self
        }
    }

    fn properties(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        [
            ("fill", self.fill),
            ("fill-opacity", self.fill_opacity),
            ("stroke", self.stroke),
            ("stroke-width", self.stroke_width),
            ("stroke-dasharray", self.stroke_dasharray),
            ("font-family", self.font_family),
            ("font-size", self.font_size),
            ("font-weight", self.font_weight),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
    }

    /// The presentation attributes, each after a space: ` fill="#ffffff" stroke="#8a9099"`.
    /// (No value holds `"`, `&` or `<`.)
    pub(crate) fn attrs(&self) -> String {
        let mut s = String::new();
        for (name, value) in self.properties() {
            let _ = write!(s, r#" {name}="{value}""#);
        }
        s
    }

    /// The CSS declarations: `fill:#ffffff;stroke:#8a9099`.
    fn declarations(&self) -> String {
        let all: Vec<String> = self
            .properties()
            .map(|(name, value)| format!("{name}:{value}"))
            .collect();
        all.join(";")
    }
}

const SANS: &str = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif";
const MONO: &str = "ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace";

/// The whole picture's font; on each text element too, for renderers that do not inherit it
/// from the root.
pub(crate) const ROOT: Paint = Paint {
    font_family: Some(SANS),
    ..NONE
};

pub(crate) const STATE_RECT: Paint = box_of("#ffffff", "#8a9099").with_width("1.5");
pub(crate) const STATE_NAME: Paint = text_of("13px", "#202124").bold();
pub(crate) const STATE_DETAIL: Paint = text_of("11px", "#5f6368");
pub(crate) const GROUP_RECT: Paint = box_of("#ffffff", "#b6bec8").with_width("1").dashed("4 3");
pub(crate) const GROUP_TEXT: Paint = text_of("11px", "#5f6368");
pub(crate) const PSEUDO_RECT: Paint = box_of("#3c4043", "#3c4043");
pub(crate) const PSEUDO_TEXT: Paint = text_of("12px", "#ffffff").bold();
pub(crate) const BADGE_RECT: Paint = Paint {
    fill: Some("#3c4043"),
    ..NONE
};
pub(crate) const BADGE_TEXT: Paint = text_of("10px", "#ffffff");
pub(crate) const EDGE: Paint = Paint {
    fill: Some("none"),
    ..line_of("#5f6368", "1.4")
};
pub(crate) const LABEL_RECT: Paint = Paint {
    fill: Some("#ffffff"),
    fill_opacity: Some("0.92"),
    stroke: Some("none"),
    ..NONE
};
pub(crate) const LABEL_TEXT: Paint = Paint {
    font_family: Some(MONO),
    ..text_of("11px", "#3c4043")
};

/// A state's box by its kind, over [`STATE_RECT`].
pub(crate) fn kind_rect(kind: NodeKind) -> Paint {
    match kind {
        NodeKind::Task => box_of("#e8f0fe", "#4a76c9"),
        NodeKind::Choice => box_of("#fef3e0", "#d48a1a"),
        NodeKind::Pass => box_of("#f1f3f4", "#8a9099"),
        NodeKind::Wait => box_of("#f3e8fd", "#8e5cc9"),
        NodeKind::Succeed => box_of("#e6f4ea", "#2e8b57"),
        NodeKind::Fail => box_of("#fce8e6", "#c5221f"),
        NodeKind::Parallel | NodeKind::Map => box_of("#f8f9fa", "#7b8794"),
        NodeKind::Start | NodeKind::End => NONE,
    }
}

/// A state's box by its status, over its kind's.
pub(crate) fn status_rect(status: Status) -> Paint {
    match status {
        Status::NotReached => box_of("#f5f5f5", "#c4c7c5"),
        Status::Running => box_of("#d2e3fc", "#1a73e8").with_width("2.5"),
        Status::Succeeded => box_of("#ceead6", "#188038").with_width("2"),
        Status::Failed => box_of("#fad2cf", "#d93025").with_width("2"),
        Status::Caught => box_of("#feefc3", "#e37400").with_width("2"),
    }
}

/// A state's name and detail by its status: greyed when not reached.
pub(crate) fn status_text(status: Status) -> Paint {
    match status {
        Status::NotReached => Paint {
            fill: Some("#9aa0a6"),
            ..NONE
        },
        _ => NONE,
    }
}

/// An edge's line by its kind, over [`EDGE`]; its arrowhead is filled with the stroke.
pub(crate) fn edge(kind: EdgeKind) -> Paint {
    match kind {
        EdgeKind::Next => NONE,
        EdgeKind::Choice => Paint {
            stroke: Some("#b06000"),
            ..NONE
        },
        EdgeKind::Catch => Paint {
            stroke: Some("#c5221f"),
            ..NONE
        }
        .dashed("5 3"),
    }
}

/// An edge label's text by its edge's kind, over [`LABEL_TEXT`].
pub(crate) fn label_text(kind: EdgeKind) -> Paint {
    match kind {
        EdgeKind::Next => NONE,
        EdgeKind::Choice => Paint {
            fill: Some("#8a4b00"),
            ..NONE
        },
        EdgeKind::Catch => Paint {
            fill: Some("#a50e0e"),
            ..NONE
        },
    }
}

/// The colour an edge of this kind is drawn in.
pub(crate) fn edge_colour(kind: EdgeKind) -> &'static str {
    EDGE.with(edge(kind)).stroke.unwrap_or("none")
}

const STATE_KINDS: [NodeKind; 8] = [
    NodeKind::Task,
    NodeKind::Choice,
    NodeKind::Pass,
    NodeKind::Wait,
    NodeKind::Succeed,
    NodeKind::Fail,
    NodeKind::Parallel,
    NodeKind::Map,
];
const STATUSES: [Status; 5] = [
    Status::NotReached,
    Status::Running,
    Status::Succeeded,
    Status::Failed,
    Status::Caught,
];
const EDGE_KINDS: [EdgeKind; 3] = [EdgeKind::Next, EdgeKind::Choice, EdgeKind::Catch];

/// The `<style>` block's rules: the same values as the attributes, one rule per class.
pub(crate) fn css() -> String {
    let g = ".baton-graph";
    let mut rules: Vec<(String, Paint)> = vec![
        (g.to_string(), ROOT),
        (format!("{g} .state>rect"), STATE_RECT),
        (format!("{g} .state .name"), STATE_NAME),
        (format!("{g} .state .kind"), STATE_DETAIL),
    ];
    for kind in STATE_KINDS {
        rules.push((
            format!("{g} .state.{}>rect", kind.as_str()),
            kind_rect(kind),
        ));
    }
    rules.extend([
        (format!("{g} .group>rect"), GROUP_RECT),
        (format!("{g} .group text"), GROUP_TEXT),
        (format!("{g} .pseudo>rect"), PSEUDO_RECT),
        (format!("{g} .pseudo text"), PSEUDO_TEXT),
    ]);
    for status in STATUSES {
        let s = format!("{g} .state.status-{}", status.as_str());
        rules.push((format!("{s}>rect"), status_rect(status)));
        rules.push((format!("{s} .name,{s} .kind"), status_text(status)));
    }
    rules.extend([
        (format!("{g} .badge rect"), BADGE_RECT),
        (format!("{g} .badge text"), BADGE_TEXT),
        (format!("{g} .edge path"), EDGE),
    ]);
    for kind in EDGE_KINDS {
        rules.push((format!("{g} .edge.{} path", kind.as_str()), edge(kind)));
    }
    rules.extend([
        (format!("{g} .edge-label rect"), LABEL_RECT),
        (format!("{g} .edge-label text"), LABEL_TEXT),
    ]);
    for kind in EDGE_KINDS {
        rules.push((
            format!("{g} .edge-label.{} text", kind.as_str()),
            label_text(kind),
        ));
    }
    let mut s = String::new();
    for (selector, paint) in rules {
        if paint != NONE {
            let _ = writeln!(s, "{selector}{{{}}}", paint.declarations());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_and_the_rest_stays() {
        let rect = STATE_RECT
            .with(kind_rect(NodeKind::Task))
            .with(status_rect(Status::NotReached));
        assert_eq!(
            rect.attrs(),
            r##" fill="#f5f5f5" stroke="#c4c7c5" stroke-width="1.5""##
        );
        assert_eq!(edge_colour(EdgeKind::Catch), "#c5221f");
        assert_eq!(
            EDGE.with(edge(EdgeKind::Catch)).attrs(),
            r##" fill="none" stroke="#c5221f" stroke-width="1.4" stroke-dasharray="5 3""##
        );
    }

    #[test]
    fn css_says_what_the_attributes_say() {
        let css = css();
        assert!(css.contains(
            ".baton-graph .state.status-running>rect{fill:#d2e3fc;stroke:#1a73e8;stroke-width:2.5}\n"
        ));
        assert!(css
            .contains(".baton-graph .state .name{fill:#202124;font-size:13px;font-weight:600}\n"));
        // Nothing to say, no rule.
        assert!(!css.contains(".edge.next path"));
        assert!(!css.contains("{}"));
    }
}
