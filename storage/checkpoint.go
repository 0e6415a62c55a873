package storage

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// checkpointEvery is how often, at most, the checkpointer copies SQLite's WAL into
// the database file while transactions commit. Under load the stages write about
// 50 MB of WAL a second (12,000 frames of 4 KiB), so this is a few times the
// 8,192 frames SQLite's own automatic checkpoint was set to wait for: a page that
// changes in many commits between two checkpoints is copied once. (5 s ran no
// faster in a 30,000-claim demo.)
const checkpointEvery = 2 * time.Second

// restartFrames is the size of the log, in frames of 4 KiB (64 MiB), from which
// the checkpointer holds the writer for a moment so that the log can start over.
const restartFrames = 16384

// walLimit is the size in bytes the writer cuts SQLite's WAL file back to when the
// log starts over (journal_size_limit): the log's size at which the checkpointer
// has it start over.
const walLimit = restartFrames * 4096

// checkpointer copies SQLite's write-ahead log back into the database file on a
// connection of its own, beside the writer.
//
// SQLite's automatic checkpoint runs inside the commit of whichever transaction
// crosses its limit, so the one writer, which every stage queues for, stopped for
// it: a 100,000-claim demo spent 6 s of the writer's 68 s of CPU copying pages
// and syncing the file there. A PASSIVE checkpoint on another connection takes no
// writer's lock: it copies the frames no reader still needs while transactions go
// on, and the writer starts the log over once everything in it has been copied.
//
// Under steady load, though, everything in the log is never copied: the writer
// commits new frames while each checkpoint runs, so it never finds the log done
// and never starts it over, and the log grew for the whole run (935 MB at 30,000
// claims, several GB at 100,000), a file that then stays that big. So once the log
// holds restartFrames or more, the checkpointer copies what was committed during
// its first pass in a second one, holding the writer's turn (hold), which is short:
// the first pass copied the rest. The next transaction then starts the log over
// (unless a reader still reads from it; then a later one does).
type checkpointer struct {
	db     *sqlx.DB
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	begun  atomic.Int64 // checkpoints begun
	runs   atomic.Int64 // checkpoints run to the end
	frames atomic.Int64 // the last one's frames in the log
	copied atomic.Int64 // and of them copied into the database file
	held   atomic.Int64 // second passes run holding the writer's turn
	once   sync.Once
	// hold takes the writer's turn and returns its release; nil: never held.
	hold func(context.Context) (release func(), err error)
	// restart is restartFrames (tests set less).
	restart atomic.Int64
}

// startCheckpointer opens the checkpointer's connection with dsn (the database's
// pragmas, not read-only) and starts it; hold takes the writer's turn (nil: the
// log is never copied holding it).
func startCheckpointer(dsn string, hold func(context.Context) (func(), error)) (*checkpointer, error) {
	db, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{}), hold: hold}
	c.restart.Store(restartFrames)
	go c.run(ctx)
	return c, nil
}

// committed tells the checkpointer that a transaction wrote to the log. It never
// blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		if wait := checkpointEvery - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		if err := c.checkpoint(ctx); err != nil && ctx.Err() == nil {
			// Nothing is lost: the log keeps the frames, and the next checkpoint
			// (or the last connection's close) copies them.
			slog.Warn("checkpointing the SQLite log", "err", err)
		}
	}
}

// checkpoint runs one PASSIVE checkpoint.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	c.begun.Add(1)
	var busy, frames, copied int64
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return fmt.Errorf("PASSIVE checkpoint: %w", err)
	}
	if c.hold != nil && frames >= c.restart.Load() {
		release, err := c.hold(ctx)
		if err != nil {
			return err
		}
		err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		release()
		if err != nil {
			return fmt.Errorf("PASSIVE checkpoint holding the writer: %w", err)
		}
		c.held.Add(1)
	}
	c.frames.Store(frames)
	c.copied.Store(copied)
	c.runs.Add(1)
	return nil
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	var err error
	c.once.Do(func() {
		c.cancel()
		<-c.done
		err = c.db.Close()
	})
	return err
}
