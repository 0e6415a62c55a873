//go:build !linux

package connection

import "os"

// IsTerminal reports whether f is a character device: on systems other than Linux a
// terminal is told from /dev/null only by the answer read from it.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
