-- 835 remittances: header, claim payments (CLP), service payments (SVC),
-- adjustments (CAS) and provider-level adjustments (PLB).

CREATE TABLE remittances (
    id               {{.ID}},
    remit_key        TEXT NOT NULL UNIQUE,       -- payer id + TRN02 + BPR16 + BPR02
    inbound_file_id  BIGINT REFERENCES inbound_files(id),
    payer_id         BIGINT REFERENCES payers(id),
    payer_identifier TEXT NOT NULL,              -- TRN03 / N1*PR id
    trace_number     TEXT NOT NULL,              -- TRN02 check or EFT trace number
    handling         TEXT NOT NULL DEFAULT '',   -- BPR01
    payment_method   TEXT NOT NULL DEFAULT '',   -- BPR04
    total_paid       BIGINT NOT NULL,            -- BPR02
    payment_date     {{.Date}},                  -- BPR16
    production_date  {{.Date}},                  -- DTM*405
    payee_npi        TEXT NOT NULL DEFAULT '',   -- N1*PE XX
    header           {{.JSON}} NOT NULL,         -- the rest of the header
    received_at      {{.Time}} NOT NULL
);
CREATE INDEX remittances_trace ON remittances (payer_identifier, trace_number);

CREATE TABLE claim_payments (
    id                      {{.ID}},
    remittance_id           BIGINT NOT NULL REFERENCES remittances(id),
    claim_id                BIGINT REFERENCES claims(id),  -- NULL while unmatched
    payment_key             TEXT NOT NULL UNIQUE, -- remit key + CLP01 + CLP07 + CLP02 + CLP04
    pcn                     TEXT NOT NULL,        -- CLP01
    status                  TEXT NOT NULL,        -- CLP02
    charge                  BIGINT NOT NULL,      -- CLP03
    paid                    BIGINT NOT NULL,      -- CLP04
    patient_responsibility  BIGINT NOT NULL,      -- CLP05
    filing_indicator        TEXT NOT NULL DEFAULT '', -- CLP06
    payer_claim_number      TEXT NOT NULL DEFAULT '', -- CLP07
    remark_codes            {{.JSON}} NOT NULL    -- MOA/MIA remark codes
);
CREATE INDEX claim_payments_remittance ON claim_payments (remittance_id);
CREATE INDEX claim_payments_claim ON claim_payments (claim_id);

CREATE TABLE service_payments (
    id                {{.ID}},
    claim_payment_id  BIGINT NOT NULL REFERENCES claim_payments(id),
    line_id           BIGINT REFERENCES claim_lines(id),  -- NULL while unmatched
    control_number    TEXT NOT NULL DEFAULT '',  -- REF*6R
    procedure_code    TEXT NOT NULL,             -- SVC01-2
    modifiers         TEXT NOT NULL DEFAULT '',
    charge            BIGINT NOT NULL,           -- SVC02
    paid              BIGINT NOT NULL,           -- SVC03
    units             BIGINT NOT NULL,           -- SVC05, thousandths
    service_date      {{.Date}},                 -- DTM*472
    remark_codes      {{.JSON}} NOT NULL         -- LQ*HE
);
CREATE INDEX service_payments_claim_payment ON service_payments (claim_payment_id);

CREATE TABLE payment_adjustments (
    id                  {{.ID}},
    claim_payment_id    BIGINT NOT NULL REFERENCES claim_payments(id),
    service_payment_id  BIGINT REFERENCES service_payments(id),  -- NULL at claim level
    group_code          TEXT NOT NULL,           -- CAS01: CO, PR, PI, OA
    reason              TEXT NOT NULL,           -- CAS02 CARC
    amount              BIGINT NOT NULL,         -- CAS03
    quantity            BIGINT NOT NULL DEFAULT 0 -- CAS04, thousandths
);
CREATE INDEX payment_adjustments_claim_payment ON payment_adjustments (claim_payment_id);

CREATE TABLE provider_adjustments (
    id             {{.ID}},
    remittance_id  BIGINT NOT NULL REFERENCES remittances(id),
    provider_id    TEXT NOT NULL,                -- PLB01
    fiscal_date    {{.Date}},                    -- PLB02
    reason         TEXT NOT NULL,                -- PLB03-1
    reference      TEXT NOT NULL DEFAULT '',     -- PLB03-2
    amount         BIGINT NOT NULL               -- PLB04: positive decreases the payment
);
CREATE INDEX provider_adjustments_remittance ON provider_adjustments (remittance_id);
