package store

import (
	"bytes"
	"unsafe"
)

// overlay holds the writes of the current group, in order, until the
// group's commit turns them into one RocksDB WriteBatch; later commands of
// the group read them first.
//
// Metadata writes are indexed as they happen (every command looks its key
// up), and a key written several times in a group reaches RocksDB once: the
// earlier writes are marked dead and left out of the batch, so a hot key
// costs one memtable insert per group, not one per command. Element writes
// are indexed only when a read needs it, so a command writing a million
// elements pays no hashing for them.
//
// Keys and values live in one arena reused across groups; index keys alias
// it, so a warm overlay allocates nothing.
type overlay struct {
	arena []byte
	log   []ovEntry

	metaIdx map[string]int32 // meta key → its latest log entry
	elemIdx map[string]int32 // cf·key → latest log entry, built up to elemDone
	elemEnd int              // log entries already in elemIdx
	ranges  int              // range deletes in the log
	scratch []byte
}

type ovEntry struct {
	cf   CF
	del  bool
	rng  bool // a range delete: key is the start, val the end
	dead bool // superseded by a later write of the same meta key
	key  []byte
	val  []byte
}

func newOverlay() *overlay {
	return &overlay{
		metaIdx: make(map[string]int32, 256),
		elemIdx: make(map[string]int32),
		arena:   make([]byte, 0, 64<<10),
	}
}

func (o *overlay) reset() {
	if len(o.log) == 0 {
		return
	}
	clear(o.metaIdx)
	if len(o.elemIdx) > 0 {
		clear(o.elemIdx)
	}
	clear(o.log) // drop references into the arena
	o.log = o.log[:0]
	if cap(o.log) > 1<<16 {
		o.log = nil
	}
	o.elemEnd, o.ranges = 0, 0
	if cap(o.arena) > 16<<20 {
		o.arena = make([]byte, 0, 64<<10) // let a huge group's arena go
	} else {
		o.arena = o.arena[:0]
	}
}

func (o *overlay) empty() bool { return len(o.log) == 0 }

func (o *overlay) store(b []byte) []byte {
	start := len(o.arena)
	o.arena = append(o.arena, b...)
	return o.arena[start:len(o.arena):len(o.arena)]
}

// set records a put (del == false) or a delete of (cf, key).
func (o *overlay) set(cf CF, key, val []byte, del bool) {
	e := ovEntry{cf: cf, del: del, key: o.store(key)}
	if !del {
		e.val = o.store(val)
	}
	i := int32(len(o.log))
	o.log = append(o.log, e)
	if cf == CFMeta {
		ks := unsafe.String(unsafe.SliceData(e.key), len(e.key))
		if prev, ok := o.metaIdx[ks]; ok {
			o.log[prev].dead = true
		}
		o.metaIdx[ks] = i
	}
}

// setRange records a range delete of [start, end) in cf.
func (o *overlay) setRange(cf CF, start, end []byte) {
	o.log = append(o.log, ovEntry{cf: cf, rng: true, key: o.store(start), val: o.store(end)})
	o.ranges++
}

func (o *overlay) keyOf(cf CF, key []byte) []byte {
	o.scratch = append(o.scratch[:0], byte(cf))
	o.scratch = append(o.scratch, key...)
	return o.scratch
}

// indexElems brings the element index up to date.
func (o *overlay) indexElems() {
	for ; o.elemEnd < len(o.log); o.elemEnd++ {
		e := &o.log[o.elemEnd]
		if e.cf == CFMeta || e.rng {
			continue
		}
		// The index key is cf·key; build it in the arena so it can alias.
		start := len(o.arena)
		o.arena = append(o.arena, byte(e.cf))
		o.arena = append(o.arena, e.key...)
		k := o.arena[start:len(o.arena):len(o.arena)]
		o.elemIdx[unsafe.String(unsafe.SliceData(k), len(k))] = int32(o.elemEnd)
	}
}

// get looks (cf, key) up. found reports whether the overlay decides the
// answer; then del tells whether the key is deleted, else val is its value.
func (o *overlay) get(cf CF, key []byte) (val []byte, del, found bool) {
	if len(o.log) == 0 {
		return nil, false, false
	}
	at := int32(-1)
	if cf == CFMeta {
		if i, ok := o.metaIdx[string(key)]; ok {
			at = i
		}
	} else {
		if o.elemEnd < len(o.log) {
			o.indexElems()
		}
		if i, ok := o.elemIdx[string(o.keyOf(cf, key))]; ok {
			at = i
		}
	}
	if at >= 0 {
		e := &o.log[at]
		val, del, found = e.val, e.del, true
	}
	if o.ranges > 0 && o.coveredAfter(cf, key, int(at)) {
		return nil, true, true
	}
	return val, del, found
}

// coveredAfter reports whether a range delete logged after position at
// (-1: any) covers (cf, key).
func (o *overlay) coveredAfter(cf CF, key []byte, at int) bool {
	for i := len(o.log) - 1; i > at; i-- {
		e := &o.log[i]
		if e.rng && e.cf == cf && bytes.Compare(key, e.key) >= 0 && bytes.Compare(key, e.val) < 0 {
			return true
		}
	}
	return false
}

// latestMeta calls fn for every metadata key written in the group with
// its final state (deleted by a later range delete counts as deleted).
func (o *overlay) latestMeta(fn func(key, val []byte, del bool)) {
	for ks, i := range o.metaIdx {
		e := &o.log[i]
		del := e.del
		if !del && o.ranges > 0 && o.coveredAfter(CFMeta, e.key, int(i)) {
			del = true
		}
		fn(unsafe.Slice(unsafe.StringData(ks), len(ks)), e.val, del)
	}
}

// serialize appends the group's writes to w in order, leaving out
// superseded metadata writes.
func (o *overlay) serialize(w *wbuf) {
	for i := range o.log {
		e := &o.log[i]
		switch {
		case e.dead:
		case e.rng:
			w.delRange(e.cf, e.key, e.val)
		case e.del:
			w.del(e.cf, e.key)
		default:
			w.put(e.cf, e.key, e.val)
		}
	}
}

// pending returns the group's writes of cf within [lower, upper) (nil:
// unbounded): the latest state of each key, in no order, and the range
// deletes of cf, each with its log position for ordering.
func (o *overlay) pending(cf CF, lower, upper []byte, fn func(pos int, e *ovEntry)) {
	for i := range o.log {
		e := &o.log[i]
		if e.cf != cf || e.dead {
			continue
		}
		if e.rng {
			if (upper == nil || bytes.Compare(e.key, upper) < 0) && (lower == nil || bytes.Compare(e.val, lower) > 0) {
				fn(i, e)
			}
			continue
		}
		if (lower == nil || bytes.Compare(e.key, lower) >= 0) && (upper == nil || bytes.Compare(e.key, upper) < 0) {
			fn(i, e)
		}
	}
}
