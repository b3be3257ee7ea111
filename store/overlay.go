package store

import (
	"bytes"
	"unsafe"
)

// overlay holds the writes of the current group so that later commands of
// the group read them before they reach RocksDB. Keys and values live in one
// arena that is reused across groups; the index map's string keys alias the
// arena, so a warm overlay allocates nothing.
type overlay struct {
	arena   []byte
	index   map[string]int32
	entries []ovEntry
	ranges  []ovRange
	seq     int32
	scratch []byte
}

type ovEntry struct {
	val []byte // aliases arena; nil with del
	del bool
	seq int32
}

type ovRange struct {
	cf         CF
	start, end []byte
	seq        int32
}

func newOverlay() *overlay {
	return &overlay{index: make(map[string]int32, 256), arena: make([]byte, 0, 64<<10)}
}

func (o *overlay) reset() {
	if len(o.entries) == 0 && len(o.ranges) == 0 {
		return
	}
	clear(o.index)
	o.entries = o.entries[:0]
	o.ranges = o.ranges[:0]
	if cap(o.arena) > 16<<20 {
		o.arena = make([]byte, 0, 64<<10) // let a huge group's arena go
	} else {
		o.arena = o.arena[:0]
	}
	o.seq = 0
}

func (o *overlay) empty() bool { return len(o.entries) == 0 && len(o.ranges) == 0 }

func (o *overlay) keyOf(cf CF, key []byte) []byte {
	o.scratch = append(o.scratch[:0], byte(cf))
	o.scratch = append(o.scratch, key...)
	return o.scratch
}

// set records a put (del == false) or a delete of (cf, key).
func (o *overlay) set(cf CF, key, val []byte, del bool) {
	o.seq++
	k := o.keyOf(cf, key)
	var v []byte
	if !del {
		start := len(o.arena)
		o.arena = append(o.arena, val...)
		v = o.arena[start:len(o.arena):len(o.arena)]
	}
	if i, ok := o.index[string(k)]; ok {
		o.entries[i] = ovEntry{val: v, del: del, seq: o.seq}
		return
	}
	start := len(o.arena)
	o.arena = append(o.arena, k...)
	ks := unsafe.String(&o.arena[start], len(k))
	o.index[ks] = int32(len(o.entries))
	o.entries = append(o.entries, ovEntry{val: v, del: del, seq: o.seq})
}

// setRange records a range delete of [start, end) in cf.
func (o *overlay) setRange(cf CF, start, end []byte) {
	o.seq++
	s := len(o.arena)
	o.arena = append(o.arena, start...)
	m := len(o.arena)
	o.arena = append(o.arena, end...)
	o.ranges = append(o.ranges, ovRange{cf: cf, start: o.arena[s:m:m], end: o.arena[m:len(o.arena):len(o.arena)], seq: o.seq})
}

// get looks (cf, key) up. found reports whether the overlay decides the
// answer; then del tells whether the key is deleted, else val is its value.
func (o *overlay) get(cf CF, key []byte) (val []byte, del, found bool) {
	if len(o.entries) == 0 && len(o.ranges) == 0 {
		return nil, false, false
	}
	var seq int32 = -1
	if i, ok := o.index[string(o.keyOf(cf, key))]; ok {
		e := &o.entries[i]
		val, del, found, seq = e.val, e.del, true, e.seq
	}
	for i := range o.ranges {
		r := &o.ranges[i]
		if r.cf == cf && r.seq > seq && bytes.Compare(key, r.start) >= 0 && bytes.Compare(key, r.end) < 0 {
			return nil, true, true
		}
	}
	return val, del, found
}

// each calls fn for every point entry of cf, in no order.
func (o *overlay) each(cf CF, fn func(key, val []byte, del bool)) {
	for k, i := range o.index {
		if CF(k[0]) != cf {
			continue
		}
		e := &o.entries[i]
		fn(unsafe.Slice(unsafe.StringData(k[1:]), len(k)-1), e.val, e.del)
	}
}
