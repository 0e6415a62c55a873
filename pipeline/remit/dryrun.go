package remit

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/claimflow/claimflow/billing/posting"
	"github.com/claimflow/claimflow/edi/x835"
	"github.com/claimflow/claimflow/storage"
)

// DryRun does what PostInbound would do with a file, writing nothing: it checks the
// whole file (open is called once per pass), and returns why it would be
// quarantined; or it calls fn with the plan of each transaction set, matched against
// the stored claims. A plan's ID is 0; duplicate reports that the remittance is
// posted already (fn still gets what it held).
func (p *Poster) DryRun(ctx context.Context, open func() (io.ReadCloser, error), fn func(pl *Plan, duplicate bool) error) (string, error) {
	r, err := open()
	if err != nil {
		return "", err
	}
	reason, err := check(r)
	r.Close()
	if err != nil || reason != "" {
		return reason, err
	}
	if r, err = open(); err != nil {
		return "", err
	}
	defer r.Close()
	c := &p.Store.Conn
	known := newLookups()
	err = eachRemittance(x835.NewReader(r), func(rem *x835.Remittance) error {
		payerID, err := known.payer(ctx, c, rem)
		if err != nil {
			return err
		}
		dup := false
		if _, err := c.RemittanceByKey(ctx, posting.RemitKey(rem)); err == nil {
			dup = true
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		pl, err := makePlan(ctx, c, rem, 0, payerID, known, nil, false)
		if err != nil {
			return err
		}
		return fn(pl, dup)
	})
	if err != nil {
		return "", fmt.Errorf("planning the postings: %w", err)
	}
	return "", nil
}
