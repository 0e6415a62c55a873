package storage

import (
	"context"
	"os"
	"testing"
	"time"
)

// The writer leaves the WAL to the checkpointer: its own automatic checkpoint is
// off, and what transactions commit reaches the database file without a close.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openTempSQLite(t)

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

// TestCheckpointerStartsTheLogOver: once the log holds the restart size, the
// checkpointer copies it a second time holding the writer's turn, and the next
// transaction starts the log over (the WAL header's checkpoint sequence moves on),
// instead of appending to it for as long as the writer stays busy.
func TestCheckpointerStartsTheLogOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openTempSQLite(t)
	c := st.ckpt
	c.restart.Store(8) // frames: a few transactions' worth

	seq := func() uint32 { // the WAL header's checkpoint sequence (bytes 12-15)
		b, err := os.ReadFile(path + "-wal")
		if err != nil || len(b) < 16 {
			t.Fatalf("reading the WAL header: %v (%d bytes)", err, len(b))
		}
		return uint32(b[12])<<24 | uint32(b[13])<<16 | uint32(b[14])<<8 | uint32(b[15])
	}
	write := func(n int) {
		for i := range n {
			if err := st.InTx(ctx, func(tx *Tx) error { return insertAudit(ctx, tx, i) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(20)
	before, held := seq(), c.held.Load()
	begun := c.begun.Load()
	c.committed()
	deadline := time.Now().Add(30 * time.Second)
	for c.begun.Load() <= begun || c.runs.Load() < c.begun.Load() {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint ran within 30 s of the commits")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.held.Load() <= held {
		t.Fatalf("the checkpoint of a log of %d frames (restart at %d) did not hold the writer", c.frames.Load(), c.restart.Load())
	}
	write(1)
	if after := seq(); after == before {
		t.Errorf("the log was not started over after a checkpoint holding the writer (checkpoint sequence %d)", after)
	}
}

// TestWALFileShrinks: the writer keeps journal_size_limit at walLimit, and when the
// log starts over it cuts the WAL file back to the limit instead of keeping it at
// its high-water mark (here with a limit of 64 KiB and a log of megabytes).
func TestWALFileShrinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openTempSQLite(t)
	c := st.ckpt

	var limit int
	if err := st.db.GetContext(ctx, &limit, "PRAGMA journal_size_limit"); err != nil {
		t.Fatal(err)
	}
	if limit != walLimit {
		t.Errorf("the writer's journal_size_limit is %d, want %d", limit, walLimit)
	}
	const small = 64 << 10
	if err := st.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "PRAGMA journal_size_limit = 65536")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	for i := range 400 {
		if err := st.InTx(ctx, func(tx *Tx) error { return insertAudit(ctx, tx, i) }); err != nil {
			t.Fatal(err)
		}
	}
	if before := size(); before < 1<<20 {
		t.Fatalf("the WAL holds %d bytes after 400 transactions: the test wants megabytes", before)
	}
	c.restart.Store(8)
	held := c.held.Load()
	c.committed()
	deadline := time.Now().Add(30 * time.Second)
	for c.held.Load() <= held {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint held the writer within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := st.InTx(ctx, func(tx *Tx) error { return insertAudit(ctx, tx, 1000) }); err != nil {
		t.Fatal(err)
	}
	if after := size(); after > small {
		t.Errorf("the WAL file holds %d bytes after the log started over, want at most %d", after, small)
	}
}
