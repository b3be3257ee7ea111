package store

import (
	"bytes"
	"slices"
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
	order   []int32          // serialize's sort of the log
	undo    []metaUndo       // metaIdx changes since the oldest mark, when marking
	marking bool
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

// metaUndo is what one metadata write changed in metaIdx: the key's
// previous latest entry, or -1 when it had none.
type metaUndo struct {
	key  string
	prev int32
}

// ovMark is a position in the overlay to roll back to.
type ovMark struct {
	log, arena, undo, ranges, elemEnd int
}

// mark starts (or continues) recording undo information and returns the
// current position.
func (o *overlay) mark() ovMark {
	o.marking = true
	return ovMark{log: len(o.log), arena: len(o.arena), undo: len(o.undo), ranges: o.ranges, elemEnd: o.elemEnd}
}

// rollbackTo drops every write made since m.
func (o *overlay) rollbackTo(m ovMark) {
	for i := len(o.undo) - 1; i >= m.undo; i-- {
		u := o.undo[i]
		if u.prev < 0 {
			delete(o.metaIdx, u.key)
		} else {
			// Assigning replaces the map's key string too: give it the
			// earlier entry's bytes, which stay in the arena.
			pk := o.log[u.prev].key
			o.metaIdx[unsafe.String(unsafe.SliceData(pk), len(pk))] = u.prev
			o.log[u.prev].dead = false
		}
	}
	clear(o.undo[m.undo:])
	o.undo = o.undo[:m.undo]
	if o.elemEnd != m.elemEnd {
		// Index keys built since the mark live past it in the arena, and
		// entries past the mark may have replaced earlier ones: rebuild
		// the index on the next read.
		clear(o.elemIdx)
		o.elemEnd = 0
	}
	clear(o.log[m.log:])
	o.log = o.log[:m.log]
	o.ranges = m.ranges
	if m.arena <= len(o.arena) {
		o.arena = o.arena[:m.arena]
	}
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
	clear(o.undo)
	o.undo, o.marking = o.undo[:0], false
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
		prev, ok := o.metaIdx[ks]
		if ok {
			o.log[prev].dead = true
		}
		if o.marking {
			if !ok {
				prev = -1
			}
			o.undo = append(o.undo, metaUndo{key: ks, prev: prev})
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

// sortedMin is the group size from which serialize orders the batch by key.
const sortedMin = 8

// serialize appends the group's writes to w, leaving out superseded
// metadata writes. Without range deletes, a group of sortedMin writes or
// more goes out ordered by (column family, key): each memtable insert then
// starts from the skiplist position of the previous one (RocksDB keeps that
// splice per memtable) instead of descending from the top, which is most of
// a random insert's cost. Only the order of writes to the same key is
// meaningful, and the sort is stable. A range delete orders against every
// key it covers, so a group with one keeps its log order.
func (o *overlay) serialize(w *wbuf) {
	if o.ranges == 0 && len(o.log) >= sortedMin {
		o.order = o.order[:0]
		for i := range o.log {
			if !o.log[i].dead {
				o.order = append(o.order, int32(i))
			}
		}
		slices.SortStableFunc(o.order, func(a, b int32) int {
			x, y := &o.log[a], &o.log[b]
			if x.cf != y.cf {
				return int(x.cf) - int(y.cf)
			}
			return bytes.Compare(x.key, y.key)
		})
		for _, i := range o.order {
			e := &o.log[i]
			if e.del {
				w.del(e.cf, e.key)
			} else {
				w.put(e.cf, e.key, e.val)
			}
		}
		return
	}
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
