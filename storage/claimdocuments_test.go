package storage_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/storage"
)

// TestClaimDocumentsMigration stores a claim the way migration 0011 left the schema
// (its document in the claims row) and checks that after 0012 the claim reads back
// the same, and moves and edits as before.
func TestClaimDocumentsMigration(t *testing.T) {
	t.Parallel()
	for name, url := range map[string]func(testing.TB) string{"sqlite": testenv.SQLiteURL, "postgres": testenv.PostgresURL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, err := storage.Open(ctx, url(t), storage.SkipSchemaCheck())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close(ctx)
			if err := st.MigrateUpTo(ctx, 11); err != nil {
				t.Fatal(err)
			}
			cl := billing.Claim{PatientControlNumber: "MIG1", Charge: 12500,
				Lines:     []billing.Line{{ControlNumber: "L1", Charge: 12500, Procedure: billing.Procedure{Code: "99213"}}},
				Coverages: []billing.Coverage{{MemberID: "M123", Payer: billing.Payer{ID: "P1", Name: "PAYER ONE"}}}}
			doc, err := json.Marshal(cl)
			if err != nil {
				t.Fatal(err)
			}
			q := `INSERT INTO claims (pcn, state, frequency, charge, claim, created_at, updated_at)
				VALUES ('MIG1', 'validated', '1', 12500, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`
			if st.Driver() == storage.Postgres {
				q = `INSERT INTO claims (pcn, state, frequency, charge, claim, created_at, updated_at)
					VALUES ('MIG1', 'validated', '1', 12500, $1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`
			}
			if _, err := st.DB().ExecContext(ctx, q, string(doc)); err != nil {
				t.Fatal(err)
			}
			applied, err := st.MigrateUp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != len(storage.Migrations())-11 || applied[0].Name != "claim_documents" {
				t.Fatalf("applied %+v, want 0012_claim_documents and those after", applied)
			}
			got, err := st.ClaimByPCN(ctx, "MIG1")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Claim, cl) || got.State != storage.StateValidated {
				t.Fatalf("claim after migrating:\n got %+v (%s)\nwant %+v", got.Claim, got.State, cl)
			}
			if err := st.TransitionClaim(ctx, got.ID, storage.StateHeld, storage.Event{Cause: storage.CauseSystem}); err != nil {
				t.Fatal(err)
			}
			cl.Coverages[0].MemberID = "M124"
			if err := st.UpdateClaim(ctx, got.ID, cl, storage.Event{Cause: storage.CausePerson, Actor: "clerk"}); err != nil {
				t.Fatal(err)
			}
			again, err := st.Claim(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if again.Coverages[0].MemberID != "M124" || again.State != storage.StateHeld {
				t.Fatalf("claim after editing: member %s, state %s", again.Coverages[0].MemberID, again.State)
			}
		})
	}
}
