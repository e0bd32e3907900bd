//! The TypeScript that zod.ts declares verbatim, each only when something uses it.

/// `Equals<A, B>`, for the compile-time proof that each schema infers its interface.
pub const EQUALS: &str = "\
/** `true` when A and B are the same type (a compile-time check; nothing runs). */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
";

/// `jsonValueSchema`: CONTRACT.md's JSON value.
pub const JSON_VALUE: &str = "
/**
 * Any JSON value that PostgreSQL's json and jsonb can hold (CONTRACT.md): a `json` column, or a
 * `jsonb` column without a declared payload type. No string and no key may contain U+0000.
 */
export const jsonValueSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([
    z.string().regex(nulFreePattern),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string().regex(nulFreePattern), jsonValueSchema.optional()),
  ]),
);
";

/// `unknownJsonSchema`: a value of a type no target maps.
pub const UNKNOWN_JSON: &str = "
/** A value of a type no target knows: a JSON value PostgreSQL can hold, typed `unknown`. */
const unknownJsonSchema: z.ZodType<unknown> = jsonValueSchema;
";

/// `minChars`: a minimum length in code points.
pub const MIN_CHARS: &str = "
/** At least `minimum` characters, counted in code points like PostgreSQL's char_length. */
function minChars(minimum: number): z.core.$ZodCheck<string> {
  return z.check<string>((ctx) => {
    if ([...ctx.value].length < minimum) {
      ctx.issues.push({
        code: \"too_small\",
        origin: \"string\",
        minimum,
        inclusive: true,
        input: ctx.value,
        message: `Too small: expected string to have >=${minimum} characters`,
      });
    }
  });
}
";

/// `maxChars`: a maximum length in code points.
pub const MAX_CHARS: &str = "
/**
 * At most `maximum` characters, counted in code points like PostgreSQL's char_length (as Zod
 * 4.6's own `.max()` does; Zod 3 counted UTF-16 code units).
 */
function maxChars(maximum: number): z.core.$ZodCheck<string> {
  return z.check<string>((ctx) => {
    if ([...ctx.value].length > maximum) {
      ctx.issues.push({
        code: \"too_big\",
        origin: \"string\",
        maximum,
        inclusive: true,
        input: ctx.value,
        message: `Too big: expected string to have <=${maximum} characters`,
      });
    }
  });
}
";
