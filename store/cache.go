package store

// hotCache is a shard's bounded cache of committed metadata records (meta
// CF), which for strings hold the value: a hot GET is one map lookup, no cgo
// call. It holds only committed state: the executor fills it on read misses
// and after each successful commit, so a failed commit leaves it right.
// Absent keys are cached too (nil record), which serves SETs of new keys and
// reads of missing ones. Owned by one shard goroutine: no locks.
type hotCache struct {
	m      map[string][]byte
	bytes  int64
	budget int64
}

const cacheEntryOverhead = 64 // map slot, string and slice headers

func newHotCache(budget int64) *hotCache {
	return &hotCache{m: make(map[string][]byte), budget: budget}
}

// get returns the cached record of meta key mk; found reports a hit, and a
// hit with rec == nil means the key is known absent. rec is valid until the
// next put or del.
func (c *hotCache) get(mk []byte) (rec []byte, found bool) {
	if c == nil {
		return nil, false
	}
	rec, found = c.m[string(mk)]
	return
}

// put caches rec (nil: absent) for mk, copying both.
func (c *hotCache) put(mk, rec []byte) {
	if c == nil || c.budget <= 0 {
		return
	}
	size := int64(len(mk) + len(rec) + cacheEntryOverhead)
	if size > c.budget/16 {
		c.del(mk) // too big to be worth it
		return
	}
	if old, ok := c.m[string(mk)]; ok {
		if rec != nil && old != nil && cap(old) >= len(rec) && cap(old) <= 2*len(rec)+32 {
			c.bytes += int64(len(rec) - len(old))
			c.m[string(mk)] = append(old[:0], rec...)
			return
		}
		c.bytes -= int64(len(mk) + len(old) + cacheEntryOverhead)
	}
	for c.bytes+size > c.budget && len(c.m) > 0 {
		c.evict()
	}
	var v []byte
	if rec != nil {
		v = append(make([]byte, 0, len(rec)), rec...)
	}
	c.m[string(mk)] = v
	c.bytes += size
}

func (c *hotCache) del(mk []byte) {
	if c == nil {
		return
	}
	if old, ok := c.m[string(mk)]; ok {
		c.bytes -= int64(len(mk) + len(old) + cacheEntryOverhead)
		delete(c.m, string(mk))
	}
}

// evict drops a few entries; Go starts each map iteration at a random place.
func (c *hotCache) evict() {
	n := 0
	for k, v := range c.m {
		c.bytes -= int64(len(k) + len(v) + cacheEntryOverhead)
		delete(c.m, k)
		if n++; n >= 8 {
			break
		}
	}
}

func (c *hotCache) clear() {
	if c == nil {
		return
	}
	clear(c.m)
	c.bytes = 0
}
