// Package local is a [connectors.Connector] over local directories: for development,
// for tests, and for clearinghouses reached by other means (a mounted share, a
// vendor's own transfer client). The layout's folders are taken below a root
// directory:
//
//	c, err := local.New("/srv/clearinghouse", layout)
//	receipt, err := c.Upload(ctx, "claims_837P_20260101.txt", f, size)
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/claimflow/claimflow/connectors"
)

// Connector keeps the remote side in directories. Its methods are safe for use by
// one goroutine at a time.
type Connector struct {
	root   string
	layout connectors.Layout
}

var _ connectors.Connector = (*Connector)(nil)

// New returns a connector whose layout folders are below root. The folders are
// created when missing.
func New(root string, layout connectors.Layout) (*Connector, error) {
	if err := layout.Validate(); err != nil {
		return nil, err
	}
	c := &Connector{root: root, layout: layout}
	dirs := []string{layout.UploadDir}
	for _, in := range layout.Inbound {
		dirs = append(dirs, in.Dir)
	}
	if layout.After == connectors.Archive {
		dirs = append(dirs, layout.ArchiveDir)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(c.fsPath(d), 0o750); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return c, nil
}

// fsPath maps a layout path (slash-separated, relative to the root unless absolute)
// to the file system.
func (c *Connector) fsPath(p string) string {
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.root, p)
}

// Upload implements [connectors.Connector]: the bytes go to the temporary name, are
// synced and size-checked, then linked to the final name (which fails rather than
// overwrite) and the temporary name removed.
func (c *Connector) Upload(ctx context.Context, name string, r io.Reader, size int64) (connectors.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return connectors.Receipt{}, err
	}
	if err := c.layout.CheckName(name); err != nil {
		return connectors.Receipt{}, err
	}
	if size < 0 {
		return connectors.Receipt{}, fmt.Errorf("uploading %s: negative size %d", name, size)
	}
	remote := path.Join(c.layout.UploadDir, name)
	final := c.fsPath(remote)
	rec := connectors.Receipt{Name: name, RemotePath: remote}
	if fi, err := os.Lstat(final); err == nil {
		if fi.Size() != size {
			return rec, fmt.Errorf("uploading %s: %s has %d bytes, ours %d: %w", name, remote, fi.Size(), size, connectors.ErrExists)
		}
		return earlier(ctx, rec, final, r, size)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return rec, fmt.Errorf("uploading %s: %w", name, err)
	}

	tmp := final + c.layout.TempSuffix
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if c.layout.TempSuffix == "" {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(tmp, flags, 0o640)
	if err != nil {
		return rec, fmt.Errorf("uploading %s: %w", name, err)
	}
	n, sum, err := connectors.CopyHashing(ctx, f, r)
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, expected %d", n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(tmp); err == nil && fi.Size() != size {
			err = fmt.Errorf("%s has %d bytes after writing, expected %d", tmp, fi.Size(), size)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return rec, fmt.Errorf("uploading %s: %w", name, err)
	}
	if c.layout.TempSuffix != "" {
		if err := os.Link(tmp, final); err != nil {
			os.Remove(tmp)
			if errors.Is(err, fs.ErrExist) {
				return rec, fmt.Errorf("uploading %s: %s appeared while uploading: %w", name, remote, connectors.ErrExists)
			}
			return rec, fmt.Errorf("uploading %s: renaming: %w", name, err)
		}
		if err := os.Remove(tmp); err != nil {
			return rec, fmt.Errorf("uploading %s: removing temporary file: %w", name, err)
		}
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return rec, fmt.Errorf("uploading %s: %w", name, err)
	}
	rec.Bytes, rec.SHA256, rec.Time = n, sum, time.Now().UTC()
	return rec, nil
}

// earlier completes the receipt of a file already in place at final: r is read
// (locally) for its size and sha256, nothing is written. The file counts as ours
// only when its content is: another of the same size is ErrExists.
func earlier(ctx context.Context, rec connectors.Receipt, final string, r io.Reader, size int64) (connectors.Receipt, error) {
	n, sum, err := connectors.CopyHashing(ctx, io.Discard, r)
	if err != nil {
		return rec, fmt.Errorf("uploading %s: %w", rec.Name, err)
	}
	if n != size {
		return rec, fmt.Errorf("uploading %s: read %d bytes, expected %d", rec.Name, n, size)
	}
	f, err := os.Open(final)
	if err != nil {
		return rec, fmt.Errorf("uploading %s: %w", rec.Name, err)
	}
	_, there, err := connectors.CopyHashing(ctx, io.Discard, f)
	f.Close()
	if err != nil {
		return rec, fmt.Errorf("uploading %s: reading the file in place: %w", rec.Name, err)
	}
	if there != sum {
		return rec, fmt.Errorf("uploading %s: %s holds other content of the same size: %w", rec.Name, rec.RemotePath, connectors.ErrExists)
	}
	rec.Bytes, rec.SHA256, rec.Time, rec.Earlier = n, sum, time.Now().UTC(), true
	return rec, nil
}

// List implements [connectors.Connector]. Hidden files and temporary names are left
// out.
func (c *Connector) List(ctx context.Context) ([]connectors.RemoteFile, error) {
	var files []connectors.RemoteFile
	for _, in := range c.layout.Inbound {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		got, err := c.listDir(in, in.Dir, in.Subdirs)
		if err != nil {
			return nil, err
		}
		files = append(files, got...)
	}
	slices.SortFunc(files, func(a, b connectors.RemoteFile) int { return strings.Compare(a.Path, b.Path) })
	return slices.CompactFunc(files, func(a, b connectors.RemoteFile) bool { return a.Path == b.Path }), nil
}

func (c *Connector) listDir(in connectors.Inbound, dir string, sub bool) ([]connectors.RemoteFile, error) {
	entries, err := os.ReadDir(c.fsPath(dir))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var files []connectors.RemoteFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || (c.layout.TempSuffix != "" && strings.HasSuffix(name, c.layout.TempSuffix)) {
			continue
		}
		p := path.Join(dir, name)
		if e.IsDir() {
			if sub {
				more, err := c.listDir(in, p, false)
				if err != nil {
					return nil, err
				}
				files = append(files, more...)
			}
			continue
		}
		if !e.Type().IsRegular() || !in.Matches(name) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
		files = append(files, connectors.RemoteFile{Path: p, Name: name, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
	}
	return files, nil
}

// inbound checks that f is in an inbound folder.
func (c *Connector) inbound(f connectors.RemoteFile) error {
	if !connectors.InInbound(c.layout, f.Path) {
		return fmt.Errorf("%s is not in an inbound folder: %w", f.Path, connectors.ErrNotAllowed)
	}
	return nil
}

// Fetch implements [connectors.Connector].
func (c *Connector) Fetch(ctx context.Context, f connectors.RemoteFile, w io.Writer) error {
	if err := c.inbound(f); err != nil {
		return err
	}
	src, err := os.Open(c.fsPath(f.Path))
	if err != nil {
		return fmt.Errorf("fetching %s: %w", f.Path, err)
	}
	defer src.Close()
	n, _, err := connectors.CopyHashing(ctx, w, src)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", f.Path, err)
	}
	if n != f.Size {
		return fmt.Errorf("fetching %s: read %d bytes, listed %d (changed since listed)", f.Path, n, f.Size)
	}
	return nil
}

// Done implements [connectors.Connector]. A file already gone counts as done.
func (c *Connector) Done(ctx context.Context, f connectors.RemoteFile) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.inbound(f); err != nil {
		return err
	}
	src := c.fsPath(f.Path)
	switch c.layout.After {
	case connectors.Delete:
		if err := os.Remove(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deleting %s: %w", f.Path, err)
		}
	case connectors.Archive:
		dst := c.fsPath(path.Join(c.layout.ArchiveDir, f.Name))
		if _, err := os.Lstat(dst); err == nil {
			// Clearinghouses reuse names (one per day, per type): keep both.
			dst += "." + strconv.FormatInt(f.ModTime.Unix(), 10)
		}
		if err := os.Rename(src, dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("archiving %s: %w", f.Path, err)
		}
		return syncDir(filepath.Dir(dst))
	}
	return nil
}

// Close implements [connectors.Connector]; there is nothing to release.
func (c *Connector) Close(context.Context) error { return nil }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
