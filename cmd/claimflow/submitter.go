package main

import (
	"github.com/spf13/pflag"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/edi/x837p"
)

// submitterFlags override, for one run, the configuration's submitter (837P loop
// 1000A): the commands that build 837P files take them.
type submitterFlags struct{ name, id, phone, email string }

func (s *submitterFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.name, "submitter-name", "", "submitter name (1000A NM103; default the configuration's submitter.name)")
	fl.StringVar(&s.id, "submitter-id", "", "submitter id (1000A NM109; ISA06 and GS02 when the profile sets none; default submitter.id)")
	fl.StringVar(&s.phone, "submitter-phone", "", "submitter EDI contact phone, ten digits (1000A PER; default submitter.phone)")
	fl.StringVar(&s.email, "submitter-email", "", "submitter EDI contact e-mail (1000A PER; default submitter.email)")
}

// party returns the submitter: each flag given wins over the configuration.
func (s *submitterFlags) party(fl *pflag.FlagSet, c config.Submitter) x837p.Party {
	pick := func(flag, v, cfg string) string {
		if fl.Changed(flag) {
			return v
		}
		return cfg
	}
	return x837p.Party{
		Name: pick("submitter-name", s.name, c.Name),
		ID:   pick("submitter-id", s.id, c.ID),
		Contact: billing.Contact{
			Phone: pick("submitter-phone", s.phone, c.Phone),
			Email: pick("submitter-email", s.email, c.Email),
		},
	}
}
