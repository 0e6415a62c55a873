package storage

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/lib/pq"
)

// copyPiece is how many bytes of rows copyRows hands the driver at most at a
// time: what lib/pq's 64 KiB buffer holds with its message header and the
// newline it adds, so that it sends each piece without growing the buffer.
const copyPiece = 64<<10 - 6

// copyDataer is what lib/pq's COPY statement offers beyond database/sql: rows
// already in COPY's text format.
type copyDataer interface {
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

var errNoCopyData = errors.New("the driver's COPY statement takes no raw data")

// copyBufs recycles copyRows' buffers: a group of an 835 writes a few hundred
// kilobytes of rows into each table.
var copyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// copyRows writes the rows of rs with COPY ... FROM STDIN on the connection of w's
// transaction (PostgreSQL), encoding them in COPY's text format itself and handing
// them to the driver 64 KiB at a time. Through database/sql, each row is a call of
// its own that copies its values into new argument slices (an eighth of the
// client's allocations when posting an 835). ok is false, and nothing was sent,
// when w has no connection of its own or a value is of a type the encoder does not
// know: write the rows through database/sql instead. Rows already in COPY's text
// format (rs.text) are sent as they are.
func (w *Conn) copyRows(ctx context.Context, rs *rowSet) (n int64, ok bool, err error) {
	if w.raw == nil {
		if rs.text != nil {
			return 0, true, fmt.Errorf("copying rows of %s: no connection of the transaction's own", rs.table)
		}
		return 0, false, nil
	}
	b := rs.text
	if b == nil {
		buf := copyBufs.Get().(*bytes.Buffer)
		defer copyBufs.Put(buf)
		buf.Reset()
		var enc copyEncoder
		b = buf.Bytes()
		nc := len(rs.cols)
		for i, v := range rs.vals {
			if b, ok = enc.append(b, v); !ok {
				return 0, false, nil
			}
			if (i+1)%nc == 0 {
				b = append(b, '\n')
			} else {
				b = append(b, '\t')
			}
		}
		*buf = *bytes.NewBuffer(b) // keep the grown buffer for the next call
	}
	q := "COPY " + rs.table + " (" + strings.Join(rs.cols, ", ") + ") FROM STDIN"
	err = w.raw.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errNoCopyData
		}
		stmt, err := pc.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer stmt.Close()
		cd, ok := stmt.(copyDataer)
		if !ok {
			return errNoCopyData
		}
		for len(b) > 0 {
			// A piece ends with a row; CopyData adds the row's newline.
			end := len(b)
			if end > copyPiece {
				end = bytes.LastIndexByte(b[:copyPiece], '\n') + 1
				if end == 0 {
					end = bytes.IndexByte(b, '\n') + 1
				}
			}
			// CopyData copies the piece into its buffer before it returns.
			if _, err := cd.CopyData(ctx, unsafe.String(&b[0], end-1)); err != nil {
				return err
			}
			b = b[end:]
		}
		_, err = stmt.Exec(nil) //nolint:staticcheck // lib/pq ends COPY with Exec(nil)
		return err
	})
	if err != nil {
		return 0, true, err
	}
	return int64(rs.rows()), true, nil
}

// copyEncoder writes values in COPY's text format as lib/pq does, remembering the
// last timestamp it formatted: a batch's rows share their creation time.
type copyEncoder struct {
	lastTime time.Time
	lastText []byte
}

// append appends v; ok is false for a type it does not know.
func (e *copyEncoder) append(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, `\N`...), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case string:
		return appendCopyText(b, v), true
	case bool:
		return strconv.AppendBool(b, v), true
	case float64:
		return strconv.AppendFloat(b, v, 'f', -1, 64), true
	case time.Time:
		if e.lastText == nil || v != e.lastTime {
			e.lastTime, e.lastText = v, pq.FormatTimestamp(v)
		}
		return append(b, e.lastText...), true
	case []byte:
		// bytea in hex, its backslash escaped: \\x...
		b = append(b, `\\x`...)
		return fmt.Appendf(b, "%x", v), true
	}
	cv, err := driver.DefaultParameterConverter.ConvertValue(v)
	if err != nil {
		return b, false
	}
	switch cv.(type) {
	case nil, int64, string, bool, float64, time.Time, []byte:
		return e.append(b, cv)
	}
	return b, false
}

// appendCopyText appends s with COPY's escapes for backslash, newline, carriage
// return and tab.
func appendCopyText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case '\t':
			esc = 't'
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, '\\', esc)
		start = i + 1
	}
	return append(b, s[start:]...)
}
