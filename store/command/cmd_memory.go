package command

import (
	"math"
	"math/bits"
	"runtime"
	"runtime/debug"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/tuning"
)

// MEMORY (object.c). MEMORY USAGE reports what the key would take in
// redis-server 7.0's memory: strings exactly as Redis computes them (key
// and value allocations with jemalloc's size classes, plus the dict
// entry), collections estimated from a sample of their elements and their
// count. DiskDB keeps values on disk; the figure tells clients (asynq's
// queue statistics, redis-cli --memkeys) how big a key is.

func init() {
	register(
		&Spec{Name: "memory", Arity: -2, Group: "server", Summary: "A container for memory diagnostics commands.", Since: "4.0.0"},
		&Spec{Name: "memory|usage", Arity: -3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Handler: cmdMemoryUsage, Group: "server", Summary: "Estimates the memory usage of a key.", Since: "4.0.0"},
		&Spec{Name: "memory|doctor", Arity: 2, Flags: ExecInline, Handler: cmdMemoryDoctor, Group: "server", Summary: "Outputs a memory problems report.", Since: "4.0.0"},
		&Spec{Name: "memory|malloc-stats", Arity: 2, Flags: ExecInline, Handler: cmdMemoryMallocStats, Group: "server", Summary: "Returns the allocator statistics.", Since: "4.0.0"},
		&Spec{Name: "memory|purge", Arity: 2, Flags: ExecInline, Handler: cmdMemoryPurge, Group: "server", Summary: "Asks the allocator to release memory.", Since: "4.0.0"},
		&Spec{Name: "memory|help", Arity: 2, Flags: FlagLoading | FlagStale | ExecInline, Handler: scriptHelp("MEMORY", []string{
			"DOCTOR", "    Return memory problems reports.",
			"MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
			"PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
			"USAGE <key> [SAMPLES <count>]", "    Return memory in bytes used by <key> and its value. Nested values are",
			"    sampled up to <count> times (default: 5, 0 means sample all).",
		}), Group: "server", Summary: "Returns helpful text about the different subcommands.", Since: "4.0.0"},
	)
}

// Sizes of redis-server's structures on 64-bit builds.
const (
	memRobj      = 16 // redisObject
	memDictEntry = 24
	memEmbstrMax = 44 // longest string stored with its object
)

// jemallocSize rounds n up to jemalloc's size class (16-byte quantum: 8,
// 16, 32, 48 ... 128, then four classes per power of two).
func jemallocSize(n int64) int64 {
	switch {
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	}
	lg := 63 - bits.LeadingZeros64(uint64(n-1)) // 2^lg < n <= 2^(lg+1)
	step := int64(1) << (lg - 2)
	return (n + step - 1) &^ (step - 1)
}

// sdsAlloc is the allocation of an sds string of length n.
func sdsAlloc(n int64) int64 {
	hdr := int64(17)
	switch {
	case n < 1<<5:
		hdr = 1
	case n < 1<<8:
		hdr = 3
	case n < 1<<16:
		hdr = 5
	case n < 1<<32:
		hdr = 9
	}
	return jemallocSize(hdr + n + 1)
}

// stringValueSize is objectComputeSize for a string object.
func stringValueSize(v []byte) int64 {
	if len(v) <= 20 {
		if _, ok := proto.ParseInt(v); ok {
			return memRobj // integer encoding
		}
	}
	if len(v) <= memEmbstrMax {
		return jemallocSize(memRobj + 3 + int64(len(v)) + 1)
	}
	return memRobj + sdsAlloc(int64(len(v)))
}

// MEMORY USAGE key [SAMPLES count]
func cmdMemoryUsage(c *Ctx) {
	samples := int64(5)
	for i := 3; i < len(c.Args); i++ {
		if !c.is(i, "samples") || i+1 >= len(c.Args) {
			c.Err(errSyntax)
			return
		}
		n, ok := c.Int64(i + 1)
		if !ok {
			return
		}
		if n < 0 {
			c.Err(errSyntax)
			return
		}
		if n == 0 {
			n = math.MaxInt64
		}
		samples = n
		i++
	}
	key := c.Args[2]
	m, ok, err := c.Tx.Lookup(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !ok {
		c.Null()
		return
	}
	usage := sdsAlloc(int64(len(key))) + memDictEntry
	switch m.Type {
	case store.TypeString, store.TypeJSON:
		if v, inline := m.InlineString(); inline {
			usage += stringValueSize(v)
		} else { // a chunked string: a raw string of its length
			usage += memRobj + sdsAlloc(m.StringLen())
		}
	default:
		usage += collectionSize(c.Tx, &m, samples)
	}
	c.Int(usage)
}

// collectionSize estimates a collection from up to samples elements: the
// object and its structure, and per element its allocations.
func collectionSize(tx *store.Tx, m *store.Meta, samples int64) int64 {
	const perElem = 24 // entry or node overhead
	var n, sum int64
	it := tx.Iter(store.CFSub, m.ID, nil, nil, false)
	for ; it.Valid() && n < samples; it.Next() {
		sum += sdsAlloc(int64(len(it.Key()))) + sdsAlloc(int64(len(it.Value()))) + perElem
		n++
	}
	it.Close()
	size := int64(memRobj + 64)
	if n > 0 {
		size += sum / n * int64(m.Count)
	}
	return size
}

func cmdMemoryDoctor(c *Ctx) { c.Verbatim(c.S.memoryDoctor()) }

func cmdMemoryMallocStats(c *Ctx) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.Verbatim("C allocator: " + tuning.Allocator() + "\nGo runtime: heap_alloc=" + itoa(int64(ms.HeapAlloc)) + " heap_sys=" + itoa(int64(ms.HeapSys)) +
		" heap_idle=" + itoa(int64(ms.HeapIdle)) + " heap_released=" + itoa(int64(ms.HeapReleased)) + " gc_cycles=" + itoa(int64(ms.NumGC)))
}

func cmdMemoryPurge(c *Ctx) {
	debug.FreeOSMemory()
	tuning.PurgeMalloc()
	c.OK()
}
