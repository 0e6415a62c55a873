package simulator

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/pkg/sftp"
)

const osCreate = os.O_WRONLY | os.O_CREATE | os.O_TRUNC

// rootFS serves the root folder over SFTP through an os.Root, so that no path (with
// .., or through a symbolic link) reaches outside it. Rename never overwrites, as
// SFTP version 3 servers do; posix-rename does. Finished uploads are handed to the
// server.
type rootFS struct {
	s *Server
}

func (s *Server) handlers() sftp.Handlers {
	h := &rootFS{s: s}
	return sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h}
}

// clientError turns a local error into what the client is told, without local paths.
func clientError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fs.ErrNotExist
	case errors.Is(err, fs.ErrPermission):
		return sftp.ErrSSHFxPermissionDenied
	case errors.Is(err, fs.ErrExist):
		return sftp.ErrSSHFxFailure
	}
	return sftp.ErrSSHFxFailure
}

// Fileread implements sftp.FileReader.
func (h *rootFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, err := h.s.root.Open(rel(r.Filepath))
	if err != nil {
		return nil, clientError(err)
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		return nil, sftp.ErrSSHFxFailure
	}
	return f, nil
}

// Filewrite implements sftp.FileWriter.
func (h *rootFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	p := rel(r.Filepath)
	if p == "." {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	pf := r.Pflags()
	flag := os.O_WRONLY
	if pf.Read {
		flag = os.O_RDWR
	}
	if pf.Creat {
		flag |= os.O_CREATE
	}
	if pf.Trunc {
		flag |= os.O_TRUNC
	}
	if pf.Excl {
		flag |= os.O_EXCL
	}
	f, err := h.s.root.OpenFile(p, flag, 0o644)
	if err != nil {
		return nil, clientError(err)
	}
	return &upload{File: f, s: h.s, path: p}, nil
}

// upload is a file being written; closing it hands a finished upload (one written
// straight to its final name) to the server.
type upload struct {
	*os.File
	s    *Server
	path string
}

func (u *upload) Close() error {
	err := u.File.Close()
	if err == nil {
		u.s.arrived(u.path)
	}
	return clientError(err)
}

// Filecmd implements sftp.FileCmder.
func (h *rootFS) Filecmd(r *sftp.Request) error {
	root := h.s.root
	p := rel(r.Filepath)
	switch r.Method {
	case "Setstat":
		return h.setstat(r, p)
	case "Rename":
		return h.rename(p, rel(r.Target), false)
	case "Rmdir":
		if p == "." {
			return sftp.ErrSSHFxPermissionDenied
		}
		fi, err := root.Lstat(p)
		if err != nil {
			return clientError(err)
		}
		if !fi.IsDir() {
			return sftp.ErrSSHFxFailure
		}
		return clientError(root.Remove(p))
	case "Remove":
		fi, err := root.Lstat(p)
		if err != nil {
			return clientError(err)
		}
		if fi.IsDir() {
			return sftp.ErrSSHFxFailure
		}
		return clientError(root.Remove(p))
	case "Mkdir":
		return clientError(root.Mkdir(p, 0o755))
	}
	// Link, Symlink: links could lead out of the folders.
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename implements sftp.PosixRenameFileCmder: rename over an existing file.
func (h *rootFS) PosixRename(r *sftp.Request) error {
	return h.rename(rel(r.Filepath), rel(r.Target), true)
}

func (h *rootFS) rename(from, to string, overwrite bool) error {
	root := h.s.root
	if from == "." || to == "." {
		return sftp.ErrSSHFxPermissionDenied
	}
	fi, err := root.Lstat(from)
	if err != nil {
		return clientError(err)
	}
	switch {
	case overwrite:
		err = root.Rename(from, to)
	case fi.Mode().IsRegular():
		// A hard link fails when the target exists: rename without overwriting,
		// atomically.
		if err = root.Link(from, to); err == nil {
			err = root.Remove(from)
		}
	default:
		h.s.mu.Lock()
		if _, serr := root.Lstat(to); serr == nil {
			err = fs.ErrExist
		} else {
			err = root.Rename(from, to)
		}
		h.s.mu.Unlock()
	}
	if err != nil {
		return clientError(err)
	}
	if fi.Mode().IsRegular() {
		h.s.arrived(to)
	}
	return nil
}

func (h *rootFS) setstat(r *sftp.Request, p string) error {
	root := h.s.root
	attrs := r.Attributes()
	flags := r.AttrFlags()
	if flags.Size {
		f, err := root.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return clientError(err)
		}
		err = f.Truncate(int64(attrs.Size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return clientError(err)
		}
	}
	if flags.Acmodtime {
		if err := root.Chtimes(p, attrs.AccessTime(), attrs.ModTime()); err != nil {
			return clientError(err)
		}
	}
	return nil // permissions and owners are the server's
}

// Filelist implements sftp.FileLister.
func (h *rootFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	root := h.s.root
	p := rel(r.Filepath)
	switch r.Method {
	case "List":
		f, err := root.Open(p)
		if err != nil {
			return nil, clientError(err)
		}
		defer f.Close()
		entries, err := f.ReadDir(-1)
		if err != nil {
			return nil, clientError(err)
		}
		infos := make(listerAt, 0, len(entries))
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			infos = append(infos, fi)
		}
		return infos, nil
	case "Stat":
		fi, err := root.Stat(p)
		if err != nil {
			return nil, clientError(err)
		}
		return listerAt{named{fi, path.Base("/" + p)}}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// Lstat implements sftp.LstatFileLister.
func (h *rootFS) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	p := rel(r.Filepath)
	fi, err := h.s.root.Lstat(p)
	if err != nil {
		return nil, clientError(err)
	}
	return listerAt{named{fi, path.Base("/" + p)}}, nil
}

// named gives a file info the name the client asked for ("/" for the root).
type named struct {
	os.FileInfo
	name string
}

func (n named) Name() string { return n.name }

type listerAt []os.FileInfo

// ListAt implements sftp.ListerAt.
func (l listerAt) ListAt(dst []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[off:])
	if n < len(dst) {
		return n, io.EOF
	}
	return n, nil
}

// arrived is told of every file closed after writing or renamed: when it is a
// finished upload (directly in the upload folder, not a temporary name) and the
// simulator answers on its own, it is processed now, before the client hears that
// its rename (or close) succeeded.
func (s *Server) arrived(p string) {
	if !s.cfg.AutoRespond || path.Dir(p) != rel(s.layout.UploadDir) || !s.isUpload(path.Base(p)) {
		return
	}
	if _, err := s.processFile(p); err != nil {
		s.log.Warn("simulator could not process an upload", "upload", path.Base(p), "err", err)
	}
}
