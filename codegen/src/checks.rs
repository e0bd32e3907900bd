//! Translation of single-column CHECK constraints (as PostgreSQL normalises them, read with
//! `pg_get_expr`) into [`Check`]s, parsed with sqlparser. What cannot be translated exactly is
//! an error with a reason, which becomes a warning naming the constraint — never dropped
//! silently.

use serde_json::{Number, Value};
use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget, UnaryOperator,
    Value as SqlValue,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use messenger_ir::Check;

/// Translates the CHECK expression `sql` on column `column` (for domains: `VALUE`).
pub fn translate(sql: &str, column: &str) -> Result<Vec<Check>, String> {
    let expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| format!("cannot parse `{sql}`: {e}"))?;
    let mut checks = Vec::new();
    conjunction(&expr, column, &mut checks)?;
    Ok(checks)
}

fn conjunction(expr: &Expr, column: &str, out: &mut Vec<Check>) -> Result<(), String> {
    match expr {
        Expr::Nested(inner) => conjunction(inner, column, out),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            conjunction(left, column, out)?;
            conjunction(right, column, out)
        }
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => {
            comparison(expr, &BinaryOperator::GtEq, low, column, out)?;
            comparison(expr, &BinaryOperator::LtEq, high, column, out)
        }
        Expr::BinaryOp { left, op, right }
            if matches!(
                op,
                BinaryOperator::Eq
                    | BinaryOperator::Gt
                    | BinaryOperator::GtEq
                    | BinaryOperator::Lt
                    | BinaryOperator::LtEq
                    | BinaryOperator::PGRegexMatch
                    | BinaryOperator::PGRegexIMatch
            ) =>
        {
            comparison(left, op, right, column, out)
        }
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } if is_column(left, column) => {
            let values = array_literal(right)?;
            out.push(Check::OneOf { values });
            Ok(())
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated: false,
            ..
        } if is_column(expr, column) => {
            let values = list.iter().map(literal).collect::<Result<_, _>>()?;
            out.push(Check::OneOf { values });
            Ok(())
        }
        other => Err(format!("`{other}` has no JSON Schema equivalent")),
    }
}

fn comparison(
    left: &Expr,
    op: &BinaryOperator,
    right: &Expr,
    column: &str,
    out: &mut Vec<Check>,
) -> Result<(), String> {
    // Normalise to `<subject> op <constant>`.
    let (subject, op, constant) = if is_constant(right) {
        (left, op.clone(), right)
    } else if is_constant(left) {
        (right, flip(op)?, left)
    } else {
        return Err(format!("`{left} {op} {right}` compares no constant"));
    };
    if is_column(subject, column) {
        match op {
            BinaryOperator::PGRegexMatch => {
                let Value::String(regex) = literal(constant)? else {
                    return Err("the regex is not a string".into());
                };
                out.push(Check::Pattern {
                    regex: ecma_regex(&regex)?,
                });
            }
            BinaryOperator::PGRegexIMatch => {
                return Err("case-insensitive `~*` has no portable JSON Schema form".into());
            }
            BinaryOperator::Eq => out.push(Check::OneOf {
                values: vec![literal(constant)?],
            }),
            op => {
                let Value::Number(value) = literal(constant)? else {
                    return Err(format!("`{subject} {op} {constant}` is not numeric"));
                };
                out.push(bound(&op, value)?);
            }
        }
        return Ok(());
    }
    let (function, argument) = function_of(subject)
        .ok_or_else(|| format!("`{subject}` is neither the column nor a known function of it"))?;
    if !is_column(argument, column) {
        return Err(format!("`{subject}` is not a function of the column"));
    }
    let Value::Number(n) = literal(constant)? else {
        return Err(format!("`{constant}` is not a number"));
    };
    let n = n
        .as_i64()
        .ok_or_else(|| format!("`{constant}` is not an integer"))?;
    let (min, max) = match op {
        BinaryOperator::GtEq => (Some(n), None),
        BinaryOperator::Gt => (Some(n + 1), None),
        BinaryOperator::LtEq => (None, Some(n)),
        BinaryOperator::Lt => (None, Some(n - 1)),
        BinaryOperator::Eq => (Some(n), Some(n)),
        other => return Err(format!("`{other}` on {function}() is not translated")),
    };
    let count = |v: i64| u32::try_from(v.max(0)).map_err(|_| format!("{v} is out of range"));
    match function.as_str() {
        "char_length" | "length" | "character_length" => {
            if let Some(min) = min {
                out.push(Check::MinLength { value: count(min)? });
            }
            if let Some(max) = max {
                out.push(Check::MaxLength { value: count(max)? });
            }
        }
        "cardinality" => {
            if let Some(min) = min {
                out.push(Check::MinItems { value: count(min)? });
            }
            if let Some(max) = max {
                out.push(Check::MaxItems { value: count(max)? });
            }
        }
        "array_length" => {
            return Err(
                "array_length() is NULL for an empty array, so the CHECK passes for `{}`; \
                 use cardinality()"
                    .into(),
            );
        }
        other => return Err(format!("{other}() is not translated")),
    }
    Ok(())
}

fn bound(op: &BinaryOperator, value: Number) -> Result<Check, String> {
    Ok(match op {
        BinaryOperator::GtEq => Check::Minimum {
            value,
            exclusive: false,
        },
        BinaryOperator::Gt => Check::Minimum {
            value,
            exclusive: true,
        },
        BinaryOperator::LtEq => Check::Maximum {
            value,
            exclusive: false,
        },
        BinaryOperator::Lt => Check::Maximum {
            value,
            exclusive: true,
        },
        other => return Err(format!("`{other}` is not translated")),
    })
}

fn flip(op: &BinaryOperator) -> Result<BinaryOperator, String> {
    Ok(match op {
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        BinaryOperator::Eq => BinaryOperator::Eq,
        other => {
            return Err(format!(
                "`{other}` with the constant on the left is not translated"
            ));
        }
    })
}

/// Strips parentheses and casts (`(col)::text`, `(0)::numeric`).
fn peel(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => peel(inner),
        Expr::Cast { expr, .. } => peel(expr),
        other => other,
    }
}

fn is_column(expr: &Expr, column: &str) -> bool {
    match peel(expr) {
        Expr::Identifier(ident) => ident.value == column,
        _ => false,
    }
}

fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(e) | Expr::Cast { expr: e, .. } | Expr::UnaryOp { expr: e, .. } => {
            is_constant(e)
        }
        Expr::Value(_) => true,
        _ => false,
    }
}

fn function_of(expr: &Expr) -> Option<(String, &Expr)> {
    let Expr::Function(function) = peel(expr) else {
        return None;
    };
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    let first = match list.args.first()? {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
        _ => return None,
    };
    Some((function.name.to_string().to_lowercase(), first))
}

/// A constant as JSON: numbers (also `'-5'::integer`, `(- 5)`), strings, booleans.
fn literal(expr: &Expr) -> Result<Value, String> {
    match expr {
        Expr::Nested(inner) => literal(inner),
        Expr::Cast {
            expr, data_type, ..
        } => {
            let inner = literal(expr)?;
            let numeric = matches!(
                data_type.to_string().to_lowercase().as_str(),
                "integer"
                    | "int"
                    | "int4"
                    | "bigint"
                    | "int8"
                    | "smallint"
                    | "int2"
                    | "numeric"
                    | "real"
                    | "double precision"
                    | "float4"
                    | "float8"
            );
            match inner {
                Value::String(s) if numeric => number(&s),
                other => Ok(other),
            }
        }
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match literal(expr)? {
            Value::Number(n) => number(&format!("-{n}")),
            _ => Err(format!("`{expr}` is not a number")),
        },
        Expr::Value(v) => match &v.value {
            SqlValue::Number(n, _) => number(n),
            SqlValue::SingleQuotedString(s) => Ok(Value::String(s.clone())),
            SqlValue::EscapedStringLiteral(s) => Ok(Value::String(s.clone())),
            SqlValue::Boolean(b) => Ok(Value::Bool(*b)),
            other => Err(format!("`{other}` is not a supported constant")),
        },
        other => Err(format!("`{other}` is not a constant")),
    }
}

fn number(text: &str) -> Result<Value, String> {
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Value::Number(i.into()));
    }
    let f: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    // Only literals that survive the trip through a double exactly are translated.
    if format!("{f}") != text.trim_start_matches('+') && format!("{f:?}") != text {
        return Err(format!(
            "`{text}` cannot be represented exactly as a JSON number"
        ));
    }
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| format!("`{text}` is not finite"))
}

fn array_literal(expr: &Expr) -> Result<Vec<Value>, String> {
    match peel(expr) {
        Expr::Array(array) => array.elem.iter().map(literal).collect(),
        other => Err(format!("`{other}` is not an array literal")),
    }
}

/// Converts a PostgreSQL ARE to an ECMA-262 regex that matches exactly the same strings, or
/// explains why it cannot. Only a portable subset is accepted: literals, bracket expressions
/// without classes like `[:alpha:]`, anchors, groups, alternation, quantifiers, escaped
/// punctuation and `\d` (ASCII digits in both). `.` becomes `[\s\S]`, because PostgreSQL's `.`
/// matches a newline and ECMA-262's does not. `\w`, `\s`, back-references and
/// look-arounds depend on locale or flavour and are refused.
fn ecma_regex(pattern: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars
                    .next()
                    .ok_or_else(|| "the regex ends with a backslash".to_string())?;
                match next {
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    c if c.is_ascii_punctuation() => {
                        out.push('\\');
                        out.push(c);
                    }
                    other => {
                        return Err(format!(
                            "`\\{other}` means different things in PostgreSQL and ECMA-262 regexes"
                        ));
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' if in_class => {
                if matches!(chars.peek(), Some(':' | '=' | '.')) {
                    return Err("bracket classes like `[:alpha:]` are locale-dependent".into());
                }
                out.push_str("\\[");
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str("[\\s\\S]"),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                chars.next();
                if chars.next() != Some(':') {
                    return Err("look-arounds and embedded options are not portable".into());
                }
                out.push_str("(?:");
            }
            c => out.push(c),
        }
    }
    if in_class {
        return Err("unterminated bracket expression".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn min(v: i64, exclusive: bool) -> Check {
        Check::Minimum {
            value: v.into(),
            exclusive,
        }
    }
    fn max(v: i64, exclusive: bool) -> Check {
        Check::Maximum {
            value: v.into(),
            exclusive,
        }
    }

    #[test]
    fn ranges_as_postgresql_normalises_them() {
        assert_eq!(
            translate("((priority >= 1) AND (priority <= 10))", "priority").unwrap(),
            [min(1, false), max(10, false)]
        );
        assert_eq!(
            translate("((age >= 13) AND (age < 150))", "age").unwrap(),
            [min(13, false), max(150, true)]
        );
        assert_eq!(
            translate(
                "((credit >= (0)::numeric) AND (credit <= (1000000)::numeric))",
                "credit"
            )
            .unwrap(),
            [min(0, false), max(1_000_000, false)]
        );
        assert_eq!(
            translate("(x > '-5'::integer)", "x").unwrap(),
            [min(-5, true)]
        );
        assert_eq!(translate("(0 < x)", "x").unwrap(), [min(0, true)]);
        assert_eq!(
            translate(
                "((b > (0)::double precision) AND (b <= (1.5)::double precision))",
                "b"
            )
            .unwrap(),
            [
                min(0, true),
                Check::Maximum {
                    value: Number::from_f64(1.5).unwrap(),
                    exclusive: false
                }
            ]
        );
    }

    #[test]
    fn lists_lengths_patterns_and_cardinality() {
        assert_eq!(
            translate(
                "(template = ANY (ARRAY['welcome'::text, 'reset_password'::text]))",
                "template"
            )
            .unwrap(),
            [Check::OneOf {
                values: vec![json!("welcome"), json!("reset_password")]
            }]
        );
        assert_eq!(
            translate("(char_length((subject)::text) >= 1)", "subject").unwrap(),
            [Check::MinLength { value: 1 }]
        );
        assert_eq!(
            translate("(length(s) < 10)", "s").unwrap(),
            [Check::MaxLength { value: 9 }]
        );
        assert_eq!(
            translate("(cardinality(channels) >= 1)", "channels").unwrap(),
            [Check::MinItems { value: 1 }]
        );
        assert_eq!(
            translate("((phone)::text ~ '^\\+[1-9][0-9]{6,14}$'::text)", "phone").unwrap(),
            [Check::Pattern {
                regex: "^\\+[1-9][0-9]{6,14}$".into()
            }]
        );
        assert_eq!(
            translate("(VALUE ~ '^a.c\\d$'::text)", "VALUE").unwrap(),
            [Check::Pattern {
                regex: "^a[\\s\\S]c[0-9]$".into()
            }]
        );
    }

    #[test]
    fn refuses_what_it_cannot_translate_exactly() {
        for (sql, why) in [
            ("(x ~* 'abc'::text)", "case-insensitive"),
            ("(x ~ '\\w+'::text)", "\\w"),
            ("(x ~ '[[:alpha:]]'::text)", "locale"),
            ("(array_length(x, 1) >= 1)", "empty array"),
            ("((x IS NULL) OR (x > 1))", "no JSON Schema equivalent"),
            ("(lower(x) = x)", "compares no constant"),
            ("(NOT (x = 1))", "no JSON Schema equivalent"),
            ("(x <= 12345678901234567890.123)", "exactly"),
            ("(y > 1)", "neither the column"),
        ] {
            let err = translate(sql, "x").expect_err(sql);
            assert!(err.contains(why), "{sql}: {err}");
        }
    }
}
