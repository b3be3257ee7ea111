package store

/*
#cgo LDFLAGS: -lm
#include <math.h>

// dd_geo_distance is the haversine distance in meters as redis-server's
// geohashGetDistance computes it, with the C library's sin, cos and asin:
// Go's math package rounds differently in the last bit in a good share of
// cases, which shows in STOREDIST scores (%.17g). One call per distance.
static double dd_geo_distance(double lon1d, double lat1d, double lon2d, double lat2d) {
	const double d_r = M_PI / 180.0;
	const double r = 6372797.560856;
	double lon1r = lon1d * d_r;
	double lon2r = lon2d * d_r;
	double v = sin((lon2r - lon1r) / 2);
	if (v == 0.0) {
		return r * fabs(lat2d * d_r - lat1d * d_r);
	}
	double lat1r = lat1d * d_r;
	double lat2r = lat2d * d_r;
	double u = sin((lat2r - lat1r) / 2);
	double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
	return 2.0 * r * asin(sqrt(a));
}
*/
import "C"

// GeoDistance is the haversine distance in meters between two points, as
// geohashGetDistance computes it (to the bit: see dd_geo_distance).
func GeoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	return float64(C.dd_geo_distance(C.double(lon1), C.double(lat1), C.double(lon2), C.double(lat2)))
}

// cCos is the C library's cos.
func cCos(x float64) float64 { return float64(C.cos(C.double(x))) }
