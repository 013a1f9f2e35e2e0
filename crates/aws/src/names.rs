//! How Step Functions names what a service model defines. Step Functions' AWS SDK integrations
//! are built on the AWS SDK for Java 2.x, so services, members and errors carry that SDK's
//! names ("Learning to use AWS service SDK integrations in Step Functions", AWS Step Functions
//! Developer Guide).

use std::borrow::Cow;

/// A structure member's name in a Task's `Parameters` and in its result: the model's name with
/// its first letter upper-case ("Parameters in Step Functions are expressed in PascalCase, even
/// if the native service API is in camelCase"), and `Equals` as `EqualsValue` ("API fields for
/// equals will be referred to in your state machines as: EqualsValue"; both from the guide
/// above).
pub fn member_name(model_name: &str) -> Cow<'_, str> {
    if model_name.eq_ignore_ascii_case("equals") {
        return Cow::Borrowed("EqualsValue");
    }
    match model_name.chars().next() {
        Some(first) if first.is_ascii_lowercase() => {
            let mut name = String::with_capacity(model_name.len());
            name.push(first.to_ascii_uppercase());
            name.push_str(&model_name[1..]);
            Cow::Owned(name)
        }
        _ => Cow::Borrowed(model_name),
    }
}

#[cfg(test)]
mod tests {
    use super::member_name;

    #[test]
    fn members_are_pascal_case_and_equals_is_renamed() {
        assert_eq!(member_name("TableName"), "TableName");
        assert_eq!(member_name("restApiId"), "RestApiId");
        assert_eq!(member_name("equals"), "EqualsValue");
        assert_eq!(member_name("Equals"), "EqualsValue");
        assert_eq!(member_name(""), "");
    }
}
