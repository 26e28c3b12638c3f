//! The contract as written: the schema files of docs/schema/ (validators over them, resolving `$ref`s
//! between the files without the network), and docs/c-abi.md's field tables and examples, with the walk
//! that lists a schema's fields the way the tables do.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// The `$id` prefix of every schema file; a `$ref` to another file resolves under it.
const SCHEMA_BASE: &str = "https://github.com/azs-billing/azs-billing/docs/schema/";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Hands the validator the other schema files a `$ref` names; nothing is fetched from the network.
struct SchemaFiles(Arc<HashMap<String, Value>>);

impl jsonschema::Retrieve for SchemaFiles {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix(SCHEMA_BASE)
            .ok_or_else(|| format!("{} is not under {SCHEMA_BASE}", uri.as_str()))?;
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no docs/schema/{name}").into())
    }
}

/// One row of a field table: `name` (a dotted path for nested fields), its aliases, the types as the doc
/// spells them (`string or null`) and whether it is required (inputs) or always present (outputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub types: BTreeSet<String>,
    pub required: bool,
    pub aliases: BTreeSet<String>,
}

#[derive(Debug)]
pub struct Table {
    pub target: String,
    /// An output table ("Always present") rather than an input one ("Required").
    pub output: bool,
    pub fields: BTreeMap<String, Field>,
}

pub struct Contract {
    pub schemas: Arc<HashMap<String, Value>>,
    pub tables: Vec<Table>,
    pub examples: Vec<(String, Value)>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
    /// Targets some real input or output was validated against.
    pub seen: Mutex<BTreeSet<String>>,
}

impl Contract {
    pub fn load() -> Contract {
        let dir = repository().join("docs/schema");
        let mut schemas = HashMap::new();
        for entry in std::fs::read_dir(&dir).expect("docs/schema") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).expect("schema file");
                let schema: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("docs/schema/{name} is not JSON: {e}"));
                assert_eq!(
                    schema["$id"],
                    format!("{SCHEMA_BASE}{name}"),
                    "docs/schema/{name}: $id"
                );
                schemas.insert(name, schema);
            }
        }
        let doc = std::fs::read_to_string(repository().join("docs/c-abi.md")).expect("c-abi.md");
        let (tables, examples) = parse_doc(&doc);
        Contract {
            schemas: Arc::new(schemas),
            tables,
            examples,
            validators: Mutex::new(HashMap::new()),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    fn validator(&self, target: &str) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(target) {
            return v.clone();
        }
        let (file, pointer) = split_target(target);
        assert!(
            self.schemas.contains_key(file),
            "no docs/schema/{file} for {target}"
        );
        let schema = json!({ "$ref": format!("{SCHEMA_BASE}{file}#{pointer}") });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_retriever(SchemaFiles(self.schemas.clone()))
            .build(&schema)
            .unwrap_or_else(|e| panic!("{target} is not a valid schema: {e}"));
        let validator = Arc::new(validator);
        cache.insert(target.to_string(), validator.clone());
        validator
    }

    /// The reasons `value` does not match `target` (empty when it does).
    pub fn problems(&self, target: &str, value: &Value) -> Vec<String> {
        // The first few say what is wrong; a page repeats one mistake in every row.
        self.validator(target)
            .iter_errors(value)
            .take(8)
            .map(|e| format!("{e} (at {})", e.instance_path()))
            .collect()
    }

    /// `value`, a real input or output, matches `target` (`file` or `file#/pointer`).
    pub fn check(&self, target: &str, value: &Value) {
        let problems = self.problems(target, value);
        assert!(
            problems.is_empty(),
            "{target} does not describe this JSON:\n  {}\n{}",
            problems.join("\n  "),
            excerpt(value)
        );
        self.seen.lock().unwrap().insert(target.to_string());
    }

    /// Each element of a JSON array output matches `target`.
    pub fn check_each(&self, target: &str, array: &Value) -> usize {
        let items = array
            .as_array()
            .unwrap_or_else(|| panic!("{target}: expected an array, got {}", excerpt(array)));
        for item in items {
            self.check(target, item);
        }
        items.len()
    }

    /// The schema refuses what the library refuses.
    pub fn refuses(&self, target: &str, value: &Value) {
        assert!(
            !self.problems(target, value).is_empty(),
            "{target} accepts what the library refuses: {}",
            excerpt(value)
        );
    }
}

fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(600) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn split_target(target: &str) -> (&str, &str) {
    target.split_once('#').unwrap_or((target, ""))
}

/// Field tables follow `<!-- schema: target -->`, examples (a ```json block) `<!-- example: target -->`.
fn parse_doc(doc: &str) -> (Vec<Table>, Vec<(String, Value)>) {
    let lines: Vec<&str> = doc.lines().collect();
    let mut tables = Vec::new();
    let mut examples = Vec::new();
    let marker = |line: &str, kind: &str| {
        line.trim()
            .strip_prefix(&format!("<!-- {kind}: "))
            .and_then(|rest| rest.strip_suffix(" -->"))
            .map(str::to_string)
    };
    let mut i = 0;
    while i < lines.len() {
        if let Some(target) = marker(lines[i], "schema") {
            let mut rows = lines[i + 1..]
                .iter()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| l.trim_start().starts_with('|'));
            let header = cells(
                rows.next()
                    .unwrap_or_else(|| panic!("no table after {target}")),
            );
            let output = match header.get(2).map(String::as_str) {
                Some("Always present") => true,
                Some("Required") => false,
                other => {
                    panic!("{target}: third column is {other:?}, not Required or Always present")
                }
            };
            let mut fields = BTreeMap::new();
            for row in rows.skip(1) {
                let cells = cells(row);
                assert!(cells.len() >= 4, "{target}: short row {row}");
                let names = backticked(&cells[0]);
                let name = names
                    .first()
                    .unwrap_or_else(|| panic!("{target}: no `name` in {row}"))
                    .clone();
                let aliases = if cells[0].contains("alias") {
                    names[1..].iter().cloned().collect()
                } else {
                    BTreeSet::new()
                };
                let types = cells[1]
                    .split(" or ")
                    .map(|t| t.trim().to_string())
                    .collect();
                let required = match cells[2].as_str() {
                    "yes" => true,
                    "no" => false,
                    other => panic!("{target}: `{name}` has {other:?} where yes or no belongs"),
                };
                let field = Field {
                    types,
                    required,
                    aliases,
                };
                assert!(
                    fields.insert(name.clone(), field).is_none(),
                    "{target}: `{name}` twice"
                );
            }
            tables.push(Table {
                target,
                output,
                fields,
            });
        } else if let Some(target) = marker(lines[i], "example") {
            let start = i + 1;
            assert_eq!(
                lines.get(start).map(|l| l.trim()),
                Some("```json"),
                "{target}: an example is a ```json block right after its marker"
            );
            let end = (start + 1..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .unwrap_or_else(|| panic!("{target}: unterminated example"));
            let text = lines[start + 1..end].join("\n");
            let value: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{target}: the example is not JSON ({e}):\n{text}"));
            examples.push((target, value));
            i = end;
        }
        i += 1;
    }
    (tables, examples)
}

fn cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(|c| c.trim().to_string()).collect()
}

fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The fields a schema describes, as the doc's tables list them: nested objects as dotted paths, except
/// where the nested object is a definition with a table of its own.
pub struct Walker<'a> {
    pub schemas: &'a HashMap<String, Value>,
    pub documented: BTreeSet<String>,
}

impl<'a> Walker<'a> {
    pub fn node(&self, target: &str) -> (String, &'a Value) {
        let (file, pointer) = split_target(target);
        let root = self
            .schemas
            .get(file)
            .unwrap_or_else(|| panic!("no docs/schema/{file}"));
        let node = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("docs/schema/{file} has nothing at {pointer}"));
        (file.to_string(), node)
    }

    /// Where a `$ref` in `file` points, as a target.
    fn ref_target(file: &str, reference: &str) -> String {
        match reference.split_once('#') {
            Some(("", pointer)) => format!("{file}#{pointer}"),
            Some((other, "")) => other.to_string(),
            Some((other, pointer)) => format!("{other}#{pointer}"),
            None => reference.to_string(),
        }
    }

    fn types(&self, file: &str, node: &Value) -> BTreeSet<String> {
        let kind = |v: &Value| {
            match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            }
            .to_string()
        };
        if let Some(t) = node.get("type") {
            return match t {
                Value::String(t) => [t.clone()].into(),
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => panic!("{file}: odd type {t}"),
            };
        }
        if let Some(c) = node.get("const") {
            return [kind(c)].into();
        }
        if let Some(Value::Array(values)) = node.get("enum") {
            return values.iter().map(kind).collect();
        }
        if let Some(Value::String(reference)) = node.get("$ref") {
            let (f, n) = self.node(&Self::ref_target(file, reference));
            return self.types(&f, n);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = node.get(key) {
                return branches.iter().flat_map(|b| self.types(file, b)).collect();
            }
        }
        ["any".to_string()].into()
    }

    /// The one object a property holds, to list its fields under it; None for scalars, for a choice of
    /// several objects, and for a definition documented by its own table.
    fn nested(&self, file: &str, node: &'a Value) -> Option<(String, &'a Value)> {
        if node.get("properties").is_some() {
            return Some((file.to_string(), node));
        }
        if let Some(Value::String(reference)) = node.get("$ref") {
            let target = Self::ref_target(file, reference);
            if self.documented.contains(&target) {
                return None;
            }
            let (f, n) = self.node(&target);
            return self.nested(&f, n);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = node.get(key) {
                let objects: Vec<_> = branches.iter().filter(|b| b["type"] != "null").collect();
                return match objects.as_slice() {
                    [one] => self.nested(file, one),
                    _ => None,
                };
            }
        }
        None
    }

    pub fn fields(
        &self,
        file: &str,
        node: &'a Value,
        prefix: &str,
        out: &mut BTreeMap<String, Field>,
    ) {
        let Some(Value::Object(properties)) = node.get("properties") else {
            return;
        };
        let mut required: BTreeSet<String> = node["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        // A key required in one of two spellings: {"allOf": [{"oneOf": [{"required": [a]}, {"required": [b]}]}]}.
        for part in node["allOf"].as_array().into_iter().flatten() {
            if let Some(Value::Array(choice)) = part.get("oneOf") {
                for branch in choice {
                    required.extend(
                        branch["required"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(str::to_string),
                    );
                }
            }
        }
        let aliases: Vec<(&String, &Value)> = properties
            .iter()
            .filter(|(_, p)| p["deprecated"] == true)
            .collect();
        for (name, property) in properties {
            if property["deprecated"] == true {
                continue;
            }
            let path = format!("{prefix}{name}");
            let field = Field {
                types: self.types(file, property),
                required: required.contains(name),
                aliases: aliases
                    .iter()
                    .filter(|(_, alias)| {
                        alias.get("$ref").is_some() && alias.get("$ref") == property.get("$ref")
                    })
                    .map(|(alias, _)| (*alias).clone())
                    .collect(),
            };
            out.insert(path.clone(), field);
            if let Some((f, nested)) = self.nested(file, property) {
                self.fields(&f, nested, &format!("{path}."), out);
            }
        }
        for (alias, property) in &aliases {
            assert!(
                properties
                    .iter()
                    .any(|(_, p)| p["deprecated"] != true && p.get("$ref") == property.get("$ref")),
                "{file}: the alias {alias} shares its $ref with no canonical key"
            );
        }
    }
}
