package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/claimflow/claimflow/config"
	"github.com/claimflow/claimflow/storage"
	"github.com/spf13/cobra"
)

// databaseEnv names the variable that holds the database URL. Prefer it to
// --database: a password on a command line is visible to every user of the machine.
const databaseEnv = "CLAIMFLOW_DATABASE_URL"

// databaseFile is the embedded SQLite database's name in the data directory.
const databaseFile = "claimflow.db"

// databaseURL returns the database to use: --database, else $CLAIMFLOW_DATABASE_URL,
// else the SQLite file in the data directory.
func databaseURL(flag, dataDir string) string {
	switch {
	case flag != "":
		return flag
	case os.Getenv(databaseEnv) != "":
		return os.Getenv(databaseEnv)
	}
	return "sqlite://" + filepath.Join(dataDir, databaseFile)
}

// errPasswordFlag refuses a password on the command line, where other users see it
// (ps, shell history): secrets come from the environment or files.
var errPasswordFlag = fmt.Errorf("--database holds a password, which other users can see: give the URL in %s, or the password in PGPASSWORD or ~/.pgpass", databaseEnv)

// checkPasswordFlag returns errPasswordFlag when --database carries a password.
func checkPasswordFlag(flag string) error {
	if config.HasPassword(flag) {
		return errPasswordFlag
	}
	return nil
}

// openDatabase opens the database for a command that needs its schema current: it
// fails with storage.ErrSchemaOutdated, whose message says to run `claimflow
// migrate up`, when it is not.
func openDatabase(ctx context.Context, flag, dataDir string, opts ...storage.Option) (*storage.Store, error) {
	return storage.Open(ctx, databaseURL(flag, dataDir), opts...)
}

// commandStore opens the database a command's --database and --data-dir name,
// refusing a --database that holds a password, and returns the command's context
// (never nil) with it. Close the store when done.
func commandStore(cmd *cobra.Command, flag, dataDir string) (context.Context, *storage.Store, error) {
	if err := checkPasswordFlag(flag); err != nil {
		return nil, nil, err
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := openDatabase(ctx, flag, dataDir)
	return ctx, st, err
}

func newMigrateCommand() *cobra.Command {
	var database, dataDir string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Long: `The database is PostgreSQL (production) or an SQLite file (the embedded default).
Its schema is a series of numbered migrations built into claimflow; other commands refuse
to start on a database whose schema is behind and say to run "claimflow migrate up".

The database is, in order: --database, $CLAIMFLOW_DATABASE_URL, or the SQLite file
claimflow.db in the data directory ($CLAIMFLOW_DATA_DIR, ~/.claimflow, or --data-dir).
URLs look like postgres://user@host:5432/claimflow?sslmode=require or
sqlite:///var/lib/claimflow/claimflow.db. Keep passwords in $CLAIMFLOW_DATABASE_URL
(or PGPASSWORD, or ~/.pgpass), never on the command line.`,
	}
	cmd.PersistentFlags().StringVar(&database, "database", "", "database URL (default $"+databaseEnv+", else the SQLite file in the data directory)")
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDataDir(), "claimflow data directory ($CLAIMFLOW_DATA_DIR)")

	up := &cobra.Command{
		Use:   "up",
		Short: "Apply the pending migrations, each in its own transaction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPasswordFlag(database); err != nil {
				return err
			}
			dsn := databaseURL(database, dataDir)
			if isSQLite(dsn) {
				if err := os.MkdirAll(filepath.Dir(sqliteFile(dsn)), 0o750); err != nil {
					return fmt.Errorf("creating data directory: %w", err)
				}
			}
			ctx := cmd.Context()
			st, err := storage.Open(ctx, dsn, storage.SkipSchemaCheck())
			if err != nil {
				return err
			}
			defer st.Close(context.Background())
			status, err := st.SchemaStatus(ctx)
			if err != nil {
				return err
			}
			if len(status.Unknown) > 0 {
				return fmt.Errorf("%w: %s is at version %d, this claimflow knows up to %d: upgrade claimflow",
					storage.ErrSchemaTooNew, st, status.Current, status.Latest)
			}
			applied, err := st.MigrateUp(ctx)
			out := cmd.OutOrStdout()
			for _, m := range applied {
				fmt.Fprintf(out, "applied %04d_%s\n", m.Version, m.Name)
			}
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(out, "%s is up to date at version %d\n", st, status.Latest)
			} else {
				fmt.Fprintf(out, "%s is at version %d\n", st, status.Latest)
			}
			return nil
		},
	}

	status := &cobra.Command{
		Use:   "status",
		Short: "List the migrations and whether each is applied",
		Long: `status prints one line per migration with the time it was applied, or "pending".
Exit status: 0 when the schema is up to date, 1 when migrations are pending (or the
database is newer than this claimflow), 2 when the database cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPasswordFlag(database); err != nil {
				return err
			}
			dsn := databaseURL(database, dataDir)
			out := cmd.OutOrStdout()
			if isSQLite(dsn) {
				if _, err := os.Stat(sqliteFile(dsn)); errors.Is(err, os.ErrNotExist) {
					fmt.Fprintf(out, "no database at %s: run `claimflow migrate up` to create it\n", sqliteFile(dsn))
					return findings(len(storage.Migrations()))
				}
			}
			ctx := cmd.Context()
			st, err := storage.Open(ctx, dsn, storage.SkipSchemaCheck())
			if err != nil {
				return err
			}
			defer st.Close(context.Background())
			s, err := st.SchemaStatus(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "database %s (%s)\n", st, st.Driver())
			for _, m := range s.Migrations {
				state := "pending"
				if !m.AppliedAt.IsZero() {
					state = "applied " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
				}
				fmt.Fprintf(out, "%04d_%-14s %s\n", m.Version, m.Name, state)
			}
			for _, v := range s.Unknown {
				fmt.Fprintf(out, "%04d %-15s applied by a newer claimflow\n", v, "")
			}
			switch pending := len(s.Pending()); {
			case len(s.Unknown) > 0:
				fmt.Fprintf(out, "the database is newer than this claimflow (version %d, known up to %d): upgrade claimflow\n", s.Current, s.Latest)
				return findings(len(s.Unknown))
			case pending > 0:
				fmt.Fprintf(out, "%d pending: run `claimflow migrate up`\n", pending)
				return findings(pending)
			}
			fmt.Fprintf(out, "up to date at version %d\n", s.Latest)
			return nil
		},
	}
	cmd.AddCommand(up, status)
	return cmd
}

func isSQLite(dsn string) bool {
	return !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://")
}

// sqliteFile returns the path of an SQLite URL.
func sqliteFile(dsn string) string {
	p := strings.TrimPrefix(dsn, "sqlite://")
	if p == dsn {
		p = strings.TrimPrefix(dsn, "sqlite:")
	}
	return filepath.Clean(p)
}
