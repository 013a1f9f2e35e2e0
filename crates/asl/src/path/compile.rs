//! Compiling path text into tokens the way Jayway JsonPath 2.0.0 does it, the version whose
//! behaviour Step Functions shows (`Multi properties can only be used as path leafs`, no path
//! functions, no negative indexes, `.['a b']` accepted). Its quirks are kept on purpose: they
//! decide which paths AWS accepts and what they select.

use super::filter::Filter;

/// Paths nest inside filters (`[?(@.a[?(@.b)] ...)]`); beyond this depth compilation fails
/// instead of recursing further.
pub(crate) const MAX_NESTING: usize = 16;

#[derive(Debug, Clone)]
pub(crate) enum Token {
    /// `$`: the document the path is applied to.
    Root,
    /// `['a']` or, with several names, `['a', 'b']` (a merge, only legal as the last token).
    Property(Vec<String>),
    Array(ArrayOp),
    /// `[*]` or `.*`
    Wildcard,
    /// `..`
    Scan,
    /// `[?(...)]`
    Filter(Box<Filter>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArrayOp {
    Single(i32),
    Sequence(Vec<i32>),
    /// `[(@.length-n)]`, kept as the (negative) offset from the length.
    ContextSize(i32),
    SliceFrom(i32),
    SliceTo(i32),
    SliceBetween(i32, i32),
}

impl Token {
    fn is_definite(&self) -> bool {
        match self {
            Token::Root | Token::Property(_) => true,
            Token::Array(op) => matches!(op, ArrayOp::Single(_) | ArrayOp::ContextSize(_)),
            Token::Wildcard | Token::Scan | Token::Filter(_) => false,
        }
    }

    /// The token as Jayway prints it inside normalized paths and messages.
    pub(crate) fn fragment(&self, out: &mut String) {
        match self {
            Token::Root => out.push('$'),
            Token::Scan => out.push_str(".."),
            Token::Wildcard => out.push_str("[*]"),
            Token::Filter(_) => out.push_str("[?]"),
            Token::Property(names) => {
                out.push('[');
                push_joined_names(out, names);
                out.push(']');
            }
            Token::Array(op) => match op {
                ArrayOp::Single(n) => {
                    out.push('[');
                    out.push_str(&n.to_string());
                    out.push(']');
                }
                ArrayOp::Sequence(ns) => {
                    out.push('[');
                    for (i, n) in ns.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&n.to_string());
                    }
                    out.push(']');
                }
                ArrayOp::ContextSize(n) => {
                    out.push_str("[@.size()");
                    out.push_str(&n.to_string());
                    out.push(']');
                }
                ArrayOp::SliceFrom(n) => {
                    out.push('[');
                    out.push_str(&n.to_string());
                    out.push_str(":]");
                }
                ArrayOp::SliceTo(n) => {
                    out.push_str("[:");
                    out.push_str(&n.to_string());
                    out.push(']');
                }
                ArrayOp::SliceBetween(a, b) => {
                    out.push('[');
                    out.push_str(&a.to_string());
                    out.push(':');
                    out.push_str(&b.to_string());
                    out.push(']');
                }
            },
        }
    }
}

/// `'a', 'b'`: Jayway's `Utils.join(", ", "'", names)`.
pub(crate) fn push_joined_names(out: &mut String, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('\'');
        out.push_str(name);
        out.push('\'');
    }
}

/// A compiled Jayway path: its tokens, where each token's remainder is definite, and whether
/// it was written with `$` (document root) or `@` (current item, inside filters).
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) tokens: Vec<Token>,
    /// `path_definite[i]`: every token from `i` to the end is definite.
    path_definite: Vec<bool>,
    pub(crate) is_root_path: bool,
    /// Only member names and non-negative indexes after the root.
    simple: bool,
}

impl Compiled {
    pub(crate) fn is_definite(&self) -> bool {
        self.path_definite.first().copied().unwrap_or(true)
    }

    /// Jayway's `isUpstreamDefinite()` of token `i`. Despite its name it looks at the
    /// previous token's *remaining* path, so any indefinite token later in the path makes a
    /// missing property silently match nothing instead of failing; AWS inherits this.
    pub(crate) fn upstream_definite(&self, i: usize) -> bool {
        let own = self.tokens.get(i).is_some_and(Token::is_definite);
        if !own || i == 0 {
            return own;
        }
        self.path_definite.get(i - 1).copied().unwrap_or(false)
    }

    /// For a plain chain of names and indexes, the value it names if present; `None` when
    /// the path is not such a chain or misses (the full evaluator then reports why).
    pub(crate) fn quick_get<'a>(
        &self,
        doc: &'a serde_json::Value,
    ) -> Option<&'a serde_json::Value> {
        use serde_json::Value;
        if !self.simple {
            return None;
        }
        let mut v = doc;
        for t in self.tokens.iter().skip(1) {
            v = match (t, v) {
                (Token::Property(names), Value::Object(m)) => super::member(m, names.first()?)?,
                (Token::Array(ArrayOp::Single(n)), Value::Array(items)) => {
                    items.get(usize::try_from(*n).ok()?)?
                }
                _ => return None,
            };
        }
        Some(v)
    }

    pub(crate) fn normalized(&self) -> String {
        self.render_from(0)
    }

    /// The path from token `i` on (`PathToken.toString()`).
    pub(crate) fn render_from(&self, i: usize) -> String {
        let mut out = String::new();
        for t in self.tokens.iter().skip(i) {
            t.fragment(&mut out);
        }
        out
    }
}

/// Java's `String.trim()`: strips every char up to U+0020 from both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `PathCompiler.compile`. Errors carry Jayway's message where it has one.
pub(crate) fn compile(text: &str, depth: usize) -> Result<Compiled, String> {
    if depth > MAX_NESTING {
        return Err("Path nesting is too deep".to_string());
    }
    let trimmed = java_trim(text);
    if trimmed.is_empty() {
        return Err("Path may not be null empty".to_string());
    }
    if trimmed.ends_with("..") {
        return Err("A path can not end with a scan.".to_string());
    }
    let first = trimmed.chars().next().unwrap_or('$');
    let is_root_path = first == '$';
    let path: String = match first {
        '$' => trimmed.to_string(),
        '@' => format!("${}", &trimmed[1..]),
        _ => format!("$.{trimmed}"),
    };
    let chars: Vec<char> = path.chars().collect();
    if chars.len() > 1 && chars[1] != '.' && chars[1] != '[' {
        return Err(format!("Invalid path {path}"));
    }

    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0usize;
    let mut first_round = true;
    while first_round || i < chars.len() {
        first_round = false;
        let current = char_at(&chars, i)?;
        let fragment: String = match current {
            ' ' => return Err("Space not allowed in path".to_string()),
            '$' => {
                i += 1;
                "$".to_string()
            }
            '[' => {
                let n = fast_forward_until_closed(&chars, i);
                let f: String = chars[i..(i + n).min(chars.len())].iter().collect();
                i += n;
                f
            }
            '.' => {
                i += 1;
                if char_at(&chars, i)? == '.' {
                    i += 1;
                    "..".to_string()
                } else {
                    let n = fast_forward(&chars, i);
                    if n == 0 {
                        continue;
                    }
                    let f = if n == 1 && chars[i] == '*' {
                        "[*]".to_string()
                    } else {
                        let name: String = chars[i..i + n].iter().collect();
                        format!("['{name}']")
                    };
                    i += n;
                    f
                }
            }
            '*' => {
                i += 1;
                "[*]".to_string()
            }
            _ => {
                let n = fast_forward(&chars, i);
                let name: String = chars[i..i + n].iter().collect();
                i += n;
                format!("['{name}']")
            }
        };
        tokens.push(analyze(&fragment, depth)?);
    }
    if !matches!(tokens.first(), Some(Token::Root)) {
        return Err(format!("Invalid path {path}"));
    }

    let mut path_definite = vec![true; tokens.len()];
    let mut definite_tail = true;
    for (idx, token) in tokens.iter().enumerate().rev() {
        definite_tail = definite_tail && token.is_definite();
        path_definite[idx] = definite_tail;
    }
    let simple = tokens.iter().skip(1).all(|t| match t {
        Token::Property(names) => names.len() == 1,
        Token::Array(ArrayOp::Single(n)) => *n >= 0,
        _ => false,
    });
    Ok(Compiled {
        tokens,
        path_definite,
        is_root_path,
        simple,
    })
}

fn char_at(chars: &[char], i: usize) -> Result<char, String> {
    chars
        .get(i)
        .copied()
        .ok_or_else(|| format!("String index out of range: {i}"))
}

fn fast_forward(chars: &[char], mut index: usize) -> usize {
    let mut skip = 0;
    while let Some(&c) = chars.get(index) {
        if c == '.' || c == '[' || c == ' ' {
            break;
        }
        index += 1;
        skip += 1;
    }
    skip
}

fn fast_forward_until_closed(chars: &[char], mut index: usize) -> usize {
    let mut skip = 1;
    let mut nested = 0i32;
    index += 1;
    while let Some(&c) = chars.get(index) {
        index += 1;
        skip += 1;
        if c == ']' && nested == 0 {
            break;
        }
        if c == '[' {
            nested += 1;
        }
        if c == ']' {
            nested -= 1;
        }
    }
    skip
}

/// `PathComponentAnalyzer.analyze`: one fragment (`$`, `..`, `[...]`, `['name']`) to a token.
fn analyze(fragment: &str, depth: usize) -> Result<Token, String> {
    match fragment {
        "$" => return Ok(Token::Root),
        ".." => return Ok(Token::Scan),
        "[*]" | ".*" => return Ok(Token::Wildcard),
        _ => {}
    }
    let chars: Vec<char> = fragment.chars().collect();
    if is_placeholder_filter(&chars) {
        // `[?]` stands for a predicate passed in from Java code; a definition has none.
        return Err(format!("Could not analyze path component: {fragment}"));
    }
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '?' => return analyze_criteria(&chars, i, depth),
            '\'' => return analyze_property(&chars, i),
            c if c.is_ascii_digit() || c == ':' || c == '-' || c == '@' => {
                return analyze_array(&chars, i).map(Token::Array)
            }
            _ => i += 1,
        }
    }
    Err(format!("Could not analyze path component: {fragment}"))
}

/// `^\[\s*\?\s*[,\s*\?]*?\s*]$`
fn is_placeholder_filter(chars: &[char]) -> bool {
    if chars.len() < 3 || chars[0] != '[' || chars[chars.len() - 1] != ']' {
        return false;
    }
    let inner = &chars[1..chars.len() - 1];
    let mut seen_question = false;
    for &c in inner {
        if c == '?' {
            seen_question = true;
        } else if c.is_whitespace() || ((c == ',' || c == '*') && seen_question) {
            continue;
        } else {
            return false;
        }
    }
    seen_question
}

fn analyze_criteria(chars: &[char], i: usize, depth: usize) -> Result<Token, String> {
    let (start, end) = find_filter_bounds(chars, i)?;
    let text: String = chars[start..end].iter().collect();
    Ok(Token::Filter(Box::new(Filter::parse(&text, depth + 1)?)))
}

fn find_filter_bounds(chars: &[char], i: usize) -> Result<(usize, usize), String> {
    let mut start = i;
    while char_at(chars, start)? != '[' {
        start = start
            .checked_sub(1)
            .ok_or_else(|| "String index out of range: -1".to_string())?;
    }
    let mut end = 0usize;
    let mut mem = ' ';
    let mut curr = start;
    let mut in_prop = false;
    let mut open_square = 0i32;
    let mut open_round = 0i32;
    while end == 0 {
        let c = char_at(chars, curr)?;
        match c {
            '(' if !in_prop => open_round += 1,
            ')' if !in_prop => open_round -= 1,
            '[' if !in_prop => open_square += 1,
            ']' if !in_prop => {
                open_square -= 1;
                if open_round == 0 {
                    end = curr + 1;
                }
            }
            '\'' if mem != '\\' => in_prop = !in_prop,
            _ => {}
        }
        mem = c;
        curr += 1;
    }
    if open_round != 0 || open_square != 0 {
        return Err("Filter brackets are not balanced".to_string());
    }
    Ok((start, end))
}

/// `['a']`, `['a','b']`: the text between each pair of single quotes, up to the first `]`.
fn analyze_property(chars: &[char], mut i: usize) -> Result<Token, String> {
    let mut properties = Vec::new();
    let mut buffer = String::new();
    let mut open = false;
    let mut current = char_at(chars, i)?;
    while current != ']' {
        if current == '\'' {
            if open {
                properties.push(std::mem::take(&mut buffer));
                open = false;
            } else {
                open = true;
            }
        } else if open {
            buffer.push(current);
        }
        i += 1;
        current = char_at(chars, i)?;
    }
    Ok(Token::Property(properties))
}

/// Java's `Integer.parseInt`.
fn parse_int(s: &str) -> Result<i32, String> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("For input string: \"{s}\""));
    }
    s.parse::<i32>()
        .map_err(|_| format!("For input string: \"{s}\""))
}

/// `[1]`, `[1,2]`, `[1:]`, `[:2]`, `[1:3]`, `[(@.length-1)]`.
fn analyze_array(chars: &[char], mut i: usize) -> Result<ArrayOp, String> {
    let mut buffer = String::new();
    let mut numbers: Vec<i32> = Vec::new();
    let mut current = char_at(chars, i)?;
    let context_size = current == '@';
    let mut slice_to = false;
    let mut slice_from = false;
    let mut slice_between = false;
    let mut index_sequence = false;

    macro_rules! advance {
        () => {{
            i += 1;
            current = char_at(chars, i)?;
        }};
    }

    if context_size {
        // Skip `@` and the `.` after it.
        i += 1;
        char_at(chars, i)?;
        advance!();
        while current != '-' {
            if current != ' ' && current != '(' && current != ')' {
                buffer.push(current);
            }
            advance!();
        }
        let function = std::mem::take(&mut buffer);
        if function != "size" && function != "length" {
            return Err(format!(
                "Invalid function: @.{function}. Supported functions are: [(@.length - n)] and [(@.size() - n)]"
            ));
        }
        while current != ')' {
            if current != ' ' {
                buffer.push(current);
            }
            advance!();
        }
    } else {
        while current.is_ascii_digit() || matches!(current, ',' | ' ' | ':' | '-') {
            match current {
                ' ' => {}
                ':' => {
                    if buffer.is_empty() {
                        slice_to = true;
                        advance!();
                        while current.is_ascii_digit() || current == ' ' || current == '-' {
                            if current != ' ' {
                                buffer.push(current);
                            }
                            advance!();
                        }
                        numbers.push(parse_int(&buffer)?);
                        buffer.clear();
                    } else {
                        numbers.push(parse_int(&buffer)?);
                        buffer.clear();
                        advance!();
                        while current.is_ascii_digit() || current == ' ' || current == '-' {
                            if current != ' ' {
                                buffer.push(current);
                            }
                            advance!();
                        }
                        if buffer.is_empty() {
                            slice_from = true;
                        } else {
                            slice_between = true;
                            numbers.push(parse_int(&buffer)?);
                            buffer.clear();
                        }
                    }
                }
                ',' => {
                    numbers.push(parse_int(&buffer)?);
                    buffer.clear();
                    index_sequence = true;
                }
                c => buffer.push(c),
            }
            if current == ']' {
                break;
            }
            advance!();
        }
    }
    if !buffer.is_empty() {
        numbers.push(parse_int(&buffer)?);
    }
    let first = numbers.first().copied();
    let single = numbers.len() == 1 && !slice_to && !slice_from && !context_size;
    let op = match first {
        Some(n) if single => ArrayOp::Single(n),
        Some(_) if index_sequence => ArrayOp::Sequence(numbers),
        Some(n) if slice_from => ArrayOp::SliceFrom(n),
        Some(n) if slice_to => ArrayOp::SliceTo(n),
        Some(n) if slice_between => ArrayOp::SliceBetween(n, numbers.get(1).copied().unwrap_or(n)),
        Some(n) if context_size => ArrayOp::ContextSize(n),
        _ => return Err("Could not analyze array operation".to_string()),
    };
    Ok(op)
}
