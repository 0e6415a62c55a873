-- The ledger: every charge, payment, adjustment, transfer and reversal is an entry;
-- balances are sums of entries and are stored nowhere else. An entry's idempotency
-- key is unique, so that applying the same source twice posts it once; an entry is
-- reversed at most once.

CREATE TABLE ledger_entries (
    id                   {{.ID}},
    patient_id           BIGINT REFERENCES patients(id),  -- the account; NULL for PLB
    claim_id             BIGINT REFERENCES claims(id),
    line_id              BIGINT REFERENCES claim_lines(id),
    payer_id             BIGINT REFERENCES payers(id),
    billing_provider_id  BIGINT REFERENCES billing_providers(id),
    kind                 TEXT NOT NULL,
    bucket               TEXT NOT NULL CHECK (bucket IN ('insurance', 'patient', 'provider')),
    amount               BIGINT NOT NULL CHECK (amount <> 0), -- cents; positive is owed to us
    effective_on         {{.Date}} NOT NULL,
    reason               TEXT NOT NULL DEFAULT '',   -- CAS group-CARC, PLB code...
    source_kind          TEXT NOT NULL,              -- claim-payment, claim, plb, person...
    source_id            TEXT NOT NULL,
    idempotency_key      TEXT NOT NULL UNIQUE,
    reverses_entry_id    BIGINT REFERENCES ledger_entries(id),
    created_at           {{.Time}} NOT NULL
);
CREATE INDEX ledger_entries_claim ON ledger_entries (claim_id, line_id);
CREATE INDEX ledger_entries_patient ON ledger_entries (patient_id);
CREATE INDEX ledger_entries_payer ON ledger_entries (payer_id);
CREATE UNIQUE INDEX ledger_entries_reverses ON ledger_entries (reverses_entry_id)
    WHERE reverses_entry_id IS NOT NULL;
