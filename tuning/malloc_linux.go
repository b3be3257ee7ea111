//go:build linux && cgo

package tuning

/*
#include <malloc.h>
*/
import "C"

// LimitMallocArenas caps glibc malloc's arenas (RocksDB's allocator in
// Debian's build). By default glibc gives each thread that contends an
// arena of its own, up to 8 per core, and memory freed in one arena is not
// reused by another: under a churning block cache the resident size grew
// far past the memory RocksDB accounts for. Call it before RocksDB starts
// its threads.
func LimitMallocArenas(n int) bool {
	return C.mallopt(C.M_ARENA_MAX, C.int(n)) == 1
}
