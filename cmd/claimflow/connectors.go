package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claimflow/claimflow/connectors/connection"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/connectors/sftp"
	"github.com/spf13/cobra"
)

// connectorFlags are the flags shared by the connectors subcommands. Secrets are
// given as files, never as values.
type connectorFlags struct {
	dataDir, config              string
	host, user, keyFile          string
	passwordFile, passphraseFile string
	port                         int
	timeout                      time.Duration
}

func (f *connectorFlags) add(cmd *cobra.Command, conn bool) {
	cmd.Flags().StringVar(&f.dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")
	cmd.Flags().StringVar(&f.config, "config", "", "connections and profile overrides (default DATA-DIR/connections.yaml)")
	if !conn {
		return
	}
	cmd.Flags().StringVar(&f.host, "host", "", "server host (overrides the connection and profile)")
	cmd.Flags().IntVar(&f.port, "port", 0, "server port")
	cmd.Flags().StringVar(&f.user, "user", "", "SFTP user")
	cmd.Flags().StringVar(&f.keyFile, "key-file", "", "private key file (ed25519 or RSA)")
	cmd.Flags().StringVar(&f.passphraseFile, "passphrase-file", "", "file holding the key's passphrase")
	cmd.Flags().StringVar(&f.passwordFile, "password-file", "", "file holding the password")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up after this long")
}

func (f *connectorFlags) configPath() string {
	if f.config != "" {
		return f.config
	}
	return filepath.Join(f.dataDir, "connections.yaml")
}

func (f *connectorFlags) knownHosts() string { return filepath.Join(f.dataDir, "known_hosts") }

// connection finds NAME and applies the flags over it.
func (f *connectorFlags) connection(name string) (connection.Connection, error) {
	c, err := connection.Find(f.configPath(), name)
	if err != nil {
		return c, err
	}
	if f.host != "" {
		c.Host = f.host
	}
	if f.port != 0 {
		c.Port = f.port
	}
	if f.user != "" {
		c.User = f.user
	}
	if f.keyFile != "" {
		c.KeyFile = f.keyFile
	}
	if f.passphraseFile != "" {
		c.Passphrase = connection.Secret{File: f.passphraseFile}
	}
	if f.passwordFile != "" {
		c.Password = connection.Secret{File: f.passwordFile}
	}
	return c, nil
}

func newConnectorsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connectors",
		Short: "Clearinghouse connections: list profiles, pin host keys, test a connection",
		Long: `Connections to clearinghouses are configured in DATA-DIR/connections.yaml (see
connectors/README.md); the clearinghouse profiles (Availity, Office Ally, Claim.MD,
Stedi, generic) are built in and overridden under profiles: in the same file. A server
is trusted only once its host key is pinned with "connectors trust".`,
	}
	cmd.AddCommand(newConnectorsListCommand(), newConnectorsTrustCommand(), newConnectorsTestCommand())
	return cmd
}

func newConnectorsListCommand() *cobra.Command {
	var f connectorFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the clearinghouse profiles and the configured connections (secrets masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			profiles, err := profile.LoadAll(f.configPath())
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "profiles:")
			for _, p := range profiles {
				host := p.Host
				if host == "" {
					host = "(no host)"
				}
				fmt.Fprintf(out, "  %-12s %-30s ISA15=%s  %s [%s]  up %s  down %s [%s]  after download: %s\n",
					p.Name, p.Title, p.Usage, host, p.Fact("host"), p.Folders.Upload, p.Folders.Download, p.Fact("folders"), p.AfterDownload)
				if m := p.Missing(); len(m) > 0 {
					fmt.Fprintf(out, "  %-12s to set: %s\n", "", strings.Join(m, ", "))
				}
			}
			conns, err := connection.Load(f.configPath())
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "connections (%s):\n", f.configPath())
			if len(conns) == 0 {
				fmt.Fprintln(out, "  none")
			}
			keys, err := sftp.OpenHostKeys(f.knownHosts())
			if err != nil {
				return err
			}
			for _, c := range conns {
				rc, _, err := c.Resolve(f.configPath())
				if err != nil {
					fmt.Fprintf(out, "  %-12s error: %v\n", c.Name, err)
					continue
				}
				fmt.Fprintf(out, "  %-12s profile %s  %s\n", c.Name, rc.ProfileName(), describe(rc, keys))
			}
			return nil
		},
	}
	f.add(cmd, false)
	return cmd
}

// describe prints a connection without its secrets: where they are, not what.
func describe(c connection.Connection, keys *sftp.HostKeys) string {
	if c.Transport == "local" {
		return "local " + c.Root
	}
	addr := c.Host + ":" + strconv.Itoa(c.Port)
	s := fmt.Sprintf("sftp %s user %s", addr, orNone(c.User))
	if c.KeyFile != "" {
		s += " key " + c.KeyFile
		if !c.Passphrase.IsZero() {
			s += " (passphrase: " + c.Passphrase.String() + ")"
		}
	}
	if !c.Password.IsZero() {
		s += " password: " + c.Password.String()
	}
	pinned, _ := keys.Lookup(addr)
	if len(pinned) == 0 {
		s += "  host key NOT pinned"
	}
	for _, k := range pinned {
		s += "  host key " + sftp.Fingerprint(k)
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func newConnectorsTrustCommand() *cobra.Command {
	var f connectorFlags
	var yes bool
	cmd := &cobra.Command{
		Use:   "trust NAME",
		Short: "Show a clearinghouse server's host key fingerprint and pin it after confirmation",
		Long: `trust connects to the connection's server, shows the host key it presents (SHA256 and
MD5 fingerprints) and, once you confirm, pins it in DATA-DIR/known_hosts. Compare the
fingerprint with the one the clearinghouse publishes or tells you by another channel
before you answer. Without a terminal, pass --yes after checking the fingerprint.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connection(args[0])
			if err != nil {
				return err
			}
			c, _, err = c.Resolve(f.configPath())
			if err != nil {
				return err
			}
			if c.Transport == "local" {
				return fmt.Errorf("connection %s is local: there is no host key", c.Name)
			}
			if c.Host == "" {
				return fmt.Errorf("connection %s has no host: set it in %s or with --host", c.Name, f.configPath())
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			key, err := sftp.Scan(ctx, c.Host, c.Port, 30*time.Second)
			if err != nil {
				return err
			}
			keys, err := sftp.OpenHostKeys(f.knownHosts())
			if err != nil {
				return err
			}
			addr := c.Host + ":" + strconv.Itoa(c.Port)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s presents a %s host key\n  %s\n  %s\n", addr, key.Type(), sftp.Fingerprint(key), sftp.FingerprintMD5(key))
			pinned, err := keys.Lookup(addr)
			if err != nil {
				return err
			}
			for _, k := range pinned {
				if sftp.Fingerprint(k) == sftp.Fingerprint(key) {
					fmt.Fprintln(out, "already pinned")
					return nil
				}
			}
			for _, k := range pinned {
				fmt.Fprintf(out, "WARNING: the pinned key is different: %s. A changed key may mean someone is in the middle; confirm with the clearinghouse.\n", sftp.Fingerprint(k))
			}
			if !yes {
				ok, err := confirm(cmd.InOrStdin(), out, fmt.Sprintf("Pin this key for %s? [y/N] ", addr))
				if err != nil {
					return err
				}
				if !ok {
					return errors.New("not pinned")
				}
			}
			if err := keys.Pin(addr, key); err != nil {
				return err
			}
			fmt.Fprintf(out, "pinned in %s\n", keys.Path())
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().BoolVar(&yes, "yes", false, "pin without asking (check the fingerprint first)")
	return cmd
}

// confirm asks a yes/no question on a terminal; anything but y or yes is no.
func confirm(in io.Reader, out io.Writer, question string) (bool, error) {
	if f, ok := in.(*os.File); !ok || !connection.IsTerminal(f) {
		return false, errors.New("not a terminal: check the fingerprint, then run again with --yes")
	}
	fmt.Fprint(out, question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

func newConnectorsTestCommand() *cobra.Command {
	var f connectorFlags
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Connect, list the inbound folders and count the files by kind",
		Long: `test opens the connection as a run would (pinned host key, key or password), lists
the inbound folders and prints how many files wait there, by kind as the profile names
them. It changes nothing on the server.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connection(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			conn, p, err := connection.Open(ctx, c, connection.Env{ConfigPath: f.configPath(), KnownHosts: f.knownHosts(), Logger: log})
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			files, err := conn.List(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s: connected (profile %s, ISA15=%s); %d inbound files\n", c.Name, p.Name, p.Usage, len(files))
			counts := map[profile.Kind]int{}
			var bytes int64
			for _, file := range files {
				counts[p.KindByName(file.Name)]++
				bytes += file.Size
			}
			kinds := make([]string, 0, len(counts))
			for k := range counts {
				kinds = append(kinds, string(k))
			}
			sort.Strings(kinds)
			for _, k := range kinds {
				label := k
				if profile.Kind(k) == profile.KindX12 {
					label = "x12 (kind read from content when fetched)"
				}
				fmt.Fprintf(out, "  %5d  %s\n", counts[profile.Kind(k)], label)
			}
			if len(files) > 0 {
				fmt.Fprintf(out, "  %d bytes in all\n", bytes)
			}
			return nil
		},
	}
	f.add(cmd, true)
	return cmd
}
