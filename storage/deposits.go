package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// Deposit is money the bank received: an EFT (trace number from the ACH addenda's
// TRN segment) or a check (its number). It reconciles the remittance with the same
// TRN02 and total (BPR02).
type Deposit struct {
	ID              int64
	TraceNumber     string        // TRN02
	Amount          billing.Money // positive
	DepositedOn     billing.Date
	PayerIdentifier string // TRN03, when known
	Source          string // who or what entered it: "cli", a CSV file name
	CreatedAt       time.Time
}

// AddDeposit records a deposit and returns its id. The same trace number, amount
// and date again writes nothing and returns the first one's id with isNew false.
func (c *Conn) AddDeposit(ctx context.Context, d Deposit) (id int64, isNew bool, err error) {
	switch {
	case d.TraceNumber == "":
		return 0, false, fmt.Errorf("recording deposit: %w: no trace number", ErrInvalid)
	case d.Amount <= 0:
		return 0, false, fmt.Errorf("recording deposit %s: %w: amount must be positive", d.TraceNumber, ErrInvalid)
	case !d.DepositedOn.Valid():
		return 0, false, fmt.Errorf("recording deposit %s: %w: date", d.TraceNumber, ErrInvalid)
	}
	err = c.inTx(ctx, func(w *Conn) error {
		var err error
		id, isNew, err = w.insertID(ctx, `INSERT INTO deposits (trace_number, amount, deposited_on, payer_identifier, source, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trace_number, amount, deposited_on) DO NOTHING RETURNING id`,
			d.TraceNumber, int64(d.Amount), dateArg(d.DepositedOn), d.PayerIdentifier, d.Source, w.st.now())
		if err != nil || isNew {
			return err
		}
		return w.queryRow(ctx, "SELECT id FROM deposits WHERE trace_number = ? AND amount = ? AND deposited_on = ?",
			d.TraceNumber, int64(d.Amount), dateArg(d.DepositedOn)).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("recording deposit %s: %w", d.TraceNumber, err)
	}
	return id, isNew, nil
}

// UnreconciledRemittances returns up to limit remittances that moved money (BPR02
// above zero) and that no deposit matches by TRN02 and amount, oldest first, after
// afterID, without their claims.
func (c *Conn) UnreconciledRemittances(ctx context.Context, afterID int64, limit int) ([]Remittance, error) {
	rows, err := c.query(ctx, `SELECT r.id, r.remit_key, r.inbound_file_id, r.payer_id, r.payer_identifier, r.trace_number,
			r.handling, r.payment_method, r.total_paid, r.payment_date, r.production_date, r.payee_npi, r.received_at
		FROM remittances r
		WHERE r.total_paid > 0 AND r.id > ?
			AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.trace_number = r.trace_number AND d.amount = r.total_paid)
		ORDER BY r.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing unreconciled remittances: %w", err)
	}
	defer rows.Close()
	var list []Remittance
	for rows.Next() {
		var r Remittance
		if err := rows.Scan(&r.ID, &r.Key, idDest{&r.InboundFileID}, idDest{&r.PayerID}, &r.PayerIdentifier, &r.TraceNumber,
			&r.Handling, &r.PaymentMethod, &r.TotalPaid, dateDest{&r.PaymentDate}, dateDest{&r.ProductionDate}, &r.PayeeNPI,
			timeDest{&r.ReceivedAt}); err != nil {
			return nil, fmt.Errorf("listing unreconciled remittances: %w", err)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// UnmatchedDeposits returns up to limit deposits that no remittance matches by TRN02
// and amount (money without its 835), oldest first, after afterID.
func (c *Conn) UnmatchedDeposits(ctx context.Context, afterID int64, limit int) ([]Deposit, error) {
	rows, err := c.query(ctx, `SELECT d.id, d.trace_number, d.amount, d.deposited_on, d.payer_identifier, d.source, d.created_at
		FROM deposits d
		WHERE d.id > ? AND NOT EXISTS (SELECT 1 FROM remittances r WHERE r.trace_number = d.trace_number AND r.total_paid = d.amount)
		ORDER BY d.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing unmatched deposits: %w", err)
	}
	defer rows.Close()
	var list []Deposit
	for rows.Next() {
		var d Deposit
		if err := rows.Scan(&d.ID, &d.TraceNumber, &d.Amount, dateDest{&d.DepositedOn}, &d.PayerIdentifier, &d.Source,
			timeDest{&d.CreatedAt}); err != nil {
			return nil, fmt.Errorf("listing unmatched deposits: %w", err)
		}
		list = append(list, d)
	}
	return list, rows.Err()
}
