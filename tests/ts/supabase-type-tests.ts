// Type-level tests of the `Database` type of a Supabase application through supabase-js: the
// fixture codegen/tests/fixtures/ok_supabase_database (schemas public and auth; its
// expected/ts/database.ts is kept equal to a fresh generate by the fixture test). Like
// type-tests.ts, every assertion is a positive fact checked with a strict `Equals` (a broken
// schema makes rows `never` or `any`, which equal nothing here), and every `@ts-expect-error`
// has a twin statement that must compile.

import { createClient } from "@supabase/supabase-js";

import type { Database, Tables } from "../../codegen/tests/fixtures/ok_supabase_database/expected/ts/database.js";

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type IsNever<T> = [T] extends [never] ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
/** Whether supabase-js answered a select with its error type instead of a row. */
type IsSelectError<T> = T extends { error: true } ? true : false;

type PostStatus = "draft" | "published" | "archived";

const supabase = createClient<Database>("http://localhost", "key");
const uuid = "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10";

// Every schema listed in `schemas` is described; `auth` through its own client.
const _schemas: Equals<keyof Database, "auth" | "public"> = true;
const auth = createClient<Database, "auth">("http://localhost", "key", { db: { schema: "auth" } });

export async function rpcWithArguments(): Promise<void> {
  const { data } = await supabase.rpc("count_posts", { author: uuid });
  const _count: Equals<typeof data, number | null> = true;
  await supabase.rpc("count_posts", { author: uuid, include_drafts: true });
  // @ts-expect-error author is required (no DEFAULT)
  await supabase.rpc("count_posts", { include_drafts: true });
  // @ts-expect-error include_drafts is a boolean
  await supabase.rpc("count_posts", { author: uuid, include_drafts: "yes" });
  // @ts-expect-error no such function
  await supabase.rpc("no_such_function");
}

export async function rpcReturningASet(): Promise<void> {
  const { data } = await supabase.rpc("search_posts", { term: "rust" });
  if (data === null) return;
  type Post = (typeof data)[number];
  const _notNever: IsNever<Post> = false;
  const _notAny: IsAny<Post> = false;
  const _post: Equals<Post, Omit<Tables<"posts">, "title_shout">> = true;

  // A set-returning function is filtered and selected like a table.
  const { data: titles } = await supabase.rpc("search_posts", { term: "rust" }).select("id, title");
  if (titles === null) return;
  const _titles: Equals<(typeof titles)[number], { id: number; title: string }> = true;

  const { data: stats } = await supabase.rpc("post_stats");
  if (stats === null) return;
  const _stats: Equals<(typeof stats)[number], { author_id: string; posts: number }> = true;
}

export async function embeddingFromAView(): Promise<void> {
  // published_posts exposes posts.author_id, so PostgREST embeds the author through it.
  const { data } = await supabase.from("published_posts").select("title, profiles(username)");
  if (data === null) return;
  type Row = (typeof data)[number];
  const _notNever: IsNever<Row> = false;
  const _row: Equals<Row, { title: string | null; profiles: { username: string } | null }> = true;

  // And a table embeds the view that exposes its key.
  const { data: authors } = await supabase.from("profiles").select("username, published_posts(title)");
  if (authors === null) return;
  const _authors: Equals<
    (typeof authors)[number],
    { username: string; published_posts: { title: string | null }[] }
  > = true;
}

export async function writingThroughAView(): Promise<void> {
  // An automatically updatable view takes inserts and updates; its computed column does not.
  await supabase.from("published_posts").insert({ author_id: uuid, title: "Hello" });
  await supabase.from("published_posts").update({ title: "Hello again" }).eq("id", 1);
  // @ts-expect-error shouted is computed by the view
  await supabase.from("published_posts").insert({ author_id: uuid, title: "Hello", shouted: "HELLO" });
  // A view PostgreSQL cannot write through has no Insert at all.
  type Counts = Database["public"]["Views"]["post_counts"];
  const _noInsert: Equals<"Insert" extends keyof Counts ? true : false, false> = true;
  const _updatable: Equals<"Insert" extends keyof Database["public"]["Views"]["published_posts"] ? true : false, true> =
    true;
}

export async function crossSchemaForeignKeys(): Promise<void> {
  // profiles.id REFERENCES auth.users: PostgREST does not embed across schemas, so the key is
  // not a relationship, and an embed of `users` is supabase-js's error type, not rows.
  const _noRelationships: Equals<Database["public"]["Tables"]["profiles"]["Relationships"], []> = true;
  const { data } = await supabase.from("profiles").select("id, users(email)");
  if (data === null) return;
  const _id: Equals<(typeof data)[number]["id"], string> = true;
  const _error: IsSelectError<(typeof data)[number]["users"]> = true;
  // The same-schema key of posts is one.
  const { data: posts } = await supabase.from("posts").select("title, profiles(username)");
  if (posts === null) return;
  const _joined: Equals<(typeof posts)[number], { title: string; profiles: { username: string } }> = true;
  // auth.users itself is typed through a client of its schema.
  const { data: users } = await auth.from("users").select("id, email");
  if (users === null) return;
  const _users: Equals<(typeof users)[number], { id: string; email: string | null }> = true;
}

export async function computedFieldsAndRelationships(): Promise<void> {
  // A computed field is selected by name, and `*` does not return it (PostgREST does not).
  const { data } = await supabase.from("posts").select("id, title_shout");
  if (data === null) return;
  const _field: Equals<(typeof data)[number], { id: number; title_shout: string | null }> = true;
  const { data: all } = await supabase.from("posts").select("*");
  if (all === null) return;
  const _star: Equals<"title_shout" extends keyof (typeof all)[number] ? true : false, false> = true;
  // A function of a row returning a set of posts is embedded like a relationship.
  const { data: authors } = await supabase.from("profiles").select("username, author_posts(title)");
  if (authors === null) return;
  const _embedded: Equals<(typeof authors)[number], { username: string; author_posts: { title: string }[] }> = true;
}

export function columnTypes(): void {
  type Post = Tables<"posts">;
  // Types with a text form are strings; a composite column is its attributes, all nullable.
  const _interval: Equals<Post["reading_time"], string | null> = true;
  const _bytea: Equals<Post["thumbnail"], string | null> = true;
  const _range: Equals<Post["visible"], string | null> = true;
  const _status: Equals<Post["status"], PostStatus> = true;
  const _address: Equals<
    Tables<"profiles">["address"],
    { street: string | null; city: string | null; zip: string | null } | null
  > = true;
  // A STORED generated column is never written (postgres-meta makes it optional).
  const _generated: Equals<Database["public"]["Tables"]["posts"]["Insert"]["title_length"], undefined> = true;
}
