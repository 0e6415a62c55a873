package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
	// Each chunk's claims are normalized and encoded before its transaction, so that
	// the writer is held for the writing only, and the next chunk's while this one
	// is written (on the other core when there is one).
	pre := prepareIntake(claims, 0, min(IntakeChunk, len(claims)))
	for start := 0; start < len(claims); start += IntakeChunk {
		end := min(start+IntakeChunk, len(claims))
		if pre.err != nil {
			return res, pre.err
		}
		var next chan preparedIntake
		if end < len(claims) {
			next = make(chan preparedIntake, 1)
			go func() { next <- prepareIntake(claims, end, min(end+IntakeChunk, len(claims))) }()
		}
		pcns := pre.pcns
		var existing []int
		err := env.InTx(ctx, func(tx *storage.Tx) error {
			existing = existing[:0]
			c := intakeCache{payers: map[string]int64{}, billing: map[string]int64{}, providers: map[string]bool{}}
			var ncs []storage.NewClaim
			var idx []int
			// The chunk's claims stored before, in one look-up.
			stored, err := tx.ClaimIDsByPCN(ctx, pcns)
			if err != nil {
				return fmt.Errorf("looking up claims %d-%d of the input: %w", start, end-1, err)
			}
			for i := start; i < end; i++ {
				nc := pre.claims[i-start]
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
			// The chunk's patients and their coverages, in a few statements.
			pids, err := tx.UpsertPatients(ctx, c.patients)
			if err != nil {
				return fmt.Errorf("storing the patients of claims %d-%d of the input: %w", start, end-1, err)
			}
			for k := range ncs {
				if p := c.patientOf[k]; p >= 0 {
					ncs[k].PatientID = pids[p]
				}
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
			if next != nil {
				<-next
			}
			return res, err
		}
		// Claims repeated within the call take the id of their first occurrence.
		for _, i := range existing {
			if res.IDs[i] == 0 {
				res.IDs[i] = res.IDs[seen[claims[i].PatientControlNumber]]
			}
		}
		res.Existing = append(res.Existing, existing...)
		if next != nil {
			pre = <-next
		}
	}
	env.Log().Info("claims taken in", "claims", len(claims), "new", res.New(), "existing", len(res.Existing), "actor", actor)
	return res, nil
}

// preparedIntake is a chunk of claims normalized and encoded, ready to store.
type preparedIntake struct {
	claims []storage.NewClaim
	pcns   []string
	err    error
}

// prepareIntake normalizes and encodes claims[start:end] (copies: Normalize may
// still fill in the lines' control numbers of the caller's claims).
func prepareIntake(claims []billing.Claim, start, end int) preparedIntake {
	p := preparedIntake{claims: make([]storage.NewClaim, end-start), pcns: make([]string, end-start)}
	for i := range p.claims {
		nc := &p.claims[i]
		*nc = storage.NewClaim{Claim: claims[start+i], State: storage.StateDraft}
		nc.Claim.Normalize()
		if err := nc.EncodeDocument(); err != nil {
			p.err = fmt.Errorf("taking in claim %d of the input: %w", start+i, err)
			return p
		}
		p.pcns[i] = nc.Claim.PatientControlNumber
	}
	return p
}

// intakeCache remembers the parties one chunk stored, so that the claims of one
// payer or provider store it once, and collects the chunk's patients, which are
// stored together before the claims (storage.Conn.UpsertPatients).
type intakeCache struct {
	payers    map[string]int64 // payer id -> row id
	billing   map[string]int64 // NPI -> billing provider id
	providers map[string]bool  // NPIs of the other providers stored
	// patients are the chunk's claims' patients, in the claims' order; patientOf[k]
	// is the index there of the k-th claim to insert's patient, -1 for none.
	patients  []storage.PatientCoverages
	patientOf []int
}

// parties stores the payers and providers of the claim to insert and links it to
// them, and adds its patient to c.patients (the caller links the claim to it).
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
	if cl.Patient.LastName == "" {
		c.patientOf = append(c.patientOf, -1)
		return nil
	}
	c.patientOf = append(c.patientOf, len(c.patients))
	c.patients = append(c.patients, storage.PatientCoverages{
		Patient:   storage.Patient{AccountNumber: PatientAccount(&cl.Patient), Person: cl.Patient},
		Coverages: covs,
	})
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
