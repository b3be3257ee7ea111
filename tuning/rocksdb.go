// Package tuning holds the knobs that trade resources for speed: RocksDB
// option profiles, socket options and thread pinning. Each knob has a
// measured default (BENCHMARKS.md says which run chose it).
package tuning

import (
	"runtime"

	"github.com/linxGnu/grocksdb"
)

// RocksProfile sizes RocksDB. Zero fields take the defaults shown.
type RocksProfile struct {
	BlockCacheSize  uint64 // shared LRU block cache, bytes (256 MiB)
	WriteBufferSize uint64 // one memtable, bytes (32 MiB)
	MaxWriteBuffers int    // memtables per column family (3)
	BackgroundJobs  int    // flush + compaction threads (2)
	MaxOpenFiles    int    // -1 = unlimited (4096)
	Statistics      bool   // collect RocksDB statistics (tickers: cache hits, stall time)
	// HashIndexedCF names a column family whose memtable is a hash of
	// skiplists by key prefix of HashPrefixLen bytes ("": none).
	HashIndexedCF string
	HashPrefixLen int
}

func (p *RocksProfile) ensureDefaults() {
	if p.BlockCacheSize == 0 {
		p.BlockCacheSize = 256 << 20
	}
	if p.WriteBufferSize == 0 {
		p.WriteBufferSize = 32 << 20
	}
	if p.MaxWriteBuffers == 0 {
		p.MaxWriteBuffers = 3
	}
	if p.BackgroundJobs == 0 {
		p.BackgroundJobs = 2
	}
	if p.MaxOpenFiles == 0 {
		p.MaxOpenFiles = 4096
	}
}

// CacheShardBits sizes the block cache's sharding: enough shards for the
// cores to rarely meet on one shard's lock (2 per core), none smaller than
// 32 MiB. RocksDB's default cuts any cache of 32 MiB or more into 64 shards,
// each evicting on its own: with 192 MiB that is 3 MiB a shard, and the
// full filter block of one 64 MiB table file (600 KiB at 100-byte values)
// shares its shard with a few others and data blocks, so filters evict each
// other and a point read re-reads and re-checksums one from the page cache
// (BENCHMARKS.md, "Reads that miss memory").
func CacheShardBits(capacity uint64, cpus int) int {
	bits := 0
	for 1<<bits < 2*cpus && bits < 6 && capacity>>(bits+1) >= 32<<20 {
		bits++
	}
	return bits
}

// Rocks is a built set of RocksDB options; Destroy releases them after the
// database is closed.
type Rocks struct {
	DB    *grocksdb.Options
	Cache *grocksdb.Cache
	table *grocksdb.BlockBasedTableOptions
	cfs   []*grocksdb.Options
	// keep lists options that own a prefix extractor: grocksdb's Destroy
	// frees the extractor a second time (RocksDB's shared_ptr already did).
	keep map[*grocksdb.Options]bool
}

// NewRocks builds the options for a DiskDB database with the given column
// families: bloom filters on every family (point lookups dominate), index and
// filter blocks in the block cache so memory stays bounded by its size, 4 KiB
// blocks and LZ4 at every level (a read that misses the cache decompresses
// one small block: random GETs over 5 M keys +30 % against 16 KiB blocks with
// ZSTD at the bottom, BENCHMARKS.md), one writer per shard without the
// adaptive-yield spin (measured: it burns the second core under load).
func NewRocks(p RocksProfile, cfNames []string) *Rocks {
	p.ensureDefaults()
	lo := grocksdb.NewLRUCacheOptions()
	lo.SetCapacity(uint(p.BlockCacheSize))
	lo.SetNumShardBits(CacheShardBits(p.BlockCacheSize, runtime.NumCPU()))
	r := &Rocks{Cache: grocksdb.NewLRUCacheWithOptions(lo)}
	lo.Destroy()
	t := grocksdb.NewDefaultBlockBasedTableOptions()
	t.SetBlockCache(r.Cache)
	t.SetBlockSize(4 << 10)
	t.SetFilterPolicy(grocksdb.NewBloomFilter(10))
	t.SetCacheIndexAndFilterBlocks(true)
	t.SetCacheIndexAndFilterBlocksWithHighPriority(true)
	t.SetPinL0FilterAndIndexBlocksInCache(true)
	t.SetFormatVersion(5)
	r.table = t

	mk := func() *grocksdb.Options {
		o := grocksdb.NewDefaultOptions()
		o.SetBlockBasedTableFactory(t)
		o.SetWriteBufferSize(p.WriteBufferSize)
		o.SetMaxWriteBufferNumber(p.MaxWriteBuffers)
		o.SetCompression(grocksdb.LZ4Compression)
		o.SetBottommostCompression(grocksdb.LZ4Compression)
		o.SetLevelCompactionDynamicLevelBytes(true)
		o.SetTargetFileSizeBase(64 << 20)
		o.SetMaxBytesForLevelBase(256 << 20)
		o.SetMemtableWholeKeyFiltering(true)
		o.SetMemTablePrefixBloomSizeRatio(0.05)
		return o
	}
	db := mk()
	db.SetCreateIfMissing(true)
	db.SetCreateIfMissingColumnFamilies(true)
	db.SetMaxBackgroundJobs(p.BackgroundJobs)
	db.SetMaxOpenFiles(p.MaxOpenFiles)
	db.SetEnableWriteThreadAdaptiveYield(false)
	db.SetKeepLogFileNum(4)
	db.SetMaxTotalWalSize(512 << 20)
	db.SetBytesPerSync(1 << 20)
	db.SetWALRecoveryMode(grocksdb.PointInTimeRecovery)
	db.SetParanoidChecks(true)
	db.SetInfoLogLevel(grocksdb.WarnInfoLogLevel)
	if p.Statistics {
		db.EnableStatistics()
	}
	r.DB = db
	for _, name := range cfNames {
		o := mk()
		if name != "" && name == p.HashIndexedCF {
			o.SetPrefixExtractor(grocksdb.NewFixedPrefixTransform(p.HashPrefixLen))
			o.SetHashSkipListRep(1<<18, 4, 4)
			db.SetAllowConcurrentMemtableWrites(false) // required by a non-skiplist memtable
			if r.keep == nil {
				r.keep = map[*grocksdb.Options]bool{}
			}
			r.keep[o] = true
		}
		r.cfs = append(r.cfs, o)
	}
	return r
}

// CFOptions returns the per-column-family options, in cfNames order.
func (r *Rocks) CFOptions() []*grocksdb.Options { return r.cfs }

// Destroy frees the options. Call it after the database is closed.
func (r *Rocks) Destroy() {
	for _, o := range r.cfs {
		if !r.keep[o] {
			o.Destroy()
		}
	}
	r.DB.Destroy()
	r.table.Destroy()
	r.Cache.Destroy()
}
