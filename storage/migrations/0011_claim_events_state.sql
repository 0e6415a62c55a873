-- Claim histories by state reached.
--
-- The summary's clean-claim rate counts the claims that ever entered a held or
-- rejected state, and its first-pass rate asks of each submitted claim whether it
-- reached payer-accepted and whether it was ever rejected. Without an index on the
-- state reached, both read the whole history table (several rows per claim, each
-- with its JSON detail): at 50,000 claims they took most of the demo's final
-- report. With it they read index entries only.
CREATE INDEX claim_events_to_state ON claim_events (to_state, claim_id);
