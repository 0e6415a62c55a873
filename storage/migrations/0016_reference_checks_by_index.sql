-- The statement-level reference checks (0009, 0010, 0014) find the rows they name
-- by index on PostgreSQL, whatever the planner's costs say.
--
-- Each check looks up the distinct ids a statement's rows name, as one array:
-- posting a group of an 835 names about a thousand claims and two thousand claim
-- lines. With the default costs (random_page_cost 4), PostgreSQL priced that many
-- index probes above a sequential scan of tables of a few hundred thousand rows, and
-- read all of claim_lines and claims (in parallel, on two more processes) for every
-- group posted: 20 ms a scan in the remit benchmark, against 1 ms by the primary
-- keys. A reference check is a probe by key by its nature, so the functions turn
-- sequential scans off for their own statements (a table without a usable index
-- would still be scanned). SQLite keeps its foreign keys: nothing to change there.
{{if eq .Driver "postgres"}}
ALTER FUNCTION ledger_entries_check_references() SET enable_seqscan = off;
ALTER FUNCTION claim_payments_check_references() SET enable_seqscan = off;
ALTER FUNCTION service_payments_check_references() SET enable_seqscan = off;
ALTER FUNCTION claim_events_check_references() SET enable_seqscan = off;
{{else}}
SELECT 1;
{{end}}
