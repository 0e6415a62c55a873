-- Placeholder on branch helper-c for helper B's migration 0012 (claim documents),
-- so that 0013 follows without a gap here: take helper B's file when merging.
SELECT 1;
