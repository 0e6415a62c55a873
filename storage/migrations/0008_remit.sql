-- Bank deposits (EFT and checks) for reassociating money with 835 remittances
-- (X12-GUIDE 6.11): a remittance is reconciled when a deposit carries its TRN02 and
-- its BPR02. Deposits come from the bank (ACH CCD+ addenda, check numbers), typed
-- in or imported from CSV.

CREATE TABLE deposits (
    id                {{.ID}},
    trace_number      TEXT NOT NULL,              -- TRN02: EFT trace or check number
    amount            BIGINT NOT NULL CHECK (amount > 0), -- cents
    deposited_on      {{.Date}} NOT NULL,
    payer_identifier  TEXT NOT NULL DEFAULT '',   -- TRN03 when the bank shows it
    source            TEXT NOT NULL DEFAULT '',   -- who or what entered it
    created_at        {{.Time}} NOT NULL,
    UNIQUE (trace_number, amount, deposited_on)
);
CREATE INDEX deposits_trace ON deposits (trace_number, amount);
CREATE INDEX remittances_trace_number ON remittances (trace_number, total_paid);
-- PLB03-2 references name claims by the payer's claim number (ClaimIDByReference).
CREATE INDEX claims_payer_claim_number ON claims (payer_claim_number);
