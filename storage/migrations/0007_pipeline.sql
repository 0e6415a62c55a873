-- What the front half of the pipeline keeps: interchange control number sequences,
-- the bytes of each built 837P file, and the transfer ledger of uploads and
-- downloads that makes sending and fetching exactly-once across crashes.

-- One ISA13 sequence per clearinghouse and sender (ISA05:ISA06): the last number
-- handed out. Taken in the transaction that stores the submission, so a rolled-back
-- batch gives its number back and a committed one never hands it out again.
CREATE TABLE control_numbers (
    clearinghouse  TEXT NOT NULL,
    sender         TEXT NOT NULL,
    last           BIGINT NOT NULL CHECK (last >= 0 AND last <= 999999999),
    PRIMARY KEY (clearinghouse, sender)
);

-- The 837P file of a submission, byte for byte, as built and as uploaded.
CREATE TABLE submission_files (
    submission_id  BIGINT PRIMARY KEY REFERENCES submissions(id),
    content        {{.Bytes}} NOT NULL
);

-- Completed uploads per clearinghouse account, by final file name.
CREATE TABLE transfer_uploads (
    account      TEXT NOT NULL,
    name         TEXT NOT NULL,
    remote_path  TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    uploaded_at  {{.Time}} NOT NULL,
    recorded_at  {{.Time}} NOT NULL,
    PRIMARY KEY (account, name)
);

-- Stored downloads per clearinghouse account, by the remote file's path, size and
-- modification time (what the connector lists).
CREATE TABLE transfer_downloads (
    account      TEXT NOT NULL,
    remote_path  TEXT NOT NULL,
    size         BIGINT NOT NULL,
    mtime_ns     BIGINT NOT NULL,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    stored       TEXT NOT NULL,            -- the local path of the bytes
    fetched_at   {{.Time}} NOT NULL,
    recorded_at  {{.Time}} NOT NULL,
    PRIMARY KEY (account, remote_path, size, mtime_ns)
);

-- Batching looks for claims by state and payer; submissions not yet sent by status.
CREATE INDEX claims_state_payer ON claims (state, payer_id, id);
CREATE INDEX submissions_status ON submissions (clearinghouse, status, id);
