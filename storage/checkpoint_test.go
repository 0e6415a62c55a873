package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The writer leaves the WAL to the checkpointer: its own automatic checkpoint is
// off, and what transactions commit reaches the database file without a close.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	st, err := Open(ctx, "sqlite://"+path, MigrateOnOpen())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)

	var auto int
	if err := st.db.GetContext(ctx, &auto, "PRAGMA wal_autocheckpoint"); err != nil {
		t.Fatal(err)
	}
	if auto != 0 {
		t.Errorf("the writer's wal_autocheckpoint is %d, want 0 (the checkpointer's job)", auto)
	}

	for i := range 20 {
		if err := st.InTx(ctx, func(tx *Tx) error { return insertAudit(ctx, tx, i) }); err != nil {
			t.Fatal(err)
		}
	}
	// A signal after the last commit: a checkpoint begins after it. Wait for one
	// that began after the commits, then for it to end.
	begun := st.ckpt.begun.Load()
	st.ckpt.committed()
	deadline := time.Now().Add(30 * time.Second)
	wait := func(what string, done func() bool) {
		for !done() {
			if time.Now().After(deadline) {
				t.Fatalf("%s within 30 s of the commits", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("no checkpoint began", func() bool { return st.ckpt.begun.Load() > begun })
	last := st.ckpt.begun.Load()
	wait("the checkpoint did not end", func() bool { return st.ckpt.runs.Load() >= last })
	if frames, copied := st.ckpt.frames.Load(), st.ckpt.copied.Load(); frames == 0 || copied != frames {
		t.Errorf("the checkpoint found %d frames in the log and copied %d; want all copied", frames, copied)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() <= 16384 {
		t.Errorf("database file is %d bytes after a checkpoint; the migrated schema is more than a page", fi.Size())
	}
}

// insertAudit writes an audit row of actor "test" about claim id, a row any test
// can write without setting up parties or claims.
func insertAudit(ctx context.Context, tx *Tx, id int) error {
	_, err := tx.exec(ctx, "INSERT INTO audit_log (at, actor, action, subject_kind, subject_id, fields) VALUES (?, ?, ?, ?, ?, ?)",
		time.Now().UTC(), "test", "change", "claim", id, "[]")
	return err
}
