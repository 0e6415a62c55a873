-- What went to clearinghouses and what came back: submissions with the claims they
-- hold, inbound files kept byte for byte, acknowledgements.

CREATE TABLE submissions (
    id              {{.ID}},
    clearinghouse   TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    sha256          TEXT NOT NULL UNIQUE,
    isa13           TEXT NOT NULL,               -- interchange control number
    size            BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('created', 'transmitted', 'failed')),
    created_at      {{.Time}} NOT NULL,
    transmitted_at  {{.Time}},
    UNIQUE (clearinghouse, isa13)
);

-- Where each claim of a submission is: its group, transaction set, and the ordinals
-- (ST = 1) of its CLM and of each line's LX, so that a 999 finds the claim and field.
CREATE TABLE submission_claims (
    submission_id  BIGINT NOT NULL REFERENCES submissions(id),
    claim_id       BIGINT NOT NULL REFERENCES claims(id),
    gs06           TEXT NOT NULL,
    st02           TEXT NOT NULL,
    clm_ordinal    INTEGER NOT NULL,
    line_ordinals  {{.JSON}} NOT NULL,            -- [LX ordinal of line 1, ...]
    PRIMARY KEY (submission_id, claim_id)
);
CREATE INDEX submission_claims_st ON submission_claims (submission_id, gs06, st02);
CREATE INDEX submission_claims_claim ON submission_claims (claim_id);

CREATE TABLE inbound_files (
    id            {{.ID}},
    sha256        TEXT NOT NULL UNIQUE,
    source        TEXT NOT NULL,                  -- the clearinghouse or directory
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,                  -- ta1, 999, 277ca, 835 or unknown
    status        TEXT NOT NULL CHECK (status IN ('new', 'processed', 'quarantined')),
    reason        TEXT NOT NULL DEFAULT '',       -- why quarantined
    size          BIGINT NOT NULL,
    content       {{.Bytes}} NOT NULL,            -- the bytes received, unchanged
    received_at   {{.Time}} NOT NULL,
    processed_at  {{.Time}}
);
CREATE INDEX inbound_files_status ON inbound_files (status, id);

CREATE TABLE acknowledgements (
    id              {{.ID}},
    ack_key         TEXT NOT NULL UNIQUE,         -- idempotency: file hash + position
    inbound_file_id BIGINT REFERENCES inbound_files(id),
    kind            TEXT NOT NULL CHECK (kind IN ('ta1', '999', '277ca')),
    submission_id   BIGINT REFERENCES submissions(id),
    claim_id        BIGINT REFERENCES claims(id),
    isa13           TEXT NOT NULL DEFAULT '',
    gs06            TEXT NOT NULL DEFAULT '',
    st02            TEXT NOT NULL DEFAULT '',
    pcn             TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,                -- TA104, IK501/AK901, STC category:status
    codes           {{.JSON}} NOT NULL,           -- error or status codes
    detail          {{.JSON}} NOT NULL,
    received_at     {{.Time}} NOT NULL
);
CREATE INDEX acknowledgements_submission ON acknowledgements (submission_id);
CREATE INDEX acknowledgements_claim ON acknowledgements (claim_id);
