package pipeline

import (
	"context"
	"fmt"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/storage"
)

// ClearinghousesFromConfig returns the clearinghouses the configuration declares,
// by name, each with its connection (from connections.yaml, env.ConfigPath: the
// connection of the same name, or the profile alone when there is none), its
// profile (the configuration's profile unless the connection names one), its
// schedules and alarms, and the store's transfer ledger. Connections are opened
// when a stage needs one (Clearinghouse.Open), not here; what cannot be resolved
// (an unknown profile, a bad connections.yaml) is an error now.
func ClearinghousesFromConfig(ctx context.Context, cfg *config.Config, store *storage.Store, env connection.Env) (map[string]*Clearinghouse, error) {
	out := make(map[string]*Clearinghouse, len(cfg.Clearinghouses))
	ledger := TransferLedger(store)
	conns, err := connection.Load(env.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("reading the clearinghouse connections: %w", err)
	}
	for _, c := range cfg.Clearinghouses {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		conn := connection.Connection{Name: c.Name}
		for _, cn := range conns {
			if cn.Name == c.Name {
				conn = cn
			}
		}
		if conn.Profile == "" && c.Profile != "" {
			conn.Profile = c.Profile
		}
		conn, p, err := conn.Resolve(env.ConfigPath)
		if err != nil {
			return nil, fmt.Errorf("clearinghouse %s: %w", c.Name, err)
		}
		resolved := conn
		out[c.Name] = &Clearinghouse{
			Name:    c.Name,
			Profile: p,
			Prefix:  conn.Prefix,
			Open: func(ctx context.Context) (connectors.Connector, error) {
				cn, _, err := connection.Open(ctx, resolved, env)
				if err != nil {
					return nil, fmt.Errorf("opening the connection to %s: %w", resolved.Name, err)
				}
				return cn, nil
			},
			Ledger:   ledger,
			Schedule: c.Schedule,
			Alarms:   c.Alarms,
		}
	}
	return out, nil
}
