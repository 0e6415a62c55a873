package storage

import (
	"context"
	"fmt"
	"slices"
)

// SummaryHistoryQueries returns the summary's queries on the history by state
// reached, and each as it was before claim_events_to_state became partial.
func SummaryHistoryQueries() (now, before []string) {
	rejected := slices.DeleteFunc(rejectedStates(), func(s ClaimState) bool { return s == StateHeld })
	return []string{summaryCleanQuery(), summaryFirstPassQuery()}, []string{
		`SELECT COUNT(DISTINCT claim_id) FROM claim_events WHERE to_state IN ` + inList(rejectedStates()),
		`SELECT COUNT(*) FROM (SELECT DISTINCT claim_id FROM submission_claims) sc
			WHERE (EXISTS (SELECT 1 FROM claim_events ev WHERE ev.claim_id = sc.claim_id AND ev.to_state = 'payer-accepted')
				OR EXISTS (SELECT 1 FROM claim_payments cp WHERE cp.claim_id = sc.claim_id))
			AND NOT EXISTS (SELECT 1 FROM claim_events ev WHERE ev.claim_id = sc.claim_id AND ev.to_state IN ` + inList(rejected) + `)`,
	}
}

// QueryLastColumn runs the statements of setup, then q, in one transaction, and
// returns the last column of each row of q as text.
func (s *Store) QueryLastColumn(ctx context.Context, q string, setup ...string) ([]string, error) {
	var out []string
	err := s.InTx(ctx, func(tx *Tx) error {
		out = out[:0]
		for _, st := range setup {
			if _, err := tx.exec(ctx, st); err != nil {
				return err
			}
		}
		rows, err := tx.query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			for i := range vals {
				vals[i] = new(any)
			}
			if err := rows.Scan(vals...); err != nil {
				return err
			}
			v := *vals[len(vals)-1].(*any)
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			out = append(out, fmt.Sprint(v))
		}
		return rows.Err()
	})
	return out, err
}
