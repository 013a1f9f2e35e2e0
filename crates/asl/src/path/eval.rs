//! Applying a compiled path to a document, token by token, exactly as Jayway JsonPath 2.0.0
//! walks it (with no options set): which misses are errors, which are silently skipped, the
//! order of matches, and the text of every error.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::compile::{push_joined_names, ArrayOp, Compiled, Token};
use super::java::to_java_string;

/// How deep a `..` scan may descend before evaluation gives up.
const MAX_SCAN_DEPTH: usize = 1024;

/// A Jayway exception raised while evaluating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JErr {
    /// `PathNotFoundException("No results for path: <path>")`
    NoResults(String),
    /// Any other `PathNotFoundException`; the text is the whole message.
    NotFound(String),
    /// `InvalidPathException` (and the runtime exceptions Jayway lets escape).
    Invalid(String),
}

/// One step of the path walked so far, kept only to print it if something fails.
#[derive(Clone, Copy)]
enum Seg<'a, 'c> {
    Root,
    Name(&'c str),
    Key(&'a str),
    Names(&'c [String]),
    Index(i64),
}

/// One evaluation of one compiled path against one document.
pub(crate) struct Evaluator<'a> {
    root: &'a Value,
    require_properties: bool,
}

/// The mutable part of one walk: the matches so far and the trail to the current node.
struct Walk<'a, 'c> {
    results: Vec<Cow<'a, Value>>,
    trail: Vec<Seg<'a, 'c>>,
    scan_depth: usize,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(root: &'a Value, require_properties: bool) -> Evaluator<'a> {
        Evaluator {
            root,
            require_properties,
        }
    }

    pub(crate) fn root(&self) -> &'a Value {
        self.root
    }

    /// Every match of `path` applied to `doc`, in document order.
    pub(crate) fn run<'c>(
        &self,
        path: &'c Compiled,
        doc: &'a Value,
    ) -> Result<Vec<Cow<'a, Value>>, JErr> {
        let mut walk = Walk {
            results: Vec::new(),
            trail: Vec::new(),
            scan_depth: 0,
        };
        self.token(&mut walk, path, 0, doc)?;
        Ok(walk.results)
    }

    /// `evaluate(...).getValue()` of a definite path: the single match or `NoResults`.
    pub(crate) fn sub_value(
        &self,
        path: &Compiled,
        doc: &'a Value,
        require_properties: bool,
    ) -> Result<Cow<'a, Value>, JErr> {
        if let Some(v) = path.quick_get(doc) {
            return Ok(Cow::Borrowed(v));
        }
        let inner = Evaluator::new(self.root, require_properties);
        let results = inner.run(path, doc)?;
        results
            .into_iter()
            .next()
            .ok_or_else(|| JErr::NoResults(path.normalized()))
    }

    fn token<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        i: usize,
        model: &'a Value,
    ) -> Result<(), JErr> {
        let Some(token) = path.tokens.get(i) else {
            return Ok(());
        };
        let leaf = i + 1 == path.tokens.len();
        match token {
            Token::Root => {
                if leaf {
                    w.results.push(Cow::Borrowed(model));
                    Ok(())
                } else {
                    self.descend(w, path, i, Seg::Root, model)
                }
            }
            Token::Property(names) => {
                let Value::Object(map) = model else {
                    let mut frag = String::new();
                    token.fragment(&mut frag);
                    return Err(JErr::NotFound(format!(
                        "Property {frag} not found in path {}",
                        render(&w.trail)
                    )));
                };
                if let [name] = names.as_slice() {
                    self.property(w, path, i, map, Seg::Name(name.as_str()), name)
                } else {
                    self.multi_property(w, path, i, map, names)
                }
            }
            Token::Array(op) => self.array(w, path, i, op, model),
            Token::Wildcard => self.wildcard(w, path, i, model),
            Token::Scan => self.scan(w, path, i + 1, model),
            Token::Filter(filter) => match model {
                Value::Object(_) => {
                    if filter.accept(model, self)? {
                        if leaf {
                            w.results.push(Cow::Borrowed(model));
                        } else {
                            self.token(w, path, i + 1, model)?;
                        }
                    }
                    Ok(())
                }
                Value::Array(items) => {
                    for (idx, item) in items.iter().enumerate() {
                        if filter.accept(item, self)? {
                            self.array_index(w, path, i, items, idx as i64)?;
                        }
                    }
                    Ok(())
                }
                other => Err(JErr::Invalid(format!(
                    "Filter: {} can not be applied to primitives. Current context is: {}",
                    path.render_from(i),
                    to_java_string(other)
                ))),
            },
        }
    }

    fn descend<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        i: usize,
        seg: Seg<'a, 'c>,
        next: &'a Value,
    ) -> Result<(), JErr> {
        w.trail.push(seg);
        let r = self.token(w, path, i + 1, next);
        w.trail.pop();
        r
    }

    /// `handleObjectProperty` for one name.
    fn property<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        i: usize,
        map: &'a Map<String, Value>,
        seg: Seg<'a, 'c>,
        name: &str,
    ) -> Result<(), JErr> {
        let leaf = i + 1 == path.tokens.len();
        match super::member(map, name) {
            Some(v) if leaf => {
                w.results.push(Cow::Borrowed(v));
                Ok(())
            }
            Some(v) => self.descend(w, path, i, seg, v),
            None if leaf => Err(JErr::NoResults(render_with(&w.trail, seg))),
            None => {
                if !path.upstream_definite(i) && !self.require_properties {
                    Ok(())
                } else {
                    Err(JErr::NotFound(format!(
                        "Missing property in path {}",
                        render_with(&w.trail, seg)
                    )))
                }
            }
        }
    }

    /// `['a', 'b']`: the named members merged into one new object.
    fn multi_property<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        i: usize,
        map: &'a Map<String, Value>,
        names: &'c [String],
    ) -> Result<(), JErr> {
        let eval_path = render_with(&w.trail, Seg::Names(names));
        if i + 1 != path.tokens.len() {
            return Err(JErr::Invalid(format!(
                "Multi properties can only be used as path leafs: {eval_path}"
            )));
        }
        let mut merged = Map::new();
        for name in names {
            match map.get(name) {
                Some(v) => {
                    merged.insert(name.clone(), v.clone());
                }
                None if self.require_properties => {
                    return Err(JErr::NotFound(format!(
                        "Missing property in path {eval_path}"
                    )))
                }
                None => {}
            }
        }
        w.results.push(Cow::Owned(Value::Object(merged)));
        Ok(())
    }

    fn array<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        i: usize,
        op: &ArrayOp,
        model: &'a Value,
    ) -> Result<(), JErr> {
        let items = match model {
            Value::Array(items) => items,
            Value::Null => {
                return Err(JErr::NotFound(format!(
                    "The path {} is null",
                    render(&w.trail)
                )))
            }
            other => {
                return Err(JErr::Invalid(format!(
                    "Filter: {} can only be applied to arrays. Current context is: {}",
                    path.render_from(i),
                    to_java_string(other)
                )))
            }
        };
        let len = items.len() as i64;
        match op {
            ArrayOp::Single(n) => self.array_index(w, path, i, items, i64::from(*n)),
            ArrayOp::Sequence(ns) => {
                for n in ns {
                    self.array_index(w, path, i, items, i64::from(*n))?;
                }
                Ok(())
            }
            ArrayOp::ContextSize(n) => self.array_index(w, path, i, items, len + i64::from(*n)),
            ArrayOp::SliceFrom(n) => {
                let mut from = i64::from(*n);
                if from < 0 {
                    from += len;
                }
                let from = from.max(0);
                if len == 0 || from >= len {
                    return Ok(());
                }
                for k in from..len {
                    self.array_index(w, path, i, items, k)?;
                }
                Ok(())
            }
            ArrayOp::SliceTo(n) => {
                let mut to = i64::from(*n);
                if to < 0 {
                    to += len;
                }
                let to = to.min(len);
                if len == 0 {
                    return Ok(());
                }
                for k in 0..to {
                    self.array_index(w, path, i, items, k)?;
                }
                Ok(())
            }
            ArrayOp::SliceBetween(from, to) => {
                // Unlike the other slices, a negative start is not counted from the end.
                let from = i64::from(*from);
                let to = i64::from(*to).min(len);
                if from >= to || len == 0 {
                    return Ok(());
                }
                for k in from..to {
                    self.array_index(w, path, i, items, k)?;
                }
                Ok(())
            }
        }
    }

    /// `handleArrayIndex`: out of range (including negative) is a `PathNotFoundException`.
    fn array_index<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        i: usize,
        items: &'a [Value],
        k: i64,
    ) -> Result<(), JErr> {
        let item = usize::try_from(k).ok().and_then(|u| items.get(u));
        let Some(item) = item else {
            return Err(JErr::NotFound(format!(
                "Index out of bounds when evaluating path {}",
                render_with(&w.trail, Seg::Index(k))
            )));
        };
        if i + 1 == path.tokens.len() {
            w.results.push(Cow::Borrowed(item));
            Ok(())
        } else {
            self.descend(w, path, i, Seg::Index(k), item)
        }
    }

    fn wildcard<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        i: usize,
        model: &'a Value,
    ) -> Result<(), JErr> {
        match model {
            Value::Object(map) => {
                for (key, _) in map {
                    self.property(w, path, i, map, Seg::Key(key.as_str()), key)?;
                }
                Ok(())
            }
            Value::Array(items) => {
                for idx in 0..items.len() {
                    match self.array_index(w, path, i, items, idx as i64) {
                        Err(JErr::NoResults(_) | JErr::NotFound(_)) if !self.require_properties => {
                        }
                        other => other?,
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `..`: `j` is the token the scan looks for.
    fn scan<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        j: usize,
        model: &'a Value,
    ) -> Result<(), JErr> {
        if w.scan_depth > MAX_SCAN_DEPTH {
            return Err(JErr::Invalid(
                "The document is too deep to scan".to_string(),
            ));
        }
        w.scan_depth += 1;
        let r = match model {
            Value::Object(map) => self.scan_object(w, path, j, model, map),
            Value::Array(items) => self.scan_array(w, path, j, model, items),
            _ => Ok(()),
        };
        w.scan_depth -= 1;
        r
    }

    fn scan_object<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        j: usize,
        model: &'a Value,
        map: &'a Map<String, Value>,
    ) -> Result<(), JErr> {
        if self.scan_matches(path, j, model)? {
            self.token(w, path, j, model)?;
        }
        for (key, v) in map {
            w.trail.push(Seg::Key(key.as_str()));
            let r = self.scan(w, path, j, v);
            w.trail.pop();
            r?;
        }
        Ok(())
    }

    fn scan_array<'c>(
        &self,
        w: &mut Walk<'a, 'c>,
        path: &'c Compiled,
        j: usize,
        model: &'a Value,
        items: &'a [Value],
    ) -> Result<(), JErr> {
        if self.scan_matches(path, j, model)? {
            if j + 1 == path.tokens.len() {
                self.token(w, path, j, model)?;
            } else {
                // Jayway hands each element to the token *after* the matched one.
                for (idx, item) in items.iter().enumerate() {
                    w.trail.push(Seg::Index(idx as i64));
                    let r = self.token(w, path, j + 1, item);
                    w.trail.pop();
                    r?;
                }
            }
        }
        for (idx, item) in items.iter().enumerate() {
            w.trail.push(Seg::Index(idx as i64));
            let r = self.scan(w, path, j, item);
            w.trail.pop();
            r?;
        }
        Ok(())
    }

    fn scan_matches(&self, path: &Compiled, j: usize, model: &'a Value) -> Result<bool, JErr> {
        Ok(match path.tokens.get(j) {
            Some(Token::Property(names)) => match model {
                Value::Object(map) => names.iter().all(|n| map.contains_key(n)),
                _ => false,
            },
            Some(Token::Array(_)) => model.is_array(),
            Some(Token::Wildcard) => true,
            Some(Token::Filter(filter)) => filter.accept(model, self)?,
            _ => false,
        })
    }
}

fn render(trail: &[Seg<'_, '_>]) -> String {
    let mut out = String::from("$");
    for seg in trail {
        push_seg(&mut out, *seg);
    }
    out
}

fn render_with(trail: &[Seg<'_, '_>], last: Seg<'_, '_>) -> String {
    let mut out = render(trail);
    push_seg(&mut out, last);
    out
}

fn push_seg(out: &mut String, seg: Seg<'_, '_>) {
    match seg {
        Seg::Root => {
            out.clear();
            out.push('$');
        }
        Seg::Name(n) | Seg::Key(n) => {
            out.push_str("['");
            out.push_str(n);
            out.push_str("']");
        }
        Seg::Names(ns) => {
            out.push('[');
            push_joined_names(out, ns);
            out.push(']');
        }
        Seg::Index(k) => {
            out.push('[');
            out.push_str(&k.to_string());
            out.push(']');
        }
    }
}
