package remit

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// writers is how many groups are posted at once: Writers when set, else 3 on
// PostgreSQL (parsing and planning the next group, writing two) and 1 on SQLite,
// whose single writer would only make them queue.
func (p *Poster) writers() int {
	if p.Writers > 0 {
		return p.Writers
	}
	if p.Store != nil && p.Store.Driver() == storage.Postgres {
		return 3
	}
	return 1
}

// group is transaction sets posted in one database transaction, with the patient
// control numbers they pay.
type group struct {
	rems  []*x835.Remittance
	pcns  []string
	first string // ST02 of the first and last transaction sets, for errors
	last  string
}

// inFlight tracks the claims that groups being written pay, so that a group paying
// a claim an earlier group pays waits for it: the payments of one claim post in
// file order, and a reversal finds the payment it reverses.
type inFlight struct {
	mu   sync.Mutex
	cond *sync.Cond
	pcns map[string]int
	busy int   // groups being written
	err  error // the first failure: everything stops
}

func newInFlight() *inFlight {
	f := &inFlight{pcns: map[string]int{}}
	f.cond = sync.NewCond(&f.mu)
	return f
}

// claim waits until no group being written pays one of g's claims, then marks
// them as g's. With all set, it waits until no group is being written at all.
func (f *inFlight) claim(g *group, all bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.err == nil && f.conflicts(g, all) {
		f.cond.Wait()
	}
	if f.err != nil {
		return f.err
	}
	for _, pcn := range g.pcns {
		f.pcns[pcn]++
	}
	f.busy++
	return nil
}

func (f *inFlight) conflicts(g *group, all bool) bool {
	if all {
		return f.busy > 0
	}
	for _, pcn := range g.pcns {
		if f.pcns[pcn] > 0 {
			return true
		}
	}
	return false
}

// done releases g's claims; err, when set and the first, stops everything.
func (f *inFlight) done(g *group, err error) {
	f.mu.Lock()
	for _, pcn := range g.pcns {
		if f.pcns[pcn]--; f.pcns[pcn] == 0 {
			delete(f.pcns, pcn)
		}
	}
	f.busy--
	if err != nil && f.err == nil {
		f.err = err
	}
	f.cond.Broadcast()
	f.mu.Unlock()
}

// wait waits until no group is being written and returns the first failure.
func (f *inFlight) wait() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.busy > 0 {
		f.cond.Wait()
	}
	return f.err
}

// postAll posts the transaction sets of inbound file id read from r, in groups of
// up to GroupClaims claim payments (whole transaction sets), each group in its own
// database transaction, up to writers() groups at once while the next is parsed.
// A group waits for the groups before it that pay the same claims, and a group
// holding a reversal for all groups before it. On a failure nothing more is
// started; the groups committed stay, and posting the file again posts the rest.
func (p *Poster) postAll(ctx context.Context, id int64, r io.Reader) (Summary, error) {
	var (
		sum   Summary
		sumMu sync.Mutex
		wg    sync.WaitGroup
	)
	known := newLookups()
	flight := newInFlight()
	sem := make(chan struct{}, p.writers())
	write := func(g *group) {
		defer wg.Done()
		defer func() { <-sem }()
		s, err := p.postGroup(ctx, id, g.rems, known)
		if err != nil {
			err = fmt.Errorf("transaction sets %s to %s: %w", g.first, g.last, err)
		} else {
			sumMu.Lock()
			sum.add(s)
			sumMu.Unlock()
		}
		flight.done(g, err)
	}
	cur := &group{}
	claims := 0
	flush := func(afterAll bool) error {
		if len(cur.rems) == 0 {
			return nil
		}
		g := cur
		cur, claims = &group{}, 0
		if err := flight.claim(g, afterAll); err != nil {
			return err
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			flight.done(g, nil)
			return ctx.Err()
		}
		wg.Add(1)
		go write(g)
		return nil
	}
	reversal := false // cur holds a reversal: it waits for every group before it
	err := eachRemittance(x835.NewReader(r), func(rem *x835.Remittance) error {
		// A reversal reverses what is stored: what comes before it is written first.
		if hasReversal(rem) {
			if err := flush(reversal); err != nil {
				return err
			}
			reversal = true
		}
		if len(cur.rems) == 0 {
			cur.first = rem.Origin.ST02
		}
		cur.rems, cur.last = append(cur.rems, rem), rem.Origin.ST02
		for i := range rem.Claims {
			cur.pcns = append(cur.pcns, rem.Claims[i].PCN)
		}
		if claims += len(rem.Claims); claims >= p.groupClaims() {
			err := flush(reversal)
			reversal = false
			return err
		}
		return nil
	})
	if err == nil {
		err = flush(reversal)
	}
	wg.Wait()
	if werr := flight.wait(); werr != nil {
		return sum, werr // a writer's failure is the cause of any the reading saw
	}
	return sum, err
}
