package store

/*
#cgo CXXFLAGS: -std=c++17
#cgo LDFLAGS: -lrocksdb -lstdc++
#include <stdlib.h>
#include "rocksdb/c.h"

extern char* diskdb_resume(rocksdb_t* db);
extern void diskdb_log_to_stderr(rocksdb_options_t* opts);
*/
import "C"

import (
	"errors"
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
