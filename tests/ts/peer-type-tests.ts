// What supabase-js makes of the deliberate differences between our `Database` type and
// postgres-meta's, on postgres-meta's own test schema. codegen/tests/postgres_meta.rs copies
// this file beside `ours.ts` (what `messenger-gen generate` wrote for that schema) and
// `theirs.ts` (tests/postgres-meta/expected-database.ts) and compiles it with tsc --strict.
// Each fact is asserted for both outputs: ours is what PostgREST does, theirs is not.

import { createClient } from "@supabase/supabase-js";

import type { Database as Ours } from "./ours.js";
import type { Database as Theirs } from "./theirs.js";

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Has<T, K extends string> = K extends keyof T ? true : false;

const ours = createClient<Ours>("http://localhost", "key");
const theirs = createClient<Theirs>("http://localhost", "key");

export async function selectStar(): Promise<void> {
  // PostgREST returns a table's columns for `*`, never its computed fields or computed
  // relationships (`overloaded-computed-fields`, `computed-relationships`).
  const { data: mine } = await ours.from("todos").select("*");
  const { data: yours } = await theirs.from("todos").select("*");
  if (mine === null || yours === null) return;
  const _ours: Equals<keyof (typeof mine)[number], "details" | "id" | "user-id"> = true;
  const _theirsOverloaded: Has<(typeof yours)[number], "blurb_varchar"> = true;
  const _theirsRelationship: Has<(typeof yours)[number], "test_unnamed_row_setof"> = true;

  const { data: view } = await ours.from("todos_view").select("*");
  if (view === null) return;
  const _view: Equals<keyof (typeof view)[number], "details" | "id" | "user-id"> = true;
}

export async function computedFieldsByName(): Promise<void> {
  // A computed field is still selected by name, overloaded or not; a computed relationship is
  // embedded, as an array of rows.
  const { data } = await ours
    .from("todos")
    .select("id, blurb, blurb_varchar, test_unnamed_row_setof(id)");
  if (data === null) return;
  const _row: Equals<
    (typeof data)[number],
    {
      id: number;
      blurb: string | null;
      blurb_varchar: string | null;
      test_unnamed_row_setof: { id: number }[];
    }
  > = true;
}

export async function outArguments(): Promise<void> {
  // `out-arguments`: the OUT columns, not `Record<string, unknown>`.
  const { data: mine } = await ours.rpc("postgres_fdw_get_connections");
  const { data: yours } = await theirs.rpc("postgres_fdw_get_connections");
  if (mine === null || yours === null) return;
  const _ours: Equals<(typeof mine)[number], { server_name: string; valid: boolean }> = true;
  const _theirs: Equals<(typeof yours)[number], Record<string, unknown>> = true;
}
