package store

/*
#cgo CXXFLAGS: -std=c++17
#cgo LDFLAGS: -lrocksdb -lstdc++
#include <stdlib.h>
#include "rocksdb/c.h"

extern char* diskdb_resume(rocksdb_t* db);
extern void diskdb_log_to_stderr(rocksdb_options_t* opts);
extern long long diskdb_corruption_lines();
*/
import "C"

import (
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/linxGnu/grocksdb"
)

// resumeDB clears RocksDB's background error (DB::Resume, rocks_ext.cpp):
// it flushes the memtables to a new WAL and SST files and lets writes in
// again, or returns why it cannot yet (the disk is still full).
func (e *Engine) resumeDB() error {
	msg := C.diskdb_resume(cDB(e.db))
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}

// logToStderr sends RocksDB's info log to standard error instead of the
// LOG file in the data directory (rocks_ext.cpp says why). Call it after
// the log level is set.
func logToStderr(o *grocksdb.Options) {
	C.diskdb_log_to_stderr(*(**C.rocksdb_options_t)(unsafe.Pointer(o)))
}

// corruptReads counts reads RocksDB refused because a checksum or a record
// did not verify (verify_checksums is on for every read).
var (
	corruptReads  atomic.Int64
	corruptLogged atomic.Int64 // unix seconds of the last log line
)

// readErr notes a read error: a corruption is counted and logged (at most
// once a second) before the error goes back to the client, so damaged data
// is refused loudly, never served.
func readErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "Corruption") || strings.Contains(msg, "checksum mismatch") {
		corruptReads.Add(1)
		now := time.Now().Unix()
		if last := corruptLogged.Load(); last != now && corruptLogged.CompareAndSwap(last, now) {
			slog.Default().Error("storage corruption detected; the damaged records are refused, not served", "err", msg, "corrupt_reads", corruptReads.Load())
		}
	}
	return err
}

// Corruptions returns the reads refused for corruption and the lines
// RocksDB logged about corruption since the process started.
func Corruptions() (reads, logged int64) {
	return corruptReads.Load(), int64(C.diskdb_corruption_lines())
}
