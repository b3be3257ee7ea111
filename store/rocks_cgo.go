package store

/*
#cgo LDFLAGS: -lrocksdb
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "rocksdb/c.h"

// dd_iter_fill copies entries from it, advancing it, into buf as records
// [u32 klen][u32 vlen][key][value], up to max entries or until the next one
// would not fit. It returns the number copied; when even the first does not
// fit it returns -1 and sets *used to the size that one needs.
static int dd_iter_fill(rocksdb_iterator_t* it, int reverse, char* buf, size_t cap, size_t* used, int max) {
	size_t off = 0;
	int n = 0;
	while (n < max && rocksdb_iter_valid(it)) {
		size_t kl, vl;
		const char* k = rocksdb_iter_key(it, &kl);
		const char* v = rocksdb_iter_value(it, &vl);
		size_t need = 8 + kl + vl;
		if (off + need > cap) {
			if (n == 0) {
				*used = need;
				return -1;
			}
			break;
		}
		uint32_t a = (uint32_t)kl, b = (uint32_t)vl;
		memcpy(buf + off, &a, 4);
		memcpy(buf + off + 4, &b, 4);
		memcpy(buf + off + 8, k, kl);
		memcpy(buf + off + 8 + kl, v, vl);
		off += need;
		n++;
		if (reverse) rocksdb_iter_prev(it); else rocksdb_iter_next(it);
	}
	*used = off;
	return n;
}

// dd_get reads key into buf when it fits. It returns 1 found (*vlen set; the
// value is copied only if *vlen <= cap), 0 absent, -1 error (*err set), -2
// unknown: a no-I/O read (noio set, ro has the block-cache tier) that could
// not tell.
//
// Why -2: in RocksDB 7.8 a block-cache-tier Get that meets a table file not
// in the table cache marks the key "may exist" and returns OK with an empty
// value (TableCache::Get, GetContext::MarkKeyMayExist), indistinguishable
// from a key whose value is empty. So an empty value found without I/O is
// confirmed with KeyMayExist, whose value_found flag tells the two apart.
static int dd_get(rocksdb_t* db, const rocksdb_readoptions_t* ro, rocksdb_column_family_handle_t* cf,
		const char* key, size_t klen, char* buf, size_t cap, size_t* vlen, char** err, int noio) {
	rocksdb_pinnableslice_t* p = rocksdb_get_pinned_cf(db, ro, cf, key, klen, err);
	if (*err != NULL) return -1;
	if (p == NULL) return 0;
	size_t l;
	const char* v = rocksdb_pinnableslice_value(p, &l);
	*vlen = l;
	if (l <= cap && l > 0) memcpy(buf, v, l);
	rocksdb_pinnableslice_destroy(p);
	if (l == 0 && noio) {
		char* mv = NULL;
		size_t ml = 0;
		unsigned char found = 0;
		unsigned char may = rocksdb_key_may_exist_cf(db, ro, cf, key, klen, &mv, &ml, NULL, 0, &found);
		if (mv != NULL) free(mv);
		if (!may) return 0;
		if (!found) return -2;
	}
	return 1;
}
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"unsafe"

	"github.com/linxGnu/grocksdb"
)

// DiskDB calls a few RocksDB C functions directly where grocksdb would
// cross into C several times per value: a point read that copies straight
// into Go memory (one crossing instead of two), and an iterator that copies
// a batch of entries per crossing (instead of four crossings per entry).
// grocksdb keeps its C handles in the first field of each wrapper; these
// accessors read them.

func cDB(db *grocksdb.DB) *C.rocksdb_t { return *(**C.rocksdb_t)(unsafe.Pointer(db)) }
func cCF(h *grocksdb.ColumnFamilyHandle) *C.rocksdb_column_family_handle_t {
	return *(**C.rocksdb_column_family_handle_t)(unsafe.Pointer(h))
}
func cRO(ro *grocksdb.ReadOptions) *C.rocksdb_readoptions_t {
	return *(**C.rocksdb_readoptions_t)(unsafe.Pointer(ro))
}
func cIter(it *grocksdb.Iterator) *C.rocksdb_iterator_t {
	return *(**C.rocksdb_iterator_t)(unsafe.Pointer(it))
}

// errNotInMemory reports a no-I/O read that needs the disk.
var errNotInMemory = errors.New("Incomplete: value not in memory")

// getInto appends the value of (cf, key) to dst. found reports presence.
func (e *Engine) getInto(ro *grocksdb.ReadOptions, cf CF, key, dst []byte) (out []byte, found bool, err error) {
	var kp *C.char
	if len(key) > 0 {
		kp = (*C.char)(unsafe.Pointer(&key[0]))
	}
	for {
		spare := dst[len(dst):cap(dst)]
		var bp *C.char
		if len(spare) > 0 {
			bp = (*C.char)(unsafe.Pointer(&spare[0]))
		}
		var vlen C.size_t
		var cerr *C.char
		noio := C.int(0)
		if ro == e.roMem {
			noio = 1
		}
		r := C.dd_get(cDB(e.db), cRO(ro), cCF(e.cfs[cf]), kp, C.size_t(len(key)), bp, C.size_t(len(spare)), &vlen, &cerr, noio)
		switch r {
		case -2:
			return dst, false, errNotInMemory
		case -1:
			msg := C.GoString(cerr)
			C.free(unsafe.Pointer(cerr))
			return dst, false, readErr(errors.New(msg))
		case 0:
			return dst, false, nil
		}
		n := int(vlen)
		if n <= len(spare) {
			return dst[:len(dst)+n], true, nil
		}
		grown := make([]byte, len(dst), 2*cap(dst)+n)
		copy(grown, dst)
		dst = grown
	}
}

// fill copies up to max entries from it into buf (reused), returning the
// records as key/value slices into buf.
func iterFill(it *grocksdb.Iterator, reverse bool, buf []byte, max int, recs []kv) ([]byte, []kv) {
	recs = recs[:0]
	rev := C.int(0)
	if reverse {
		rev = 1
	}
	for {
		if cap(buf) == 0 {
			buf = make([]byte, 0, 4096)
		}
		buf = buf[:cap(buf)]
		var used C.size_t
		n := C.dd_iter_fill(cIter(it), rev, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &used, C.int(max))
		if n < 0 {
			buf = make([]byte, 0, int(used)+4096)
			continue
		}
		off := 0
		for i := 0; i < int(n); i++ {
			kl := int(binary.LittleEndian.Uint32(buf[off:]))
			vl := int(binary.LittleEndian.Uint32(buf[off+4:]))
			k := buf[off+8 : off+8+kl : off+8+kl]
			v := buf[off+8+kl : off+8+kl+vl : off+8+kl+vl]
			recs = append(recs, kv{k, v})
			off += 8 + kl + vl
		}
		return buf[:off], recs
	}
}

type kv struct{ k, v []byte }
