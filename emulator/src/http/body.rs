//! Request bodies as ARM reads them: JSON objects, with ARM's answer when they are not.

use super::error::ArmError;

/// The body as a JSON object; an empty body is an empty object when `empty_ok`.
pub fn json_object(
    body: &[u8],
    empty_ok: bool,
) -> Result<serde_json::Map<String, serde_json::Value>, ArmError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if empty_ok {
            return Ok(serde_json::Map::new());
        }
        return Err(ArmError::bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: the body is empty.",
        ));
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(ArmError::bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: a JSON object is expected.",
        )),
        Err(e) => Err(ArmError::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: {e}."),
        )),
    }
}

/// A string member of a JSON object, looked up case-insensitively (ARM binds property names that way).
pub fn member<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'a serde_json::Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}
