package guide

import (
	"syscall"
	"testing"

	"github.com/claimflow/claimflow/edi/x12"
)

// TestMaskSplitGuardPages places segments of every short length against unreadable
// pages of memory, ending where the readable page ends and starting where it starts:
// the mask split must read none of the bytes around them that are not in the page
// (the test dies of a segmentation fault if it does).
func TestMaskSplitGuardPages(t *testing.T) {
	ps := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 3*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mapping memory: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[:ps], syscall.PROT_NONE); err != nil {
		t.Fatalf("protecting the first page: %v", err)
	}
	if err := syscall.Mprotect(mem[2*ps:], syscall.PROT_NONE); err != nil {
		t.Fatalf("protecting the last page: %v", err)
	}
	page := mem[ps : 2*ps : 2*ps]
	for i := range page {
		page[i] = "NM1*IL:1^\x7f\x01"[i%11]
	}
	d := x12.DefaultDelimiters
	for n := 1; n <= maxShort; n++ {
		checkMaskSplit(t, page[:n:n], d)                      // at the page's start
		checkMaskSplit(t, page[len(page)-n:], d)              // at its end
		checkMaskSplit(t, page[len(page)-n-1:len(page)-1], d) // one byte before its end
	}
}
