package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/claimflow/claimflow/config"
	"github.com/spf13/cobra"
)

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check and describe the configuration",
		Long: `claimflow reads one YAML file (--config, else $CLAIMFLOW_CONFIG, else none: defaults)
and CLAIMFLOW_* environment variables over it. Secrets (the database URL, the NATS
password) come from the environment or from files (CLAIMFLOW_..._FILE, or key_file in
the YAML file), never from flags. "claimflow config options" lists every option.`,
	}
	var path string
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it, secrets hidden",
		Long: `check reads the configuration as claimflow would, reports every invalid value with
its option and where it came from (file and line, or variable), and exits 1 if there
is one. A valid configuration is printed as YAML with every option, secrets shown as
(set) or (not set), and a comment on each value that is not the default saying where
it came from.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if path == "" {
				path = os.Getenv(config.EnvConfig)
			}
			cfg, err := config.Load(path, os.Environ())
			stderr := cmd.ErrOrStderr()
			if err != nil {
				var es config.Errors
				if errors.As(err, &es) {
					for _, e := range es {
						fmt.Fprintln(stderr, "claimflow: config:", e)
					}
					return findings(len(es))
				}
				fmt.Fprintln(stderr, "claimflow: config:", err)
				return findings(1)
			}
			for _, w := range cfg.Warnings {
				fmt.Fprintln(stderr, "claimflow: config: warning:", w)
			}
			return cfg.Dump(cmd.OutOrStdout())
		},
	}
	check.Flags().StringVar(&path, "config", "", "configuration file (default $"+config.EnvConfig+")")

	options := &cobra.Command{
		Use:   "options",
		Short: "List every option: YAML key, variable, default, description",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "KEY\tVARIABLE\tDEFAULT\tDESCRIPTION")
			for _, o := range config.Options() {
				def := o.Default
				if def == "" {
					def = "-"
				}
				desc := o.Description
				if o.Secret {
					desc = "secret; also " + o.Env + "_FILE or " + o.Key[strings.LastIndex(o.Key, ".")+1:] + "_file. " + desc
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.Key, o.Env, def, desc)
			}
			return w.Flush()
		},
	}
	cmd.AddCommand(check, options)
	return cmd
}
