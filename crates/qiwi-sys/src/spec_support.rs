//! What the generated `schema_registry` modules call: support for the tests that read every
//! spec example as its generated type. Not part of the API.

/// Reads `value` as `T` and writes it back.
pub fn round_trip<T>(value: serde_json::Value) -> Result<serde_json::Value, serde_json::Error>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    serde_json::to_value(serde_json::from_value::<T>(value)?)
}

/// Reads `value` as `T` and formats it with `Debug`.
pub fn debug<T>(value: serde_json::Value) -> Result<String, serde_json::Error>
where
    T: serde::de::DeserializeOwned + std::fmt::Debug,
{
    Ok(format!("{:?}", serde_json::from_value::<T>(value)?))
}
