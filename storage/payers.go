package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// Payer is an insurance company or plan, keyed on the payer id claims carry.
type Payer struct {
	ID int64
	// PayerID is the payer id of 2010BB NM109 (and 835 TRN03/N1*PR).
	PayerID string
	Name    string
	// Clearinghouse is the clearinghouse claims to this payer go through by default.
	Clearinghouse string
	// TimelyFilingDays is how many days after the date of service the payer accepts a
	// claim; 0 when unknown.
	TimelyFilingDays int
	Address          billing.Address
	// Routes are the payer's ids at each clearinghouse.
	Routes    []PayerRoute
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PayerRoute is how one clearinghouse knows a payer.
type PayerRoute struct {
	Clearinghouse string
	ExternalID    string // the payer id at that clearinghouse
	ReceiverID    string // ISA08/GS03, when it differs per payer
}

// payerDetails is what the details column holds.
type payerDetails struct {
	Address billing.Address `json:"address,omitzero"`
}

// UpsertPayer stores a payer, or updates the one with its payer id, replacing its
// routes, and returns its id.
func (c *Conn) UpsertPayer(ctx context.Context, p Payer) (int64, error) {
	if p.PayerID == "" || p.TimelyFilingDays < 0 {
		return 0, fmt.Errorf("storing payer: %w: no payer id or negative timely filing limit", ErrInvalid)
	}
	details, err := jsonArg(payerDetails{Address: p.Address})
	if err != nil {
		return 0, err
	}
	var id int64
	err = c.inTx(ctx, func(w *Conn) error {
		now := w.st.now()
		var err error
		id, _, err = w.insertID(ctx, `INSERT INTO payers (payer_id, name, clearinghouse, timely_filing_days, details, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (payer_id) DO UPDATE SET name = excluded.name, clearinghouse = excluded.clearinghouse,
				timely_filing_days = excluded.timely_filing_days, details = excluded.details, updated_at = excluded.updated_at
			RETURNING id`, p.PayerID, p.Name, p.Clearinghouse, p.TimelyFilingDays, details, now, now)
		if err != nil {
			return err
		}
		if _, err := w.exec(ctx, "DELETE FROM payer_routes WHERE payer_id = ?", id); err != nil {
			return err
		}
		for _, r := range p.Routes {
			if _, err := w.exec(ctx, "INSERT INTO payer_routes (payer_id, clearinghouse, external_id, receiver_id) VALUES (?, ?, ?, ?)",
				id, r.Clearinghouse, r.ExternalID, r.ReceiverID); err != nil {
				return classify(err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storing payer %s: %w", p.PayerID, err)
	}
	return id, nil
}

// Payer returns the payer with the id.
func (c *Conn) Payer(ctx context.Context, id int64) (Payer, error) {
	return c.payer(ctx, "SELECT %s FROM payers WHERE id = ?", id)
}

// PayerByPayerID returns the payer with the payer id (NM109).
func (c *Conn) PayerByPayerID(ctx context.Context, payerID string) (Payer, error) {
	return c.payer(ctx, "SELECT %s FROM payers WHERE payer_id = ?", payerID)
}

// PayerByRoute returns the payer a clearinghouse knows by externalID.
func (c *Conn) PayerByRoute(ctx context.Context, clearinghouse, externalID string) (Payer, error) {
	return c.payer(ctx, `SELECT %s FROM payers WHERE id =
		(SELECT payer_id FROM payer_routes WHERE clearinghouse = ? AND external_id = ?)`, clearinghouse, externalID)
}

func (c *Conn) payer(ctx context.Context, q string, args ...any) (Payer, error) {
	var p Payer
	var d payerDetails
	err := c.queryRow(ctx, fmt.Sprintf(q, "id, payer_id, name, clearinghouse, timely_filing_days, details, created_at, updated_at"), args...).
		Scan(&p.ID, &p.PayerID, &p.Name, &p.Clearinghouse, &p.TimelyFilingDays, jsonDest{&d}, timeDest{&p.CreatedAt}, timeDest{&p.UpdatedAt})
	if err != nil {
		return p, fmt.Errorf("reading payer: %w", notFound(err, "payer", args[len(args)-1]))
	}
	p.Address = d.Address
	rows, err := c.query(ctx, "SELECT clearinghouse, external_id, receiver_id FROM payer_routes WHERE payer_id = ? ORDER BY clearinghouse", p.ID)
	if err != nil {
		return p, fmt.Errorf("reading payer %s routes: %w", p.PayerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r PayerRoute
		if err := rows.Scan(&r.Clearinghouse, &r.ExternalID, &r.ReceiverID); err != nil {
			return p, fmt.Errorf("reading payer %s routes: %w", p.PayerID, err)
		}
		p.Routes = append(p.Routes, r)
	}
	return p, rows.Err()
}
