-- The claim's document (the normalized billing.Claim as JSON) in a table of its own.
--
-- A claim changes state five to seven times on its way (scrubbed, batched,
-- transmitted, acknowledged two or three times, paid), and each change rewrote its
-- whole row: about 2 KB with the document, which is written at intake and when a
-- person edits the claim or it is billed to the next payer, and never by a change of
-- state. On SQLite that was a page or more of the WAL per claim and change. Apart,
-- a change of state rewrites a row of about 150 bytes, and the readers that need
-- the claim's ids and state only (acknowledgements, uploads) no longer read past
-- its document.
--
-- claims_state_payer (0007) goes: no query reads claims by state and payer any
-- more (batching reads each state's claims in id order from claims_state), and it
-- was one more index entry to move at every change of state.
CREATE TABLE claim_documents (
    claim_id  {{if eq .Driver "postgres"}}BIGINT PRIMARY KEY{{else}}INTEGER PRIMARY KEY{{end}} REFERENCES claims(id),
    claim     {{.JSON}} NOT NULL
);
INSERT INTO claim_documents (claim_id, claim) SELECT id, claim FROM claims;
ALTER TABLE claims DROP COLUMN claim;
DROP INDEX claims_state_payer;
