package guide

import "unsafe"

// uintptrOf is the address of b's first byte, to place test segments at page ends.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
