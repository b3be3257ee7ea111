package store

import (
	"bytes"
	"math/rand/v2"
)

// Hashes.
//
// Element key = the field, element value = the field's value, under the
// hash's id; the metadata's Count is the number of fields (HLEN is O(1))
// and its body is empty. HGET is one point read. Fields iterate in byte
// order (Redis's order is unspecified).

// Sampling limits of HRANDFIELD. Hashes up to hashSampleExact fields, or
// up to hashSampleLoad fields when the request is big compared to the
// hash, are loaded whole and sampled exactly. Bigger ones are sampled by
// seeks (see seekSample), or streamed once when many distinct fields are
// wanted.
const (
	hashSampleExact = 1024
	hashSampleLoad  = 65536
)

// seekWalk is how many fields a seek sample may step past its landing
// point, to spread picks that land on the same field.
const seekWalk = 16

// Hash is a hash key opened by OpenHash for the duration of one command:
// read it and change it through its methods, then Save once. A Hash is
// valid only within the task that opened it.
type Hash struct {
	tx     *Tx
	db     int
	key    []byte
	old    Meta // metadata when opened or last saved (Body unused)
	exists bool // the key holds a hash in the store (as of the last Save)
	fresh  bool // the id was allocated by this Hash: nothing of it is on disk
	dirty  bool // count changed since the last Save
	edited bool // a field's value changed since the last Save
	id     uint64
	count  uint64
}

// OpenHash opens the hash at key in db. The key may be absent (Exists is
// false; Set creates it). ErrWrongType if the key holds another type.
func (tx *Tx) OpenHash(db int, key []byte) (Hash, error) {
	h := Hash{tx: tx, db: db, key: key}
	m, ok, err := tx.LookupType(db, key, TypeHash)
	if err != nil || !ok {
		return h, err
	}
	if m.Count == 0 || m.ID == 0 {
		return h, tx.corrupt("hash metadata", db, key)
	}
	m.Body = nil
	h.old, h.exists, h.id, h.count = m, true, m.ID, m.Count
	return h, nil
}

// Exists reports whether the hash has fields.
func (h *Hash) Exists() bool { return h.count > 0 }

// Len returns the number of fields.
func (h *Hash) Len() int64 { return int64(h.count) }

// Get returns the value of field. The slice is valid until the next write.
func (h *Hash) Get(field []byte) ([]byte, bool, error) {
	if h.id == 0 {
		return nil, false, nil
	}
	if h.fresh {
		// Only this command can have written the id: skip RocksDB.
		h.tx.k2 = appendSubKey(h.tx.k2[:0], h.id, field)
		v, del, found := h.tx.ov.get(CFSub, h.tx.k2)
		return v, found && !del, nil
	}
	return h.tx.GetElem(CFSub, h.id, field)
}

// Set sets field to val, creating the hash if needed, and reports whether
// the field is new.
func (h *Hash) Set(field, val []byte) (bool, error) {
	if h.id == 0 {
		id, err := h.tx.NewID()
		if err != nil {
			return false, err
		}
		h.id, h.fresh = id, true
	}
	_, found, err := h.Get(field)
	if err != nil {
		return false, err
	}
	h.tx.PutElem(CFSub, h.id, field, val)
	if !found {
		h.count++
		h.dirty = true
	}
	h.edited = true
	return !found, nil
}

// Del deletes field and reports whether it was there.
func (h *Hash) Del(field []byte) (bool, error) {
	_, found, err := h.Get(field)
	if err != nil || !found {
		return false, err
	}
	h.tx.DelElem(CFSub, h.id, field)
	h.count--
	h.dirty = true
	return true, nil
}

// Each calls fn for every field and value, in field order, until fn
// returns false. The slices are valid during the call.
func (h *Hash) Each(fn func(field, val []byte) bool) error {
	if h.count == 0 {
		return nil
	}
	h.fresh = false // Iter commits the overlay's writes of the id
	it := h.tx.Iter(CFSub, h.id, nil, nil, false)
	defer it.Close()
	seen := uint64(0)
	for ; it.Valid(); it.Next() {
		seen++
		if !fn(it.Key(), it.Value()) {
			return it.Err()
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if seen != h.count {
		return h.tx.corrupt("hash field count", h.db, h.key)
	}
	return nil
}

// Scan visits up to count fields after the field after (nil: from the
// first field) in field order and returns the last one visited, or nil
// when the hash has no field beyond it.
func (h *Hash) Scan(after []byte, count int, fn func(field, val []byte)) ([]byte, error) {
	if h.count == 0 {
		return nil, nil
	}
	var from []byte
	if after != nil {
		from = append(append(make([]byte, 0, len(after)+1), after...), 0)
	}
	h.fresh = false
	it := h.tx.Iter(CFSub, h.id, from, nil, false)
	defer it.Close()
	var last []byte
	for n := 0; it.Valid(); it.Next() {
		if n == count {
			return last, it.Err()
		}
		k := it.Key()
		fn(k, it.Value())
		last = append(last[:0], k...)
		n++
	}
	return nil, it.Err()
}

// Random calls fn with fields chosen at random and their values: n
// distinct ones (all of them, in field order, when n >= Len), or with
// repeat n that may repeat. Small hashes are sampled exactly (uniformly);
// big ones by seeking to random keys between the first and the last field
// and stepping a random distance on, which reads little but favours
// fields after wide gaps in the key space.
func (h *Hash) Random(n int64, repeat bool, fn func(field, val []byte)) error {
	if h.count == 0 || n <= 0 {
		return nil
	}
	if !repeat && uint64(n) >= h.count {
		return h.Each(func(f, v []byte) bool { fn(f, v); return true })
	}
	if h.count <= hashSampleExact || (h.count <= hashSampleLoad && h.count <= 8*uint64(n)) {
		var fields, vals [][]byte
		err := h.Each(func(f, v []byte) bool {
			fields = append(fields, append([]byte(nil), f...))
			vals = append(vals, append([]byte(nil), v...))
			return true
		})
		if err != nil {
			return err
		}
		if repeat {
			for ; n > 0; n-- {
				i := rand.IntN(len(fields))
				fn(fields[i], vals[i])
			}
			return nil
		}
		// A partial Fisher-Yates shuffle picks n distinct fields.
		for i := 0; i < int(n); i++ {
			j := i + rand.IntN(len(fields)-i)
			fields[i], fields[j] = fields[j], fields[i]
			vals[i], vals[j] = vals[j], vals[i]
			fn(fields[i], vals[i])
		}
		return nil
	}
	if !repeat && uint64(n)*3 > h.count {
		return h.selectionSample(uint64(n), fn)
	}
	return h.seekSample(n, repeat, fn)
}

// selectionSample streams the hash once and picks n distinct fields with
// equal probability (Knuth's algorithm S).
func (h *Hash) selectionSample(n uint64, fn func(field, val []byte)) error {
	left := h.count
	return h.Each(func(f, v []byte) bool {
		if rand.Uint64N(left) < n {
			fn(f, v)
			n--
		}
		left--
		return n > 0
	})
}

// seekSample picks fields by seeking to random keys between the first and
// the last field: after their common prefix come random bytes drawn from
// the alphabet the fields at both ends use after it (so "user:1" ..
// "user:99999" draws digits and hex names draw hex digits), over a random
// length; the pick then steps up to seekWalk-1 fields on.
func (h *Hash) seekSample(n int64, repeat bool, fn func(field, val []byte)) error {
	first, last, alphabet, err := h.sampleFrame()
	if err != nil || first == nil {
		return err
	}
	it := h.tx.Iter(CFSub, h.id, nil, nil, false)
	defer it.Close()
	cp := 0
	for cp < len(first) && cp < len(last) && first[cp] == last[cp] {
		cp++
	}
	// The first drawn byte stays within the ends' bytes at that position.
	var lead []byte
	for _, b := range alphabet {
		if (cp >= len(first) || b >= first[cp]) && (cp >= len(last) || b <= last[cp]) {
			lead = append(lead, b)
		}
	}
	if len(lead) == 0 {
		lead = alphabet
	}
	var seen map[string]struct{}
	if !repeat {
		seen = make(map[string]struct{}, min(n, 1024))
	}
	target := make([]byte, 0, cp+8)
	for tries := int64(0); n > 0; tries++ {
		if !repeat && tries > 64*int64(len(seen)+16) {
			// Too many repeats (fields clustered in the key space): one
			// exact pass over what is still needed.
			return h.selectionSampleExcept(uint64(n), seen, fn)
		}
		target = append(target[:0], first[:cp]...)
		target = append(target, lead[rand.IntN(len(lead))])
		for i := rand.IntN(8); i > 0; i-- {
			target = append(target, alphabet[rand.IntN(len(alphabet))])
		}
		it.Seek(h.id, target)
		for step := rand.IntN(seekWalk); ; step-- {
			if !it.Valid() {
				if err := it.Err(); err != nil {
					return err
				}
				it.Seek(h.id, first) // wrap around
			}
			if step == 0 || !it.Valid() {
				break
			}
			it.Next()
		}
		if !it.Valid() {
			return it.Err()
		}
		f := it.Key()
		if !repeat {
			if _, dup := seen[string(f)]; dup {
				continue
			}
			seen[string(f)] = struct{}{}
		}
		fn(f, it.Value())
		n--
	}
	return it.Err()
}

// sampleFrame returns the first and last fields and the sorted set of
// bytes the first and last few fields use after the ends' common prefix.
func (h *Hash) sampleFrame() (first, last, alphabet []byte, err error) {
	const probe = 32
	var ends [][]byte
	h.fresh = false
	for _, reverse := range []bool{false, true} {
		it := h.tx.Iter(CFSub, h.id, nil, nil, reverse)
		for i := 0; i < probe && it.Valid(); i++ {
			ends = append(ends, bytes.Clone(it.Key()))
			it.Next()
		}
		err = it.Err()
		it.Close()
		if err != nil {
			return nil, nil, nil, err
		}
	}
	if len(ends) == 0 {
		return nil, nil, nil, nil
	}
	first, last = ends[0], ends[len(ends)-1]
	cp := 0
	for cp < len(first) && cp < len(last) && first[cp] == last[cp] {
		cp++
	}
	var set [256]bool
	for _, f := range ends {
		for _, b := range f[min(cp, len(f)):] {
			set[b] = true
		}
	}
	for b, ok := range set {
		if ok {
			alphabet = append(alphabet, byte(b))
		}
	}
	if len(alphabet) == 0 {
		alphabet = []byte{0}
	}
	return first, last, alphabet, nil
}

// selectionSampleExcept is selectionSample over the fields not in skip.
func (h *Hash) selectionSampleExcept(n uint64, skip map[string]struct{}, fn func(field, val []byte)) error {
	left := h.count - uint64(len(skip))
	return h.Each(func(f, v []byte) bool {
		if _, ok := skip[string(f)]; ok {
			return true
		}
		if rand.Uint64N(left) < n {
			fn(f, v)
			n--
		}
		left--
		return n > 0
	})
}

// Save writes the hash's metadata if its field count changed; a hash left
// without fields is deleted (its fields are already gone). A hash whose
// values changed only marks the key modified (WATCH). It reports whether
// it deleted the key.
func (h *Hash) Save() bool {
	if !h.dirty {
		if h.edited {
			h.tx.modified(h.db, h.key)
		}
		h.edited = false
		return false
	}
	h.dirty, h.edited = false, false
	if h.count == 0 {
		if h.exists {
			h.tx.dropEmptied(h.db, h.key, &h.old)
			h.exists = false
			return true
		}
		return false
	}
	m := Meta{Type: TypeHash, ID: h.id, Count: h.count}
	if h.exists {
		m.Expire = h.old.Expire
		h.tx.PutMeta(h.db, h.key, &m, &h.old)
	} else {
		h.tx.PutMeta(h.db, h.key, &m, nil)
	}
	h.old, h.exists = m, true
	return false
}
