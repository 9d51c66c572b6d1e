//! Phone numbers to E.164, without loading the whole numbering plan when the number is written
//! internationally already.
//!
//! libphonenumber (the `phonenumber` crate) checks every pattern of every territory the first
//! time it parses a number: 120–150 ms on a quiet machine, 300–650 ms under load, more than the
//! rest of a DSAR preview together. Most subjects are named by a number with its country code
//! (`+49 30 1234567`). For those, [`e164`] only needs to know where the country code ends and
//! that libphonenumber would not rewrite the rest (strip a national prefix written after the
//! country code, as in `+49 (0)30 …`, or apply a territory's parsing rule); [`plan`] holds that
//! much of the plan for every country code, generated from the crate's own metadata by a test
//! that fails when the two differ. Any other number (national, with an extension, with a prefix
//! libphonenumber might strip) goes through libphonenumber as before.
//!
//! Such a number is checked to have a possible length for its country code, not to fall in an
//! allocated range: a subject's number is looked for as given, even in a range the plan does
//! not list yet (or a fictional one a platform stored, as `+1 555 …`).

#[rustfmt::skip] // generated: see the_plan_is_the_crates
mod plan;

use phonenumber::country::Id;

/// What the numbering plan says of one country calling code (all its territories together).
struct Code {
    code: u16,
    /// National prefixes of its territories: a number starting with one of them after the
    /// country code may be rewritten by libphonenumber.
    prefixes: &'static [&'static str],
    /// Its territories' national-prefix-for-parsing patterns (libphonenumber's syntax, spaces
    /// ignored): a number matching one of them at its start may be rewritten.
    parsing: &'static [&'static str],
    /// Possible lengths of the national number, bit `n` set for length `n`.
    lengths: u32,
}

/// `raw` in E.164 (`+49301234567`). A number without a country code is read in `default_region`.
/// Errors never repeat the number.
pub fn e164(raw: &str, default_region: Option<Id>) -> Result<String, String> {
    let trimmed = raw.trim();
    if let Some(number) = international(trimmed) {
        return Ok(number);
    }
    let number = phonenumber::parse(default_region, trimmed).map_err(|_| {
        "not a phone number (give it in E.164, e.g. +4930…, or set default_region in the map)"
            .to_owned()
    })?;
    if !phonenumber::is_valid(&number) {
        return Err("not a valid phone number for its region".into());
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// The country calling code at the start of an E.164 number's digits (`49301234567` → 49).
/// Country codes are prefix-free, so at most one of the first three prefixes is one.
pub fn country_code(digits: &str) -> Option<u16> {
    code_at_start(digits).map(|c| c.code)
}

fn code_at_start(digits: &str) -> Option<&'static Code> {
    (1..=3.min(digits.len())).find_map(|n| code(&digits[..n]))
}

fn code(prefix: &str) -> Option<&'static Code> {
    let value: u16 = prefix.parse().ok()?;
    plan::CODES
        .binary_search_by_key(&value, |c| c.code)
        .ok()
        .map(|i| &plan::CODES[i])
}

/// `+CC …` in E.164 when libphonenumber would read it as exactly its digits; `None` when the
/// number needs libphonenumber (see the module's documentation).
fn international(trimmed: &str) -> Option<String> {
    let rest = trimmed.strip_prefix('+')?;
    let plain = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '/');
    if !rest.chars().all(plain) || rest.contains("(0") {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let code = code_at_start(&digits)?;
    let national = &digits[code.code.to_string().len()..];
    let possible = national.len() < 32 && code.lengths & (1 << national.len()) != 0;
    if !possible
        || national.starts_with('0')
        || code.prefixes.iter().any(|p| national.starts_with(p))
        || code.parsing.iter().any(|p| parsing_matches(p, national))
    {
        return None;
    }
    Some(format!("+{digits}"))
}

/// Whether a national-prefix-for-parsing pattern finds a match at the start of `national`, as
/// libphonenumber looks for one (leftmost match, kept only at position 0). A pattern that does
/// not compile counts as matching: the number then goes through libphonenumber. Compiled here,
/// once per number: a few short patterns at most, microseconds.
fn parsing_matches(pattern: &str, national: &str) -> bool {
    regex::RegexBuilder::new(pattern)
        .ignore_whitespace(true)
        .build()
        .map_or(true, |regex| {
            regex.find(national).is_some_and(|m| m.start() == 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The plan, generated from the phonenumber crate's metadata.
    fn generated() -> String {
        #[derive(Default)]
        struct Entry {
            prefixes: Vec<String>,
            parsing: Vec<String>,
            lengths: u32,
        }
        let mut codes: BTreeMap<u16, Entry> = BTreeMap::new();
        for region in phonenumber::metadata::DATABASE.iter() {
            let entry = codes.entry(region.country_code()).or_default();
            entry
                .prefixes
                .extend(region.national_prefix().map(str::to_owned));
            entry.parsing.extend(
                region
                    .national_prefix_for_parsing()
                    .map(|p| p.as_str().to_owned()),
            );
            let d = region.descriptors();
            let kinds = [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ];
            for length in kinds
                .into_iter()
                .flatten()
                .flat_map(|k| k.possible_length())
            {
                if *length < 32 {
                    entry.lengths |= 1 << length;
                }
            }
        }
        let mut out = String::from(
            "// @generated from the phonenumber crate's metadata by\n\
             // `PRIVCTL_BLESS=1 cargo test --lib phone::tests::the_plan_is_the_crates`. Do not edit.\n\n\
             use super::Code;\n\n\
             pub(super) const CODES: &[Code] = &[\n",
        );
        for (code, mut entry) in codes {
            entry.prefixes.sort();
            entry.prefixes.dedup();
            entry.parsing.sort();
            entry.parsing.dedup();
            out.push_str(&format!(
                "    Code {{ code: {code}, prefixes: &{:?}, parsing: &{:?}, lengths: {:#x} }},\n",
                entry.prefixes, entry.parsing, entry.lengths
            ));
        }
        out.push_str("];\n");
        out
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // PRIVCTL_BLESS, as the integration tests read it
    fn the_plan_is_the_crates() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/phone/plan.rs");
        let want = generated();
        if std::env::var_os("PRIVCTL_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "src/phone/plan.rs is not the phonenumber crate's plan: rerun with PRIVCTL_BLESS=1"
        );
    }

    /// libphonenumber's reading of `written`, or `None` when it refuses it.
    fn library(written: &str) -> Option<String> {
        let number = phonenumber::parse(None, written).ok()?;
        phonenumber::is_valid(&number)
            .then(|| number.format().mode(phonenumber::Mode::E164).to_string())
    }

    /// Every example number of every territory and kind, written in the ways people write them
    /// (international format, E.164, other punctuation, a national prefix after the country
    /// code): whenever the shortcut reads one, libphonenumber reads it the same.
    #[test]
    fn the_shortcut_reads_numbers_as_libphonenumber_does() {
        let (mut taken, mut total) = (0, 0);
        for region in phonenumber::metadata::DATABASE.iter() {
            let d = region.descriptors();
            let kinds = [d.fixed_line(), d.mobile(), d.toll_free(), d.voip(), d.uan()];
            for example in kinds.into_iter().flatten().filter_map(|k| k.example()) {
                let Ok(id) = region.id().parse::<Id>() else {
                    continue;
                };
                let Ok(number) = phonenumber::parse(Some(id), example) else {
                    continue;
                };
                if !phonenumber::is_valid(&number) {
                    continue;
                }
                let spaced = number
                    .format()
                    .mode(phonenumber::Mode::International)
                    .to_string();
                let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
                let code = region.country_code();
                let national = &e164[1 + code.to_string().len()..];
                let mut written = vec![
                    spaced.clone(),
                    e164.clone(),
                    spaced.replace(' ', "-"),
                    spaced.replace(' ', "."),
                    format!(
                        "+{code} ({}) {}",
                        &national[..2.min(national.len())],
                        &national[2.min(national.len())..]
                    ),
                    format!("+{code}/{national}"),
                    format!("+{code} 0{national}"),
                    format!("+{code} (0){national}"),
                ];
                written.extend(
                    region
                        .national_prefix()
                        .map(|p| format!("+{code} {p}{national}")),
                );
                for w in written {
                    total += 1;
                    if let Some(fast) = international(&w) {
                        taken += 1;
                        assert_eq!(Some(&fast), library(&w).as_ref(), "{w:?} ({})", region.id());
                    }
                }
            }
        }
        // The shortcut must be the common case, or it saves nothing.
        assert!(taken * 2 > total, "the shortcut read {taken} of {total}");
    }

    #[test]
    fn numbers_libphonenumber_may_rewrite_go_through_it() {
        for written in [
            "+49 (0)30 1234567",
            "+49 030 1234567",
            "+44 (0) 20 7946 0018",
            "+1 1 212 555 0100",
            "+49 30 1234567 ext. 5",
            "0049 30 1234567",
            "030 1234567",
        ] {
            assert_eq!(international(written), None, "{written}");
        }
        let de = Some(Id::DE);
        assert_eq!(e164("+49 (0)30 1234567", de).unwrap(), "+49301234567");
        assert_eq!(e164("030 1234567", de).unwrap(), "+49301234567");
        assert_eq!(e164(" +49 30 123-4567 ", None).unwrap(), "+49301234567");
        assert_eq!(e164("+1 (212) 555-0100", None).unwrap(), "+12125550100");
        assert_eq!(e164("+351 912 345 678", None).unwrap(), "+351912345678");
    }

    #[test]
    fn impossible_lengths_and_unknown_codes_are_refused() {
        for written in [
            "+49 30",
            "+999 1234567",
            "+",
            "+49",
            "+1 212 555 01001234567",
        ] {
            assert!(e164(written, None).is_err(), "{written}");
        }
    }

    #[test]
    fn country_codes_are_found_by_prefix() {
        assert_eq!(country_code("49301234567"), Some(49));
        assert_eq!(country_code("12125550100"), Some(1));
        assert_eq!(country_code("351912345678"), Some(351));
        assert_eq!(country_code("999"), None);
    }
}
