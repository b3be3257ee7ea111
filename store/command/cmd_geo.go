package command

import (
	"math"
	"strconv"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Geospatial commands (geo.c): a geo key is a sorted set of 52-bit
// geohashes (store/geo.go does the geometry).

func init() {
	const g = "geo"
	register(
		&Spec{Name: "geoadd", Arity: -5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Handler: cmdGeoAdd, Group: g, Summary: "Adds one or more members to a geospatial index. The key is created if it doesn't exist.", Since: "3.2.0"},
		&Spec{Name: "geodist", Arity: -4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGeoDist, Group: g, Summary: "Returns the distance between two members of a geospatial index.", Since: "3.2.0"},
		&Spec{Name: "geohash", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGeoHash, Group: g, Summary: "Returns members from a geospatial index as geohash strings.", Since: "3.2.0"},
		&Spec{Name: "geopos", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGeoPos, Group: g, Summary: "Returns the longitude and latitude of members from a geospatial index.", Since: "3.2.0"},
		&Spec{Name: "georadius", Arity: -6, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, KeysFn: geoRadiusKeys, Handler: cmdGeoRadius, Group: g, Summary: "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.", Since: "3.2.0"},
		&Spec{Name: "georadius_ro", Arity: -6, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGeoRadiusRO, Group: g, Summary: "Returns members from a geospatial index that are within a distance from a coordinate.", Since: "3.2.10"},
		&Spec{Name: "georadiusbymember", Arity: -5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, KeysFn: geoRadiusKeys, Handler: cmdGeoRadiusByMember, Group: g, Summary: "Queries a geospatial index for members within a distance from a member, optionally stores the result.", Since: "3.2.0"},
		&Spec{Name: "georadiusbymember_ro", Arity: -5, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGeoRadiusByMemberRO, Group: g, Summary: "Returns members from a geospatial index that are within a distance from a member.", Since: "3.2.10"},
		&Spec{Name: "geosearch", Arity: -7, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Handler: cmdGeoSearch, Group: g, Summary: "Queries a geospatial index for members inside an area of a box or a circle.", Since: "6.2.0"},
		&Spec{Name: "geosearchstore", Arity: -8, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Handler: cmdGeoSearchStore, Group: g, Summary: "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.", Since: "6.2.0"},
	)
}

// Geo errors (geo.c).
const (
	errGeoUnit         = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoMember       = "ERR could not decode requested zset member"
	errGeoRadiusNum    = "ERR need numeric radius"
	errGeoRadiusNeg    = "ERR radius cannot be negative"
	errGeoWidthNum     = "ERR need numeric width"
	errGeoHeightNum    = "ERR need numeric height"
	errGeoBoxNeg       = "ERR height or width cannot be negative"
	errGeoAnyCount     = "ERR the ANY argument requires COUNT argument"
	errGeoStoreWith    = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	errGeoSrchStoreWth = "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
)

func errGeoPair(lon, lat float64) string {
	return "ERR invalid longitude,latitude pair " + cFixed(lon, 6) + "," + cFixed(lat, 6)
}

// cFixed formats f as C's "%.Nf".
func cFixed(f float64, prec int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

// cIs compares an option as strcasecmp does: the argument up to its first
// NUL byte, ignoring ASCII case.
func cIs(b []byte, word string) bool { return eqFold(cString(b), word) }

// geoRadiusKeys: the source key and any STORE / STOREDIST destination.
func geoRadiusKeys(args [][]byte, dst []int) []int {
	dst = append(dst, 1)
	for i := 5; i+1 < len(args); i++ {
		if cIs(args[i], "store") || cIs(args[i], "storedist") {
			dst = append(dst, i+1)
		}
	}
	return dst
}

// --- replies ---

// replyDistance replies a distance as "%.4f" in a bulk string (both
// protocols, as addReplyDoubleDistance).
func replyDistance(c *Ctx, d float64) {
	var buf [64]byte
	c.Bulk(strconv.AppendFloat(buf[:0], d, 'f', 4, 64))
}

// appendHumanDouble appends f as ld2string(LD_STR_HUMAN) writes a double:
// "%.17Lf" without trailing zeros (nor a trailing point), "-0" as "0".
func appendHumanDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	end := len(dst)
	for end > start && dst[end-1] == '0' {
		end--
	}
	if end > start && dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// replyHumanDouble is addReplyHumanLongDouble: RESP2 a bulk string, RESP3
// a double, of the human form.
func replyHumanDouble(c *Ctx, f float64) {
	var buf [64]byte
	s := appendHumanDouble(buf[:0], f)
	if c.RESP3 {
		c.Out = append(c.Out, ',')
		c.Out = append(c.Out, s...)
		c.Out = append(c.Out, '\r', '\n')
		return
	}
	c.Bulk(s)
}

// --- argument parsing (each replies its error) ---

// parseLonLat parses the longitude and latitude at i, i+1.
func parseLonLat(c *Ctx, i int) (lon, lat float64, ok bool) {
	if lon, ok = c.Float(i); !ok {
		return
	}
	if lat, ok = c.Float(i + 1); !ok {
		return
	}
	if lon < store.GeoLongMin || lon > store.GeoLongMax || lat < store.GeoLatMin || lat > store.GeoLatMax {
		c.Err(errGeoPair(lon, lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// parseUnit returns the meters in a unit (m, km, ft, mi).
func parseUnit(c *Ctx, i int) (float64, bool) {
	switch u := c.Args[i]; {
	case cIs(u, "m"):
		return 1, true
	case cIs(u, "km"):
		return 1000, true
	case cIs(u, "ft"):
		return 0.3048, true
	case cIs(u, "mi"):
		return 1609.34, true
	}
	c.Err(errGeoUnit)
	return 0, false
}

// floatOr parses argument i as a double, replying msg when it is not one.
func floatOr(c *Ctx, i int, msg string) (float64, bool) {
	f, ok := proto.ParseFloat(c.Args[i])
	if !ok {
		c.Err(msg)
	}
	return f, ok
}

// parseRadius parses "radius unit" at i into the shape.
func parseRadius(c *Ctx, i int, s *store.GeoShape) bool {
	r, ok := floatOr(c, i, errGeoRadiusNum)
	if !ok {
		return false
	}
	if r < 0 {
		c.Err(errGeoRadiusNeg)
		return false
	}
	conv, ok := parseUnit(c, i+1)
	if !ok {
		return false
	}
	s.Box, s.Radius, s.Conversion = false, r, conv
	return true
}

// parseBox parses "width height unit" at i into the shape.
func parseBox(c *Ctx, i int, s *store.GeoShape) bool {
	w, ok := floatOr(c, i, errGeoWidthNum)
	if !ok {
		return false
	}
	h, ok := floatOr(c, i+1, errGeoHeightNum)
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.Err(errGeoBoxNeg)
		return false
	}
	conv, ok := parseUnit(c, i+2)
	if !ok {
		return false
	}
	s.Box, s.Width, s.Height, s.Conversion = true, w, h, conv
	return true
}

// memberPos looks up member's position; ok false when it is not a member.
func memberPos(c *Ctx, key, member []byte) (lon, lat float64, ok bool, err error) {
	score, ok, err := c.Tx.ZScore(c.DB, key, member)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	lon, lat = store.GeoDecode(score)
	return lon, lat, true, nil
}

// --- commands ---

// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
func cmdGeoAdd(c *Ctx) {
	key := c.Args[1]
	flags, ch := 0, false
	i := 2
	for ; i < len(c.Args); i++ {
		switch a := c.Args[i]; {
		case cIs(a, "nx"):
			flags |= store.ZAddNX
		case cIs(a, "xx"):
			flags |= store.ZAddXX
		case cIs(a, "ch"):
			ch = true
		default:
			goto parsed
		}
	}
parsed:
	rest := len(c.Args) - i
	if rest%3 != 0 || flags == store.ZAddNX|store.ZAddXX || rest == 0 {
		c.Err(errSyntax)
		return
	}
	n := rest / 3
	lons, lats := make([]float64, n), make([]float64, n)
	members := make([][]byte, n)
	for j := 0; j < n; j++ {
		lon, lat, ok := parseLonLat(c, i+3*j)
		if !ok {
			return
		}
		lons[j], lats[j], members[j] = lon, lat, c.Args[i+3*j+2]
	}
	r, err := c.Tx.GeoAdd(c.DB, key, flags, lons, lats, members)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if r.Added+r.Updated > 0 {
		c.Tx.Notify(c.DB, "zadd", key) // GEOADD runs as ZADD in Redis
		c.Tx.SignalReady(c.DB, key)
	}
	if ch {
		c.Int(r.Added + r.Updated)
	} else {
		c.Int(r.Added)
	}
}

// GEOPOS key [member [member ...]]
func cmdGeoPos(c *Ctx) {
	key := c.Args[1]
	members := c.Args[2:]
	scores, found, err := c.Tx.ZMScore(c.DB, key, members)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(len(members))
	for i := range members {
		if !found[i] {
			c.NullArray()
			continue
		}
		lon, lat := store.GeoDecode(scores[i])
		c.Array(2)
		replyHumanDouble(c, lon)
		replyHumanDouble(c, lat)
	}
}

// GEOHASH key [member [member ...]]
func cmdGeoHash(c *Ctx) {
	key := c.Args[1]
	members := c.Args[2:]
	scores, found, err := c.Tx.ZMScore(c.DB, key, members)
	if err != nil {
		c.StoreErr(err)
		return
	}
	c.Array(len(members))
	for i := range members {
		if !found[i] {
			c.Null()
			continue
		}
		h := store.GeoHashString(scores[i])
		c.Bulk(h[:])
	}
}

// GEODIST key member1 member2 [M | KM | FT | MI]
func cmdGeoDist(c *Ctx) {
	conv := 1.0
	switch {
	case len(c.Args) == 5:
		var ok bool
		if conv, ok = parseUnit(c, 4); !ok {
			return
		}
	case len(c.Args) > 5:
		c.Err(errSyntax)
		return
	}
	scores, found, err := c.Tx.ZMScore(c.DB, c.Args[1], c.Args[2:4])
	if err != nil {
		c.StoreErr(err)
		return
	}
	if !found[0] || !found[1] {
		c.Null()
		return
	}
	lon1, lat1 := store.GeoDecode(scores[0])
	lon2, lat2 := store.GeoDecode(scores[1])
	replyDistance(c, store.GeoDistance(lon1, lat1, lon2, lat2)/conv)
}

// Kinds of search (georadiusGeneric's flags).
const (
	geoByCoords    = 1 << iota // GEORADIUS: center given by longitude, latitude
	geoByMember                // GEORADIUSBYMEMBER: center at a member
	geoNoStore                 // the _RO variants: no STORE
	geoSearch                  // GEOSEARCH's syntax
	geoSearchStore             // GEOSEARCHSTORE
)

// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key]
func cmdGeoRadius(c *Ctx) { geoSearchGeneric(c, 1, geoByCoords) }

// GEORADIUS_RO key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]
func cmdGeoRadiusRO(c *Ctx) { geoSearchGeneric(c, 1, geoByCoords|geoNoStore) }

// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key]
func cmdGeoRadiusByMember(c *Ctx) { geoSearchGeneric(c, 1, geoByMember) }

// GEORADIUSBYMEMBER_RO key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]
func cmdGeoRadiusByMemberRO(c *Ctx) { geoSearchGeneric(c, 1, geoByMember|geoNoStore) }

// GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
func cmdGeoSearch(c *Ctx) { geoSearchGeneric(c, 1, geoSearch) }

// GEOSEARCHSTORE destination source FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
func cmdGeoSearchStore(c *Ctx) { geoSearchGeneric(c, 2, geoSearch|geoSearchStore) }

// geoSearchGeneric is georadiusGeneric: the checks in Redis's order (the
// source's type first, then the center and the area, the options, their
// combinations), the search, then the reply or the stored result.
func geoSearchGeneric(c *Ctx, src int, flags int) {
	srcKey := c.Args[src]
	_, exists, err := c.Tx.LookupType(c.DB, srcKey, store.TypeZSet)
	if err != nil {
		c.StoreErr(err)
		return
	}
	var q store.GeoQuery
	var storeKey []byte
	storeDist := false
	base := 0
	switch {
	case flags&geoByCoords != 0:
		base = 6
		lon, lat, ok := parseLonLat(c, 2)
		if !ok || !parseRadius(c, 4, &q.Shape) {
			return
		}
		q.Shape.Lon, q.Shape.Lat = lon, lat
	case flags&geoByMember != 0:
		base = 5
		if exists {
			lon, lat, ok, err := memberPos(c, srcKey, c.Args[2])
			if err != nil {
				c.StoreErr(err)
				return
			}
			if !ok {
				c.Err(errGeoMember)
				return
			}
			if !parseRadius(c, 3, &q.Shape) {
				return
			}
			q.Shape.Lon, q.Shape.Lat = lon, lat
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = c.Args[1]
		}
	}

	withDist, withHash, withCoord := false, false, false
	fromMember, fromLoc, byRadius, byBox := false, false, false, false
	args := c.Args
	remaining := len(args) - base
	for i := 0; i < remaining; i++ {
		a := args[base+i]
		switch {
		case cIs(a, "withdist"):
			withDist = true
		case cIs(a, "withhash"):
			withHash = true
		case cIs(a, "withcoord"):
			withCoord = true
		case cIs(a, "any"):
			q.Any = true
		case cIs(a, "asc"):
			q.Sort = store.GeoSortAsc
		case cIs(a, "desc"):
			q.Sort = store.GeoSortDesc
		case cIs(a, "count") && i+1 < remaining:
			n, ok := c.Int64(base + i + 1)
			if !ok {
				return
			}
			if n <= 0 {
				c.Err(errCountPositive)
				return
			}
			q.Count = n
			i++
		case cIs(a, "store") && i+1 < remaining && flags&(geoNoStore|geoSearch) == 0:
			storeKey, storeDist = args[base+i+1], false
			i++
		case cIs(a, "storedist") && i+1 < remaining && flags&(geoNoStore|geoSearch) == 0:
			storeKey, storeDist = args[base+i+1], true
			i++
		case cIs(a, "storedist") && flags&geoSearch != 0 && flags&geoSearchStore != 0:
			storeDist = true
		case cIs(a, "frommember") && i+1 < remaining && flags&geoSearch != 0 && !fromLoc:
			if exists {
				lon, lat, ok, err := memberPos(c, srcKey, args[base+i+1])
				if err != nil {
					c.StoreErr(err)
					return
				}
				if !ok {
					c.Err(errGeoMember)
					return
				}
				q.Shape.Lon, q.Shape.Lat = lon, lat
			}
			fromMember = true
			i++
		case cIs(a, "fromlonlat") && i+2 < remaining && flags&geoSearch != 0 && !fromMember:
			lon, lat, ok := parseLonLat(c, base+i+1)
			if !ok {
				return
			}
			q.Shape.Lon, q.Shape.Lat = lon, lat
			fromLoc = true
			i += 2
		case cIs(a, "byradius") && i+2 < remaining && flags&geoSearch != 0 && !byBox:
			if !parseRadius(c, base+i+1, &q.Shape) {
				return
			}
			byRadius = true
			i += 2
		case cIs(a, "bybox") && i+3 < remaining && flags&geoSearch != 0 && !byRadius:
			if !parseBox(c, base+i+1, &q.Shape) {
				return
			}
			byBox = true
			i += 3
		default:
			c.Err(errSyntax)
			return
		}
	}

	switch {
	case storeKey != nil && (withDist || withHash || withCoord):
		if flags&geoSearchStore != 0 {
			c.Err(errGeoSrchStoreWth)
		} else {
			c.Err(errGeoStoreWith)
		}
		return
	case flags&geoSearch != 0 && !fromMember && !fromLoc:
		c.Err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(cString(args[0])))
		return
	case flags&geoSearch != 0 && !byRadius && !byBox:
		c.Err("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(cString(args[0])))
		return
	case q.Any && q.Count == 0:
		c.Err(errGeoAnyCount)
		return
	}

	if !exists {
		if storeKey != nil {
			geoStoreEmpty(c, storeKey)
			return
		}
		c.Array(0)
		return
	}

	pts, err := c.Tx.GeoSearch(c.DB, srcKey, &q)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if storeKey == nil {
		if len(pts) == 0 {
			c.Array(0)
			return
		}
		opts := 0
		for _, w := range []bool{withDist, withHash, withCoord} {
			if w {
				opts++
			}
		}
		c.Array(len(pts))
		for i := range pts {
			p := &pts[i]
			if opts > 0 {
				c.Array(opts + 1)
			}
			c.Bulk(p.Member)
			if withDist {
				replyDistance(c, p.Dist)
			}
			if withHash {
				c.Int(int64(p.Score))
			}
			if withCoord {
				c.Array(2)
				replyHumanDouble(c, p.Lon)
				replyHumanDouble(c, p.Lat)
			}
		}
		return
	}
	if len(pts) == 0 {
		geoStoreEmpty(c, storeKey)
		return
	}
	entries := make([]store.ZEntry, len(pts))
	for i := range pts {
		entries[i].Member = pts[i].Member
		if storeDist {
			entries[i].Score = pts[i].Dist
		} else {
			entries[i].Score = pts[i].Score
		}
	}
	if _, err := c.Tx.ZStore(c.DB, storeKey, entries); err != nil {
		c.StoreErr(err)
		return
	}
	if flags&geoSearch != 0 {
		c.Tx.Notify(c.DB, "geosearchstore", storeKey)
	} else {
		c.Tx.Notify(c.DB, "georadiusstore", storeKey)
	}
	c.Int(int64(len(pts)))
}

// geoStoreEmpty deletes a STORE destination for an empty result.
func geoStoreEmpty(c *Ctx, key []byte) {
	deleted, err := c.Tx.Delete(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if deleted {
		c.Tx.Notify(c.DB, "del", key)
	}
	c.Int(0)
}
