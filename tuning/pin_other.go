//go:build !linux

package tuning

// PinThread does nothing where threads cannot be pinned portably.
func PinThread(cpu int) error { return nil }

// PinSupported reports whether PinThread does anything on this OS.
const PinSupported = false
