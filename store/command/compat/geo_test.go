package compat

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// Geo tests, titled after Redis's unit/geo.tcl. testdata/diff/geo.txt
// covers every option and error; these send the same random data and
// random searches to redis-server and DiskDB and compare the raw replies
// byte for byte: coordinates, distances, hashes and the order of results
// (unsorted ones included), over the whole globe, poles and antimeridian
// included.

// sameReply sends args to both servers and fails when the replies differ.
func sameReply(t *testing.T, ref, dut *testkit.Conn, args ...string) []byte {
	t.Helper()
	want, err := ref.Do(args...)
	if err != nil {
		t.Fatalf("redis-server %q: %v", args, err)
	}
	got, err := dut.Do(args...)
	if err != nil {
		t.Fatalf("diskdb %q: %v", args, err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%q\n redis-server: %.600q\n       diskdb: %.600q", args, want, got)
	}
	return got
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// randomPoint returns a point anywhere (a third of them near a pole or
// the antimeridian, where the neighbour cells wrap or shrink).
func randomPoint(r *rand.Rand) (lon, lat float64) {
	lon = r.Float64()*360 - 180
	lat = r.Float64()*170 - 85
	switch r.IntN(6) {
	case 0:
		lon = 180 - r.Float64()*2
	case 1:
		lon = -180 + r.Float64()*2
	case 2:
		lat = 85.05 - r.Float64()*3
	case 3:
		lat = -85.05 + r.Float64()*3
	}
	return lon, lat
}

func TestGeo(t *testing.T) {
	ref := testkit.StartRedis(t)
	dut := testkit.Start(t)
	rc, dc := ref.Raw(), dut.Raw()
	r := rand.New(rand.NewPCG(9, 26))
	ctx := context.Background()

	// 3000 points: clusters (dense cells, equal distances) and scattered.
	const n = 3000
	var names []string
	for i := 0; i < n; {
		args := []string{"GEOADD", "pts"}
		for j := 0; j < 100 && i < n; j, i = j+1, i+1 {
			var lon, lat float64
			if i%3 == 0 {
				// A cluster around one of ten centers, some points repeated.
				c := float64(i % 10)
				lon, lat = -170+c*37, -80+c*17
				if i%9 != 0 {
					lon += r.Float64() - 0.5
					lat += r.Float64() - 0.5
				}
			} else {
				lon, lat = randomPoint(r)
			}
			name := "m" + strconv.Itoa(i)
			names = append(names, name)
			args = append(args, ftoa(lon), ftoa(lat), name)
		}
		sameReply(t, rc, dc, args...)
	}

	t.Run("GEOPOS and GEOHASH of every member", func(t *testing.T) {
		for i := 0; i < n; i += 200 {
			end := min(i+200, n)
			sameReply(t, rc, dc, append([]string{"GEOPOS", "pts"}, names[i:end]...)...)
			sameReply(t, rc, dc, append([]string{"GEOHASH", "pts"}, names[i:end]...)...)
		}
	})

	t.Run("GEODIST between random members", func(t *testing.T) {
		units := []string{"m", "km", "mi", "ft"}
		for i := 0; i < 300; i++ {
			sameReply(t, rc, dc, "GEODIST", "pts", names[r.IntN(n)], names[r.IntN(n)], units[r.IntN(4)])
		}
	})

	units := []string{"m", "km", "mi", "ft"}
	perMeter := map[string]float64{"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}
	// randomSize returns a distance in unit, from meters to most of the
	// globe.
	randomSize := func(unit string) string {
		meters := []float64{1e3, 5e4, 3e5, 1e6, 4e6, 1.2e7}[r.IntN(6)] * (0.2 + r.Float64())
		return ftoa(meters / perMeter[unit])
	}
	options := func() []string {
		var o []string
		for _, w := range []string{"WITHDIST", "WITHCOORD", "WITHHASH"} {
			if r.IntN(2) == 0 {
				o = append(o, w)
			}
		}
		switch r.IntN(3) {
		case 0:
			o = append(o, "ASC")
		case 1:
			o = append(o, "DESC")
		}
		if r.IntN(3) == 0 {
			o = append(o, "COUNT", strconv.Itoa(1+r.IntN(40)))
			if r.IntN(3) == 0 {
				o = append(o, "ANY")
			}
		}
		return o
	}

	t.Run("GEOSEARCH fuzzy test - byradius", func(t *testing.T) {
		matched := 0
		for i := 0; i < 250; i++ {
			u := units[r.IntN(4)]
			args := []string{"GEOSEARCH", "pts"}
			if r.IntN(2) == 0 {
				lon, lat := randomPoint(r)
				args = append(args, "FROMLONLAT", ftoa(lon), ftoa(lat))
			} else {
				args = append(args, "FROMMEMBER", names[r.IntN(n)])
			}
			args = append(args, "BYRADIUS", randomSize(u), u)
			got := sameReply(t, rc, dc, append(args, options()...)...)
			if !bytes.HasPrefix(got, []byte("*0\r\n")) {
				matched++
			}
		}
		if matched < 50 {
			t.Fatalf("only %d of 250 searches found anything: the test data is too sparse", matched)
		}
	})

	t.Run("GEOSEARCH fuzzy test - bybox", func(t *testing.T) {
		for i := 0; i < 250; i++ {
			u := units[r.IntN(4)]
			lon, lat := randomPoint(r)
			args := []string{"GEOSEARCH", "pts", "FROMLONLAT", ftoa(lon), ftoa(lat), "BYBOX", randomSize(u), randomSize(u), u}
			sameReply(t, rc, dc, append(args, options()...)...)
		}
	})

	t.Run("GEORADIUS and GEORADIUSBYMEMBER randomized", func(t *testing.T) {
		for i := 0; i < 150; i++ {
			u := units[r.IntN(4)]
			lon, lat := randomPoint(r)
			sameReply(t, rc, dc, append([]string{"GEORADIUS", "pts", ftoa(lon), ftoa(lat), randomSize(u), u}, options()...)...)
			sameReply(t, rc, dc, append([]string{"GEORADIUSBYMEMBER_RO", "pts", names[r.IntN(n)], randomSize(u), u}, options()...)...)
		}
	})

	t.Run("GEOSEARCHSTORE STOREDIST keeps Redis's distances to the bit", func(t *testing.T) {
		for i := 0; i < 60; i++ {
			u := units[r.IntN(4)]
			lon, lat := randomPoint(r)
			args := []string{"GEOSEARCHSTORE", "dst", "pts", "FROMLONLAT", ftoa(lon), ftoa(lat), "BYRADIUS", randomSize(u), u}
			if i%2 == 0 {
				args = append(args, "STOREDIST")
			}
			sameReply(t, rc, dc, args...)
			sameReply(t, rc, dc, "ZRANGE", "dst", "0", "-1", "WITHSCORES")
		}
	})

	t.Run("GEOADD + GEORANGE randomized test", func(t *testing.T) {
		// Redis's test: the search finds exactly the members whose distance
		// is within the radius (the neighbour cells miss none), checked
		// against the distances of every member from the center. Centers
		// stay away from the antimeridian, where Redis's cells do miss
		// points (store's TestGeoSearchAntimeridianAsRedis).
		c := client(t, dut, 2)
		for i := 0; i < 30; i++ {
			lon, lat := r.Float64()*300-150, r.Float64()*140-70
			radius := float64(50 + r.IntN(2000))
			if err := c.GeoAdd(ctx, "pts", &redis.GeoLocation{Name: "center", Longitude: lon, Latitude: lat}).Err(); err != nil {
				t.Fatal(err)
			}
			all, err := c.GeoSearchLocation(ctx, "pts", &redis.GeoSearchLocationQuery{
				GeoSearchQuery: redis.GeoSearchQuery{Member: "center", Radius: 40000, RadiusUnit: "km"}, WithDist: true}).Result()
			if err != nil || len(all) != n+1 {
				t.Fatalf("all members: %d, %v", len(all), err)
			}
			in, err := c.GeoSearch(ctx, "pts", &redis.GeoSearchQuery{Member: "center", Radius: radius, RadiusUnit: "km"}).Result()
			if err != nil {
				t.Fatal(err)
			}
			found := map[string]bool{}
			for _, m := range in {
				found[m] = true
			}
			for _, loc := range all {
				switch {
				case loc.Dist < radius-0.001 && !found[loc.Name]:
					t.Fatalf("%s at %.4f km of (%v, %v) missed by a %v km search", loc.Name, loc.Dist, lon, lat, radius)
				case loc.Dist > radius+0.001 && found[loc.Name]:
					t.Fatalf("%s at %.4f km of (%v, %v) found by a %v km search", loc.Name, loc.Dist, lon, lat, radius)
				}
			}
		}
	})
}
