// A user's module in the fresh project (`npm init -y`, `tsc --init`, zod and supabase-js
// installed): it imports the generated files the way the project's own settings resolve them,
// with no path mapping. `.mts`, because `npm init` now writes `"type": "commonjs"` and
// `verbatimModuleSyntax` (from `tsc --init`) refuses `import` in a CommonJS `.ts` file.
import { createClient } from "@supabase/supabase-js";

import type { Database, Json, Tables } from "./generated/ts/database.js";
import type { SendEmail, EmailMessage } from "./generated/ts/payloads.js";
import { SendEmailSchema, EmailMessageSchema } from "./generated/ts/zod.js";

const supabase = createClient<Database>("http://localhost:54321", "anon-key");

export async function enqueue(input: unknown): Promise<Tables<"messenger_messages">["id"] | null> {
  // Zod's output is exactly the payload type, so it is a jsonb value for the insert.
  const email: SendEmail = SendEmailSchema.parse(input);
  const envelope: EmailMessage = EmailMessageSchema.parse({
    headers: { message_type: "send_email", trace: "abc" },
    body: email,
  });
  const headers: Json = envelope.headers;
  const { data, error } = await supabase
    .from("messenger_messages")
    .insert({ transport_name: "email", body: email, headers })
    .select("id")
    .single();
  return error === null ? data.id : null;
}
