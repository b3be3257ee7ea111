package store

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"sort"
)

// Sets (Redis's t_set.c), as drawn in doc.go: a metadata record (TypeSet,
// id, count = the cardinality) and one element per member in CFSub, key
// id·member, empty value. SCARD reads the metadata only, SISMEMBER is one
// point read, and members iterate in byte order.
//
// This file also holds what sets and sorted sets share: the collection
// handle (coll), random sampling and cursor walks over elements.

// coll is a set or sorted set being read or changed by one command: the
// metadata as looked up (old) and as it will be written (m).
type coll struct {
	tx     *Tx
	db     int
	key    []byte
	old    Meta
	m      Meta
	exists bool // the key exists (as looked up, or since save created it)
	// fresh: the id was allocated by this command, so no element of it is
	// on disk and membership tests need only look at the group's writes.
	fresh bool
}

// openColl looks key up as a collection of type t. An absent key gives an
// empty handle (exists false); another type gives ErrWrongType.
func (tx *Tx) openColl(db int, key []byte, t Type) (coll, error) {
	m, ok, err := tx.LookupType(db, key, t)
	if err != nil {
		return coll{}, err
	}
	c := coll{tx: tx, db: db, key: key, exists: ok}
	if ok {
		m.Body = bytes.Clone(m.Body) // aliases a read buffer
		c.old, c.m = m, m
	}
	return c, nil
}

// create gives an absent collection a fresh id (no-op if it has one).
func (c *coll) create(t Type) error {
	if c.m.ID != 0 {
		return nil
	}
	id, err := c.tx.NewID()
	if err != nil {
		return err
	}
	c.m = Meta{Type: t, ID: id}
	c.fresh = true
	return nil
}

// getElem reads element elem of the collection from cf.
func (c *coll) getElem(cf CF, elem []byte) ([]byte, bool, error) {
	if c.fresh {
		c.tx.k2 = appendSubKey(c.tx.k2[:0], c.m.ID, elem)
		v, del, found := c.tx.ov.get(cf, c.tx.k2)
		return v, found && !del, nil
	}
	return c.tx.GetElem(cf, c.m.ID, elem)
}

// save writes the metadata if the count changed: it creates the key, updates
// it (keeping its expiry) or, when the collection became empty, deletes it.
// It reports whether it deleted the key.
func (c *coll) save() bool {
	switch {
	case c.m.Count == 0 && c.exists:
		c.tx.dropEmpty(c.db, c.key, &c.old)
		c.exists, c.fresh = false, false
		c.old, c.m = Meta{}, Meta{}
		return true
	case c.m.Count == 0:
		// Never written: nothing to do.
	case !c.exists:
		c.tx.PutMeta(c.db, c.key, &c.m, nil)
		c.exists, c.old = true, c.m
	case c.m.Count != c.old.Count:
		c.tx.PutMeta(c.db, c.key, &c.m, &c.old)
		c.old = c.m
	}
	return false
}

// dropEmpty deletes the metadata of a collection whose elements this batch
// has already deleted one by one (DeleteKey would look for them again).
func (tx *Tx) dropEmpty(db int, key []byte, m *Meta) {
	tx.mk = appendMetaKey(tx.mk[:0], db, key)
	tx.del(CFMeta, tx.mk)
	if m.Expire != 0 {
		tx.k2 = appendExpireKey(tx.k2[:0], m.Expire, db, key)
		tx.del(CFExpire, tx.k2)
	}
	tx.countKey(db, key, -1, -b2i(m.Expire != 0))
}

// replaceKey deletes key (any type) to make room for a new value. It
// reports whether there was one.
func (tx *Tx) replaceKey(db int, key []byte) (bool, error) {
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return false, err
	}
	tx.DeleteKey(db, key, &m)
	return true, nil
}

// arena collects copies of byte strings in one buffer.
type arena struct {
	buf  []byte
	ends []int
}

func (a *arena) add(b []byte) {
	a.buf = append(a.buf, b...)
	a.ends = append(a.ends, len(a.buf))
}

func (a *arena) len() int { return len(a.ends) }

// slices returns the collected strings (aliasing the arena).
func (a *arena) slices() [][]byte {
	out := make([][]byte, len(a.ends))
	start := 0
	for i, e := range a.ends {
		out[i] = a.buf[start:e:e]
		start = e
	}
	return out
}

// --- set API ---

// SAdd adds members to the set at key, creating it. It returns how many
// were not members yet.
func (tx *Tx) SAdd(db int, key []byte, members [][]byte) (int64, error) {
	c, err := tx.openColl(db, key, TypeSet)
	if err != nil {
		return 0, err
	}
	if err := c.create(TypeSet); err != nil {
		return 0, err
	}
	var added int64
	for _, mb := range members {
		_, ok, err := c.getElem(CFSub, mb)
		if err != nil {
			c.save()
			return added, err
		}
		if !ok {
			tx.PutElem(CFSub, c.m.ID, mb, nil)
			c.m.Count++
			added++
		}
	}
	c.save()
	return added, nil
}

// SRem removes members from the set at key. It returns how many were
// members and whether the set became empty (and was deleted).
func (tx *Tx) SRem(db int, key []byte, members [][]byte) (int64, bool, error) {
	c, err := tx.openColl(db, key, TypeSet)
	if err != nil || !c.exists {
		return 0, false, err
	}
	var removed int64
	for _, mb := range members {
		_, ok, err := c.getElem(CFSub, mb)
		if err != nil {
			return removed, c.save(), err
		}
		if ok {
			tx.DelElem(CFSub, c.m.ID, mb)
			c.m.Count--
			removed++
		}
	}
	return removed, c.save(), nil
}

// SCard returns the cardinality of the set at key (0 if absent).
func (tx *Tx) SCard(db int, key []byte) (int64, error) {
	m, ok, err := tx.LookupType(db, key, TypeSet)
	if err != nil || !ok {
		return 0, err
	}
	return int64(m.Count), nil
}

// SIsMember reports whether member is in the set at key.
func (tx *Tx) SIsMember(db int, key, member []byte) (bool, error) {
	m, ok, err := tx.LookupType(db, key, TypeSet)
	if err != nil || !ok {
		return false, err
	}
	_, ok, err = tx.GetElem(CFSub, m.ID, member)
	return ok, err
}

// SMIsMember appends to dst, for each member, whether it is in the set.
func (tx *Tx) SMIsMember(db int, key []byte, members [][]byte, dst []bool) ([]bool, error) {
	m, ok, err := tx.LookupType(db, key, TypeSet)
	if err != nil {
		return dst, err
	}
	for _, mb := range members {
		in := false
		if ok {
			if _, in, err = tx.GetElem(CFSub, m.ID, mb); err != nil {
				return dst, err
			}
		}
		dst = append(dst, in)
	}
	return dst, nil
}

// SMembers returns the members of the set at key, in byte order (copies).
func (tx *Tx) SMembers(db int, key []byte) ([][]byte, error) {
	m, ok, err := tx.LookupType(db, key, TypeSet)
	if err != nil || !ok {
		return nil, err
	}
	return tx.setMembers(&m)
}

func (tx *Tx) setMembers(m *Meta) ([][]byte, error) {
	var a arena
	a.ends = make([]int, 0, capHint(m.Count))
	it := tx.Iter(CFSub, m.ID, nil, nil, false)
	for ; it.Valid(); it.Next() {
		a.add(it.Key())
	}
	err := it.Err()
	it.Close()
	return a.slices(), err
}

// capHint bounds a preallocation taken from a stored count.
func capHint(n uint64) int {
	if n > 1<<16 {
		return 1 << 16
	}
	return int(n)
}

// SMoveResult tells what SMove changed, for the keyspace events.
type SMoveResult struct {
	Moved      bool // member was in src and is now in dst
	SrcDeleted bool // src became empty and was deleted
	Added      bool // member was not in dst before
}

// SMove moves member from the set src to the set dst. As Redis does, an
// absent src answers "not moved" before dst's type is checked.
func (tx *Tx) SMove(db int, src, dst, member []byte) (SMoveResult, error) {
	var r SMoveResult
	sm, ok, err := tx.Lookup(db, src)
	if err != nil || !ok {
		return r, err
	}
	if sm.Type != TypeSet {
		return r, ErrWrongType
	}
	s, err := tx.openColl(db, src, TypeSet)
	if err != nil {
		return r, err
	}
	d, err := tx.openColl(db, dst, TypeSet)
	if err != nil {
		return r, err
	}
	if bytes.Equal(src, dst) {
		_, in, err := s.getElem(CFSub, member)
		r.Moved = in
		return r, err
	}
	if _, in, err := s.getElem(CFSub, member); err != nil || !in {
		return r, err
	}
	tx.DelElem(CFSub, s.m.ID, member)
	s.m.Count--
	r.Moved = true
	r.SrcDeleted = s.save()
	if err := d.create(TypeSet); err != nil {
		return r, err
	}
	_, in, err := d.getElem(CFSub, member)
	if err != nil {
		return r, err
	}
	if !in {
		tx.PutElem(CFSub, d.m.ID, member, nil)
		d.m.Count++
		r.Added = true
	}
	d.save()
	return r, nil
}

// openSets opens the sets at keys for reading (absent keys are empty). It
// checks every key's type before anything else, as Redis does.
func (tx *Tx) openSets(db int, keys [][]byte) ([]Meta, error) {
	ms := make([]Meta, len(keys))
	for i, k := range keys {
		m, ok, err := tx.LookupType(db, k, TypeSet)
		if err != nil {
			return nil, err
		}
		if ok {
			ms[i] = m
			ms[i].Body = nil
		}
	}
	return ms, nil
}

// SetOp is a set algebra operation.
type SetOp int

// Set algebra operations.
const (
	SetUnion SetOp = iota
	SetInter
	SetDiff
)

// SetAlgebra computes op over the sets at keys (absent keys are empty
// sets; SetDiff subtracts the others from the first). The members come in
// byte order (union, intersection and difference alike). ErrWrongType if
// any key holds another type.
func (tx *Tx) SetAlgebra(db int, op SetOp, keys [][]byte) ([][]byte, error) {
	ms, err := tx.openSets(db, keys)
	if err != nil {
		return nil, err
	}
	switch op {
	case SetInter:
		var a arena
		_, err := tx.setInter(ms, 0, func(mb []byte) { a.add(mb) })
		return a.slices(), err
	case SetDiff:
		return tx.setDiff(ms)
	}
	return tx.setUnion(ms)
}

// SInterCard returns the size of the intersection of the sets at keys,
// counting no further than limit (0: no limit).
func (tx *Tx) SInterCard(db int, keys [][]byte, limit int64) (int64, error) {
	ms, err := tx.openSets(db, keys)
	if err != nil {
		return 0, err
	}
	return tx.setInter(ms, limit, nil)
}

// setInter walks the smallest set and tests each member in the others.
func (tx *Tx) setInter(ms []Meta, limit int64, emit func([]byte)) (int64, error) {
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
		if ms[i].ID == 0 {
			return 0, nil // an empty input: empty intersection
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return ms[order[a]].Count < ms[order[b]].Count })
	small := &ms[order[0]]
	var n int64
	it := tx.Iter(CFSub, small.ID, nil, nil, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		mb := it.Key()
		in := true
		for _, j := range order[1:] {
			if ms[j].ID == small.ID {
				continue
			}
			var err error
			if _, in, err = tx.GetElem(CFSub, ms[j].ID, mb); err != nil {
				return n, err
			}
			if !in {
				break
			}
		}
		if !in {
			continue
		}
		n++
		if emit != nil {
			emit(mb)
		}
		if limit > 0 && n >= limit {
			break
		}
	}
	return n, it.Err()
}

func (tx *Tx) setUnion(ms []Meta) ([][]byte, error) {
	var live []*Meta
	for i := range ms {
		if ms[i].ID != 0 {
			live = append(live, &ms[i])
		}
	}
	if len(live) == 1 {
		return tx.setMembers(live[0])
	}
	seen := map[string]struct{}{}
	var a arena
	for _, m := range live {
		it := tx.Iter(CFSub, m.ID, nil, nil, false)
		for ; it.Valid(); it.Next() {
			k := it.Key()
			if _, dup := seen[string(k)]; !dup {
				seen[string(k)] = struct{}{}
				a.add(k)
			}
		}
		err := it.Err()
		it.Close()
		if err != nil {
			return nil, err
		}
	}
	out := a.slices()
	slices.SortFunc(out, bytes.Compare)
	return out, nil
}

func (tx *Tx) setDiff(ms []Meta) ([][]byte, error) {
	if ms[0].ID == 0 {
		return nil, nil
	}
	var a arena
	it := tx.Iter(CFSub, ms[0].ID, nil, nil, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		mb := it.Key()
		keep := true
		for j := 1; j < len(ms) && keep; j++ {
			if ms[j].ID == 0 {
				continue
			}
			_, in, err := tx.GetElem(CFSub, ms[j].ID, mb)
			if err != nil {
				return nil, err
			}
			keep = !in
		}
		if keep {
			a.add(mb)
		}
	}
	return a.slices(), it.Err()
}

// SStore makes key a set of members (distinct), replacing whatever it
// held; no members deletes key. It reports whether key held a value before.
func (tx *Tx) SStore(db int, key []byte, members [][]byte) (bool, error) {
	had, err := tx.replaceKey(db, key)
	if err != nil || len(members) == 0 {
		return had, err
	}
	id, err := tx.NewID()
	if err != nil {
		return had, err
	}
	for _, mb := range members {
		tx.PutElem(CFSub, id, mb, nil)
	}
	tx.PutMeta(db, key, &Meta{Type: TypeSet, ID: id, Count: uint64(len(members))}, nil)
	return had, nil
}

// SPop removes and returns up to n random members of the set at key, and
// whether the set became empty (and was deleted).
func (tx *Tx) SPop(db int, key []byte, n int64) ([][]byte, bool, error) {
	c, err := tx.openColl(db, key, TypeSet)
	if err != nil || !c.exists || n <= 0 {
		return nil, false, err
	}
	if uint64(n) >= c.m.Count {
		all, err := tx.setMembers(&c.m)
		if err != nil {
			return nil, false, err
		}
		tx.dropAll(&c, func() {
			for _, mb := range all {
				tx.DelElem(CFSub, c.m.ID, mb)
			}
		})
		return all, true, nil
	}
	members, _, err := tx.sample(CFSub, &c.m, int(n), false, false)
	if err != nil {
		return nil, false, err
	}
	for _, mb := range members {
		tx.DelElem(CFSub, c.m.ID, mb)
		c.m.Count--
	}
	return members, c.save(), nil
}

// dropAll deletes a collection the caller has read in full: small ones by
// point deletes (delEach deletes every element and zeroes c.m.Count), big
// ones with DeleteKey's range delete.
func (tx *Tx) dropAll(c *coll, delEach func()) {
	if c.m.Count > smallCollection {
		tx.DeleteKey(c.db, c.key, &c.old)
		c.exists, c.old, c.m = false, Meta{}, Meta{}
		return
	}
	delEach()
	c.m.Count = 0
	c.save()
}

// MaxRandomCount caps the count of the random-element commands that may
// repeat elements (SRANDMEMBER, ZRANDMEMBER with a negative count), whose
// reply is built in memory: larger counts are refused rather than allowed
// to exhaust it (Redis would try to serve them).
const MaxRandomCount = 1 << 20

// SRandMember returns n random members of the set at key: distinct ones
// (at most the set's size; the whole set, in byte order, when n covers it)
// or, with repeat, n independent picks.
func (tx *Tx) SRandMember(db int, key []byte, n int64, repeat bool) ([][]byte, error) {
	m, ok, err := tx.LookupType(db, key, TypeSet)
	if err != nil || !ok || n <= 0 {
		return nil, err
	}
	if !repeat && uint64(n) >= m.Count {
		return tx.setMembers(&m)
	}
	out, _, err := tx.sample(CFSub, &m, int(min(n, MaxRandomCount)), repeat, false)
	return out, err
}

// SScan walks up to count members of the set at key after position after
// (nil: from the start) and returns those that match (match nil: all) and
// the position to resume from (nil: the walk is complete).
func (tx *Tx) SScan(db int, key, after []byte, count int, match func([]byte) bool) ([][]byte, []byte, error) {
	m, ok, err := tx.LookupType(db, key, TypeSet)
	if err != nil || !ok {
		return nil, nil, err
	}
	var a arena
	next, err := tx.scanElems(CFSub, m.ID, after, count, false, func(k, _ []byte) {
		if match == nil || match(k) {
			a.add(k)
		}
	})
	return a.slices(), next, err
}

// scanElems walks up to count elements of id in cf that come after
// position after (nil: from the first), calling fn for each (value read
// only with withVal). It returns the position to resume from, nil when no
// element is left.
func (tx *Tx) scanElems(cf CF, id uint64, after []byte, count int, withVal bool, fn func(k, v []byte)) ([]byte, error) {
	var from []byte
	if after != nil {
		from = append(bytes.Clone(after), 0)
	}
	it := tx.Iter(cf, id, from, nil, false)
	defer it.Close()
	var last []byte
	for n := 0; it.Valid(); it.Next() {
		if n == count {
			return last, it.Err()
		}
		k := it.Key()
		last = append(last[:0], k...)
		var v []byte
		if withVal {
			v = it.Value()
		}
		fn(k, v)
		n++
	}
	return nil, it.Err()
}

// --- random sampling ---

// sampleScan is the collection size up to which sampling walks the
// collection once (exact uniform choice); beyond it, a sample much smaller
// than the collection is drawn by random descents (cheap, not uniform).
const sampleScan = 1 << 16

// sample returns n random elements (keys, and values if withVal; copies) of
// the collection m in cf, in random order: distinct ones (n < m.Count)
// or, with repeat, n independent picks.
//
// Small collections, and samples that are a good part of the collection,
// are drawn exactly: uniform ranks, then one ordered walk. Otherwise each
// pick is a random descent of the element keys' byte trie (randomDescend):
// O(key length) seeks per pick, every element reachable, but elements in
// sparse parts of the key space are likelier picks. RocksDB keeps no order
// statistics that would make this both cheap and uniform.
func (tx *Tx) sample(cf CF, m *Meta, n int, repeat, withVal bool) (keys, vals [][]byte, err error) {
	size := int(m.Count)
	if size == 0 || n <= 0 {
		return nil, nil, nil
	}
	if !repeat && n > size {
		n = size
	}
	var ka, va arena
	ka.ends = make([]int, 0, min(n, 1<<16))
	if withVal {
		va.ends = make([]int, 0, min(n, 1<<16))
	}
	switch {
	case repeat && size <= sampleScan:
		err = tx.sampleRepeat(cf, m, n, withVal, &ka, &va)
	case size <= sampleScan || n*4 >= size:
		err = tx.sampleWalk(cf, m, n, repeat, withVal, &ka, &va)
	default:
		err = tx.sampleSeek(cf, m, n, repeat, withVal, &ka, &va)
	}
	keys = ka.slices()
	if withVal {
		vals = va.slices()
	}
	rand.Shuffle(len(keys), func(i, j int) {
		keys[i], keys[j] = keys[j], keys[i]
		if withVal {
			vals[i], vals[j] = vals[j], vals[i]
		}
	})
	return keys, vals, err
}

// sampleRepeat reads a small collection whole, then picks n times.
func (tx *Tx) sampleRepeat(cf CF, m *Meta, n int, withVal bool, ka, va *arena) error {
	var ak, av arena
	it := tx.Iter(cf, m.ID, nil, nil, false)
	for ; it.Valid(); it.Next() {
		ak.add(it.Key())
		if withVal {
			av.add(it.Value())
		}
	}
	err := it.Err()
	it.Close()
	if err != nil || ak.len() == 0 {
		return err
	}
	keys, vals := ak.slices(), av.slices()
	for i := 0; i < n; i++ {
		j := rand.IntN(len(keys))
		ka.add(keys[j])
		if withVal {
			va.add(vals[j])
		}
	}
	return nil
}

func (tx *Tx) sampleWalk(cf CF, m *Meta, n int, repeat, withVal bool, ka, va *arena) error {
	size := int(m.Count)
	var ranks []int
	switch {
	case repeat:
		ranks = make([]int, n)
		for i := range ranks {
			ranks[i] = rand.IntN(size)
		}
	case n*2 >= size:
		ranks = rand.Perm(size)[:n]
	default:
		// Floyd's algorithm: n distinct ranks in O(n).
		chosen := make(map[int]struct{}, n)
		ranks = make([]int, 0, n)
		for j := size - n; j < size; j++ {
			r := rand.IntN(j + 1)
			if _, dup := chosen[r]; dup {
				r = j
			}
			chosen[r] = struct{}{}
			ranks = append(ranks, r)
		}
	}
	sort.Ints(ranks)
	it := tx.Iter(cf, m.ID, nil, nil, false)
	defer it.Close()
	ri := 0
	for pos := 0; it.Valid() && ri < len(ranks); pos++ {
		if ranks[ri] == pos {
			k := it.Key()
			var v []byte
			if withVal {
				v = it.Value()
			}
			for ri < len(ranks) && ranks[ri] == pos {
				ka.add(k)
				if withVal {
					va.add(v)
				}
				ri++
			}
		}
		it.Next()
	}
	return it.Err()
}

func (tx *Tx) sampleSeek(cf CF, m *Meta, n int, repeat, withVal bool, ka, va *arena) error {
	it := tx.Iter(cf, m.ID, nil, nil, false)
	defer it.Close()
	if !it.Valid() {
		return it.Err()
	}
	first := bytes.Clone(it.Key())
	it.toLast()
	if !it.Valid() {
		return it.Err()
	}
	last := it.Key()
	i := 0
	for i < len(first) && i < len(last) && first[i] == last[i] {
		i++
	}
	prefix := first[:i] // shared by every element
	var chosen map[string]struct{}
	if !repeat {
		chosen = make(map[string]struct{}, n)
	}
	misses := 0
	for ka.len() < n {
		randomDescend(it, m.ID, prefix)
		if !it.Valid() {
			return it.Err()
		}
		k := it.Key()
		if !repeat {
			// Taken already: the next free element after it will do.
			for step := 0; step < 32; step++ {
				if _, dup := chosen[string(k)]; !dup {
					break
				}
				it.Next()
				if !it.Valid() {
					it.toFirst()
				}
				k = it.Key()
			}
			if _, dup := chosen[string(k)]; dup {
				if misses++; misses > 4*n+64 {
					return tx.sampleRest(cf, m, n, withVal, chosen, ka, va)
				}
				continue
			}
			chosen[string(k)] = struct{}{}
		}
		ka.add(k)
		if withVal {
			va.add(it.Value())
		}
	}
	return it.Err()
}

// sampleRest completes a distinct sample when random descents keep
// landing on chosen elements: one walk, reservoir-sampling the rest.
func (tx *Tx) sampleRest(cf CF, m *Meta, n int, withVal bool, chosen map[string]struct{}, ka, va *arena) error {
	need := n - ka.len()
	keys := make([][]byte, 0, need)
	vals := make([][]byte, 0, need)
	seen := 0
	it := tx.Iter(cf, m.ID, nil, nil, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if _, dup := chosen[string(k)]; dup {
			continue
		}
		seen++
		var v []byte
		if withVal {
			v = it.Value()
		}
		if len(keys) < need {
			keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
		} else if j := rand.IntN(seen); j < need {
			keys[j], vals[j] = bytes.Clone(k), bytes.Clone(v)
		}
	}
	for j := range keys {
		ka.add(keys[j])
		if withVal {
			va.add(vals[j])
		}
	}
	return it.Err()
}

// randomDescend leaves the iterator at a random element of collection id
// whose keys all start with prefix. It walks down the keys' byte trie: at
// each level it picks a random byte between the smallest and the largest
// next byte present (or, where a key ends at this level, that key) and
// follows the first branch at or after it. Two seeks per level; elements
// in sparse branches are likelier picks than in dense ones, but every one
// can be reached.
func randomDescend(it *ElemIter, id uint64, prefix []byte) {
	p := bytes.Clone(prefix)
	it.Seek(id, p)
	for it.Valid() {
		n := len(p)
		loEnds := len(it.Key()) == n
		if loEnds {
			// p is a key; the smallest next byte is the next key's.
			if it.Next(); !it.Valid() || !bytes.HasPrefix(it.Key(), p) {
				it.Seek(id, p)
				return // p is the only key under p
			}
		}
		loB := int(it.Key()[n])
		// The last key with prefix p.
		if e := prefixEnd(p); e == nil {
			it.toLast()
		} else if it.Seek(id, e); it.Valid() {
			it.back()
		} else {
			it.toLast()
		}
		hi := it.Key()
		choices := int(hi[n]) - loB + 1
		if loEnds {
			choices++
		}
		r := rand.IntN(choices)
		if loEnds {
			if r == 0 {
				it.Seek(id, p)
				return
			}
			r--
		}
		p = append(p, byte(loB+r))
		it.Seek(id, p)
		if !it.Valid() {
			return
		}
		p[n] = it.Key()[n] // the first existing branch at or after the pick
	}
}

// back moves the iterator to the previous (smaller) element, whatever its
// direction.
func (i *ElemIter) back() { i.m.back() }

// toFirst moves the iterator to the smallest element, whatever its
// direction.
func (i *ElemIter) toFirst() { i.m.toEnd(false) }

// toLast moves the iterator to the largest element, whatever its direction.
func (i *ElemIter) toLast() { i.m.toEnd(true) }
