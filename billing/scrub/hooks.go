package scrub

import (
	"context"
	"sync"

	"github.com/claimflow/claimflow/billing"
)

// AuthorizationUsage tells how much of a prior authorization is left. Storage
// implements it from the claims already sent; MemoryAuthorizations holds them in
// memory.
type AuthorizationUsage interface {
	// Authorization returns the authorization number of payerID (2010BB NM109) with
	// what claims already sent have used of it, and false when it is not on file.
	Authorization(ctx context.Context, payerID, number string) (Authorization, bool, error)
}

// Authorization is a prior authorization a payer granted, and its use so far.
type Authorization struct {
	// Number is the authorization number (REF*G1).
	Number string
	// From and Through bound the dates of service it covers; zero means unbounded.
	From, Through billing.Date
	// Procedures lists the procedure codes it covers; empty covers any.
	Procedures []string
	// Visits is the number of visits (distinct dates of service) granted; 0 means
	// visits are not limited.
	Visits int
	// Units is the number of service units granted; 0 means units are not limited.
	Units billing.Quantity
	// UsedVisits and UsedUnits are what claims already sent have used.
	UsedVisits int
	UsedUnits  billing.Quantity
}

// SubmittedPCNs tells whether patient control numbers were already used by claims a
// payer accepted. Storage implements it; a claim rejected before adjudication does not
// count, since it is corrected and sent again under the same number.
type SubmittedPCNs interface {
	// Submitted reports, for each of pcns in order, whether it was already used.
	Submitted(ctx context.Context, pcns []string) ([]bool, error)
}

// MemoryAuthorizations is an AuthorizationUsage held in memory, safe for concurrent
// use: for tests, the demo and until storage keeps authorizations.
type MemoryAuthorizations struct {
	mu sync.RWMutex
	m  map[authKey]Authorization
}

type authKey struct{ payer, number string }

// NewMemoryAuthorizations returns an empty store.
func NewMemoryAuthorizations() *MemoryAuthorizations {
	return &MemoryAuthorizations{m: make(map[authKey]Authorization)}
}

// Put records or replaces an authorization of payerID.
func (m *MemoryAuthorizations) Put(payerID string, a Authorization) {
	a.Procedures = append([]string(nil), a.Procedures...)
	m.mu.Lock()
	m.m[authKey{payerID, a.Number}] = a
	m.mu.Unlock()
}

// Use adds visits and units to what has been used of an authorization; it reports
// false when the authorization is not on file.
func (m *MemoryAuthorizations) Use(payerID, number string, visits int, units billing.Quantity) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.m[authKey{payerID, number}]
	if !ok {
		return false
	}
	a.UsedVisits += visits
	a.UsedUnits += units
	m.m[authKey{payerID, number}] = a
	return true
}

// Authorization implements AuthorizationUsage.
func (m *MemoryAuthorizations) Authorization(_ context.Context, payerID, number string) (Authorization, bool, error) {
	m.mu.RLock()
	a, ok := m.m[authKey{payerID, number}]
	m.mu.RUnlock()
	return a, ok, nil
}
