-- Posting checks its references once per statement on PostgreSQL.
--
-- Posting an 835 writes one claim payment and about four ledger entries per claim.
-- PostgreSQL checks a foreign key with a query of its own per row and key, so that
-- these rows cost 18 such queries per claim payment: two thirds of the server's
-- work when posting (storagetest.BenchPostClaimPayments). On PostgreSQL the four
-- references of ledger_entries (patient_id, claim_id, line_id, payer_id) and the two
-- of claim_payments (remittance_id, claim_id) are checked by triggers instead, which
-- keep the guarantees of the foreign keys they replace:
--
--   - A statement that inserts or updates rows of ledger_entries or claim_payments
--     fails with foreign_key_violation (23503) when one of them names a row that
--     does not exist; the rows named are locked FOR KEY SHARE until the transaction
--     ends, so that nobody deletes them meanwhile. All rows of the statement are
--     checked with one query, after it.
--   - Deleting a row that is named, or changing its id, fails with
--     foreign_key_violation; so does truncating a table whose rows are named. A
--     DELETE that waited for a poster's lock sees the rows that poster committed:
--     the store runs at READ COMMITTED. (A foreign key also sees them under
--     REPEATABLE READ; these triggers do not, so do not delete claims, patients,
--     payers, claim lines or remittances at REPEATABLE READ.)
--
-- The other foreign keys stay: billing_provider_id and reverses_entry_id of an
-- entry are NULL on posting, and a NULL costs a foreign key nothing. SQLite checks a
-- foreign key with an index probe inside the insert and keeps its constraints.
{{if eq .Driver "postgres"}}
ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_entries_patient_id_fkey,
    DROP CONSTRAINT ledger_entries_claim_id_fkey,
    DROP CONSTRAINT ledger_entries_line_id_fkey,
    DROP CONSTRAINT ledger_entries_payer_id_fkey;
ALTER TABLE claim_payments
    DROP CONSTRAINT claim_payments_remittance_id_fkey,
    DROP CONSTRAINT claim_payments_claim_id_fkey;

-- reference_violation raises the error a foreign key would.
CREATE FUNCTION reference_violation(tbl text, col text, parent text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'insert or update on table "%" violates its reference to "%"', tbl, parent
        USING ERRCODE = 'foreign_key_violation', TABLE = tbl, COLUMN = col,
              DETAIL = format('A value of %s is not the id of a row of %s.', col, parent);
END $$;

-- The child side: every id the statement's rows name must be that of a row, which
-- is locked FOR KEY SHARE; a row deleted concurrently is not returned by the lock.
-- The statement's rows are read once, whatever their number.
CREATE FUNCTION ledger_entries_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    patient_ids bigint[];
    claim_ids bigint[];
    line_ids bigint[];
    payer_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT patient_id) FILTER (WHERE patient_id IS NOT NULL),
           array_agg(DISTINCT claim_id) FILTER (WHERE claim_id IS NOT NULL),
           array_agg(DISTINCT line_id) FILTER (WHERE line_id IS NOT NULL),
           array_agg(DISTINCT payer_id) FILTER (WHERE payer_id IS NOT NULL)
      INTO patient_ids, claim_ids, line_ids, payer_ids FROM added;
    IF cardinality(patient_ids) <> (SELECT count(*) FROM (SELECT 1 FROM patients r WHERE r.id = ANY (patient_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'patient_id', 'patients');
    END IF;
    IF cardinality(claim_ids) <> (SELECT count(*) FROM (SELECT 1 FROM claims r WHERE r.id = ANY (claim_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'claim_id', 'claims');
    END IF;
    IF cardinality(line_ids) <> (SELECT count(*) FROM (SELECT 1 FROM claim_lines r WHERE r.id = ANY (line_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'line_id', 'claim_lines');
    END IF;
    IF cardinality(payer_ids) <> (SELECT count(*) FROM (SELECT 1 FROM payers r WHERE r.id = ANY (payer_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'payer_id', 'payers');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_references_insert AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_check_references();
CREATE TRIGGER ledger_entries_references_update AFTER UPDATE ON ledger_entries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_check_references();

CREATE FUNCTION claim_payments_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    remittance_ids bigint[];
    claim_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT remittance_id) FILTER (WHERE remittance_id IS NOT NULL),
           array_agg(DISTINCT claim_id) FILTER (WHERE claim_id IS NOT NULL)
      INTO remittance_ids, claim_ids FROM added;
    IF cardinality(remittance_ids) <> (SELECT count(*) FROM (SELECT 1 FROM remittances r WHERE r.id = ANY (remittance_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'remittance_id', 'remittances');
    END IF;
    IF cardinality(claim_ids) <> (SELECT count(*) FROM (SELECT 1 FROM claims r WHERE r.id = ANY (claim_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'claim_id', 'claims');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER claim_payments_references_insert AFTER INSERT ON claim_payments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION claim_payments_check_references();
CREATE TRIGGER claim_payments_references_update AFTER UPDATE ON claim_payments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION claim_payments_check_references();

-- The parent side: TG_ARGV holds pairs (table, column) of the references to this
-- table's id. The row is locked when a BEFORE trigger runs: a poster holding it FOR
-- KEY SHARE has finished, and under READ COMMITTED its rows are seen.
CREATE FUNCTION refuse_referenced_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    i int := 0;
    named boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    WHILE i < TG_NARGS LOOP
        IF TG_TABLE_NAME = 'claim_lines' AND TG_ARGV[i] = 'ledger_entries' THEN
            -- ledger_entries is indexed by (claim_id, line_id), not by line_id.
            SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE claim_id = OLD.claim_id AND line_id = OLD.id) INTO named;
        ELSE
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE %I = $1)', TG_TABLE_SCHEMA, TG_ARGV[i], TG_ARGV[i + 1])
                INTO named USING OLD.id;
        END IF;
        IF named THEN
            RAISE EXCEPTION 'update or delete on table "%" violates a reference from table "%"', TG_TABLE_NAME, TG_ARGV[i]
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_ARGV[i], COLUMN = TG_ARGV[i + 1],
                      DETAIL = format('Row %s of %s is named by %s.%s.', OLD.id, TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]);
        END IF;
        i := i + 2;
    END LOOP;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;

-- refuse_referenced_truncate refuses to empty a table while the tables in TG_ARGV
-- have rows.
CREATE FUNCTION refuse_referenced_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    i int := 0;
    named boolean;
BEGIN
    WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_ARGV[i]) INTO named;
        IF named THEN
            RAISE EXCEPTION 'cannot truncate table "%": table "%" refers to it', TG_TABLE_NAME, TG_ARGV[i]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 1;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER patients_referenced BEFORE DELETE OR UPDATE OF id ON patients
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'patient_id');
CREATE TRIGGER claims_referenced BEFORE DELETE OR UPDATE OF id ON claims
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'claim_id', 'claim_payments', 'claim_id');
CREATE TRIGGER claim_lines_referenced BEFORE DELETE OR UPDATE OF id ON claim_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'line_id');
CREATE TRIGGER payers_referenced BEFORE DELETE OR UPDATE OF id ON payers
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'payer_id');
CREATE TRIGGER remittances_referenced BEFORE DELETE OR UPDATE OF id ON remittances
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('claim_payments', 'remittance_id');

CREATE TRIGGER patients_referenced_truncate BEFORE TRUNCATE ON patients
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('ledger_entries');
CREATE TRIGGER claims_referenced_truncate BEFORE TRUNCATE ON claims
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('ledger_entries', 'claim_payments');
CREATE TRIGGER claim_lines_referenced_truncate BEFORE TRUNCATE ON claim_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('ledger_entries');
CREATE TRIGGER payers_referenced_truncate BEFORE TRUNCATE ON payers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('ledger_entries');
CREATE TRIGGER remittances_referenced_truncate BEFORE TRUNCATE ON remittances
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('claim_payments');
{{end}}
