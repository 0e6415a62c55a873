package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestPostClaimPaymentsPartlyPresent posts, on both drivers, in a caller's
// transaction and on a Store, a batch in which some payment keys and some entry
// keys are present already and the others new, with a row the transaction wrote
// before. Only the new payments, their services and the new entries are written,
// the payments present keep their ids, what the transaction wrote before stays,
// and the batch posted again writes nothing.
func TestPostClaimPaymentsPartlyPresent(t *testing.T) {
	t.Parallel()
	testenv.EachEngine(t, func(t *testing.T, st *storage.Store) {
		ctx := context.Background()
		r := postedRows(t, st)
		posting := func(tag string, i int) storage.PaymentPosting {
			return storage.PaymentPosting{
				Payment: storage.ClaimPayment{RemittanceID: r.remittance, ClaimID: r.claim, Key: fmt.Sprintf("%s/cp%d", tag, i),
					PatientControlNumber: "REF1", Status: "1", Charge: 300, Paid: billing.Money(10 + i),
					Services: []storage.ServicePayment{
						{LineID: r.line, ProcedureCode: "99213", Charge: 100, Paid: billing.Money(i)},
						{LineID: r.line2, ProcedureCode: "99214", Charge: 200, Paid: 10},
					}},
				Entries: []storage.Entry{{PatientID: r.patient, ClaimID: r.claim, LineID: r.line, PayerID: r.payer,
					Kind: storage.KindInsurancePayment, Bucket: storage.BucketInsurance, Amount: billing.Money(-10 - i),
					EffectiveOn: billing.NewDate(2025, 2, 1), IdempotencyKey: fmt.Sprintf("%s/e%d", tag, i)}},
			}
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := st.DB().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, where := range []string{"tx", "store"} {
			t.Run(where, func(t *testing.T) {
				tag := where
				post := func(ps []storage.PaymentPosting, before func(tx *storage.Tx) error) (storage.PostSummary, error) {
					if where == "store" {
						if before != nil {
							if err := st.InTx(ctx, before); err != nil {
								return storage.PostSummary{}, err
							}
						}
						return st.PostClaimPayments(ctx, ps)
					}
					var sum storage.PostSummary
					err := st.InTx(ctx, func(tx *storage.Tx) error {
						if before != nil {
							if err := before(tx); err != nil {
								return err
							}
						}
						var err error
						sum, err = tx.PostClaimPayments(ctx, ps)
						return err
					})
					return sum, err
				}
				first := []storage.PaymentPosting{posting(tag, 0), posting(tag, 1)}
				if sum, err := post(first, nil); err != nil || sum.Payments != 2 || sum.Entries != 2 {
					t.Fatalf("first batch: %+v %v", sum, err)
				}
				// Entry e3 is posted on its own before its payment comes.
				early := posting(tag, 3).Entries[0]
				early.SourceKind, early.SourceID = "test", "early"
				if _, err := st.Post(ctx, early); err != nil {
					t.Fatal(err)
				}
				// Present: payments 0 and 1 with their entries, entry e3. New: payments
				// 2 and 3, entry e2. A work item is written first in the same
				// transaction (on a Store: in one of its own, before).
				second := []storage.PaymentPosting{posting(tag, 2), posting(tag, 0), posting(tag, 3), posting(tag, 1)}
				sum, err := post(second, func(tx *storage.Tx) error {
					_, err := tx.AddWorkItems(ctx, []storage.WorkItem{{Kind: storage.WorkException, DedupKey: tag + "/before",
						Message: "written before the payments"}})
					return err
				})
				if err != nil || sum.Payments != 2 || sum.Entries != 1 {
					t.Fatalf("second batch: %+v %v, want 2 payments and 1 entry", sum, err)
				}
				for i, p := range second {
					if p.Payment.ID == 0 {
						t.Fatalf("posting %d has no payment id", i)
					}
				}
				if second[1].Payment.ID != first[0].Payment.ID || second[3].Payment.ID != first[1].Payment.ID {
					t.Errorf("payments present got ids %d and %d, want %d and %d", second[1].Payment.ID, second[3].Payment.ID,
						first[0].Payment.ID, first[1].Payment.ID)
				}
				if n := count("SELECT count(*) FROM claim_payments WHERE payment_key LIKE '" + tag + "/%'"); n != 4 {
					t.Errorf("%d claim payments, want 4", n)
				}
				for _, p := range append(first, second...) {
					if n := count(fmt.Sprintf("SELECT count(*) FROM service_payments WHERE claim_payment_id = %d", p.Payment.ID)); n != 2 {
						t.Errorf("payment %s (id %d) has %d service payments, want 2", p.Payment.Key, p.Payment.ID, n)
					}
				}
				if n := count("SELECT count(*) FROM ledger_entries WHERE idempotency_key LIKE '" + tag + "/%'"); n != 4 {
					t.Errorf("%d entries, want 4", n)
				}
				if n := count("SELECT count(*) FROM work_items WHERE dedup_key = '" + tag + "/before'"); n != 1 {
					t.Errorf("the work item written before the payments: %d rows, want 1", n)
				}
				// Everything present now: nothing written.
				if sum, err := post(second, nil); err != nil || sum.Payments != 0 || sum.Entries != 0 {
					t.Fatalf("again: %+v %v", sum, err)
				}
			})
		}
	})
}
