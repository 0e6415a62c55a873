package storagetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/claimflow/claimflow/storage"
)

var _ = register(
	test{"InboundContentSizes", testInboundContentSizes},
	test{"InboundFileFromReader", testInboundFileFromReader},
	test{"InboundFileOnce", testInboundFileOnce},
	test{"InboundFileRollback", testInboundFileRollback},
	test{"InboundFileStoredWhole", testInboundFileStoredWhole},
)

const mb = 1 << 20

// inboundBytes returns n bytes of every value, different for each seed.
func inboundBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + byte(i>>20) + seed
	}
	return b
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readInbound returns the content of the file as InboundContent reads it, checking
// the size it reports and that InboundFile loads the same bytes.
func readInbound(t *testing.T, st *storage.Store, id int64) []byte {
	t.Helper()
	ctx := t.Context()
	r, size, err := st.InboundContent(ctx, id)
	must(t, err)
	got, err := io.ReadAll(r)
	must(t, err)
	if size != int64(len(got)) {
		t.Fatalf("inbound file %d: size %d, read %d bytes", id, size, len(got))
	}
	whole := get[storage.InboundFile](t)(st.InboundFile(ctx, id))
	if !bytes.Equal(whole.Content, got) || whole.Size != size {
		t.Fatalf("inbound file %d: InboundFile gives %d bytes (size %d), InboundContent %d", id, len(whole.Content), whole.Size, len(got))
	}
	return got
}

// chunkCount returns how many rows of inbound_file_chunks the file has.
func chunkCount(t *testing.T, st *storage.Store, id int64) int {
	t.Helper()
	var n int
	must(t, st.DB().QueryRowContext(t.Context(), fmt.Sprintf("SELECT count(*) FROM inbound_file_chunks WHERE file_id = %d", id)).Scan(&n))
	return n
}

// allChunks returns how many rows inbound_file_chunks has.
func allChunks(t *testing.T, st *storage.Store) int {
	t.Helper()
	var n int
	must(t, st.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM inbound_file_chunks").Scan(&n))
	return n
}

// The same bytes come back whatever the size, around the chunk's megabyte, on each
// of the two ways in (bytes, a reader), kept a megabyte a row.
func testInboundContentSizes(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	for i, size := range []int{0, 1, 100, mb - 1, mb, mb + 1, 2 * mb, 3*mb + mb/2} {
		content := inboundBytes(size, byte(i))
		name := fmt.Sprintf("f%d.835", size)
		var id int64
		var isNew bool
		if i%2 == 0 {
			id, isNew = get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "sim", Name: name, Kind: "835", Content: content}))
		} else {
			id, isNew = get2(t)(st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: name, Kind: "835"}, bytes.NewReader(content)))
		}
		if !isNew {
			t.Fatalf("%d bytes: not new", size)
		}
		if got := readInbound(t, st, id); !bytes.Equal(got, content) {
			t.Fatalf("%d bytes stored, %d read back, equal %v", size, len(got), bytes.Equal(got, content))
		}
		info := get[storage.InboundFile](t)(st.InboundFileInfo(ctx, id))
		if info.Content != nil || info.Size != int64(size) || info.SHA256 != sha(content) || info.Name != name || info.Kind != "835" {
			t.Fatalf("%d bytes: info %+v", size, info)
		}
		if n, want := chunkCount(t, st, id), (size+mb-1)/mb; n != want {
			t.Fatalf("%d bytes: %d chunks, want %d", size, n, want)
		}
	}
	_, err := st.InboundFileInfo(ctx, 999999)
	isErr(t, "info of a missing file", err, storage.ErrNotFound)
}

// failingReader gives n bytes of r and then an error.
type failingReader struct {
	r   *bytes.Reader
	n   int64
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	pos, _ := f.r.Seek(0, io.SeekCurrent)
	if pos >= f.n {
		return 0, f.err
	}
	return f.r.Read(p[:min(int64(len(p)), f.n-pos)])
}

func (f *failingReader) Seek(off int64, whence int) (int64, error) { return f.r.Seek(off, whence) }

// A reader with its SHA-256 given is stored as such, checked as it is written: a
// wrong hash, or a reader that fails or changes half-way, stores nothing.
func testInboundFileFromReader(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	content := inboundBytes(2*mb+5, 1)
	boom := errors.New("disk gone")

	_, _, err := st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: "a", SHA256: sha([]byte("other"))}, bytes.NewReader(content))
	isErr(t, "content under another's sha256", err, storage.ErrInvalid)
	_, _, err = st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: "a", SHA256: "not hex"}, bytes.NewReader(content))
	isErr(t, "a sha256 that is not one", err, storage.ErrInvalid)
	_, _, err = st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: "a", SHA256: sha(content)},
		&failingReader{r: bytes.NewReader(content), n: mb + 10, err: boom})
	isErr(t, "a reader failing half-way", err, boom)
	if files := get[[]storage.InboundFile](t)(st.InboundFiles(ctx, storage.InboundNew, 0, 10)); len(files) != 0 {
		t.Fatalf("after failed inserts: %+v", files)
	}
	if n := allChunks(t, st); n != 0 {
		t.Fatalf("after failed inserts: %d chunks", n)
	}

	id, isNew := get2(t)(st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: "a", SHA256: sha(content)}, bytes.NewReader(content)))
	if !isNew || !bytes.Equal(readInbound(t, st, id), content) {
		t.Fatalf("stored with its sha256: new %v", isNew)
	}
	// Upper case hex is the same hash.
	upper := bytes.ToUpper([]byte(sha(content)))
	id2, isNew2 := get2(t)(st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: "b", SHA256: string(upper)}, bytes.NewReader(content)))
	if id2 != id || isNew2 {
		t.Fatalf("the same content again, its sha256 in upper case: %d %v, want %d false", id2, isNew2, id)
	}
}

// The same content is stored once, whoever stores it and however: the second gets
// the first's id, also when both store at once.
func testInboundFileOnce(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	content := inboundBytes(mb+mb/2, 2)
	id, isNew := get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "sim", Name: "a.835", Kind: "835", Content: content}))
	id2, isNew2 := get2(t)(st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "other", Name: "copy.835"}, bytes.NewReader(content)))
	if !isNew || isNew2 || id2 != id {
		t.Fatalf("same file twice: %d %v, %d %v", id, isNew, id2, isNew2)
	}
	if f := get[storage.InboundFile](t)(st.InboundFileInfo(ctx, id)); f.Name != "a.835" || f.Source != "sim" || f.Kind != "835" {
		t.Fatalf("the first arrival's row changed: %+v", f)
	}
	if n := chunkCount(t, st, id); n != 2 {
		t.Fatalf("%d chunks, want 2", n)
	}

	// Concurrent arrivals of new content: one stores it, the others get its id.
	other := inboundBytes(3*mb, 3)
	const n = 4
	ids := make([]int64, n)
	news := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ids[i], news[i], errs[i] = st.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: fmt.Sprintf("c%d", i)}, bytes.NewReader(other))
		})
	}
	wg.Wait()
	stored := 0
	for i := range n {
		must(t, errs[i])
		if ids[i] != ids[0] {
			t.Fatalf("concurrent arrivals: ids %v", ids)
		}
		if news[i] {
			stored++
		}
	}
	if stored != 1 || !bytes.Equal(readInbound(t, st, ids[0]), other) || chunkCount(t, st, ids[0]) != 3 {
		t.Fatalf("concurrent arrivals: %d stored it", stored)
	}
}

// A file is stored in one transaction with what else it does: rolled back (a
// crash, an error after it), nothing of it stays, neither its row nor a chunk.
func testInboundFileRollback(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	content := inboundBytes(2*mb+1, 4)
	boom := errors.New("boom")
	var inTx int64
	err := st.InTx(ctx, func(tx *storage.Tx) error {
		id, isNew, err := tx.InsertInboundFileFrom(ctx, storage.InboundFile{Source: "sim", Name: "a"}, bytes.NewReader(content))
		must(t, err)
		inTx = id
		// The transaction reads what it stored.
		r, size, err := tx.InboundContent(ctx, id)
		must(t, err)
		got, err := io.ReadAll(r)
		must(t, err)
		if !isNew || size != int64(len(content)) || !bytes.Equal(got, content) {
			t.Errorf("inside the transaction: new %v, size %d, %d bytes read", isNew, size, len(got))
		}
		return boom
	})
	isErr(t, "InTx", err, boom)
	_, err = st.InboundFileInfo(ctx, inTx)
	isErr(t, "file after rollback", err, storage.ErrNotFound)
	if chunks := allChunks(t, st); chunks != 0 {
		t.Fatalf("%d chunks after rollback", chunks)
	}
	if _, isNew := get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "sim", Name: "a", Content: content})); !isNew {
		t.Fatal("content stored again after a rollback: not new")
	}
}

// A file stored before inbound_file_chunks (migration 0017), its bytes in
// inbound_files.content, reads as it did; the same content arriving again gets its
// id.
func testInboundFileStoredWhole(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.Store(t)
	for i, size := range []int{1, 2*mb + 3} {
		content := inboundBytes(size, byte(10+i))
		q := `INSERT INTO inbound_files (sha256, source, name, kind, status, size, content, received_at)
			VALUES (?, 'sim', 'old.835', '835', 'new', ?, ?, CURRENT_TIMESTAMP)`
		if st.Driver() == storage.Postgres {
			q = `INSERT INTO inbound_files (sha256, source, name, kind, status, size, content, received_at)
				VALUES ($1, 'sim', 'old.835', '835', 'new', $2, $3, CURRENT_TIMESTAMP)`
		}
		_, err := st.DB().ExecContext(ctx, q, sha(content), size, content)
		must(t, err)
		files := get[[]storage.InboundFile](t)(st.InboundFiles(ctx, storage.InboundNew, 0, 10))
		id := files[len(files)-1].ID
		if got := readInbound(t, st, id); !bytes.Equal(got, content) {
			t.Fatalf("%d bytes stored whole: %d read back, equal %v", size, len(got), bytes.Equal(got, content))
		}
		if id2, isNew := get2(t)(st.InsertInboundFile(ctx, storage.InboundFile{Source: "sim", Name: "again", Content: content})); id2 != id || isNew {
			t.Fatalf("content stored whole, arriving again: %d %v, want %d false", id2, isNew, id)
		}
		if n := chunkCount(t, st, id); n != 0 {
			t.Fatalf("%d chunks for a file stored whole", n)
		}
	}
}
