package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/claimflow/claimflow/billing"
)

// BillingProvider is a billing provider (837P 2000A PRV*BI, 2010AA), keyed on its NPI.
type BillingProvider struct {
	ID int64
	billing.Provider
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Provider is a rendering, referring or supervising provider or a service facility,
// keyed on its NPI.
type Provider struct {
	ID int64
	billing.Provider
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UpsertBillingProvider stores a billing provider, or updates the one with its NPI,
// and returns its id.
func (c *Conn) UpsertBillingProvider(ctx context.Context, p billing.Provider) (int64, error) {
	if p.NPI == "" {
		return 0, fmt.Errorf("storing billing provider: %w: no NPI", ErrInvalid)
	}
	details, err := jsonArg(p)
	if err != nil {
		return 0, err
	}
	var id int64
	err = c.inTx(ctx, func(w *Conn) error {
		now := w.st.now()
		var ok bool
		id, ok, err = w.insertID(ctx, `INSERT INTO billing_providers (npi, name, tax_id, taxonomy, details, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (npi) DO UPDATE SET name = excluded.name, tax_id = excluded.tax_id,
				taxonomy = excluded.taxonomy, details = excluded.details, updated_at = excluded.updated_at
			RETURNING id`, p.NPI, p.Name, p.TaxID, p.Taxonomy, details, now, now)
		if err == nil && !ok {
			err = fmt.Errorf("%w: no id returned", ErrNotFound)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storing billing provider %s: %w", p.NPI, err)
	}
	return id, nil
}

// BillingProvider returns the billing provider with the id.
func (c *Conn) BillingProvider(ctx context.Context, id int64) (BillingProvider, error) {
	return c.billingProvider(ctx, "id", id)
}

// BillingProviderByNPI returns the billing provider with the NPI.
func (c *Conn) BillingProviderByNPI(ctx context.Context, npi string) (BillingProvider, error) {
	return c.billingProvider(ctx, "npi", npi)
}

func (c *Conn) billingProvider(ctx context.Context, col string, key any) (BillingProvider, error) {
	var p BillingProvider
	err := c.queryRow(ctx, "SELECT id, details, created_at, updated_at FROM billing_providers WHERE "+col+" = ?", key).
		Scan(&p.ID, jsonDest{&p.Provider}, timeDest{&p.CreatedAt}, timeDest{&p.UpdatedAt})
	if err != nil {
		return p, fmt.Errorf("reading billing provider: %w", notFound(err, "billing provider", key))
	}
	return p, nil
}

// UpsertProvider stores a provider, or updates the one with its NPI, and returns its id.
func (c *Conn) UpsertProvider(ctx context.Context, p billing.Provider) (int64, error) {
	if p.NPI == "" {
		return 0, fmt.Errorf("storing provider: %w: no NPI", ErrInvalid)
	}
	details, err := jsonArg(p)
	if err != nil {
		return 0, err
	}
	var id int64
	err = c.inTx(ctx, func(w *Conn) error {
		now := w.st.now()
		var ok bool
		id, ok, err = w.insertID(ctx, `INSERT INTO providers (npi, name, taxonomy, details, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (npi) DO UPDATE SET name = excluded.name, taxonomy = excluded.taxonomy,
				details = excluded.details, updated_at = excluded.updated_at
			RETURNING id`, p.NPI, p.Name, p.Taxonomy, details, now, now)
		if err == nil && !ok {
			err = fmt.Errorf("%w: no id returned", ErrNotFound)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storing provider %s: %w", p.NPI, err)
	}
	return id, nil
}

// Provider returns the provider with the id.
func (c *Conn) Provider(ctx context.Context, id int64) (Provider, error) {
	return c.provider(ctx, "id", id)
}

// ProviderByNPI returns the provider with the NPI.
func (c *Conn) ProviderByNPI(ctx context.Context, npi string) (Provider, error) {
	return c.provider(ctx, "npi", npi)
}

func (c *Conn) provider(ctx context.Context, col string, key any) (Provider, error) {
	var p Provider
	err := c.queryRow(ctx, "SELECT id, details, created_at, updated_at FROM providers WHERE "+col+" = ?", key).
		Scan(&p.ID, jsonDest{&p.Provider}, timeDest{&p.CreatedAt}, timeDest{&p.UpdatedAt})
	if err != nil {
		return p, fmt.Errorf("reading provider: %w", notFound(err, "provider", key))
	}
	return p, nil
}
