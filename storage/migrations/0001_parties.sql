-- Who bills, who treats, who pays and who is treated: billing providers, providers,
-- payers with their clearinghouse routes, patients, their coverages in order and the
-- authorizations their payers gave.

CREATE TABLE billing_providers (
    id          {{.ID}},
    npi         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    tax_id      TEXT NOT NULL DEFAULT '',
    taxonomy    TEXT NOT NULL DEFAULT '',
    details     {{.JSON}} NOT NULL,          -- the billing.Provider
    created_at  {{.Time}} NOT NULL,
    updated_at  {{.Time}} NOT NULL
);

CREATE TABLE providers (
    id          {{.ID}},
    npi         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    taxonomy    TEXT NOT NULL DEFAULT '',
    details     {{.JSON}} NOT NULL,          -- the billing.Provider
    created_at  {{.Time}} NOT NULL,
    updated_at  {{.Time}} NOT NULL
);

CREATE TABLE payers (
    id                  {{.ID}},
    payer_id            TEXT NOT NULL UNIQUE,  -- the payer id claims carry (2010BB NM109)
    name                TEXT NOT NULL,
    clearinghouse       TEXT NOT NULL DEFAULT '', -- the clearinghouse claims go through by default
    timely_filing_days  INTEGER NOT NULL DEFAULT 0 CHECK (timely_filing_days >= 0),
    details             {{.JSON}} NOT NULL,    -- the billing.Payer (name, address)
    created_at          {{.Time}} NOT NULL,
    updated_at          {{.Time}} NOT NULL
);

-- A payer's id and receiver at each clearinghouse it is reached through.
CREATE TABLE payer_routes (
    payer_id        BIGINT NOT NULL REFERENCES payers(id),
    clearinghouse   TEXT NOT NULL,
    external_id     TEXT NOT NULL,             -- the payer id at that clearinghouse
    receiver_id     TEXT NOT NULL DEFAULT '',  -- ISA08/GS03 when it differs per payer
    PRIMARY KEY (payer_id, clearinghouse)
);
CREATE UNIQUE INDEX payer_routes_external ON payer_routes (clearinghouse, external_id);

CREATE TABLE patients (
    id              {{.ID}},
    account_number  TEXT NOT NULL UNIQUE,
    last_name       TEXT NOT NULL,
    first_name      TEXT NOT NULL DEFAULT '',
    middle_name     TEXT NOT NULL DEFAULT '',
    suffix          TEXT NOT NULL DEFAULT '',
    birth_date      {{.Date}},
    gender          TEXT NOT NULL DEFAULT '',
    address         {{.JSON}} NOT NULL,
    created_at      {{.Time}} NOT NULL,
    updated_at      {{.Time}} NOT NULL
);
CREATE INDEX patients_name ON patients (last_name, first_name);

-- A patient's insurances in order: position 1 primary, 2 secondary, 3 tertiary...
CREATE TABLE coverages (
    id                {{.ID}},
    patient_id        BIGINT NOT NULL REFERENCES patients(id),
    position          INTEGER NOT NULL CHECK (position >= 1),
    payer_id          BIGINT NOT NULL REFERENCES payers(id),
    member_id         TEXT NOT NULL,
    group_number      TEXT NOT NULL DEFAULT '',
    filing_indicator  TEXT NOT NULL DEFAULT '',
    relationship      TEXT NOT NULL DEFAULT '18',
    subscriber        {{.JSON}} NOT NULL,      -- the billing.Person insured, {} when the patient
    effective_from    {{.Date}},
    effective_to      {{.Date}},
    UNIQUE (patient_id, position)
);

CREATE TABLE authorizations (
    id          {{.ID}},
    patient_id  BIGINT NOT NULL REFERENCES patients(id),
    payer_id    BIGINT NOT NULL REFERENCES payers(id),
    number      TEXT NOT NULL,                 -- 2300 REF*G1
    unit        TEXT NOT NULL CHECK (unit IN ('visits', 'units')),
    authorized  BIGINT NOT NULL CHECK (authorized >= 0),
    used        BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= authorized),
    valid_from  {{.Date}} NOT NULL,
    valid_to    {{.Date}} NOT NULL,
    procedures  {{.JSON}} NOT NULL,            -- procedure codes covered, [] for any
    created_at  {{.Time}} NOT NULL,
    UNIQUE (payer_id, number)
);
CREATE INDEX authorizations_patient ON authorizations (patient_id);
