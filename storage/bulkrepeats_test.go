package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestPostClaimPaymentsRepeatedKeys posts, on both drivers, batches whose
// payments repeat an entry key among themselves: on a Store (PostgreSQL: copied
// optimistically) and in a caller's transaction (copied under a savepoint), first
// delivery and again. The key is posted once, with the first payment's entry, and
// posting the batch again writes nothing.
func TestPostClaimPaymentsRepeatedKeys(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := context.Background()
		r := postedRows(t, st)
		batch := func(tag string) []storage.PaymentPosting {
			entry := func(key string, amount billing.Money) storage.Entry {
				return storage.Entry{PatientID: r.patient, ClaimID: r.claim, LineID: r.line, PayerID: r.payer,
					Kind: storage.KindInsurancePayment, Bucket: storage.BucketInsurance, Amount: amount,
					EffectiveOn: billing.NewDate(2025, 2, 1), IdempotencyKey: tag + "/" + key}
			}
			var ps []storage.PaymentPosting
			for i := range 3 {
				ps = append(ps, storage.PaymentPosting{
					Payment: storage.ClaimPayment{RemittanceID: r.remittance, ClaimID: r.claim, Key: fmt.Sprintf("%s/cp%d", tag, i),
						PatientControlNumber: "REF1", Status: "1", Paid: 1},
					Entries: []storage.Entry{entry(fmt.Sprintf("own%d", i), -1), entry("shared", -7)},
				})
			}
			return ps
		}
		check := func(tag string) {
			t.Helper()
			var n int
			var total int64
			if err := st.DB().QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), COALESCE(sum(amount), 0) FROM ledger_entries
				WHERE idempotency_key LIKE '%s/%%'`, tag)).Scan(&n, &total); err != nil {
				t.Fatal(err)
			}
			if n != 4 || total != -10 {
				t.Fatalf("%s: %d entries summing to %d, want 4 summing to -10", tag, n, total)
			}
		}
		sum, err := st.PostClaimPayments(ctx, batch("store"))
		if err != nil || sum.Payments != 3 || sum.Entries != 4 {
			t.Fatalf("on a store: %+v %v", sum, err)
		}
		check("store")
		err = st.InTx(ctx, func(tx *storage.Tx) error {
			sum, err = tx.PostClaimPayments(ctx, batch("tx"))
			return err
		})
		if err != nil || sum.Payments != 3 || sum.Entries != 4 {
			t.Fatalf("in a transaction: %+v %v", sum, err)
		}
		check("tx")
		for _, tag := range []string{"store", "tx"} {
			if sum, err := st.PostClaimPayments(ctx, batch(tag)); err != nil || sum.Payments != 0 || sum.Entries != 0 {
				t.Fatalf("%s again: %+v %v", tag, sum, err)
			}
			check(tag)
		}
	})
}
