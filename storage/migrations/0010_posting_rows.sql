-- Posting an 835 checks the references of its service payments, adjustments and
-- ledger entries once per statement on PostgreSQL, as 0009 does for ledger entries
-- and claim payments; and a PLB reference finds its claim by an index.
--
-- After 0009, each claim payment still cost some ten foreign key checks, each a
-- query or a trigger call of its own per row: service_payments (claim_payment_id,
-- line_id), payment_adjustments (claim_payment_id, service_payment_id) and
-- ledger_entries (billing_provider_id and reverses_entry_id, fired for every row
-- even though they are NULL when posting). On PostgreSQL these six references are
-- checked by statement-level triggers instead, with the guarantees 0009 describes:
--
--   - A statement that inserts or updates rows of service_payments,
--     payment_adjustments or ledger_entries fails with foreign_key_violation
--     (23503) when one of them names a row that does not exist. The rows named are
--     locked FOR KEY SHARE until the transaction ends, so that nobody deletes them
--     meanwhile. (Rows the transaction inserted itself are locked too: telling them
--     by xmin would be wrong once the 32-bit transaction ids have wrapped around,
--     as a frozen row keeps its xmin.)
--   - Deleting a row that is named, or changing its id, fails with
--     foreign_key_violation; so does truncating a table whose rows are named. Run
--     such deletes at READ COMMITTED (see 0009).
--
-- provider_adjustments keeps its foreign key: a remittance has a few PLB amounts,
-- not one per claim.
--
-- Every posted entry and claim payment probes a unique index of text keys
-- (ledger_entries.idempotency_key, claim_payments.payment_key). The keys are
-- identifiers that are only ever compared for equality, so on PostgreSQL they are
-- compared byte by byte (COLLATE "C") instead of by the database's locale: the same
-- rows are equal, the index probes cost less. ledger_entries_payer goes: no query
-- of the application selects entries by payer alone (PayerBalance sums a payer's
-- share of the ledger, which a scan serves about as well, and the aging report
-- groups every payer), and each entry paid for it.
--
-- claims_payer_claim_number becomes (payer_claim_number, id): ClaimIDByReference
-- asks for the latest claim with a payer claim number, and with the id in the index
-- that is one descent whatever the planner's statistics say. With (payer_claim_number)
-- alone, a table whose statistics are stale (claims stored minutes before, as the
-- remit benchmark does) was read backwards by primary key to the first match: a
-- sequential scan of every claim for a number nobody has.
{{if eq .Driver "postgres"}}
ALTER TABLE ledger_entries ALTER COLUMN idempotency_key TYPE text COLLATE "C";
ALTER TABLE claim_payments ALTER COLUMN payment_key TYPE text COLLATE "C";

ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_entries_billing_provider_id_fkey,
    DROP CONSTRAINT ledger_entries_reverses_entry_id_fkey;
ALTER TABLE service_payments
    DROP CONSTRAINT service_payments_claim_payment_id_fkey,
    DROP CONSTRAINT service_payments_line_id_fkey;
ALTER TABLE payment_adjustments
    DROP CONSTRAINT payment_adjustments_claim_payment_id_fkey,
    DROP CONSTRAINT payment_adjustments_service_payment_id_fkey;

-- The child side, as in 0009: the statement's rows are read once.
CREATE OR REPLACE FUNCTION ledger_entries_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    patient_ids bigint[];
    claim_ids bigint[];
    line_ids bigint[];
    payer_ids bigint[];
    provider_ids bigint[];
    reversed_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT patient_id) FILTER (WHERE patient_id IS NOT NULL),
           array_agg(DISTINCT claim_id) FILTER (WHERE claim_id IS NOT NULL),
           array_agg(DISTINCT line_id) FILTER (WHERE line_id IS NOT NULL),
           array_agg(DISTINCT payer_id) FILTER (WHERE payer_id IS NOT NULL),
           array_agg(DISTINCT billing_provider_id) FILTER (WHERE billing_provider_id IS NOT NULL),
           array_agg(DISTINCT reverses_entry_id) FILTER (WHERE reverses_entry_id IS NOT NULL)
      INTO patient_ids, claim_ids, line_ids, payer_ids, provider_ids, reversed_ids FROM added;
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
    IF cardinality(provider_ids) <> (SELECT count(*) FROM (SELECT 1 FROM billing_providers r WHERE r.id = ANY (provider_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'billing_provider_id', 'billing_providers');
    END IF;
    IF cardinality(reversed_ids) <> (SELECT count(*) FROM (SELECT 1 FROM ledger_entries r WHERE r.id = ANY (reversed_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'reverses_entry_id', 'ledger_entries');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION service_payments_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    payment_ids bigint[];
    line_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT claim_payment_id) FILTER (WHERE claim_payment_id IS NOT NULL),
           array_agg(DISTINCT line_id) FILTER (WHERE line_id IS NOT NULL)
      INTO payment_ids, line_ids FROM added;
    IF cardinality(payment_ids) <> (SELECT count(*) FROM (SELECT 1 FROM claim_payments r WHERE r.id = ANY (payment_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'claim_payment_id', 'claim_payments');
    END IF;
    IF cardinality(line_ids) <> (SELECT count(*) FROM (SELECT 1 FROM claim_lines r WHERE r.id = ANY (line_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'line_id', 'claim_lines');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER service_payments_references_insert AFTER INSERT ON service_payments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION service_payments_check_references();
CREATE TRIGGER service_payments_references_update AFTER UPDATE ON service_payments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION service_payments_check_references();

CREATE FUNCTION payment_adjustments_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    payment_ids bigint[];
    service_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT claim_payment_id) FILTER (WHERE claim_payment_id IS NOT NULL),
           array_agg(DISTINCT service_payment_id) FILTER (WHERE service_payment_id IS NOT NULL)
      INTO payment_ids, service_ids FROM added;
    IF cardinality(payment_ids) <> (SELECT count(*) FROM (SELECT 1 FROM claim_payments r WHERE r.id = ANY (payment_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'claim_payment_id', 'claim_payments');
    END IF;
    IF cardinality(service_ids) <> (SELECT count(*) FROM (SELECT 1 FROM service_payments r WHERE r.id = ANY (service_ids) FOR KEY SHARE OF r) l) THEN
        PERFORM reference_violation(TG_TABLE_NAME, 'service_payment_id', 'service_payments');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER payment_adjustments_references_insert AFTER INSERT ON payment_adjustments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION payment_adjustments_check_references();
CREATE TRIGGER payment_adjustments_references_update AFTER UPDATE ON payment_adjustments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION payment_adjustments_check_references();

-- The parent side: refuse_referenced_change and refuse_referenced_truncate of 0009.
-- An index serves each look-up but three, which read the referencing table as the
-- foreign keys they replace did: deleting a claim line (service_payments.line_id),
-- a service payment (payment_adjustments.service_payment_id) or a billing provider
-- (ledger_entries.billing_provider_id).
DROP TRIGGER claim_lines_referenced ON claim_lines;
CREATE TRIGGER claim_lines_referenced BEFORE DELETE OR UPDATE OF id ON claim_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'line_id', 'service_payments', 'line_id');
CREATE TRIGGER claim_payments_referenced BEFORE DELETE OR UPDATE OF id ON claim_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('service_payments', 'claim_payment_id',
        'payment_adjustments', 'claim_payment_id');
CREATE TRIGGER service_payments_referenced BEFORE DELETE OR UPDATE OF id ON service_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('payment_adjustments', 'service_payment_id');
CREATE TRIGGER billing_providers_referenced BEFORE DELETE OR UPDATE OF id ON billing_providers
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'billing_provider_id');
CREATE TRIGGER ledger_entries_referenced BEFORE DELETE OR UPDATE OF id ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('ledger_entries', 'reverses_entry_id');

DROP TRIGGER claim_lines_referenced_truncate ON claim_lines;
CREATE TRIGGER claim_lines_referenced_truncate BEFORE TRUNCATE ON claim_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('ledger_entries', 'service_payments');
CREATE TRIGGER claim_payments_referenced_truncate BEFORE TRUNCATE ON claim_payments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('service_payments', 'payment_adjustments');
CREATE TRIGGER service_payments_referenced_truncate BEFORE TRUNCATE ON service_payments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('payment_adjustments');
CREATE TRIGGER billing_providers_referenced_truncate BEFORE TRUNCATE ON billing_providers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('ledger_entries');
{{end}}
DROP INDEX ledger_entries_payer;
DROP INDEX claims_payer_claim_number;
CREATE INDEX claims_payer_claim_number ON claims (payer_claim_number, id);
