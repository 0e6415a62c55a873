-- Three changes for posting 835s: a claim payment's CAS adjustments are kept with
-- the payment; on PostgreSQL an inbound file's content is stored uncompressed, and
-- a ledger entry's created_at defaults to the transaction's start.
--
-- A claim payment's CAS adjustments are kept with it: the claim-level ones (2100
-- CAS) in claim_payments.adjustments, a line's (2110 CAS) in
-- service_payments.adjustments, instead of a row each in payment_adjustments.
--
-- Posting an 835 wrote about four adjustment rows per claim payment, each with
-- its primary key and claim payment index entries, and on PostgreSQL a check of
-- its two references (0010) that locked the claim payment and service payment
-- rows again: on the remit benchmark, a tenth of the server's CPU. Adjustments are
-- only ever read with their payment (ClaimPayments, Remittance, the secondary
-- stage's 2320/2430 CAS) or expanded by the dashboard's denial reasons; nothing
-- selects them on their own, and nothing refers to them.
--
-- Each column holds a JSON array of adjustments in the order of the 835, each an
-- array [CAS01 group, CAS02 reason, CAS03 amount in cents, CAS04 quantity in
-- thousandths]: [["CO","45",5000,0],["PR","2",3000,0]]. On PostgreSQL the type is
-- json, not jsonb: the document is kept as written and only checked on the way in,
-- which costs less than building jsonb, and it is read whole.
--
-- The rows of payment_adjustments move into the columns, in their order, and the
-- table goes with its reference triggers (PostgreSQL): service payments are named
-- by nothing any more, and claim payments by service payments only.
--
-- inbound_files.content is read a megabyte at a time (InboundContent), twice per
-- 835. PostgreSQL compressed it (pglz), and a substring of a compressed value is
-- cut from its decompressed start: reading the megabyte at offset k cost
-- decompressing k megabytes, so that a file's reads grew with the square of its
-- size: for a 50 MB 835, 7 ms for its first megabyte, 0.74 s for its last, and
-- 4.0 s of the server's CPU for one read of the whole file, which posting reads
-- twice. Stored EXTERNAL (out of line, uncompressed), a substring reads only the
-- TOAST chunks it covers: 0.03 s of CPU for the same read. The price is space:
-- that file took 17 MB compressed and takes 50 MB now. Files stored before keep
-- their compression until they are written again.
--
-- ledger_entries.created_at DEFAULT now(): PostgreSQL reads a timestamp from text
-- in about 2 µs of CPU, as long as all the other values of an entry together, and
-- an 835 posts some 7 entries per claim payment, each batch with one stamp. When
-- the store reads the system clock (no WithClock), the entries it copies in bulk
-- leave the column out and take the transaction's start instead of the client's
-- clock read in the same transaction.
ALTER TABLE claim_payments ADD COLUMN adjustments {{if eq .Driver "postgres"}}JSON{{else}}TEXT{{end}} NOT NULL DEFAULT '[]';
ALTER TABLE service_payments ADD COLUMN adjustments {{if eq .Driver "postgres"}}JSON{{else}}TEXT{{end}} NOT NULL DEFAULT '[]';
{{if eq .Driver "postgres"}}
UPDATE claim_payments cp SET adjustments = a.list
FROM (SELECT claim_payment_id, json_agg(json_build_array(group_code, reason, amount, quantity) ORDER BY id) AS list
      FROM payment_adjustments WHERE service_payment_id IS NULL GROUP BY claim_payment_id) a
WHERE cp.id = a.claim_payment_id;
UPDATE service_payments sp SET adjustments = a.list
FROM (SELECT service_payment_id, json_agg(json_build_array(group_code, reason, amount, quantity) ORDER BY id) AS list
      FROM payment_adjustments WHERE service_payment_id IS NOT NULL GROUP BY service_payment_id) a
WHERE sp.id = a.service_payment_id;

DROP TRIGGER claim_payments_referenced ON claim_payments;
CREATE TRIGGER claim_payments_referenced BEFORE DELETE OR UPDATE OF id ON claim_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_referenced_change('service_payments', 'claim_payment_id');
DROP TRIGGER claim_payments_referenced_truncate ON claim_payments;
CREATE TRIGGER claim_payments_referenced_truncate BEFORE TRUNCATE ON claim_payments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_referenced_truncate('service_payments');
DROP TRIGGER service_payments_referenced ON service_payments;
DROP TRIGGER service_payments_referenced_truncate ON service_payments;
DROP TABLE payment_adjustments;
DROP FUNCTION payment_adjustments_check_references();

ALTER TABLE inbound_files ALTER COLUMN content SET STORAGE EXTERNAL;
ALTER TABLE ledger_entries ALTER COLUMN created_at SET DEFAULT now();
{{else}}
UPDATE claim_payments SET adjustments = (
    SELECT json_group_array(json_array(group_code, reason, amount, quantity))
    FROM (SELECT * FROM payment_adjustments pa
          WHERE pa.claim_payment_id = claim_payments.id AND pa.service_payment_id IS NULL ORDER BY pa.id))
WHERE id IN (SELECT claim_payment_id FROM payment_adjustments WHERE service_payment_id IS NULL);
UPDATE service_payments SET adjustments = (
    SELECT json_group_array(json_array(group_code, reason, amount, quantity))
    FROM (SELECT * FROM payment_adjustments pa WHERE pa.service_payment_id = service_payments.id ORDER BY pa.id))
WHERE id IN (SELECT service_payment_id FROM payment_adjustments);
DROP TABLE payment_adjustments;
{{end}}
