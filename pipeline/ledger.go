package pipeline

import (
	"context"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/storage"
)

// TransferLedger returns a connectors.Ledger kept in the store (the transfer_uploads
// and transfer_downloads tables), shared by every process that uses the database:
// a file recorded as sent by one worker is not sent again by another, or after a
// crash.
func TransferLedger(st *storage.Store) connectors.Ledger {
	return &transferLedger{store: st, inTx: st.InTx}
}

// transferLedger is the store's ledger. The stages make one per transfer with hooks
// that write, in the transaction recording the transfer, what it means: submit marks
// the submission transmitted, fetch stores the inbound file and emits its work. So
// the record and its consequences happen together or not at all.
type transferLedger struct {
	store *storage.Store
	inTx  func(ctx context.Context, fn func(tx *storage.Tx) error) error
	// beforeUpload runs before an upload is recorded (the restart test's crash point).
	beforeUpload func()
	// beforeRecord, when set, runs after beforeUpload and before the recording
	// transaction: reads that need not hold the writer.
	beforeRecord func(ctx context.Context) error
	// onUpload and onDownload run in the recording transaction.
	onUpload   func(ctx context.Context, tx *storage.Tx, r connectors.Receipt) error
	onDownload func(ctx context.Context, tx *storage.Tx, d connectors.Download) error
}

// UploadedBefore implements connectors.Ledger.
func (l *transferLedger) UploadedBefore(ctx context.Context, account, name string) (connectors.Receipt, bool, error) {
	u, ok, err := l.store.UploadRecord(ctx, account, name)
	if err != nil || !ok {
		return connectors.Receipt{}, false, err
	}
	return connectors.Receipt{Name: u.Name, RemotePath: u.RemotePath, Bytes: u.Bytes, SHA256: u.SHA256, Time: u.UploadedAt}, true, nil
}

// RecordUpload implements connectors.Ledger.
func (l *transferLedger) RecordUpload(ctx context.Context, account string, r connectors.Receipt) error {
	if l.beforeUpload != nil {
		l.beforeUpload()
	}
	if l.beforeRecord != nil {
		if err := l.beforeRecord(ctx); err != nil {
			return err
		}
	}
	return l.inTx(ctx, func(tx *storage.Tx) error {
		if err := tx.RecordUpload(ctx, storage.Upload{Account: account, Name: r.Name, RemotePath: r.RemotePath,
			Bytes: r.Bytes, SHA256: r.SHA256, UploadedAt: r.Time}); err != nil {
			return err
		}
		if l.onUpload != nil {
			return l.onUpload(ctx, tx, r)
		}
		return nil
	})
}

// Seen implements connectors.Ledger.
func (l *transferLedger) Seen(ctx context.Context, account string, f connectors.RemoteFile) (connectors.Download, bool, error) {
	d, ok, err := l.store.DownloadRecord(ctx, account, f.Path, f.Size, f.ModTime)
	if err != nil || !ok {
		return connectors.Download{}, false, err
	}
	return connectors.Download{Remote: f, SHA256: d.SHA256, Stored: d.Stored, Time: d.FetchedAt}, true, nil
}

// RecordDownload implements connectors.Ledger.
func (l *transferLedger) RecordDownload(ctx context.Context, account string, d connectors.Download) error {
	return l.inTx(ctx, func(tx *storage.Tx) error {
		if err := tx.RecordDownload(ctx, storage.Download{Account: account, RemotePath: d.Remote.Path, Size: d.Remote.Size,
			ModTime: d.Remote.ModTime, Name: d.Remote.Name, SHA256: d.SHA256, Stored: d.Stored, FetchedAt: d.Time}); err != nil {
			return err
		}
		if l.onDownload != nil {
			return l.onDownload(ctx, tx, d)
		}
		return nil
	})
}
