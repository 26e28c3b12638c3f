//! Parameter binding as PowerShell does it for the PEP's commands: names matched case-insensitively,
//! parameters that a build does not have refused by name, mandatory ones required and not empty, switches
//! as booleans.

use std::collections::BTreeMap;

use serde_json::Value;

use super::protocol::PepError;
use crate::stamp_version::StampVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Switch,
    Number,
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub mandatory: bool,
    /// First build that has the parameter (None: every build).
    pub since: Option<StampVersion>,
}

impl Param {
    pub const fn text(name: &'static str) -> Param {
        Param {
            name,
            kind: Kind::Text,
            mandatory: false,
            since: None,
        }
    }

    pub const fn switch(name: &'static str) -> Param {
        Param {
            kind: Kind::Switch,
            ..Param::text(name)
        }
    }

    pub const fn number(name: &'static str) -> Param {
        Param {
            kind: Kind::Number,
            ..Param::text(name)
        }
    }

    pub const fn mandatory(self) -> Param {
        Param {
            mandatory: true,
            ..self
        }
    }

    pub const fn since(self, version: StampVersion) -> Param {
        Param {
            since: Some(version),
            ..self
        }
    }
}

/// Arguments bound to a command's parameters, by canonical name.
#[derive(Debug, Default)]
pub struct Bound(BTreeMap<&'static str, Value>);

impl Bound {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        self.0.get(name).and_then(Value::as_bool)
    }
}

pub fn bind(
    params: &[Param],
    given: serde_json::Map<String, Value>,
    stamp: StampVersion,
) -> Result<Bound, PepError> {
    let mut bound = Bound::default();
    for (name, value) in given {
        let param = params
            .iter()
            .filter(|p| p.since.is_none_or(|since| stamp >= since))
            .find(|p| p.name.eq_ignore_ascii_case(&name))
            .ok_or_else(|| {
                PepError::binding(format!(
                    "A parameter cannot be found that matches parameter name '{name}'."
                ))
            })?;
        let value = convert(param, value)?;
        bound.0.insert(param.name, value);
    }
    let missing: Vec<&str> = params
        .iter()
        .filter(|p| p.mandatory && !bound.0.contains_key(p.name))
        .map(|p| p.name)
        .collect();
    if !missing.is_empty() {
        return Err(PepError::binding(format!(
            "Cannot process command because of one or more missing mandatory parameters: {}.",
            missing.join(" ")
        )));
    }
    Ok(bound)
}

fn convert(param: &Param, value: Value) -> Result<Value, PepError> {
    let cannot_convert = |target: &str, value: &Value| {
        PepError::binding(format!(
            "Cannot process argument transformation on parameter '{}'. Cannot convert value \"{}\" to type \
             \"{target}\".",
            param.name,
            display(value)
        ))
    };
    match (param.kind, value) {
        (_, Value::Null) => Err(PepError::validation(format!(
            "Cannot bind argument to parameter '{}' because it is null.",
            param.name
        ))),
        (Kind::Text, Value::String(s)) if param.mandatory && s.is_empty() => {
            Err(PepError::validation(format!(
                "Cannot bind argument to parameter '{}' because it is an empty string.",
                param.name
            )))
        }
        (Kind::Text, Value::String(s)) => Ok(Value::String(s)),
        // PowerShell turns numbers and booleans into their text for a string parameter.
        (Kind::Text, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (Kind::Text, Value::Bool(b)) => Ok(Value::String(if b { "True" } else { "False" }.into())),
        (Kind::Switch, Value::Bool(b)) => Ok(Value::Bool(b)),
        (Kind::Switch, other) => Err(cannot_convert(
            "System.Management.Automation.SwitchParameter",
            &other,
        )),
        (Kind::Number, Value::Number(n)) if n.is_i64() => Ok(Value::Number(n)),
        (Kind::Number, other) => Err(cannot_convert("System.Int32", &other)),
        (Kind::Text, other) => Err(cannot_convert("System.String", &other)),
    }
}

fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks a ValidateSet argument; the answer is the member of the set in its own spelling.
pub fn validate_set(
    param: &str,
    value: &str,
    set: &[&'static str],
) -> Result<&'static str, PepError> {
    set.iter()
        .find(|m| m.eq_ignore_ascii_case(value))
        .copied()
        .ok_or_else(|| {
            PepError::validation(format!(
                "Cannot validate argument on parameter '{param}'. The argument \"{value}\" does not belong to the \
                 set \"{}\" specified by the ValidateSet attribute. Supply an argument that is in the set and then \
                 try the command again.",
                set.join(",")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: &[Param] = &[
        Param::text("BillingModel").mandatory(),
        Param::switch("UsageReportingEnabled"),
        Param::text("MsAssetTag").since(StampVersion::MS_ASSET_TAG),
    ];

    fn given(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn binds_like_powershell() {
        let old = StampVersion::new([1, 1910, 0, 58]);
        let bound = bind(
            PARAMS,
            given(
                serde_json::json!({"billingmodel": "Development", "UsageReportingEnabled": true}),
            ),
            old,
        )
        .unwrap();
        assert_eq!(bound.text("BillingModel"), Some("Development"));
        assert_eq!(bound.flag("UsageReportingEnabled"), Some(true));

        let refused = bind(
            PARAMS,
            given(serde_json::json!({"BillingModel": "Custom", "MsAssetTag": "x"})),
            old,
        )
        .unwrap_err();
        assert_eq!(
            refused.message,
            "A parameter cannot be found that matches parameter name 'MsAssetTag'."
        );
        assert!(
            bind(
                PARAMS,
                given(serde_json::json!({"BillingModel": "Custom", "MsAssetTag": "x"})),
                StampVersion::MS_ASSET_TAG
            )
            .is_ok()
        );

        let missing = bind(PARAMS, serde_json::Map::new(), old).unwrap_err();
        assert_eq!(missing.kind, "ParameterBindingException");
        assert!(missing.message.ends_with("parameters: BillingModel."));
        let switch = bind(
            PARAMS,
            given(serde_json::json!({"BillingModel": "x", "UsageReportingEnabled": "yes"})),
            old,
        )
        .unwrap_err();
        assert!(
            switch.message.contains("SwitchParameter"),
            "{}",
            switch.message
        );
        assert_eq!(
            validate_set("BillingModel", "payasyouuse", &["Capacity", "PayAsYouUse"]).unwrap(),
            "PayAsYouUse"
        );
    }
}
