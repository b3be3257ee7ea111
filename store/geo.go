package store

import (
	"math"
	"sort"
)

// Geospatial indexes (Redis's geo.c, geohash.c, geohash_helper.c): a geo
// key is a sorted set whose scores are 52-bit geohashes, the longitude's
// and latitude's 26-bit cells interleaved (longitude in the odd bits), with
// latitudes limited to Web Mercator's ±85.05112878. The score order is the
// geohash order, so the points of one geohash cell are one score range.
//
// Every number here follows redis-server's arithmetic operation for
// operation (same constants, same order of evaluation, products rounded
// before sums), so coordinates decode to the same doubles, distances round
// to the same %.4f digits and searches visit the same cells in the same
// order: replies match Redis's byte for byte, unsorted results included.

// Geohash limits (geohash.h).
const (
	GeoLatMin  = -85.05112878
	GeoLatMax  = 85.05112878
	GeoLongMin = -180.0
	GeoLongMax = 180.0
	geoStepMax = 26 // 52 bits

	earthRadius = 6372797.560856 // meters, as geohash_helper.c
	mercatorMax = 20037726.37
)

// degRad is M_PI/180 as a C double: the division is done on float64
// values, not on Go's exact constants, so it rounds as C's does.
var (
	piDouble = math.Pi
	degRad   = piDouble / 180.0
)

func degToRad(a float64) float64 { return a * degRad }
func radToDeg(a float64) float64 { return a / degRad }

// geoBits is a geohash of step*2 bits (GeoHashBits). The zero value
// (bits 0, step 0) marks a neighbor excluded from a search.
type geoBits struct {
	bits uint64
	step uint
}

func (h geoBits) zero() bool { return h.bits == 0 && h.step == 0 }

type geoRange struct{ min, max float64 }

type geoArea struct {
	lon, lat geoRange
}

var (
	geoLongRange = geoRange{GeoLongMin, GeoLongMax}
	geoLatRange  = geoRange{GeoLatMin, GeoLatMax}
)

// spread moves the 32 bits of x to the even bit positions of a uint64.
func spread(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000FFFF0000FFFF
	v = (v | v<<8) & 0x00FF00FF00FF00FF
	v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

// squash gathers the even bits of v into a uint32 (the inverse of spread).
func squash(v uint64) uint32 {
	v &= 0x5555555555555555
	v = (v | v>>1) & 0x3333333333333333
	v = (v | v>>2) & 0x0F0F0F0F0F0F0F0F
	v = (v | v>>4) & 0x00FF00FF00FF00FF
	v = (v | v>>8) & 0x0000FFFF0000FFFF
	v = (v | v>>16) & 0x00000000FFFFFFFF
	return uint32(v)
}

// geoEncode is geohashEncode: the cell of (lon, lat) at step in the given
// ranges; ok is false outside them or outside the geo limits.
func geoEncode(lonR, latR geoRange, lon, lat float64, step uint) (geoBits, bool) {
	if step > 32 || step == 0 || latR.max-latR.min == 0 || lonR.max-lonR.min == 0 {
		return geoBits{}, false
	}
	if lon > GeoLongMax || lon < GeoLongMin || lat > GeoLatMax || lat < GeoLatMin {
		return geoBits{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return geoBits{step: step}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	// C converts the offsets to uint32_t by truncation; an offset of
	// exactly 2^step (the upper limit) carries into the next bit, as in C.
	return geoBits{bits: spread(uint32(latOff)) | spread(uint32(lonOff))<<1, step: step}, true
}

// geoDecode is geohashDecode: the area of cell h.
func geoDecode(lonR, latR geoRange, h geoBits) (geoArea, bool) {
	if h.zero() || latR.max-latR.min == 0 || lonR.max-lonR.min == 0 {
		return geoArea{}, false
	}
	ilat := squash(h.bits)
	ilon := squash(h.bits >> 1)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	div := float64(uint64(1) << h.step)
	var a geoArea
	a.lat.min = latR.min + float64(float64(ilat)*1.0/div*latScale)
	a.lat.max = latR.min + float64(float64(ilat+1)*1.0/div*latScale) // uint32 arithmetic, as C's
	a.lon.min = lonR.min + float64(float64(ilon)*1.0/div*lonScale)
	a.lon.max = lonR.min + float64(float64(ilon+1)*1.0/div*lonScale)
	return a, true
}

// center is geohashDecodeAreaToLongLat: the middle of a, kept within the
// geo limits.
func (a *geoArea) center() (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	lon = min(max(lon, GeoLongMin), GeoLongMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, GeoLatMin), GeoLatMax)
	return lon, lat
}

// scoreBits converts a score to the uint64 of a geohash as C's
// (uint64_t) cast does on x86-64 (out-of-range values included), so that
// scores not written by GEOADD decode as they do in Redis.
func scoreBits(score float64) uint64 {
	const two63 = 9223372036854775808.0
	cvt := func(f float64) uint64 {
		if !(f >= -two63 && f < two63) { // NaN or out of int64: cvttsd2si's "indefinite"
			return 1 << 63
		}
		return uint64(int64(f))
	}
	if score >= two63 {
		return cvt(score-two63) ^ 1<<63
	}
	return cvt(score)
}

// GeoEncode returns the 52-bit geohash GEOADD stores as the score of
// (lon, lat); ok is false when the pair is outside the geo limits.
func GeoEncode(lon, lat float64) (uint64, bool) {
	h, ok := geoEncode(geoLongRange, geoLatRange, lon, lat, geoStepMax)
	if !ok {
		return 0, false
	}
	return h.bits, true
}

// GeoDecode returns the coordinates a geo score stands for: the center of
// its cell (GEOPOS's answer).
func GeoDecode(score float64) (lon, lat float64) {
	a, _ := geoDecode(geoLongRange, geoLatRange, geoBits{bits: scoreBits(score), step: geoStepMax})
	return a.center()
}

// GeoHashString returns GEOHASH's 11-character standard geohash of a geo
// score: the position re-encoded with latitudes in [-90, 90]; the 11th
// character stands for bits Redis does not have and is always '0'.
func GeoHashString(score float64) [11]byte {
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	lon, lat := GeoDecode(score)
	h, _ := geoEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, geoStepMax)
	var out [11]byte
	for i := 0; i < 11; i++ {
		idx := uint64(0)
		if i < 10 {
			idx = (h.bits >> (52 - (i+1)*5)) & 0x1f
		}
		out[i] = alphabet[idx]
	}
	return out
}

// geoLatDistance is geohashGetLatDistance.
func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(degToRad(lat2)-degToRad(lat1))
}

// GeoShape is the area of a search: a circle of Radius or a Width×Height
// box around (Lon, Lat), in units of Conversion meters.
type GeoShape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conversion    float64
}

// within reports whether the point at (lon, lat) is inside s and its
// distance from s's center (geoWithinShape).
func (s *GeoShape) within(lon, lat float64) (float64, bool) {
	if !s.Box {
		d := GeoDistance(s.Lon, s.Lat, lon, lat)
		return d, d <= s.Radius*s.Conversion
	}
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	if geoLatDistance(lat, s.Lat) > h/2 {
		return 0, false
	}
	if GeoDistance(lon, lat, s.Lon, lat) > w/2 {
		return 0, false
	}
	return GeoDistance(s.Lon, s.Lat, lon, lat), true
}

// boundingBox is geohashBoundingBox: min lon, min lat, max lon, max lat.
func (s *GeoShape) boundingBox() [4]float64 {
	var height, width float64
	if s.Box {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	} else {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	}
	latDelta := radToDeg(height / earthRadius)
	lonDeltaTop := radToDeg(width / earthRadius / cCos(degToRad(s.Lat+latDelta)))
	lonDeltaBottom := radToDeg(width / earthRadius / cCos(degToRad(s.Lat-latDelta)))
	var b [4]float64
	if s.Lat < 0 { // the southern hemisphere's widest edge is its top
		b[0], b[2] = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		b[0], b[2] = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	b[1], b[3] = s.Lat-latDelta, s.Lat+latDelta
	return b
}

// geoStepsForRadius is geohashEstimateStepsByRadius.
func geoStepsForRadius(meters, lat float64) uint {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint(min(max(step, 1), 26))
}

func moveX(h *geoBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - h.step*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - h.step*2)
	h.bits = x | y
}

func moveY(h *geoBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - h.step*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - h.step*2)
	h.bits = x | y
}

// Neighbor order of a search (membersOfAllNeighbors): the center cell,
// then N, S, E, W, NE, NW, SE, SW.
const (
	nbCenter = iota
	nbNorth
	nbSouth
	nbEast
	nbWest
	nbNorthEast
	nbNorthWest
	nbSouthEast
	nbSouthWest
)

// geoCells returns the nine cells a search of s visits, in visiting order,
// as geohashCalculateAreasByShapeWGS84 picks them (excluded ones zero).
func (s *GeoShape) geoCells() [9]geoBits {
	b := s.boundingBox()
	minLon, minLat, maxLon, maxLat := b[0], b[1], b[2], b[3]
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt(float64((s.Width/2)*(s.Width/2)) + float64((s.Height/2)*(s.Height/2)))
	}
	radius *= s.Conversion
	steps := geoStepsForRadius(radius, s.Lat)

	var cells [9]geoBits
	var area geoArea
	compute := func() {
		h, _ := geoEncode(geoLongRange, geoLatRange, s.Lon, s.Lat, steps)
		for i := range cells {
			cells[i] = h
		}
		dirs := [9][2]int{nbNorth: {0, 1}, nbSouth: {0, -1}, nbEast: {1, 0}, nbWest: {-1, 0},
			nbNorthEast: {1, 1}, nbNorthWest: {-1, 1}, nbSouthEast: {1, -1}, nbSouthWest: {-1, -1}}
		for i := 1; i < 9; i++ {
			moveX(&cells[i], dirs[i][0])
			moveY(&cells[i], dirs[i][1])
		}
		area, _ = geoDecode(geoLongRange, geoLatRange, h)
	}
	compute()

	// A cell next to the area's edge may be too small to cover the
	// search: then use a step one coarser.
	north, _ := geoDecode(geoLongRange, geoLatRange, cells[nbNorth])
	south, _ := geoDecode(geoLongRange, geoLatRange, cells[nbSouth])
	east, _ := geoDecode(geoLongRange, geoLatRange, cells[nbEast])
	west, _ := geoDecode(geoLongRange, geoLatRange, cells[nbWest])
	decrease := north.lat.max < maxLat || south.lat.min > minLat ||
		east.lon.max < maxLon || west.lon.min > minLon
	if steps > 1 && decrease {
		steps--
		compute()
	}

	// Drop the cells the search cannot reach.
	if steps >= 2 {
		if area.lat.min < minLat {
			cells[nbSouth], cells[nbSouthWest], cells[nbSouthEast] = geoBits{}, geoBits{}, geoBits{}
		}
		if area.lat.max > maxLat {
			cells[nbNorth], cells[nbNorthEast], cells[nbNorthWest] = geoBits{}, geoBits{}, geoBits{}
		}
		if area.lon.min < minLon {
			cells[nbWest], cells[nbSouthWest], cells[nbNorthWest] = geoBits{}, geoBits{}, geoBits{}
		}
		if area.lon.max > maxLon {
			cells[nbEast], cells[nbSouthEast], cells[nbNorthEast] = geoBits{}, geoBits{}, geoBits{}
		}
	}
	return cells
}

// GeoPoint is a search result. Dist is in the shape's unit.
type GeoPoint struct {
	Member   []byte
	Dist     float64
	Score    float64
	Lon, Lat float64
}

// Orders of GeoQuery.Sort.
const (
	GeoSortNone = iota
	GeoSortAsc
	GeoSortDesc
)

// GeoQuery is a GEOSEARCH: the shape, the order, at most Count results
// (0: all) and, with Any, stop at the first Count matches.
type GeoQuery struct {
	Shape GeoShape
	Sort  int
	Count int64
	Any   bool
}

// GeoSearch returns the members of the sorted set at key inside q's shape
// (georadiusGeneric): cell by cell in Redis's order, ordered by distance
// when asked (COUNT without ANY implies ascending), cut to Count. The
// distances are converted to the shape's unit. An absent key gives none.
func (tx *Tx) GeoSearch(db int, key []byte, q *GeoQuery) ([]GeoPoint, error) {
	m, ok, err := tx.LookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return nil, err
	}
	limit := int64(0)
	if q.Any {
		limit = q.Count
	}
	cells := q.Shape.geoCells()
	var pts []GeoPoint
	var a arena
	last := 0
	for i, c := range cells {
		if c.zero() {
			continue
		}
		// Huge radii can make adjacent cells equal: skip a cell equal to
		// the one processed before it (never compared with the center,
		// as in Redis).
		if last != 0 && c == cells[last] {
			continue
		}
		if len(pts) > 0 && limit > 0 && int64(len(pts)) >= limit {
			break
		}
		// The cell's points: scores in [min, max), one bounded walk.
		shift := 52 - c.step*2
		r := ZRange{Kind: ZByScore, Score: ScoreRange{
			Min: float64(c.bits << shift), Max: float64((c.bits + 1) << shift), MaxEx: true,
		}, Limit: -1}
		err := tx.zwalk(&m, &r, func(member []byte, score float64) bool {
			lon, lat := GeoDecode(score)
			if d, in := q.Shape.within(lon, lat); in {
				a.add(member)
				pts = append(pts, GeoPoint{Dist: d, Score: score, Lon: lon, Lat: lat})
			}
			return !(len(pts) > 0 && limit > 0 && int64(len(pts)) >= limit)
		})
		if err != nil {
			return nil, err
		}
		last = i
	}
	ms := a.slices()
	for i := range pts {
		pts[i].Member = ms[i]
	}
	sortBy := q.Sort
	if q.Count != 0 && sortBy == GeoSortNone && !q.Any {
		sortBy = GeoSortAsc
	}
	n := len(pts)
	if q.Count != 0 && int64(n) > q.Count {
		n = int(q.Count)
	}
	if sortBy != GeoSortNone {
		cmp := func(x, y *GeoPoint) int {
			c := 0
			switch {
			case x.Dist > y.Dist:
				c = 1
			case x.Dist < y.Dist:
				c = -1
			}
			if sortBy == GeoSortDesc {
				c = -c
			}
			return c
		}
		if n == len(pts) {
			// glibc's qsort is a merge sort: stable.
			sort.SliceStable(pts, func(i, j int) bool { return cmp(&pts[i], &pts[j]) < 0 })
		} else {
			PQSort(pts, cmp, 0, n-1)
		}
	}
	pts = pts[:n]
	for i := range pts {
		pts[i].Dist /= q.Shape.Conversion
	}
	return pts, nil
}

// GeoAdd adds or updates members at (lons[i], lats[i]) (already checked
// against the geo limits) with ZADD's flags (ZAddNX, ZAddXX).
func (tx *Tx) GeoAdd(db int, key []byte, flags int, lons, lats []float64, members [][]byte) (ZAddResult, error) {
	scores := make([]float64, len(members))
	for i := range members {
		h, _ := GeoEncode(lons[i], lats[i])
		scores[i] = float64(h)
	}
	return tx.ZAdd(db, key, flags, scores, members)
}
