//go:build !linux || !cgo

package tuning

// LimitMallocArenas does nothing where glibc malloc is not in use.
func LimitMallocArenas(n int) bool { return false }
