-- The claim history's index by state reached (0011) keeps only the states the
-- summary asks about: held, the four rejections and payer-accepted.
--
-- Every change of state writes a claim_events row, and each row had an entry in
-- claim_events_to_state, though the summary's clean-claim and first-pass rates
-- (storage/report.go) only ever look for those six states: about one move in nine
-- reaches one of them. The other entries cost a B-tree insertion per move, on
-- both engines, and were never read. The queries name the index's condition
-- (summaryIndexedStates in report.go, in this order) so that both engines see
-- that the index serves them; TestSummaryUsesPartialIndex checks that they do.
DROP INDEX claim_events_to_state;
CREATE INDEX claim_events_to_state ON claim_events (to_state, claim_id)
    WHERE to_state IN ('held', 'envelope-rejected', 'syntax-rejected', 'clearinghouse-rejected', 'payer-rejected', 'payer-accepted');
