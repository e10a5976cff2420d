//! "Did you mean" and case conversions for error messages.

/// Levenshtein distance, small inputs only.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate an option's former name became, else the closest candidate within a third of
/// its length (at least 1 edit).
pub(crate) fn did_you_mean<'a>(got: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(new) = crate::grammar::renamed(got) {
        if let Some(c) = candidates.iter().find(|c| **c == new) {
            return Some(c);
        }
    }
    candidates
        .iter()
        .map(|c| (distance(got, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `MyApp` / `myApp` / `my-app` to `my_app`.
pub(crate) fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' || c == '_' {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_alphanumeric();
        }
    }
    out.trim_matches('_').to_string()
}

/// `my_app` to `MyApp`.
pub(crate) fn upper_camel_case(s: &str) -> String {
    s.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_and_only_close() {
        assert_eq!(
            did_you_mean("strategey", &["strategy", "within"]),
            Some("strategy")
        );
        assert_eq!(
            did_you_mean("permanant", &["permanent", "transient"]),
            Some("permanent")
        );
        assert_eq!(did_you_mean("xyz", &["permanent", "transient"]), None);
        assert_eq!(did_you_mean("m", &["ms", "s", "m", "h"]), Some("m"));
    }

    #[test]
    fn cases_convert() {
        assert_eq!(snake_case("MyApp"), "my_app");
        assert_eq!(snake_case("HTTPServer"), "httpserver");
        assert_eq!(snake_case("fooBar"), "foo_bar");
        assert_eq!(upper_camel_case("my_app"), "MyApp");
    }
}
