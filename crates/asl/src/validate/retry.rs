//! `Retry` and `Catch`: the fields of retriers and catchers, and `States.ALL`, which must be
//! alone in its `ErrorEquals` and in the last entry.

use serde_json::{Map, Value};

use super::ctx::{only, require, Ctx, Loc, Ql};
use super::fields::{wrong_language, Lang};
use super::machine::{StateInfo, Transition};
use super::{syntax, values};

const ALL_LAST: &str = "States.ALL must appear alone and at end of list";

pub(super) fn check_retry(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc) {
    let Some(retriers) = values::array(cx, obj, loc, "Retry", false) else {
        return;
    };
    let list_loc = loc.key("Retry");
    let count = retriers.len();
    for (i, r) in retriers.iter().enumerate() {
        let at = list_loc.index(i);
        let Value::Object(r) = r else {
            cx.wrong_type(&at, "OBJECT");
            continue;
        };
        only(
            cx,
            r,
            &at,
            &[
                "ErrorEquals",
                "IntervalSeconds",
                "MaxAttempts",
                "BackoffRate",
                "MaxDelaySeconds",
                "JitterStrategy",
                "Comment",
            ],
        );
        require(cx, r, &at, &["ErrorEquals"]);
        error_equals(cx, r, &at, i + 1 == count);
        values::integer(cx, r, &at, "IntervalSeconds", 1, 99_999_999);
        values::integer(cx, r, &at, "MaxAttempts", 0, 99_999_999);
        values::number(cx, r, &at, "BackoffRate", 1.0, f64::MAX);
        values::integer(cx, r, &at, "MaxDelaySeconds", 1, 31_622_400);
        values::enumeration(cx, r, &at, "JitterStrategy", &["FULL", "NONE"]);
        values::string(cx, r, &at, "Comment");
    }
}

pub(super) fn check_catch(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    ql: Ql,
    info: &mut StateInfo,
) {
    let Some(catchers) = values::array(cx, obj, loc, "Catch", false) else {
        return;
    };
    let list_loc = loc.key("Catch");
    let count = catchers.len();
    for (i, c) in catchers.iter().enumerate() {
        let at = list_loc.index(i);
        let Value::Object(c) = c else {
            cx.wrong_type(&at, "OBJECT");
            continue;
        };
        const FIELDS: [(&str, Lang); 6] = [
            ("ErrorEquals", Lang::Both),
            ("Next", Lang::Both),
            ("Comment", Lang::Both),
            ("Assign", Lang::Both),
            ("ResultPath", Lang::JsonPath),
            ("Output", Lang::Jsonata),
        ];
        for key in c.keys() {
            match FIELDS.iter().find(|(f, _)| f == key) {
                None => cx.schema(&at, format!("Field '{key}' is not supported")),
                Some((_, lang)) => wrong_language(cx, &at, key, *lang, ql),
            }
        }
        require(cx, c, &at, &["ErrorEquals", "Next"]);
        error_equals(cx, c, &at, i + 1 == count);
        if let Some(next) = values::string(cx, c, &at, "Next") {
            info.transitions.push(Transition {
                target: next.to_string(),
                at: at.key("Next"),
            });
        }
        values::string(cx, c, &at, "Comment");
        match ql {
            Ql::JsonPath => syntax::reference_path_field(cx, c, &at, "ResultPath"),
            Ql::Jsonata => {
                if let Some(v) = c.get("Output") {
                    syntax::jsonata_value(cx, v, &at.key("Output"));
                }
            }
        }
        syntax::assign(cx, c, &at, ql);
    }
}

fn error_equals(cx: &mut Ctx<'_>, entry: &Map<String, Value>, at: &Loc, last: bool) {
    let Some(names) = values::array(cx, entry, at, "ErrorEquals", true) else {
        return;
    };
    let list_at = at.key("ErrorEquals");
    let mut has_all = false;
    for (i, n) in names.iter().enumerate() {
        match n.as_str() {
            Some("States.ALL") => has_all = true,
            Some(_) => {}
            None => cx.wrong_type(&list_at.index(i), "STRING"),
        }
    }
    if has_all && (names.len() > 1 || !last) {
        cx.schema(&list_at, ALL_LAST.to_string());
    }
}
