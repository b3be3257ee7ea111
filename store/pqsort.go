package store

// PQSort sorts a so that its elements lrange..rrange (inclusive) are the
// ones a full sort would put there, in order, leaving the rest partly
// sorted: the partial quicksort redis-server uses when a LIMIT or COUNT
// keeps only part of a sort (pqsort.c, a Bentley-McIlroy three-way
// quicksort that skips partitions outside the range). It is not stable;
// the same algorithm is used so that equal elements come out in the same
// order as in Redis.
func PQSort[T any](a []T, cmp func(x, y *T) int, lrange, rrange int) {
	pqsort(a, 0, len(a), cmp, lrange, rrange)
}

func pqsort[T any](a []T, lo, n int, cmp func(x, y *T) int, lr, rr int) {
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(x, y, z int) int {
		if cmp(&a[x], &a[y]) < 0 {
			if cmp(&a[y], &a[z]) < 0 {
				return y
			}
			if cmp(&a[x], &a[z]) < 0 {
				return z
			}
			return x
		}
		if cmp(&a[y], &a[z]) > 0 {
			return y
		}
		if cmp(&a[x], &a[z]) < 0 {
			return x
		}
		return z
	}
	// outside reports whether the range misses the partition [s, s+m).
	outside := func(s, m int) bool {
		return (lr < s && rr < s) || (lr >= s+m && rr >= s+m)
	}
	for {
		if n < 7 {
			for pm := lo + 1; pm < lo+n; pm++ {
				for pl := pm; pl > lo && cmp(&a[pl-1], &a[pl]) > 0; pl-- {
					swap(pl, pl-1)
				}
			}
			return
		}
		pm := lo + n/2
		if n > 7 {
			pl, pn := lo, lo+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(lo, pm)
		pa, pb := lo+1, lo+1
		pc, pd := lo+n-1, lo+n-1
		for {
			for pb <= pc {
				r := cmp(&a[pb], &a[lo])
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&a[pc], &a[lo])
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := lo + n
		r := min(pa-lo, pb-pa)
		vecswap(lo, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 && !outside(lo, r) {
			pqsort(a, lo, r, cmp, lr, rr)
		}
		r = pd - pc
		if r <= 1 {
			return
		}
		lo, n = pn-r, r
		if outside(lo, n) {
			return
		}
	}
}
