// Package connectors moves files between claimflow and clearinghouses: 837P files out,
// TA1, 999, 277CA and 835 files (and the clearinghouses' own reports) back.
//
// A [Connector] is the small interface every transport implements: SFTP
// (connectors/sftp), two local directories (connectors/local) and the clearinghouse
// simulator. Where files go and what they are called is data, a [Layout] taken from a
// clearinghouse profile (connectors/profile). Exactly-once delivery is built on top
// with a [Ledger]:
//
//	receipt, err := connectors.Send(ctx, conn, ledger, "availity", name, file)
//	stored, err := connectors.Pull(ctx, conn, ledger, "availity", inboxDir)
//
// Errors are matched with errors.Is against the sentinels below: [ErrHostKey] and
// [ErrAuth] are never retried, [ErrTransient] is retried with backoff.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"
)

// Sentinel errors. Implementations wrap them with the operation and the host or path.
var (
	// ErrHostKey: the server's host key is unknown or differs from the pinned one.
	ErrHostKey = errors.New("host key not trusted")
	// ErrAuth: the server refused our credentials. Never retried.
	ErrAuth = errors.New("authentication refused")
	// ErrTransient: a network failure or a dropped connection; the operation may be
	// retried and may already have taken effect (see [Connector.Upload]).
	ErrTransient = errors.New("transient connection failure")
	// ErrNotAllowed: the profile or the server does not allow the operation (a file
	// name the profile rejects, deleting where deletion is not allowed, permission
	// denied on the server).
	ErrNotAllowed = errors.New("not allowed")
	// ErrExists: a different file already has the name we are uploading to. Remote
	// files are never overwritten.
	ErrExists = errors.New("a different file already has this name")
)

// Connector moves files to and from one clearinghouse account. Methods take the
// context first and honour its deadline; implementations may retry transient failures
// internally (an upload only when r is also an io.Seeker, a fetch only when w can be
// rewound, see [Rewinder]) and return an error wrapping [ErrTransient] when they give
// up. A Connector is used by one goroutine at a time.
type Connector interface {
	// Upload sends size bytes from r to the upload folder under name: to a temporary
	// name first, renamed to name once every byte is written and the size verified.
	// When the final name already holds the same content (an earlier attempt that
	// ended between the rename and its confirmation), nothing is sent and the
	// receipt says Earlier. A different file under the name, even of the same size,
	// gives [ErrExists]. Any error means the file must be treated as not sent.
	Upload(ctx context.Context, name string, r io.Reader, size int64) (Receipt, error)
	// List returns the files waiting in the inbound folders, sorted by path. It may
	// leave out a file that is still changing (being written), for a later call.
	List(ctx context.Context) ([]RemoteFile, error)
	// Fetch copies the remote file's bytes to w. It fails when the number of bytes
	// read differs from f.Size (the file changed since it was listed).
	Fetch(ctx context.Context, f RemoteFile, w io.Writer) error
	// Done disposes of a fetched remote file as the layout says: archive, delete or
	// keep (a no-op). Call it only after the bytes are stored locally. A file whose
	// size or mtime differ from f's is not the one fetched: it is left where it is,
	// for a later List to return.
	Done(ctx context.Context, f RemoteFile) error
	// Close releases the connection. It is idempotent.
	Close(ctx context.Context) error
}

// Rewinder is a writer that can be emptied and written again, like *os.File; Fetch
// retries into it after a transient failure.
type Rewinder interface {
	io.Writer
	io.Seeker
	Truncate(size int64) error
}

// Receipt says what an upload left on the server.
type Receipt struct {
	Name       string    `json:"name"`        // final file name
	RemotePath string    `json:"remote_path"` // upload folder + name
	Bytes      int64     `json:"bytes"`
	SHA256     string    `json:"sha256"` // hex, of the bytes read from r
	Time       time.Time `json:"time"`
	// Earlier is true when the file was already on the server under its final name
	// with the same content, from an earlier attempt, and nothing was sent now.
	Earlier bool `json:"earlier,omitempty"`
}

// RemoteFile is a file in an inbound folder.
type RemoteFile struct {
	Path    string    `json:"path"` // as Fetch and Done take it
	Name    string    `json:"name"` // base name, what profiles classify
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
}

// Disposal says what happens to a remote file once it is stored locally.
type Disposal string

// Disposals.
const (
	Keep    Disposal = "keep"    // leave it (Office Ally: keep a download ledger)
	Archive Disposal = "archive" // rename it into the archive folder
	Delete  Disposal = "delete"  // remove it
)

// Inbound is a folder to list for responses.
type Inbound struct {
	Dir string
	// Match, when set, selects the file names to list (Availity writes upload
	// notifications into its upload folder, among our own files).
	Match *regexp.Regexp
	// Subdirs lists the files one level down too (Claim.MD's optional TaxID
	// sub-folders).
	Subdirs bool
}

// Layout is where files go on the remote side and what may be done with them. It
// comes from a clearinghouse profile.
type Layout struct {
	UploadDir string
	// TempSuffix is appended to the name during upload (".part"); empty uploads
	// straight to the final name, for servers that do not allow renames.
	TempSuffix string
	// NamePattern, when set, is what upload names must match.
	NamePattern *regexp.Regexp
	Inbound     []Inbound
	ArchiveDir  string
	After       Disposal
}

// Validate checks that the layout can be used.
func (l Layout) Validate() error {
	if l.UploadDir == "" {
		return errors.New("layout: no upload folder")
	}
	if len(l.Inbound) == 0 {
		return errors.New("layout: no inbound folder")
	}
	for _, in := range l.Inbound {
		if in.Dir == "" {
			return errors.New("layout: inbound folder without a path")
		}
	}
	switch l.After {
	case Keep, "":
	case Delete:
	case Archive:
		if l.ArchiveDir == "" {
			return errors.New("layout: archive after download without an archive folder")
		}
	default:
		return fmt.Errorf("layout: unknown disposal %q (want keep, archive or delete)", l.After)
	}
	return nil
}

// CheckName returns an error wrapping [ErrNotAllowed] when name cannot be an upload
// file name under the layout: empty, a path, a dot name, or not matching NamePattern.
func (l Layout) CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("upload name %q: %w", name, ErrNotAllowed)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("upload name %q is a path: %w", name, ErrNotAllowed)
	case l.TempSuffix != "" && strings.HasSuffix(name, l.TempSuffix):
		return fmt.Errorf("upload name %q ends with the temporary suffix %q: %w", name, l.TempSuffix, ErrNotAllowed)
	case l.NamePattern != nil && !l.NamePattern.MatchString(name):
		return fmt.Errorf("upload name %q does not match %s: %w", name, l.NamePattern, ErrNotAllowed)
	}
	return nil
}

// Matches reports whether the inbound folder lists a file of this base name.
func (in Inbound) Matches(name string) bool {
	return in.Match == nil || in.Match.MatchString(name)
}

// InInbound reports whether p names a file that List may return: in one of the
// layout's inbound folders (or one level down where the folder has Subdirs) and
// matching the folder's Match. Fetch and Done touch nothing else.
func InInbound(l Layout, p string) bool {
	if p == "" || path.Clean(p) != p {
		return false
	}
	base, dir := path.Base(p), path.Dir(p)
	if base == "." || base == ".." || base == "/" {
		return false
	}
	for _, in := range l.Inbound {
		d := path.Clean(in.Dir)
		if (dir == d || (in.Subdirs && path.Dir(dir) == d && path.Base(dir) != "..")) && in.Matches(base) {
			return true
		}
	}
	return false
}
