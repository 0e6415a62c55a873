package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

func init() {
	Register(bus.Fetch, func(env *Env) (bus.Handler, error) {
		return bus.HandlerFunc(func(ctx context.Context, m bus.Message) error {
			var w ClearinghouseWork
			if err := Decode(m, &w); err != nil {
				return err
			}
			release, ok := env.fetchTurn(w.Clearinghouse).take()
			if !ok {
				return nil // a fetch waiting for its turn lists the folders after this request came
			}
			defer release()
			_, err := Fetch(ctx, env, w.Clearinghouse)
			return err
		}), nil
	})
}

// FetchedFile is one file Fetch took from a clearinghouse.
type FetchedFile struct {
	InboundID     int64
	Clearinghouse string
	Name          string // the remote base name
	Size          int64
	SHA256        string
	// New is false when the same content was stored before (under another name or
	// from another folder): it is not classified again.
	New bool
}

// InboundDir is where fetched files are kept, below the data directory, as
// <sha256>.x12.
func (e *Env) InboundDir() string { return filepath.Join(e.DataDir, "inbound") }

// Fetch polls a clearinghouse's inbound folders with connectors.Pull through the
// store's transfer ledger, into Env.InboundDir. In the transaction that records
// each download it stores the file (storage.Conn.InsertInboundFileFrom: the bytes
// as received, streamed from the downloaded file in bounded memory) and emits its
// classify work; a file whose content is stored already (sha256) is recorded but
// not emitted again. Remote files are disposed of (kept,
// archived or deleted, as the profile says) only after that transaction commits.
//
// It returns the files stored in this run; a failure on one file does not stop the
// others (the errors are joined).
func Fetch(ctx context.Context, env *Env, clearinghouse string) ([]FetchedFile, error) {
	ch, err := env.Clearinghouse(clearinghouse)
	if err != nil {
		return nil, err
	}
	if env.DataDir == "" {
		return nil, Poison(fmt.Errorf("fetching from %s: no data directory to keep the files in", ch.Name))
	}
	conn, err := ch.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching from %s: connecting: %w", ch.Name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	stored := map[string]FetchedFile{} // by remote path; a retried transaction writes its entry again
	ledger := &transferLedger{
		store: env.Store,
		inTx:  env.InTx,
		onDownload: func(ctx context.Context, tx *storage.Tx, d connectors.Download) error {
			file, err := os.Open(d.Stored)
			if err != nil {
				return fmt.Errorf("reading %s fetched from %s: %w", d.Stored, ch.Name, err)
			}
			defer file.Close()
			info, err := file.Stat()
			if err != nil {
				return fmt.Errorf("reading %s fetched from %s: %w", d.Stored, ch.Name, err)
			}
			// Streamed from the file a megabyte at a time, with the SHA-256 the
			// connector computed of it (checked again as it is stored).
			id, isNew, err := tx.InsertInboundFileFrom(ctx, storage.InboundFile{Source: ch.Name, Name: d.Remote.Name, SHA256: d.SHA256}, file)
			if err != nil {
				return err
			}
			if isNew {
				if err := env.Emit(ctx, tx, bus.Classify, InboundWork{InboundID: id}); err != nil {
					return err
				}
			}
			stored[d.Remote.Path] = FetchedFile{InboundID: id, Clearinghouse: ch.Name, Name: d.Remote.Name,
				Size: info.Size(), SHA256: d.SHA256, New: isNew}
			return nil
		},
	}
	downloads, err := connectors.Pull(ctx, conn, ledger, ch.Name, env.InboundDir())
	var files []FetchedFile
	for _, d := range downloads {
		if f, ok := stored[d.Remote.Path]; ok {
			files = append(files, f)
		}
	}
	env.Log().Info("inbound files fetched", "clearinghouse", ch.Name, "files", len(files), "failed", err != nil)
	if err != nil {
		if errors.Is(err, connectors.ErrNotAllowed) {
			return files, Poison(fmt.Errorf("fetching from %s: %w", ch.Name, err))
		}
		return files, fmt.Errorf("fetching from %s: %w", ch.Name, err)
	}
	return files, nil
}
