package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linxGnu/grocksdb"

	"github.com/diskdb/diskdb/tuning"
)

// FsyncMode says when the write-ahead log reaches the disk.
type FsyncMode int

// Fsync modes, named as Redis's appendfsync.
const (
	FsyncEverysec FsyncMode = iota // WAL written before each reply, synced every second
	FsyncAlways                    // reply after the group's WAL is synced (one fsync per group)
	FsyncNo                        // WAL written before each reply, synced when the OS decides
)

func (m FsyncMode) String() string {
	switch m {
	case FsyncAlways:
		return "always"
	case FsyncNo:
		return "no"
	}
	return "everysec"
}

// ParseFsync parses "always", "everysec" or "no".
func ParseFsync(s string) (FsyncMode, error) {
	switch s {
	case "always":
		return FsyncAlways, nil
	case "everysec":
		return FsyncEverysec, nil
	case "no":
		return FsyncNo, nil
	}
	return 0, fmt.Errorf("store: fsync must be always, everysec or no, not %q", s)
}

// Options configure an Engine. Zero fields take the defaults noted.
type Options struct {
	Dir             string    // data directory (required)
	Databases       int       // logical databases, 1..256 (16)
	Shards          int       // executor shards (runtime.NumCPU())
	Fsync           FsyncMode // (everysec)
	BlockCacheSize  int64     // RocksDB block cache, bytes (256 MiB)
	HotCacheSize    int64     // executor value cache over all shards, bytes (64 MiB); <0 disables
	WriteBufferSize int64     // RocksDB memtable, bytes (32 MiB)
	Statistics      bool      // RocksDB statistics (tickers for INFO rocksdb: cache hits, stalls)
	MaxOpenFiles    int       // RocksDB table files kept open, >= 20 (4096)
	// MetaHashMemtable indexes the meta column family's memtable by hash
	// slot (db · slot prefix) instead of one skiplist: cheaper inserts of
	// random keys; scans then go slot by slot.
	MetaHashMemtable bool
	Logger           *slog.Logger // (slog.Default())
}

// EnsureDefaults fills zero fields.
func (o *Options) EnsureDefaults() {
	if o.Databases == 0 {
		o.Databases = 16
	}
	if o.Shards == 0 {
		o.Shards = runtime.NumCPU()
	}
	if o.BlockCacheSize == 0 {
		o.BlockCacheSize = 256 << 20
	}
	if o.HotCacheSize == 0 {
		o.HotCacheSize = 64 << 20
	}
	if o.WriteBufferSize == 0 {
		o.WriteBufferSize = 32 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Validate reports the first invalid option.
func (o *Options) Validate() error {
	switch {
	case o.Dir == "":
		return errors.New("store: Dir is required")
	case o.Databases < 1 || o.Databases > 256:
		return fmt.Errorf("store: databases must be 1..256, not %d", o.Databases)
	case o.Shards < 1 || o.Shards > 1024:
		return fmt.Errorf("store: shards must be 1..1024, not %d", o.Shards)
	case o.Fsync < FsyncEverysec || o.Fsync > FsyncNo:
		return fmt.Errorf("store: bad fsync mode %d", o.Fsync)
	}
	return nil
}

// Engine is an open DiskDB database: RocksDB, the executor shards and the
// background workers (WAL sync, active expiry, space reclamation).
type Engine struct {
	opts  Options
	log   *slog.Logger
	db    *grocksdb.DB
	rocks *tuning.Rocks
	cfs   [numCF]*grocksdb.ColumnFamilyHandle
	cfIDs [numCF]uint32
	ro    *grocksdb.ReadOptions
	roMem *grocksdb.ReadOptions  // memory-only reads (inline runs)
	woNo  *grocksdb.WriteOptions // WAL written, not synced
	woSyn *grocksdb.WriteOptions // WAL synced

	shards []*shard
	multi  sync.Mutex // orders multi-shard submissions (deadlock freedom)
	txPool sync.Pool  // Txs of barrier tasks (executor.go)

	idMu    sync.Mutex
	nextID  uint64
	idLimit uint64

	counts   [][NumSlots]slotCount // [db][slot], owned by the slot's shard
	dbKeys   []atomic.Int64        // per-db key totals for INFO
	dbExpire []atomic.Int64

	fsync      atomic.Int32
	lastSave   atomic.Int64
	saving     atomic.Bool
	noExpire   atomic.Bool // active expiry paused (DEBUG SET-ACTIVE-EXPIRE 0)
	stats      Stats
	closed     atomic.Bool
	stop       chan struct{}
	wg         sync.WaitGroup
	reclaimCh  chan struct{}
	reclaimMu  sync.Mutex
	reclaimIDs []uint64
	notifyMu   sync.RWMutex
	notifyFunc func(db int, event string, key []byte)
	notifyOn   atomic.Bool
	writeErr   atomic.Pointer[string]      // RocksDB refused a write (read-only until resumed)
	dbmap      atomic.Pointer[dbMapping]   // logical → physical databases (dbmap.go)
	keyObs     atomic.Pointer[keyObserver] // key-change observer (waiters.go)
}

type slotCount struct{ keys, expires int64 }

// Stats are engine counters read by INFO.
type Stats struct {
	ExpiredKeys    atomic.Int64
	Commits        atomic.Int64
	Entries        atomic.Int64 // records written to RocksDB (after coalescing)
	Inline         atomic.Int64 // tasks run on the caller's goroutine (Engine.TryRun)
	InlineAborts   atomic.Int64 // inline attempts that needed the disk and were handed off
	CommitErrors   atomic.Int64
	CacheHits      atomic.Int64
	CacheMisses    atomic.Int64
	KeyspaceHits   atomic.Int64
	KeyspaceMisses atomic.Int64
	WALSyncs       atomic.Int64
	LastSyncError  atomic.Value // string
	Reclaimed      atomic.Int64 // collections whose range was compacted away
	WriteResumes   atomic.Int64 // times writes resumed after a storage error
}

const idBlock = 1 << 16

// Open opens (creating if needed) the database in opts.Dir and starts the
// executor.
func Open(opts Options) (*Engine, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	// The rocksdb directory exists before the open, or RocksDB logs an
	// error about reading it (its log goes to standard error).
	if err := os.MkdirAll(filepath.Join(opts.Dir, "rocksdb"), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	rocks := tuning.NewRocks(tuning.RocksProfile{
		BlockCacheSize:  uint64(opts.BlockCacheSize),
		WriteBufferSize: uint64(opts.WriteBufferSize),
		HashIndexedCF:   hashCF(opts.MetaHashMemtable),
		HashPrefixLen:   3,
		Statistics:      opts.Statistics,
		MaxOpenFiles:    opts.MaxOpenFiles,
	}, cfNames[:])
	logToStderr(rocks.DB)
	db, handles, err := grocksdb.OpenDbColumnFamilies(rocks.DB, filepath.Join(opts.Dir, "rocksdb"), cfNames[:], rocks.CFOptions())
	if err != nil {
		rocks.Destroy()
		return nil, fmt.Errorf("store: open %s: %w", opts.Dir, err)
	}
	e := &Engine{
		opts:      opts,
		log:       opts.Logger,
		db:        db,
		rocks:     rocks,
		ro:        grocksdb.NewDefaultReadOptions(),
		woNo:      grocksdb.NewDefaultWriteOptions(),
		woSyn:     grocksdb.NewDefaultWriteOptions(),
		stop:      make(chan struct{}),
		reclaimCh: make(chan struct{}, 1),
		counts:    make([][NumSlots]slotCount, opts.Databases),
		dbKeys:    make([]atomic.Int64, opts.Databases),
		dbExpire:  make([]atomic.Int64, opts.Databases),
	}
	e.ro.SetVerifyChecksums(true)
	e.roMem = grocksdb.NewDefaultReadOptions()
	e.roMem.SetVerifyChecksums(true)
	e.roMem.SetReadTier(grocksdb.BlockCacheTier)
	e.woSyn.SetSync(true)
	for i, h := range handles {
		e.cfs[i] = h
		e.cfIDs[i] = h.ID()
	}
	e.fsync.Store(int32(opts.Fsync))
	e.lastSave.Store(time.Now().Unix())
	if err := e.loadSys(); err != nil {
		e.closeDB()
		return nil, err
	}
	if err := e.loadDBMap(); err != nil {
		e.closeDB()
		return nil, err
	}
	e.startShards()
	e.wg.Add(4)
	go e.resumeLoop()
	go e.walSyncLoop()
	go e.expireLoop()
	go e.reclaimLoop()
	return e, nil
}

func hashCF(on bool) string {
	if on {
		return cfNames[CFMeta]
	}
	return ""
}

// loadSys reads the id allocator and the per-slot key counts.
func (e *Engine) loadSys() error {
	v, err := e.db.GetCF(e.ro, e.cfs[CFSys], []byte{'i'})
	if err != nil {
		return fmt.Errorf("store: read id allocator: %w", err)
	}
	if v.Size() == 8 {
		e.nextID = binary.BigEndian.Uint64(v.Data())
	}
	v.Free()
	if e.nextID == 0 {
		e.nextID = 1
	}
	e.idLimit = e.nextID // the first NewID persists a new block
	it := e.db.NewIteratorCF(e.ro, e.cfs[CFSys])
	defer it.Close()
	for it.Seek([]byte{'c'}); it.ValidForPrefix([]byte{'c'}); it.Next() {
		k, val := it.Key(), it.Value()
		kb, vb := k.Data(), val.Data()
		if len(kb) == 4 && len(vb) == 16 && int(kb[1]) < e.opts.Databases {
			db, slot := int(kb[1]), binary.BigEndian.Uint16(kb[2:])
			c := slotCount{int64(binary.BigEndian.Uint64(vb)), int64(binary.BigEndian.Uint64(vb[8:]))}
			e.counts[db][slot&(NumSlots-1)] = c
			e.dbKeys[db].Add(c.keys)
			e.dbExpire[db].Add(c.expires)
		}
		k.Free()
		val.Free()
	}
	return it.Err()
}

// newID returns an element-space id never handed out before, persisting the
// allocator's high-water mark before the first id of each block is used.
func (e *Engine) newID() (uint64, error) {
	e.idMu.Lock()
	defer e.idMu.Unlock()
	if e.nextID >= e.idLimit {
		limit := e.nextID + idBlock
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], limit)
		if err := e.db.PutCF(e.woSyn, e.cfs[CFSys], []byte{'i'}, b[:]); err != nil {
			e.writeFailed(err)
			return 0, fmt.Errorf("store: persist id allocator: %w", err)
		}
		e.idLimit = limit
	}
	id := e.nextID
	e.nextID++
	return id, nil
}

// Options returns the options the engine runs with.
func (e *Engine) Options() Options { return e.opts }

// Databases returns the number of logical databases.
func (e *Engine) Databases() int { return e.opts.Databases }

// Fsync returns the current fsync mode.
func (e *Engine) Fsync() FsyncMode { return FsyncMode(e.fsync.Load()) }

// SetFsync changes the fsync mode at run time (CONFIG SET appendfsync).
func (e *Engine) SetFsync(m FsyncMode) { e.fsync.Store(int32(m)) }

// Stats returns the engine's counters.
func (e *Engine) Stats() *Stats { return &e.stats }

// DBSize returns the number of keys in db (expired keys not yet reclaimed
// included, as in Redis). O(1).
func (e *Engine) DBSize(db int) int64 { return e.dbKeys[db].Load() }

// DBExpires returns the number of keys with a TTL in db.
func (e *Engine) DBExpires(db int) int64 { return e.dbExpire[db].Load() }

// SetNotify installs the keyspace-event hook (called from shard goroutines).
func (e *Engine) SetNotify(fn func(db int, event string, key []byte)) {
	e.notifyMu.Lock()
	e.notifyFunc = fn
	e.notifyOn.Store(fn != nil)
	e.notifyMu.Unlock()
}

func (e *Engine) notify(db int, event string, key []byte) {
	e.notifyMu.RLock()
	fn := e.notifyFunc
	e.notifyMu.RUnlock()
	if fn != nil {
		fn(db, event, key)
	}
}

// walSyncLoop syncs the WAL once a second in everysec mode.
func (e *Engine) walSyncLoop() {
	defer e.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			// After a failed WAL append RocksDB's log writer must not be
			// flushed again (7.8 asserts on it) until Resume replaced it.
			if e.Fsync() != FsyncEverysec || e.writeErr.Load() != nil {
				continue
			}
			if err := e.db.FlushWAL(true); err != nil {
				e.stats.LastSyncError.Store(err.Error())
				e.log.Error("WAL sync failed", "err", err)
			} else {
				e.stats.WALSyncs.Add(1)
			}
		}
	}
}

// writeFailed records that RocksDB refused a commit. With paranoid checks
// on, an I/O error (a full disk) leaves RocksDB read-only: reads go on,
// writes fail with the error until resumeLoop gets them going again.
func (e *Engine) writeFailed(err error) {
	if e.writeErr.Load() == nil {
		msg := err.Error()
		if e.writeErr.CompareAndSwap(nil, &msg) {
			e.log.Error("storage write failed; writes are refused until it can resume (free disk space)", "err", err)
		}
	}
}

// WriteError returns the storage error that stops writes, or "".
func (e *Engine) WriteError() string {
	if p := e.writeErr.Load(); p != nil {
		return *p
	}
	return ""
}

// resumeLoop tries once a second to resume writes after a storage error:
// DB::Resume flushes the memtables and switches to a new WAL, which works
// as soon as the disk has room again, without a restart.
func (e *Engine) resumeLoop() {
	defer e.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			if e.writeErr.Load() == nil {
				continue
			}
			if err := e.resumeDB(); err != nil {
				// "Resource busy": RocksDB's own recovery from a full disk
				// is running (it polls free space every 5 s and resumes).
				if err.Error() != last && !strings.HasPrefix(err.Error(), "Resource busy") {
					last = err.Error()
					e.log.Warn("storage writes still refused", "err", err)
				}
				continue
			}
			last = ""
			e.writeErr.Store(nil)
			e.stats.WriteResumes.Add(1)
			e.log.Warn("storage writes resumed")
		}
	}
}

// SyncWAL forces the WAL to disk.
func (e *Engine) SyncWAL() error { return e.db.FlushWAL(true) }

// Checkpoint writes a consistent copy of the database to dir (which must not
// exist), sharing unchanged SST files by hard link. It is SAVE and BGSAVE.
func (e *Engine) Checkpoint(dir string) error {
	cp, err := e.db.NewCheckpoint()
	if err != nil {
		return err
	}
	defer cp.Destroy()
	if err := cp.CreateCheckpoint(dir, 0); err != nil {
		return err
	}
	e.lastSave.Store(time.Now().Unix())
	return nil
}

// Save replaces <dir>/checkpoint with a fresh checkpoint of the database.
func (e *Engine) Save() error {
	if !e.saving.CompareAndSwap(false, true) {
		return ErrSaveInProgress
	}
	defer e.saving.Store(false)
	final := filepath.Join(e.opts.Dir, "checkpoint")
	tmp := final + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := e.Checkpoint(tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	old := final + ".old"
	_ = os.RemoveAll(old)
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// Saving reports whether a checkpoint is being written.
func (e *Engine) Saving() bool { return e.saving.Load() }

// LastSave returns the unix time of the last successful checkpoint (or of
// the start, as Redis reports).
func (e *Engine) LastSave() int64 { return e.lastSave.Load() }

// ErrSaveInProgress is returned by Save while another runs.
var ErrSaveInProgress = errors.New("ERR Background save already in progress")

// Property returns a RocksDB property ("rocksdb.estimate-num-keys" ...).
func (e *Engine) Property(name string) string { return e.db.GetProperty(name) }

// PropertySum returns an integer property summed over every column family
// (sizes, key estimates, files per level: RocksDB keeps them per family).
func (e *Engine) PropertySum(name string) int64 {
	var n int64
	for _, cf := range e.cfs {
		v, _ := strconv.ParseInt(e.db.GetPropertyCF(name, cf), 10, 64)
		n += v
	}
	return n
}

// Statistics returns RocksDB's statistics as text ("" unless
// Options.Statistics).
func (e *Engine) Statistics() string { return e.rocks.DB.GetStatisticsString() }

// CacheUsage returns the block cache's used bytes.
func (e *Engine) CacheUsage() uint64 { return e.rocks.Cache.GetUsage() }

// Close stops the executor after the queued work, syncs the WAL, flushes the
// memtables and closes RocksDB.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	e.stopShards()
	close(e.stop)
	e.wg.Wait()
	if e.writeErr.Load() != nil {
		if err := e.resumeDB(); err != nil {
			// Flushing would touch the failed WAL writer: leave the
			// acknowledged writes to WAL recovery at the next start.
			e.closeDB()
			return fmt.Errorf("store: closing with writes refused: %w", err)
		}
	}
	err := e.db.FlushWAL(true)
	fo := grocksdb.NewDefaultFlushOptions()
	fo.SetWait(true)
	// Every column family, so the next start replays no WAL.
	for _, h := range e.cfs {
		if h == nil {
			continue
		}
		if ferr := e.db.FlushCF(h, fo); ferr != nil && err == nil {
			err = ferr
		}
	}
	fo.Destroy()
	e.closeDB()
	return err
}

func (e *Engine) closeDB() {
	for _, h := range e.cfs {
		if h != nil {
			h.Destroy()
		}
	}
	e.db.Close()
	e.ro.Destroy()
	e.roMem.Destroy()
	e.woNo.Destroy()
	e.woSyn.Destroy()
	e.rocks.Destroy()
}
