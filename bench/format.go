package bench

import (
	"fmt"
	"math"
)

// fmtOps formats ops/s: 123456 -> "123,456"; NaN -> "–".
func fmtOps(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	n := int64(math.Round(x))
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}

// fmtRatio formats a ratio with two decimals; NaN -> "–".
func fmtRatio(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

// fmtMs formats milliseconds with three decimals; NaN -> "–".
func fmtMs(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.3f", x)
}

// fmtPct formats a fraction as a whole percentage; NaN -> "–".
func fmtPct(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*x)
}

// fmtMiB formats bytes as MiB with one decimal.
func fmtMiB(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
