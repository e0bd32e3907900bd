//! Connection strings as messages show them: every password tokio-postgres would read is
//! replaced by `***`. The scanners follow tokio-postgres' own grammar (`Config::from_str`), so
//! whatever it takes for a password, this hides.

/// What replaces a password.
const HIDDEN: &str = "***";

/// `text` — a URL (`postgres://` / `postgresql://`) or a `key=value` connection string — with
/// every password hidden: the URL's user-info password (everything between the first `:` and
/// the first `@`, whatever it contains), a `password=` query parameter (also percent-encoded
/// keys), and a `password` keyword with a plain or quoted value. A `key=value` string that
/// cannot be scanned is not shown at all if it mentions a password.
pub fn redact(text: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = text.strip_prefix(scheme) {
            return format!("{scheme}{}", redact_url(rest));
        }
    }
    match redact_key_values(text) {
        Some(shown) => shown,
        None if text.to_ascii_lowercase().contains("password") => {
            "(a connection string that cannot be parsed; not shown because it has a password)"
                .to_owned()
        }
        None => text.to_owned(),
    }
}

/// The part of a URL after the scheme. tokio-postgres takes credentials up to the first `@`
/// (so a password may hold `/`, `?` or `:`), the host up to `/` or `?`, and parameters after
/// the first `?` that follows.
fn redact_url(rest: &str) -> String {
    let (credentials, after) = match rest.split_once('@') {
        Some((credentials, after)) => {
            let shown = match credentials.split_once(':') {
                Some((user, _password)) => format!("{user}:{HIDDEN}@"),
                None => format!("{credentials}@"),
            };
            (shown, after)
        }
        None => (String::new(), rest),
    };
    let (location, params) = match after.split_once('?') {
        Some((location, params)) => (location, Some(params)),
        None => (after, None),
    };
    let mut out = format!("{credentials}{location}");
    if let Some(params) = params {
        out.push('?');
        let shown: Vec<String> = params
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if percent_decode(key) == "password" => format!("{key}={HIDDEN}"),
                _ => param.to_owned(),
            })
            .collect();
        out.push_str(&shown.join("&"));
    }
    out
}

/// `%xx` escapes decoded (tokio-postgres decodes parameter keys before matching them).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `key=value` string with the value of every `password` hidden; `None` when it does not
/// scan the way tokio-postgres scans it.
fn redact_key_values(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut copied = 0;
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(key_start, _)) = chars.peek() else {
            break;
        };
        while chars
            .next_if(|(_, c)| !c.is_whitespace() && *c != '=')
            .is_some()
        {}
        let key_end = chars.peek().map_or(text.len(), |(i, _)| *i);
        let key = &text[key_start..key_end];
        if key.is_empty() {
            return None;
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        chars.next_if(|(_, c)| *c == '=')?;
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let value_start = chars.peek().map_or(text.len(), |(i, _)| *i);
        if chars.next_if(|(_, c)| *c == '\'').is_some() {
            // Quoted: up to the next unescaped quote.
            loop {
                match chars.next()? {
                    (_, '\\') => {
                        chars.next()?;
                    }
                    (_, '\'') => break,
                    _ => {}
                }
            }
        } else {
            let mut empty = true;
            while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                empty = false;
                if c == '\\' {
                    chars.next();
                }
            }
            if empty {
                return None;
            }
        }
        let value_end = chars.peek().map_or(text.len(), |(i, _)| *i);
        if key == "password" {
            out.push_str(&text[copied..value_start]);
            out.push_str(HIDDEN);
            copied = value_end;
        }
    }
    out.push_str(&text[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::redact;

    /// Every test string is also parsed by tokio-postgres, to be sure it reads the password
    /// this test hides.
    fn hides(text: &str, expected: &str) {
        let config: tokio_postgres::Config = text.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"S3cretPW"[..]), "{text}");
        let shown = redact(text);
        assert_eq!(shown, expected);
        assert!(!shown.contains("S3cretPW"), "{shown}");
    }

    #[test]
    fn url_user_info() {
        hides(
            "postgres://u:S3cretPW@h:5432/db",
            "postgres://u:***@h:5432/db",
        );
        hides(
            "postgresql://u:S3cretPW@h/db?sslmode=disable",
            "postgresql://u:***@h/db?sslmode=disable",
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h:5432/db"), "postgres://h:5432/db");
    }

    #[test]
    fn url_user_info_with_slash_question_mark_and_colon() {
        // tokio-postgres reads up to the first `@`; percent-decoding makes S3cretPW here.
        let text = "postgres://u:S3cret%50W@h/db";
        assert_eq!(redact(text), "postgres://u:***@h/db");
        for password in ["S3/cr?et:PW", "S3cr/et", "S3?cret", "a:b"] {
            let text = format!("postgres://u:{password}@127.0.0.1:1/db?sslmode=disable");
            let config: tokio_postgres::Config = text.parse().unwrap();
            assert_eq!(config.get_password(), Some(password.as_bytes()));
            assert_eq!(
                redact(&text),
                "postgres://u:***@127.0.0.1:1/db?sslmode=disable"
            );
        }
    }

    #[test]
    fn url_query_parameter() {
        hides(
            "postgres://u@h/db?password=S3cretPW",
            "postgres://u@h/db?password=***",
        );
        hides(
            "postgres://h/db?sslmode=disable&password=S3cretPW&application_name=x",
            "postgres://h/db?sslmode=disable&password=***&application_name=x",
        );
        hides(
            "postgres://h?pass%77ord=S3cretPW",
            "postgres://h?pass%77ord=***",
        );
    }

    #[test]
    fn key_value_plain_and_quoted() {
        hides(
            "host=127.0.0.1 port=1 user=postgres password=S3cretPW",
            "host=127.0.0.1 port=1 user=postgres password=***",
        );
        hides(
            "host=h password = S3cretPW dbname=x",
            "host=h password = *** dbname=x",
        );
        hides("password='S3cretPW' host=h", "password=*** host=h");
        let text = r"host=h password='S3 \'cret' user=u";
        let config: tokio_postgres::Config = text.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"S3 'cret"[..]));
        assert_eq!(redact(text), "host=h password=*** user=u");
        assert_eq!(redact(r"password=S3\ cr host=h"), "password=*** host=h");
        assert_eq!(redact("host=/tmp"), "host=/tmp");
    }

    #[test]
    fn unscannable_strings_with_a_password_are_not_shown() {
        let shown = redact("host=h password='S3cretPW");
        assert!(!shown.contains("S3cretPW"), "{shown}");
        assert_eq!(redact("not a url"), "not a url");
    }
}
