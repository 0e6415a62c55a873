package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// IntakeChunk is how many claims intake stores per transaction, and so the most
// claim ids one scrub message carries.
const IntakeChunk = 500

// IntakeResult says what Intake did with each claim.
type IntakeResult struct {
	// IDs[i] is the id of claims[i]: new, or the claim stored before under its
	// patient control number.
	IDs []int64
	// Existing are the indexes of the claims whose patient control number was
	// stored already (before, or earlier in the same call): they were not stored
	// again, and not sent to the scrubber again.
	Existing []int
}

// New returns how many claims were stored.
func (r IntakeResult) New() int { return len(r.IDs) - len(r.Existing) }

// Intake stores claims (state draft) and sends them to the scrubber: the ids of
// each chunk of IntakeChunk claims go to the scrub stage in the transaction that
// stores them. It returns ids[i] for claims[i], new or stored before (see
// IntakeClaims, which also says which).
func Intake(ctx context.Context, env *Env, claims []billing.Claim, actor string) ([]int64, error) {
	r, err := IntakeClaims(ctx, env, claims, actor)
	return r.IDs, err
}

// IntakeClaims stores claims in state draft with the rows they refer to, and emits
// their ids to the scrub stage in the same transaction. For each claim it
//
//   - stores the billing provider (by NPI) and the rendering, referring,
//     supervising and facility providers that carry an NPI;
//   - stores each coverage's payer (by payer id) when it is not known yet, leaving
//     known payers (their clearinghouse and routes) as they are;
//   - stores the patient under an account number derived from who they are (see
//     PatientAccount), with the claim's coverages in order;
//   - links the claim to its patient, its billing provider and the payer it is
//     billed to (the first coverage without an adjudication).
//
// It is idempotent: a claim whose patient control number is stored already is not
// stored again (IntakeResult.Existing). Claims are normalized first. A claim the
// store refuses fails its chunk; chunks stored before stay stored, so running the
// same input again finishes the work.
func IntakeClaims(ctx context.Context, env *Env, claims []billing.Claim, actor string) (IntakeResult, error) {
	res := IntakeResult{IDs: make([]int64, len(claims))}
	if actor == "" {
		actor = "intake"
	}
	seen := map[string]int{} // PCN -> index of its first claim in this call
	for start := 0; start < len(claims); start += IntakeChunk {
		end := min(start+IntakeChunk, len(claims))
		// The chunk's claims are normalized and encoded before the transaction, so
		// that the writer is held for the writing only.
		pre := make([]storage.NewClaim, end-start)
		pcns := make([]string, end-start)
		for i := range pre {
			pre[i] = storage.NewClaim{Claim: claims[start+i], State: storage.StateDraft}
			pre[i].Claim.Normalize()
			if err := pre[i].EncodeDocument(); err != nil {
				return res, fmt.Errorf("taking in claim %d of the input: %w", start+i, err)
			}
			pcns[i] = pre[i].Claim.PatientControlNumber
		}
		var existing []int
		err := env.InTx(ctx, func(tx *storage.Tx) error {
			existing = existing[:0]
			c := intakeCache{payers: map[string]int64{}, billing: map[string]int64{}, providers: map[string]bool{},
				patients: map[string]patientSet{}}
			var ncs []storage.NewClaim
			var idx []int
			// The chunk's claims stored before, in one look-up.
			stored, err := tx.ClaimIDsByPCN(ctx, pcns)
			if err != nil {
				return fmt.Errorf("looking up claims %d-%d of the input: %w", start, end-1, err)
			}
			for i := start; i < end; i++ {
				nc := pre[i-start]
				pcn := nc.Claim.PatientControlNumber
				if j, dup := seen[pcn]; dup && j < i {
					existing = append(existing, i)
					continue
				}
				if id, ok := stored[pcn]; ok {
					res.IDs[i] = id
					existing = append(existing, i)
					seen[pcn] = i
					continue
				}
				if err := c.parties(ctx, tx, &nc); err != nil {
					return fmt.Errorf("storing the parties of claim %d of the input: %w", i, err)
				}
				ncs = append(ncs, nc)
				idx = append(idx, i)
				seen[pcn] = i
			}
			if len(ncs) == 0 {
				return nil
			}
			ids, err := tx.InsertClaims(ctx, ncs, storage.Event{Cause: storage.CauseSystem, Actor: actor,
				Detail: map[string]string{"stage": "intake"}})
			if err != nil {
				return fmt.Errorf("storing claims %d-%d of the input: %w", start, end-1, err)
			}
			for k, id := range ids {
				res.IDs[idx[k]] = id
			}
			return env.Emit(ctx, tx, bus.Scrub, ClaimWork{ClaimIDs: ids})
		})
		if err != nil {
			return res, err
		}
		// Claims repeated within the call take the id of their first occurrence.
		for _, i := range existing {
			if res.IDs[i] == 0 {
				res.IDs[i] = res.IDs[seen[claims[i].PatientControlNumber]]
			}
		}
		res.Existing = append(res.Existing, existing...)
	}
	env.Log().Info("claims taken in", "claims", len(claims), "new", res.New(), "existing", len(res.Existing), "actor", actor)
	return res, nil
}

// intakeCache remembers the parties one chunk stored, so that the claims of one
// patient, payer or provider store it once.
type intakeCache struct {
	payers    map[string]int64 // payer id -> row id
	billing   map[string]int64 // NPI -> billing provider id
	providers map[string]bool  // NPIs of the other providers stored
	patients  map[string]patientSet
}

// patientSet is a patient stored in the chunk, with what it was stored with.
type patientSet struct {
	id     int64
	person billing.Person
	covs   []storage.Coverage
}

// parties stores the parties of the claim to insert and links it to them.
func (c *intakeCache) parties(ctx context.Context, tx *storage.Tx, nc *storage.NewClaim) error {
	cl := &nc.Claim
	nc.PatientID, nc.PayerID, nc.BillingProviderID = 0, 0, 0
	if bp := cl.BillingProvider; bp.NPI != "" {
		id, ok := c.billing[bp.NPI]
		if !ok {
			var err error
			if id, err = tx.UpsertBillingProvider(ctx, bp); err != nil {
				return err
			}
			c.billing[bp.NPI] = id
		}
		nc.BillingProviderID = id
	}
	for _, p := range []*billing.Provider{cl.RenderingProvider, cl.ReferringProvider, cl.SupervisingProvider, cl.ServiceFacility} {
		if p != nil && p.NPI != "" && !c.providers[p.NPI] {
			if _, err := tx.UpsertProvider(ctx, *p); err != nil {
				return err
			}
			c.providers[p.NPI] = true
		}
	}
	covs := make([]storage.Coverage, 0, len(cl.Coverages))
	for i := range cl.Coverages {
		cv := &cl.Coverages[i]
		if cv.Payer.ID == "" {
			continue // the scrubber holds the claim for it
		}
		payerID, err := c.payer(ctx, tx, cv.Payer)
		if err != nil {
			return err
		}
		if nc.PayerID == 0 && cv.Adjudication == nil {
			nc.PayerID = payerID
		}
		covs = append(covs, storage.Coverage{PayerID: payerID, MemberID: cv.MemberID, GroupNumber: cv.GroupNumber,
			FilingIndicator: cv.FilingIndicator, Relationship: cv.Relationship, Subscriber: cv.Subscriber})
	}
	if cl.Patient.LastName != "" {
		account := PatientAccount(&cl.Patient)
		if seen, ok := c.patients[account]; ok && reflect.DeepEqual(seen.person, cl.Patient) && reflect.DeepEqual(seen.covs, covs) {
			nc.PatientID = seen.id
			return nil
		}
		pid, err := tx.UpsertPatient(ctx, storage.Patient{AccountNumber: account, Person: cl.Patient})
		if err != nil {
			return err
		}
		if err := tx.SetCoverages(ctx, pid, covs); err != nil {
			return err
		}
		c.patients[account] = patientSet{id: pid, person: cl.Patient, covs: covs}
		nc.PatientID = pid
	}
	return nil
}

// payer returns the row id of a payer, storing it when it is not known.
func (c *intakeCache) payer(ctx context.Context, tx *storage.Tx, p billing.Payer) (int64, error) {
	if id, ok := c.payers[p.ID]; ok {
		return id, nil
	}
	known, err := tx.PayerByPayerID(ctx, p.ID)
	var id int64
	switch {
	case err == nil:
		id = known.ID
	case errors.Is(err, storage.ErrNotFound):
		name := p.Name
		if name == "" {
			name = p.ID
		}
		if id, err = tx.UpsertPayer(ctx, storage.Payer{PayerID: p.ID, Name: name, Address: p.Address}); err != nil {
			return 0, err
		}
	default:
		return 0, err
	}
	c.payers[p.ID] = id
	return id, nil
}

// PatientAccount returns the account number intake files a patient under, since
// claims carry no account number of the practice's: "P" and 24 hex digits of a
// SHA-256 over the patient's last and first names, birth date and gender, so that
// the claims of one person share an account. It says nothing readable about the
// patient; treat it as an identifier all the same.
func PatientAccount(p *billing.Person) string {
	key := strings.Join([]string{"claimflow-patient", strings.ToUpper(strings.TrimSpace(p.LastName)),
		strings.ToUpper(strings.TrimSpace(p.FirstName)), p.BirthDate.String(), strings.ToUpper(p.Gender)}, "\x00")
	sum := sha256.Sum256([]byte(key))
	return "P" + hex.EncodeToString(sum[:12])
}
