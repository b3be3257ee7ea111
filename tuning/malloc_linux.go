//go:build linux && cgo

package tuning

/*
#cgo LDFLAGS: -ljemalloc
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <jemalloc/jemalloc.h>

// dd_je_version returns jemalloc's version string, or NULL when jemalloc
// is not the allocator in use.
static const char* dd_je_version(void) {
	const char* v = NULL;
	size_t n = sizeof(v);
	if (mallctl("version", &v, &n, NULL, 0) != 0) return NULL;
	return v;
}

// dd_je_purge returns freed pages of every arena to the system.
static int dd_je_purge(void) {
	char name[64];
	snprintf(name, sizeof(name), "arena.%d.purge", MALLCTL_ARENAS_ALL);
	return mallctl(name, NULL, NULL, NULL, 0);
}
*/
import "C"

import (
	"strings"
	"sync"
)

// The C heap (RocksDB's block cache, memtables, table readers) is jemalloc,
// linked ahead of glibc so that every library's malloc resolves to it.
// glibc malloc kept memory that the block cache's churn had freed: with
// 5 M keys of 100 B, 192 MiB of block cache and 160 MiB of Go heap budget,
// RSS after the random-read runs was 597-600 MiB with glibc (arenas capped
// at 2) and 482 MiB with jemalloc, random GETs 101-111 k vs 126 k ops/s
// (BENCHMARKS.md, 2026-11-26 23:51 UTC).

// Allocator names the C allocator as Redis's INFO does ("jemalloc-5.3.0"),
// or "libc".
func Allocator() string { return allocator() }

var allocator = sync.OnceValue(func() string {
	if v := C.dd_je_version(); v != nil {
		s := C.GoString(v) // "5.3.0-0-g<hash>"
		if i := strings.IndexByte(s, '-'); i > 0 {
			s = s[:i]
		}
		return "jemalloc-" + s
	}
	return "libc"
})

// PurgeMalloc returns the C allocator's freed pages to the system
// (MEMORY PURGE).
func PurgeMalloc() { C.dd_je_purge() }

// LimitMallocArenas caps glibc malloc's arenas, in case glibc is the
// allocator after all (jemalloc not first in symbol lookup). By default
// glibc gives each thread that contends an arena of its own, up to 8 per
// core, and memory freed in one arena is not reused by another: under a
// churning block cache the resident size grew far past the memory RocksDB
// accounts for. Call it before RocksDB starts its threads.
func LimitMallocArenas(n int) bool {
	return C.mallopt(C.M_ARENA_MAX, C.int(n)) == 1
}
