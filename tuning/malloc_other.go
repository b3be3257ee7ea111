//go:build !linux || !cgo

package tuning

// Allocator names the C allocator.
func Allocator() string { return "libc" }

// PurgeMalloc does nothing here.
func PurgeMalloc() {}

// LimitMallocArenas does nothing where glibc malloc is not in use.
func LimitMallocArenas(n int) bool { return false }
