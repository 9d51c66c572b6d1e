//! `scrub`: each occurrence of one of the subject's identifiers inside a longer value (a message
//! body, a survey answer, a segment's JSON rule) replaced by `[redacted]`, the rest kept.
//!
//! Occurrences are found as matching normalises identifiers, and more loosely, because free text
//! is written by people: emails in any case; phone numbers with any punctuation, with or without
//! the country code (`+49 (30) 1234567`, `0049 30 1234567`, `030-1234567`). An occurrence is
//! bounded by characters that cannot belong to it, so `xjane@example.com` or `0301234567890` is
//! someone else's and stays. JSON is scrubbed inside its string values only and stays valid.

use serde_json::Value;

use crate::map::IdentityKind;

/// What an occurrence becomes.
pub const REDACTED: &str = "[redacted]";

/// The subject's identifiers, ready to be looked for in text.
#[derive(Debug, Clone)]
pub struct Scrubber {
    targets: Vec<Target>,
}

#[derive(Debug, Clone)]
enum Target {
    /// A normalised (lower-case) email address.
    Email(String),
    /// A phone number: its E.164 form and the region national numbers are read in.
    Phone {
        e164: String,
        region: Option<phonenumber::country::Id>,
    },
    /// A value compared as given.
    Exact(String),
}

impl Scrubber {
    /// `identifiers`: each normalised identifier with its kind (as [`crate::selection::Subject`]
    /// holds them).
    pub fn new<'a>(identifiers: impl IntoIterator<Item = (&'a IdentityKind, &'a str)>) -> Self {
        let targets = identifiers
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(kind, value)| match kind {
                IdentityKind::Email => Target::Email(value.to_ascii_lowercase()),
                IdentityKind::Phone { default_region } => Target::Phone {
                    e164: value.to_owned(),
                    region: *default_region,
                },
                IdentityKind::Exact => Target::Exact(value.to_owned()),
            })
            .collect();
        Self { targets }
    }

    /// `text` with every occurrence replaced, or `None` when it holds none.
    pub fn scrub_text(&self, text: &str) -> Option<String> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for target in &self.targets {
            match target {
                Target::Email(email) => find_bounded(text, email, true, is_email_char, &mut spans),
                Target::Exact(value) => {
                    find_bounded(text, value, false, char::is_alphanumeric, &mut spans)
                }
                Target::Phone { e164, region } => find_phones(text, e164, *region, &mut spans),
            }
        }
        if spans.is_empty() {
            return None;
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in spans {
            if end <= at {
                continue; // inside a span already replaced
            }
            out.push_str(&text[at..start.max(at)]);
            out.push_str(REDACTED);
            at = end;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// A JSON document with every occurrence inside its string values replaced, or `None` when
    /// it holds none. Keys, numbers and the document's shape are kept.
    pub fn scrub_json(&self, value: &Value) -> Option<Value> {
        match value {
            Value::String(s) => self.scrub_text(s).map(Value::String),
            Value::Array(items) => {
                let scrubbed: Vec<Option<Value>> =
                    items.iter().map(|v| self.scrub_json(v)).collect();
                if scrubbed.iter().all(Option::is_none) {
                    return None;
                }
                Some(Value::Array(
                    scrubbed
                        .into_iter()
                        .zip(items)
                        .map(|(new, old)| new.unwrap_or_else(|| old.clone()))
                        .collect(),
                ))
            }
            Value::Object(fields) => {
                let mut changed = false;
                let out = fields
                    .iter()
                    .map(|(k, v)| {
                        let new = self.scrub_json(v);
                        changed |= new.is_some();
                        (k.clone(), new.unwrap_or_else(|| v.clone()))
                    })
                    .collect();
                changed.then_some(Value::Object(out))
            }
            _ => None,
        }
    }

    /// A stored value: JSON text (a json/jsonb column, or a text column holding a JSON object
    /// or array) is scrubbed inside its strings and re-serialised; other text as text.
    pub fn scrub_stored(&self, text: &str, json_column: bool) -> Option<String> {
        let trimmed = text.trim_start();
        let looks_json = json_column || trimmed.starts_with('{') || trimmed.starts_with('[');
        if looks_json && let Ok(document) = serde_json::from_str::<Value>(text) {
            return self.scrub_json(&document).map(|v| v.to_string());
        }
        if json_column {
            return None; // the database holds only valid JSON in a JSON column
        }
        self.scrub_text(text)
    }
}

/// Characters that can belong to an email address (next to an occurrence, they make it part of
/// a longer, different address).
fn is_email_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// Occurrences of `needle` in `text` (ASCII case-insensitively when `fold`) not preceded by a
/// character `belongs` accepts, nor followed by one, except a sentence's final dot.
fn find_bounded(
    text: &str,
    needle: &str,
    fold: bool,
    belongs: fn(char) -> bool,
    spans: &mut Vec<(usize, usize)>,
) {
    let haystack: std::borrow::Cow<'_, str> = if fold {
        // ASCII folding keeps byte offsets unchanged.
        text.to_ascii_lowercase().into()
    } else {
        text.into()
    };
    let mut from = 0;
    while let Some(found) = haystack[from..].find(needle) {
        let start = from + found;
        let end = start + needle.len();
        let before = text[..start].chars().next_back();
        let mut after = text[end..].chars();
        let next = after.next();
        let bounded_before = before.is_none_or(|c| !belongs(c));
        let bounded_after = match next {
            None => true,
            // `… jane@example.com.` ends a sentence; `jane@example.com.au` is another address.
            Some('.') => after.next().is_none_or(|c| !c.is_alphanumeric()),
            Some(c) => !belongs(c),
        };
        if bounded_before && bounded_after {
            spans.push((start, end));
        }
        from = start + needle.len().max(1);
        while !haystack.is_char_boundary(from) {
            from += 1;
        }
    }
}

/// Characters that may sit between the digits of a written phone number.
fn is_phone_punctuation(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}')
}

/// Written forms of the phone number `e164`: every stretch of text that starts at a `+`, `(` or
/// digit not preceded by a digit, ends at a digit not followed by one, holds only digits and
/// phone punctuation, and reads as the same number (in `region` when it has no country code).
fn find_phones(
    text: &str,
    e164: &str,
    region: Option<phonenumber::country::Id>,
    spans: &mut Vec<(usize, usize)>,
) {
    let Some(digits) = e164.strip_prefix('+') else {
        return;
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let previous = i.checked_sub(1).map(|p| chars[p].1);
        let starts = (c == '+' || c == '(' || c.is_ascii_digit())
            && previous.is_none_or(|p| !p.is_ascii_digit() && p != '+');
        if !starts {
            i += 1;
            continue;
        }
        // Try the longest candidate first, so `+49 30 1234567` wins over `30 1234567`.
        let mut j = i + usize::from(c == '+');
        let mut ends = Vec::new();
        let mut count = 0;
        while j < chars.len() {
            let d = chars[j].1;
            if d.is_ascii_digit() {
                count += 1;
                let next = chars.get(j + 1).map(|n| n.1);
                if next.is_none_or(|n| !n.is_ascii_digit()) && count >= 5 {
                    ends.push(j);
                }
                if count > 18 {
                    break;
                }
            } else if !is_phone_punctuation(d) {
                break;
            }
            j += 1;
        }
        let matched = ends.iter().rev().find(|&&end| {
            let end_byte = chars[end].0 + chars[end].1.len_utf8();
            same_phone(&text[start..end_byte], digits, e164, region)
        });
        match matched {
            Some(&end) => {
                spans.push((start, chars[end].0 + chars[end].1.len_utf8()));
                i = end + 1;
            }
            None => i += 1,
        }
    }
}

/// Whether `written` is the number whose E.164 digits are `digits`.
fn same_phone(
    written: &str,
    digits: &str,
    e164: &str,
    region: Option<phonenumber::country::Id>,
) -> bool {
    let bare: String = written.chars().filter(char::is_ascii_digit).collect();
    if bare == digits || bare.strip_prefix("00") == Some(digits) {
        return true;
    }
    phonenumber::parse(region, written)
        .is_ok_and(|n| n.format().mode(phonenumber::Mode::E164).to_string() == e164)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubber() -> Scrubber {
        let email = IdentityKind::Email;
        let phone = IdentityKind::Phone {
            default_region: Some(phonenumber::country::Id::DE),
        };
        let exact = IdentityKind::Exact;
        Scrubber::new([
            (&email, "jane.doe@example.com"),
            (&phone, "+49301234567"),
            (&exact, "cust-1001"),
        ])
    }

    #[test]
    fn emails_in_any_case_are_scrubbed_and_the_rest_is_kept() {
        let s = scrubber();
        assert_eq!(
            s.scrub_text("Write to Jane.Doe@Example.COM, or JANE.DOE@EXAMPLE.COM.")
                .unwrap(),
            "Write to [redacted], or [redacted]."
        );
        assert_eq!(s.scrub_text("nothing here"), None);
        // Longer addresses are other people's.
        assert_eq!(s.scrub_text("xjane.doe@example.com"), None);
        assert_eq!(s.scrub_text("jane.doe@example.com.au"), None);
        assert_eq!(s.scrub_text("jane.doe@example.community"), None);
        assert_eq!(
            s.scrub_text("<jane.doe@example.com>").unwrap(),
            "<[redacted]>"
        );
    }

    #[test]
    fn phones_with_any_punctuation_and_either_prefix_are_scrubbed() {
        let s = scrubber();
        for written in [
            "+49 (30) 1234567",
            "030-1234567",
            "030 123 45 67",
            "0049 30 1234567",
            "+49-30-123-4567",
            "(030) 1234567",
            "+49301234567",
            "0301234567",
        ] {
            assert_eq!(
                s.scrub_text(&format!("call {written} today")).as_deref(),
                Some("call [redacted] today"),
                "{written}"
            );
        }
        // Other numbers, and numbers inside longer digit strings, stay.
        assert_eq!(s.scrub_text("call 030 7654321"), None);
        assert_eq!(s.scrub_text("order 103012345678"), None);
        assert_eq!(
            s.scrub_text("tel:+49 30 1234567; fax: 030 1234568")
                .unwrap(),
            "tel:[redacted]; fax: 030 1234568"
        );
    }

    #[test]
    fn exact_identities_need_word_boundaries() {
        let s = scrubber();
        assert_eq!(
            s.scrub_text("ref cust-1001, not cust-10012").unwrap(),
            "ref [redacted], not cust-10012"
        );
    }

    #[test]
    fn json_keeps_its_shape_and_changes_only_strings() {
        let s = scrubber();
        let rule = serde_json::json!({
            "all": [
                {"field": "email", "op": "eq", "value": "Jane.Doe@example.com"},
                {"field": "phone", "op": "eq", "value": "+49 (30) 1234567"},
                {"field": "age", "op": "gt", "value": 30}
            ],
            "jane.doe@example.com": "a key is not a value"
        });
        let scrubbed = s.scrub_json(&rule).unwrap();
        assert_eq!(scrubbed["all"][0]["value"], "[redacted]");
        assert_eq!(scrubbed["all"][1]["value"], "[redacted]");
        assert_eq!(scrubbed["all"][2]["value"], 30);
        assert_eq!(scrubbed["all"][0]["field"], "email");
        assert_eq!(s.scrub_json(&serde_json::json!({"a": [1, "b"]})), None);

        // A text column holding JSON stays valid JSON.
        let stored = r#"["jane.doe@example.com", "\"quoted\""]"#;
        let out = s.scrub_stored(stored, false).unwrap();
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, serde_json::json!(["[redacted]", "\"quoted\""]));
        // Text that only looks like JSON is scrubbed as text.
        assert_eq!(
            s.scrub_stored("[note] jane.doe@example.com", false)
                .unwrap(),
            "[note] [redacted]"
        );
    }
}
