-- From supabase/postgres-meta (Apache-2.0), test/server/query.ts at commit
-- 641831e0555d8f9eab278014956ec2cf1ee1174d ("error with internalQuery property"): its test
-- suite creates this function before the typegen tests run, so their expected output lists it.
CREATE OR REPLACE FUNCTION test_internal_query() RETURNS void AS $$
      BEGIN
        -- This query will be the "internal query" when it fails
        EXECUTE 'SELECT * FROM nonexistent_table';
        RETURN;
      END;
      $$ LANGUAGE plpgsql;
