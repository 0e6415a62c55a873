package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/edi/x835"
)

// state is what the simulator remembers: control numbers, the interchanges it has
// seen, the claims waiting for a stage and the payments it may reverse. It is kept in
// Config.StateFile (JSON) when one is given.
type state struct {
	LastISA13 uint64 `json:"last_isa13"` // the simulator's own interchanges
	LastClaim uint64 `json:"last_claim"` // REF*D9 clearinghouse claim numbers
	LastICN   uint64 `json:"last_icn"`   // payer claim control numbers
	LastTrace uint64 `json:"last_trace"` // 277CA receipt traces and 835 TRN02
	Runs      uint64 `json:"runs"`       // 835 runs

	// Seen maps sender and ISA13 of each accepted interchange to its upload.
	Seen map[string]string `json:"seen"`
	// Processed maps each processed upload's name to its sha256.
	Processed map[string]string `json:"processed"`

	Clearinghouse []*batch           `json:"clearinghouse"` // waiting for the clearinghouse 277CA
	Payer         []*batch           `json:"payer"`         // waiting for the payers' 277CAs
	Remit         []*pendingClaim    `json:"remit"`         // waiting for an 835
	Paid          []*payment         `json:"paid"`          // paid, may be reversed
	Deductible    map[string]int64   `json:"deductible"`    // member|year: amount applied
	Forward       map[string]forward `json:"forward"`       // partners|payer|payee: balance carried
}

// parties is the envelope of an upload: whom the answers go back to.
type parties struct {
	SenderQualifier   string `json:"isa05"`
	Sender            string `json:"isa06"`
	ReceiverQualifier string `json:"isa07"`
	Receiver          string `json:"isa08"`
	Test              bool   `json:"test"`
}

// key identifies the trading partner pair.
func (p parties) key() string {
	t := "P"
	if p.Test {
		t = "T"
	}
	return p.SenderQualifier + ":" + p.Sender + "|" + p.ReceiverQualifier + ":" + p.Receiver + "|" + t
}

// batch is the accepted claims of one upload, by 837 transaction set.
type batch struct {
	Upload   string     `json:"upload"`
	Base     string     `json:"base"` // the upload's name without its extension
	Parties  parties    `json:"parties"`
	Received time.Time  `json:"received"`
	Sets     []claimSet `json:"sets"`
}

func (b *batch) claims() int {
	n := 0
	for _, s := range b.Sets {
		n += len(s.Claims)
	}
	return n
}

// claimSet is the claims of one 837 transaction set.
type claimSet struct {
	BatchID   string        `json:"batch_id"` // BHT03
	Submitter entity        `json:"submitter"`
	Claims    []claimRecord `json:"claims"`
}

// entity is an NM1 of the 837: the submitter.
type entity struct {
	Type string `json:"type"`
	Name string `json:"name"`
	ID   string `json:"id"`
}

// claimRecord is a claim and the numbers it was given on the way.
type claimRecord struct {
	Claim           billing.Claim `json:"claim"`
	ClearinghouseID string        `json:"clearinghouse_id,omitempty"` // REF*D9
	ICN             string        `json:"icn,omitempty"`              // REF*1K, CLP07
}

// pendingClaim is a claim the payer accepted, waiting for its 835.
type pendingClaim struct {
	Parties  parties     `json:"parties"`
	Upload   string      `json:"upload"`
	Received time.Time   `json:"received"`
	Record   claimRecord `json:"record"`
}

// payment is a claim paid in an 835, which a later 835 may reverse.
type payment struct {
	Parties       parties           `json:"parties"`
	Payer         billing.Payer     `json:"payer"`
	Payee         billing.Provider  `json:"payee"`
	Claim         x835.ClaimPayment `json:"claim"`
	Deductible    int64             `json:"deductible"` // PR-1 applied
	DeductibleKey string            `json:"deductible_key"`
	Reversed      bool              `json:"reversed,omitempty"`
	Record        claimRecord       `json:"record"`
}

func newState() *state {
	return &state{
		Seen: map[string]string{}, Processed: map[string]string{},
		Deductible: map[string]int64{}, Forward: map[string]forward{},
	}
}

// loadState reads the state file, or starts afresh when there is none.
func loadState(path string) (*state, error) {
	st := newState()
	if path == "" {
		return st, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("reading state %s: %w", path, err)
	}
	for _, m := range []*map[string]string{&st.Seen, &st.Processed} {
		if *m == nil {
			*m = map[string]string{}
		}
	}
	if st.Deductible == nil {
		st.Deductible = map[string]int64{}
	}
	if st.Forward == nil {
		st.Forward = map[string]forward{}
	}
	return st, nil
}

// save writes the state file atomically, when there is one and it is not saved
// on close only. Called with s.mu held.
func (s *Server) save() error {
	if s.cfg.SaveOnClose {
		return nil
	}
	return s.saveState()
}

// saveState writes the state file atomically, when there is one. Called with s.mu
// held.
func (s *Server) saveState() error {
	path := s.cfg.StateFile
	if path == "" {
		return nil
	}
	data, err := json.Marshal(s.st)
	if err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("saving state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("saving state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}

// isaSequence hands out the simulator's ISA13 numbers from the state, wrapping after
// 999999999.
type isaSequence struct{ st *state }

func (q isaSequence) Next() (uint64, error) {
	q.st.LastISA13 = q.st.LastISA13%999999999 + 1
	return q.st.LastISA13, nil
}

// next increments a counter of the state and returns it.
func next(c *uint64) uint64 {
	*c++
	return *c
}
