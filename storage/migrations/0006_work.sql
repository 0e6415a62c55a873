-- Work queues, the PHI audit log and the outbox.

CREATE TABLE work_items (
    id             {{.ID}},
    kind           TEXT NOT NULL,      -- rejection, denial, unmatched-remittance, exception, missing-ack
    dedup_key      TEXT UNIQUE,        -- so that the same problem is queued once
    claim_id       BIGINT REFERENCES claims(id),
    codes          {{.JSON}} NOT NULL, -- CARC/RARC, STC, IK codes, scrubber rules
    field          TEXT NOT NULL DEFAULT '',  -- the claim field to fix, as a billing.Path
    message        TEXT NOT NULL DEFAULT '',
    assignee       TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('open', 'in-progress', 'resolved', 'closed')),
    created_at     {{.Time}} NOT NULL,
    updated_at     {{.Time}} NOT NULL
);
CREATE INDEX work_items_queue ON work_items (kind, status, id);
CREATE INDEX work_items_claim ON work_items (claim_id);

CREATE TABLE work_item_notes (
    id            {{.ID}},
    work_item_id  BIGINT NOT NULL REFERENCES work_items(id),
    at            {{.Time}} NOT NULL,
    author        TEXT NOT NULL,
    text          TEXT NOT NULL
);
CREATE INDEX work_item_notes_item ON work_item_notes (work_item_id, id);

-- Who read or changed protected health information, and which fields. Never the
-- values themselves.
CREATE TABLE audit_log (
    id            {{.ID}},
    at            {{.Time}} NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('read', 'change')),
    subject_kind  TEXT NOT NULL,       -- patient, claim, remittance...
    subject_id    BIGINT NOT NULL,
    fields        {{.JSON}} NOT NULL,  -- the field names read or changed
    purpose       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_subject ON audit_log (subject_kind, subject_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- Events written in the same transaction as the change they announce; a relay
-- publishes them with Nats-Msg-Id set to the id and marks them published.
CREATE TABLE outbox (
    id            {{.ID}},
    subject       TEXT NOT NULL,
    payload       {{.Bytes}} NOT NULL,
    created_at    {{.Time}} NOT NULL,
    published_at  {{.Time}}
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
