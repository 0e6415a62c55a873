package acks

import (
	"testing"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x277ca"
)

// TestStatusField: the field a 277CA status points at. 479 (other carrier's payer
// id) names the other payer's coverage, written as 2320/2330B, not the billed one,
// whichever is billed; a status about the subscriber (IL) names the patient's
// field when the patient is the subscriber (2010BA then carries the patient, and
// the subscriber record is empty).
func TestStatusField(t *testing.T) {
	t.Parallel()
	primary := billing.Coverage{Payer: billing.Payer{Name: "PRIMARY", ID: "P1"}, Relationship: billing.RelationshipSelf}
	secondary := billing.Coverage{Payer: billing.Payer{Name: "SECONDARY", ID: "P2"}, Relationship: billing.RelationshipSelf}
	adjudicated := primary
	adjudicated.Adjudication = &billing.OtherPayerAdjudication{PaidAmount: 50}
	spouse := billing.Coverage{Payer: billing.Payer{Name: "PRIMARY", ID: "P1"}, Relationship: billing.RelationshipSpouse,
		Subscriber: billing.Person{LastName: "DOE", FirstName: "JOHN"}}
	tests := []struct {
		name      string
		coverages []billing.Coverage
		status    x277ca.StatusCode
		want      billing.Path
	}{
		{"479 on a claim to the primary", []billing.Coverage{primary, secondary}, x277ca.StatusCode{Category: "A7", Code: "479", Entity: "PR"},
			"coverages[1].payer.id"},
		{"479 on a claim to the secondary", []billing.Coverage{adjudicated, secondary}, x277ca.StatusCode{Category: "A7", Code: "479", Entity: "PR"},
			"coverages[0].payer.id"},
		{"479 without another coverage", []billing.Coverage{primary}, x277ca.StatusCode{Category: "A7", Code: "479"}, ""},
		{"158:IL, the patient is the subscriber", []billing.Coverage{primary}, x277ca.StatusCode{Category: "A7", Code: "158", Entity: "IL"},
			"patient.birth_date"},
		{"158:IL, the spouse is the subscriber", []billing.Coverage{spouse}, x277ca.StatusCode{Category: "A7", Code: "158", Entity: "IL"},
			"coverages[0].subscriber.birth_date"},
		{"158:IL on a claim to the secondary", []billing.Coverage{adjudicated, secondary}, x277ca.StatusCode{Category: "A7", Code: "158", Entity: "IL"},
			"patient.birth_date"},
		{"158:QC", []billing.Coverage{spouse}, x277ca.StatusCode{Category: "A7", Code: "158", Entity: "QC"}, "patient.birth_date"},
	}
	for _, tc := range tests {
		c := &billing.Claim{Coverages: tc.coverages}
		if got := statusField(c, tc.status, -1); got != tc.want {
			t.Errorf("%s: field %q, want %q", tc.name, got, tc.want)
		}
	}
}
