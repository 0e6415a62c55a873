-- Claims with their lines and the history of their states.

CREATE TABLE claims (
    id                   {{.ID}},
    pcn                  TEXT NOT NULL UNIQUE,  -- CLM01 patient control number
    patient_id           BIGINT REFERENCES patients(id),
    payer_id             BIGINT REFERENCES payers(id),  -- the payer billed now
    billing_provider_id  BIGINT REFERENCES billing_providers(id),
    state                TEXT NOT NULL,
    frequency            TEXT NOT NULL,         -- CLM05-3
    charge               BIGINT NOT NULL,       -- CLM02, cents
    service_from         {{.Date}},             -- first date of service of its lines
    service_to           {{.Date}},             -- last date of service
    first_billed_on      {{.Date}},             -- set when first transmitted
    payer_claim_number   TEXT NOT NULL DEFAULT '', -- the payer's ICN (277CA, 835 CLP07)
    claim                {{.JSON}} NOT NULL,    -- the normalized billing.Claim
    created_at           {{.Time}} NOT NULL,
    updated_at           {{.Time}} NOT NULL
);
CREATE INDEX claims_state ON claims (state);
CREATE INDEX claims_patient ON claims (patient_id);
CREATE INDEX claims_payer ON claims (payer_id);

CREATE TABLE claim_lines (
    id              {{.ID}},
    claim_id        BIGINT NOT NULL REFERENCES claims(id),
    line_number     INTEGER NOT NULL,           -- LX01, 1-based: the order of the lines
    control_number  TEXT NOT NULL,              -- REF*6R
    procedure_code  TEXT NOT NULL,              -- SV101-2
    modifiers       TEXT NOT NULL DEFAULT '',   -- SV101-3..6, colon separated
    charge          BIGINT NOT NULL,            -- SV102, cents
    units           BIGINT NOT NULL,            -- SV104, thousandths
    service_from    {{.Date}},
    service_to      {{.Date}},
    UNIQUE (claim_id, control_number)
);

-- One row per state change: when, from what to what, what caused it (scrubber, ta1,
-- 999, 277ca-clearinghouse, 277ca-payer, 835, person, system), who, and the detail.
CREATE TABLE claim_events (
    id          {{.ID}},
    claim_id    BIGINT NOT NULL REFERENCES claims(id),
    at          {{.Time}} NOT NULL,
    from_state  TEXT NOT NULL,                  -- '' for the claim's creation
    to_state    TEXT NOT NULL,
    cause       TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    detail      {{.JSON}} NOT NULL
);
CREATE INDEX claim_events_claim ON claim_events (claim_id, id);
