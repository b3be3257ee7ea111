package tuning

import "testing"

func TestCacheShardBits(t *testing.T) {
	for _, c := range []struct {
		capacity uint64
		cpus     int
		want     int
	}{
		{192 << 20, 2, 2},  // 4 shards of 48 MiB
		{256 << 20, 2, 2},  // 4 of 64 MiB
		{64 << 20, 2, 1},   // 2 of 32 MiB
		{16 << 20, 8, 0},   // one shard: too small to cut
		{8 << 30, 64, 6},   // at most 64 shards
		{1 << 30, 16, 5},   // 32 shards of 32 MiB
		{512 << 20, 16, 4}, // capacity-bound: 16 shards of 32 MiB
	} {
		if got := CacheShardBits(c.capacity, c.cpus); got != c.want {
			t.Errorf("CacheShardBits(%d MiB, %d cpus) = %d, want %d", c.capacity>>20, c.cpus, got, c.want)
		}
	}
}
