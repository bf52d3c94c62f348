//! Splitting a dialog line into arguments, as xorriso does without `-backslash_codes`:
//! words are separated by blanks; `'…'` and `"…"` quote literally (no escapes inside
//! either); quoted and unquoted pieces next to each other form one word; a backslash is an
//! ordinary character. This is what Python's `shlex.quote` output needs: duplicity quotes
//! every argument with it (`'it'"'"'s'` is `it's`, `''` is the empty word).

/// A line that could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclosedQuote {
    /// The quote character left open.
    pub quote: char,
}

/// Splits one dialog line into words.
///
/// # Errors
/// [`UnclosedQuote`] when a quotation is not closed before the end of the line.
pub fn split(line: &str) -> Result<Vec<String>, UnclosedQuote> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(other) => cur.push(other),
                        None => return Err(UnclosedQuote { quote: c }),
                    }
                }
            }
            other => {
                in_word = true;
                cur.push(other);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Quotes one word as Python's `shlex.quote` does (duplicity's side of the protocol); used
/// by tests and by anything that writes dialog lines.
pub fn shlex_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".to_owned();
    }
    let safe = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if safe {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> String {
        // duplicity: ' '.join(shlex.quote(a) for a in args) + ' \n'
        let mut l = args
            .iter()
            .map(|a| shlex_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        l.push_str(" \n");
        l
    }

    #[test]
    fn plain_words_and_trailing_blank() {
        assert_eq!(split("-lsl / \n").unwrap(), ["-lsl", "/"]);
        assert_eq!(split("   ").unwrap(), Vec::<String>::new());
        assert_eq!(split("-commit ").unwrap(), ["-commit"]);
    }

    #[test]
    fn shlex_quoted_arguments_round_trip() {
        let cases: &[&[&str]] = &[
            &[
                "-cpr",
                "/tmp/dup/vol 1.difftar.gz",
                "/backups/vol 1.difftar.gz",
                "--",
            ],
            &["-cpx", "/it's here", "/tmp/o'brien"],
            &["-rm", "", "/a", "/with \"double\" quotes"],
            &["-lsl", "/dir/with\ttab/and\\backslash/"],
            &["-assert_volid", "DUP*", "FAILURE"],
            &["-cpr", "/ünïcödé name", "/$HOME `x` ;&|<>*?[]{}~!#", "--"],
        ];
        for args in cases {
            let l = line(args);
            assert_eq!(split(&l).unwrap(), *args, "line {l:?}");
        }
    }

    #[test]
    fn embedded_quotes() {
        assert_eq!(split(r#"'a'"'"'b'"#).unwrap(), ["a'b"]);
        assert_eq!(
            split(r#""it's" 'say "hi"'"#).unwrap(),
            ["it's", "say \"hi\""]
        );
        assert_eq!(split("''").unwrap(), [""]);
        assert_eq!(split("x'' y").unwrap(), ["x", "y"]);
        assert_eq!(split("a'b c'd").unwrap(), ["ab cd"]);
    }

    #[test]
    fn names_with_spaces() {
        assert_eq!(
            split("-cpr '/tmp/xo/b c.txt' '/d/b c.txt' -- ").unwrap(),
            ["-cpr", "/tmp/xo/b c.txt", "/d/b c.txt", "--"]
        );
        assert_eq!(split("/a\\ b").unwrap(), ["/a\\", "b"]);
    }

    #[test]
    fn unclosed_quotes_are_errors() {
        assert_eq!(
            split("-lsl '/x").unwrap_err(),
            UnclosedQuote { quote: '\'' }
        );
        assert_eq!(
            split("-lsl \"/x").unwrap_err(),
            UnclosedQuote { quote: '"' }
        );
    }

    #[test]
    fn quoting_matches_python() {
        assert_eq!(shlex_quote("/tmp/a.iso"), "/tmp/a.iso");
        assert_eq!(shlex_quote("a b"), "'a b'");
        assert_eq!(shlex_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shlex_quote(""), "''");
    }
}
