//! One workload's results, printed as a readable table (stdout) or as one JSON object per line
//! (`--json`).

use serde_json::{Map, Value};

pub struct Report {
    workload: String,
    title: String,
    rows: Vec<(String, String)>,
    fields: Map<String, Value>,
    problems: Vec<String>,
}

impl Report {
    /// The same report under another workload name and title.
    pub fn titled(mut self, workload: &str, title: impl Into<String>) -> Self {
        self.workload = workload.to_owned();
        self.title = title.into();
        self.fields.insert("workload".into(), Value::from(workload));
        self
    }

    pub fn new(workload: &str, title: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert("workload".into(), Value::from(workload));
        Self {
            workload: workload.to_owned(),
            title: title.into(),
            rows: Vec::new(),
            fields,
            problems: Vec::new(),
        }
    }

    /// A row of the table and a field of the JSON object.
    pub fn add(
        &mut self,
        label: &str,
        text: impl Into<String>,
        key: &str,
        value: impl Into<Value>,
    ) {
        self.row(label, text);
        self.field(key, value);
    }

    pub fn row(&mut self, label: &str, text: impl Into<String>) {
        self.rows.push((label.to_owned(), text.into()));
    }

    pub fn field(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.insert(key.to_owned(), value.into());
    }

    /// Something that did not check out (a wrong count, a wrong output, a failed call): shown
    /// in the table, listed under `problems` in JSON, and the command exits with 1.
    pub fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }

    /// The text of the row `label`, if there is one.
    pub fn row_text(&self, label: &str) -> Option<String> {
        self.rows
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, t)| t.clone())
    }

    /// The JSON field `key` (null when absent).
    pub fn json_field(&self, key: &str) -> Value {
        self.fields.get(key).cloned().unwrap_or(Value::Null)
    }

    pub fn problems(&self) -> impl Iterator<Item = &String> {
        self.problems.iter()
    }

    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The CPU rows: `cpu` in all, and the server's per `unit` of `done` (`field` names it in
    /// JSON), when the server's CPU is known and something was done; `decimals` places.
    pub fn add_cpu(
        &mut self,
        cpu: &super::server::CpuUsage,
        done: u64,
        unit: &str,
        field: &str,
        decimals: usize,
    ) {
        self.add("CPU", cpu.text(), "cpu", cpu.json());
        if let Some(server) = cpu.server.filter(|_| done > 0) {
            let us = server / done as f64 * 1e6;
            self.add(
                "server CPU",
                format!("{us:.decimals$} µs per {unit}"),
                field,
                super::stats::round1(us),
            );
        }
    }

    pub fn table(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|(label, _)| label.chars().count())
            .max()
            .unwrap_or(0)
            .max("problems".len());
        let mut out = format!("\n{}: {}\n", self.workload, self.title);
        for (label, text) in &self.rows {
            out.push_str(&format!("  {label:<width$}  {text}\n"));
        }
        if self.problems.is_empty() {
            out.push_str(&format!("  {:<width$}  none\n", "problems"));
        } else {
            for (i, p) in self.problems.iter().enumerate() {
                let label = if i == 0 { "PROBLEMS" } else { "" };
                out.push_str(&format!("  {label:<width$}  {p}\n"));
            }
        }
        out
    }

    pub fn json(&self, machine: &Value) -> Value {
        let mut fields = self.fields.clone();
        fields.insert("problems".into(), Value::from(self.problems.clone()));
        fields.insert("machine".into(), machine.clone());
        Value::Object(fields)
    }
}
