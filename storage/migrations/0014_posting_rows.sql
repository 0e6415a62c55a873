-- A claim's history rows check their claim once per statement on PostgreSQL, as
-- the posting tables do since 0009 and 0010.
--
-- claim_events.claim_id was the last foreign key a posted claim payment paid for
-- row by row: every change of state writes a history row, and PostgreSQL checked
-- its claim with a query of its own per row (the RI trigger locks the claim FOR
-- KEY SHARE). Writing 1,000 history rows of claims the transaction holds FOR
-- UPDATE, as posting an 835 does, the per-row checks took 3.8-21 ms and the
-- statement's check below 2.6-7.9 ms (psql, six runs each, on a busy machine):
-- about 5 µs of the server's CPU per claim payment, and per change of state in
-- every other stage that moves claims. On PostgreSQL the reference is checked by
-- a statement-level trigger, with the guarantees 0009 describes:
--
--   - A statement that inserts or updates rows of claim_events fails with
--     foreign_key_violation (23503) when one of them names a claim that does not
--     exist; the claims named are locked FOR KEY SHARE until the transaction ends
--     (the posters and TransitionClaims hold them FOR UPDATE already, which
--     includes that lock), so that nobody deletes them meanwhile.
--   - Deleting a claim that has a history, or changing its id, fails with
--     foreign_key_violation (claim_events_claim serves the look-up); so does
--     truncating claims while claim_events has rows. As for 0009, run such deletes
--     at READ COMMITTED.
--
-- SQLite keeps its foreign key: an index probe inside the insert.
{{if eq .Driver "postgres"}}
ALTER TABLE claim_events DROP CONSTRAINT claim_events_claim_id_fkey;

CREATE FUNCTION claim_events_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    claim_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT claim_id) FILTER (WHERE claim_id IS NOT NULL) INTO claim_ids FROM added;
    IF cardinality(claim_ids) <> (SELECT count(*) FROM (SELECT 1 FROM claims r WHERE r.id = ANY (claim_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'claim_id', 'claims');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER claim_events_references_insert AFTER INSERT ON claim_events
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION claim_events_check_references();
CREATE TRIGGER claim_events_references_update AFTER UPDATE ON claim_events
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION claim_events_check_references();

-- The parent side: the claims triggers of 0009, with the history added.
DROP TRIGGER claims_referenced ON claims;
CREATE TRIGGER claims_referenced BEFORE DELETE OR UPDATE OF id ON claims
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'claim_id', 'claim_payments', 'claim_id',
        'claim_events', 'claim_id');
DROP TRIGGER claims_referenced_truncate ON claims;
CREATE TRIGGER claims_referenced_truncate BEFORE TRUNCATE ON claims
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('ledger_entries', 'claim_payments', 'claim_events');
{{else}}
SELECT 1;
{{end}}
