package proto

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestParseInt(t *testing.T) {
	for _, c := range []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"10", 10, true},
		{"123456789", 123456789, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551615", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"-99999999999999999999", 0, false}, // 21 bytes
		{"100000000000000000000", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"+1", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"01", 0, false},
		{"-01", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1\x00", 0, false},
		{"1a", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
		{"1.0", 0, false},
		{"--1", 0, false},
		{"1_000", 0, false},
		{"٣", 0, false},
	} {
		v, ok := ParseInt([]byte(c.in))
		if v != c.v || ok != c.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", c.in, v, ok, c.v, c.ok)
		}
	}
}

// string2ll accepts exactly the canonical decimal form of an int64: the
// strings strconv.FormatInt produces.
func TestParseIntCanonical(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := "0123456789-+ x"
	for i := 0; i < 200000; i++ {
		var s string
		switch i % 3 {
		case 0:
			s = strconv.FormatInt(r.Int63()>>uint(r.Intn(64)), 10)
			if r.Intn(2) == 0 {
				s = "-" + s
			}
		case 1:
			b := make([]byte, 1+r.Intn(22))
			for j := range b {
				b[j] = alphabet[r.Intn(len(alphabet))]
			}
			s = string(b)
		default:
			b := make([]byte, 1+r.Intn(21))
			for j := range b {
				b[j] = '0' + byte(r.Intn(10))
			}
			if r.Intn(2) == 0 {
				b[0] = '-'
			}
			s = string(b)
		}
		v, ok := ParseInt([]byte(s))
		ref, err := strconv.ParseInt(s, 10, 64)
		want := err == nil && strconv.FormatInt(ref, 10) == s
		if ok != want || (ok && v != ref) {
			t.Fatalf("ParseInt(%q) = %d, %v; canonical int64: %v", s, v, ok, want)
		}
	}
}

func TestParseFloat(t *testing.T) {
	inf, ninf := math.Inf(1), math.Inf(-1)
	for _, c := range []struct {
		in string
		v  float64
		ok bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1.5", -1.5, true},
		{"+1.5", 1.5, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"1e3", 1000, true},
		{"1E+3", 1000, true},
		{"1e-3", 0.001, true},
		{"00012", 12, true},
		{"inf", inf, true},
		{"+inf", inf, true},
		{"-inf", ninf, true},
		{"INF", inf, true},
		{"Infinity", inf, true},
		{"-infinity", ninf, true},
		{"0x10", 16, true},
		{"0X1A", 26, true},
		{"0x1.8", 1.5, true},
		{"0x.8", 0.5, true},
		{"0x1p3", 8, true},
		{"0x1.8P-1", 0.75, true},
		{"-0x10", -16, true},
		{"1e-310", 1e-310, true}, // subnormal: ERANGE, but not zero
		{"4.9406564584124654e-324", 5e-324, true},
		{"3e-324", 5e-324, true},
		{"1.7976931348623157e308", math.MaxFloat64, true},
		{"0e-400", 0, true},
		{"0e999999999999999999999", 0, true},
		{"0x0p-2000", 0, true},
		{"1e-400", 0, false},
		{"2e-324", 0, false},
		{"-1e-400", 0, false},
		{"0x1p-2000", 0, false},
		{"1e400", 0, false},
		{"-1e400", 0, false},
		{"1.8e308", 0, false},
		{"0x1p1024", 0, false},
		{"nan", 0, false},
		{"NaN", 0, false},
		{"-nan", 0, false},
		{"nan(123)", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"\t1", 0, false},
		{"1 ", 0, false},
		{"1x", 0, false},
		{"1e", 0, false},
		{"1e+", 0, false},
		{"e1", 0, false},
		{".", 0, false},
		{"-", 0, false},
		{"+", 0, false},
		{"..1", 0, false},
		{"1..", 0, false},
		{"1_0", 0, false},
		{"0x", 0, false},
		{"0x.", 0, false},
		{"0xg", 0, false},
		{"0x1p", 0, false},
		{"0x1e", 30, true},
		{"0x1.8e", 1.5546875, true},
		{"in", 0, false},
		{"infin", 0, false},
		{"infinityy", 0, false},
		{"1\x00", 0, false},
		{"++1", 0, false},
		{"1e1.5", 0, false},
	} {
		v, ok := ParseFloat([]byte(c.in))
		if ok != c.ok || (ok && v != c.v) || (ok && math.Signbit(v) != math.Signbit(c.v)) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", c.in, v, ok, c.v, c.ok)
		}
	}
}

// --- the C library as oracle ---

// oracleSrc answers, one line per input line: mode "d" runs Redis's
// string2d conditions over strtod on hex-encoded bytes ("1 <bits>" or "0");
// mode "g" prints a double given as hex bits with printf("%.17g").
const oracleSrc = `
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char line[1 << 20], buf[1 << 19];

static int hexval(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

int main(int argc, char **argv) {
	int mode = argv[1][0];
	while (fgets(line, sizeof line, stdin)) {
		size_t n = strcspn(line, "\n");
		line[n] = 0;
		if (mode == 'g') {
			uint64_t bits = strtoull(line, NULL, 16);
			double d;
			memcpy(&d, &bits, 8);
			printf("%.17g\n", d);
			continue;
		}
		size_t len = n / 2;
		for (size_t i = 0; i < len; i++) buf[i] = hexval(line[2*i]) << 4 | hexval(line[2*i+1]);
		buf[len] = 0;
		char *end;
		errno = 0;
		double d = strtod(buf, &end);
		int bad = len == 0 || isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
			(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || fpclassify(d) == FP_ZERO)) ||
			isnan(d);
		uint64_t bits;
		memcpy(&bits, &d, 8);
		if (bad) printf("0\n"); else printf("1 %016llx\n", (unsigned long long)bits);
	}
	return 0;
}
`

var (
	oracleOnce sync.Once
	oraclePath string
	oracleErr  error
)

// cOracle compiles oracleSrc with gcc, or skips the test without gcc.
func cOracle(t *testing.T) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	oracleOnce.Do(func() {
		dir, err := os.MkdirTemp("", "proto-oracle-")
		if err != nil {
			oracleErr = err
			return
		}
		src := filepath.Join(dir, "oracle.c")
		if oracleErr = os.WriteFile(src, []byte(oracleSrc), 0o644); oracleErr != nil {
			return
		}
		oraclePath = filepath.Join(dir, "oracle")
		if out, err := exec.Command(gcc, "-O1", "-o", oraclePath, src, "-lm").CombinedOutput(); err != nil {
			oracleErr = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if oracleErr != nil {
		t.Fatal(oracleErr)
	}
	return oraclePath
}

// runOracle sends one input per line and returns one output per line.
func runOracle(t *testing.T, bin, mode string, inputs []string) []string {
	t.Helper()
	cmd := exec.Command(bin, mode)
	cmd.Stdin = strings.NewReader(strings.Join(inputs, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != len(inputs) {
		t.Fatalf("oracle answered %d lines for %d inputs", len(lines), len(inputs))
	}
	return lines
}

// floatInputs returns edge cases and random strings of strtod's alphabet.
func floatInputs(r *rand.Rand, n int) []string {
	in := []string{
		"0", "-0", "+0", "1", "-1", ".5", "5.", ".", "1e3", "1E3", "1e+3", "1e-3", "1e", "1e+", "1e-",
		"inf", "-inf", "+inf", "Inf", "INF", "infinity", "INFINITY", "-Infinity", "infinit", "infinityx", "in",
		"nan", "NAN", "-nan", "nan(0)", "nan()", "0x", "0x1", "0X1", "0x1p4", "0x1P-4", "0x1.8p1", "0x.8", "0x1.",
		"0x.", "0x.p1", "0xp1", "0x1p", "0x1p+", "0xg", "1e-400", "1e400", "1e308", "1.8e308", "1.7976931348623157e308",
		"1.7976931348623158e308", "1.7976931348623159e308", "2.2250738585072014e-308", "2.2250738585072011e-308",
		"4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "3e-324", "2e-324",
		"1e-310", "0e-999", "0.000e99999", "0x0p-9999", "0x1p-1074", "0x1p-1075", "0x1.0000000000001p-1075",
		"0x1p1023", "0x1.fffffffffffffp1023", "0x1.fffffffffffff8p1023", "0x1p1024", "0x123456789abcdef0123",
		"0x1.123456789abcdef0123456789p0", "1_000", "0x1_0", " 1", "\t1", "\n1", "\v1", "\f1", "\r1", "1 ", "1\t",
		"+-1", "-+1", "--1", "++1", "1..2", "1.2.3", "1e1.5", "1e1e1", "e5", "-e5", ".e5", "00000000000000000001",
		"123456789012345678901234567890", "0.1", "0.30000000000000004", "9007199254740993",
		"9007199254740992.5", "9007199254740993.000000000000001", "1e23", "8.98846567431158e307",
		strings.Repeat("9", 400), "0." + strings.Repeat("0", 400) + "1", "1" + strings.Repeat("0", 308),
		"1" + strings.Repeat("0", 309), "\x001", "1\x00", "١",
	}
	pieces := []string{"0", "1", "5", "9", "7", ".", "e", "E", "+", "-", "x", "X", "p", "P", "a", "f", "F",
		"inf", "nan", "infinity", "0x", " ", "_", "e-3", "e+3", "e308", "e-320", "e-330", "p-1074", "p1023", "00", "12345678901234567890"}
	for len(in) < n {
		var b strings.Builder
		switch r.Intn(5) {
		case 4: // a long hex mantissa, where rounding matters
			b.WriteString("0x")
			digits := 13 + r.Intn(20)
			dot := r.Intn(digits + 10)
			for k := 0; k < digits; k++ {
				if k == dot {
					b.WriteByte('.')
				}
				b.WriteByte("0123456789abcdef"[r.Intn(16)])
			}
			if r.Intn(3) == 0 {
				fmt.Fprintf(&b, "p%d", r.Intn(2200)-1100)
			}
		case 0: // a number strconv prints, maybe mangled
			f := math.Float64frombits(r.Uint64())
			if r.Intn(2) == 0 {
				f = r.NormFloat64() * math.Pow(10, float64(r.Intn(40)-20))
			}
			b.WriteString(strconv.FormatFloat(f, "eEfgxX"[r.Intn(6)], r.Intn(25)-1, 64))
			if r.Intn(4) == 0 {
				b.WriteString(pieces[r.Intn(len(pieces))])
			}
		default:
			for k := 1 + r.Intn(6); k > 0; k-- {
				b.WriteString(pieces[r.Intn(len(pieces))])
			}
		}
		in = append(in, b.String())
	}
	return in
}

// ParseFloat agrees with glibc's strtod under Redis's string2d conditions,
// on acceptance and on every bit of the result.
func TestParseFloatMatchesStrtod(t *testing.T) {
	bin := cOracle(t)
	inputs := floatInputs(rand.New(rand.NewSource(7)), 20000)
	hexIn := make([]string, len(inputs))
	for i, s := range inputs {
		hexIn[i] = hex.EncodeToString([]byte(s))
	}
	out := runOracle(t, bin, "d", hexIn)
	accepted := 0
	for i, s := range inputs {
		v, ok := ParseFloat([]byte(s))
		want := "0"
		if ok {
			want = fmt.Sprintf("1 %016x", math.Float64bits(v))
			accepted++
		}
		if out[i] != want {
			t.Errorf("ParseFloat(%q): got %s, strtod %s", s, want, out[i])
		}
	}
	t.Logf("%d inputs, %d accepted", len(inputs), accepted)
}

// floatSamples returns edge doubles and random ones across all exponents.
func floatSamples(r *rand.Rand, n int) []float64 {
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.5, 1.5, 2.5, 1e16, 1e17, 1e-4, 1e-5, 9.9999999999999995e-5,
		0.0001, 0.00001, 123456789012345.625, 123456789012345.375, 0.30000000000000004, 1.0 / 3, 2.0 / 3, 100,
		1e21, 1e22, 1e23, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308,
		1 << 53, 1<<53 + 2, 1 << 60, 12345678901234567890, 99999999999999999, 9999999999999998, 0.1 + 0.2,
		math.Pi, math.E, math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(math.NaN(), -1)}
	for len(fs) < n {
		switch r.Intn(4) {
		case 0:
			fs = append(fs, math.Float64frombits(r.Uint64()))
		case 1: // short decimals and integers, where trailing zeros matter
			fs = append(fs, float64(r.Int63n(1e9))/math.Pow(10, float64(r.Intn(12))))
		case 2: // halves and eighths: exact ties at the 17th digit
			fs = append(fs, float64(r.Int63n(1<<50))/float64(int64(1)<<uint(r.Intn(8))))
		default:
			fs = append(fs, r.NormFloat64()*math.Pow(10, float64(r.Intn(60)-30)))
		}
	}
	return fs
}

// AppendFloat prints what printf("%.17g") prints: glibc through gcc, or
// Python's '%.17g' (the same correctly rounded conversion) without gcc.
func TestAppendFloatMatchesPrintf(t *testing.T) {
	fs := floatSamples(rand.New(rand.NewSource(3)), 20000)
	var want []string
	if _, err := exec.LookPath("gcc"); err == nil {
		in := make([]string, len(fs))
		for i, f := range fs {
			in[i] = fmt.Sprintf("%016x", math.Float64bits(f))
		}
		want = runOracle(t, cOracle(t), "g", in)
	} else if py, err := exec.LookPath("python3"); err == nil {
		var in strings.Builder
		for _, f := range fs {
			fmt.Fprintf(&in, "%016x\n", math.Float64bits(f))
		}
		cmd := exec.Command(py, "-c", `import sys, struct
for l in sys.stdin:
    x = struct.unpack('<d', int(l, 16).to_bytes(8, 'little'))[0]
    s = '%.17g' % x
    if x != x and struct.unpack('<q', struct.pack('<d', x))[0] < 0: s = '-nan'
    print(s)`)
		cmd.Stdin = strings.NewReader(in.String())
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		want = strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	} else {
		t.Skip("neither gcc nor python3 installed")
	}
	var buf []byte
	for i, f := range fs {
		buf = AppendFloat(buf[:0], f)
		if string(buf) != want[i] {
			t.Errorf("AppendFloat(%016x) = %s, printf %s", math.Float64bits(f), buf, want[i])
		}
	}
}

func TestParseFloatDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"3.14", "-1e-310", "inf", "0x1.8", "0x" + strings.Repeat("1", 40), strings.Repeat("1", 100), "bad"} {
		b := []byte(s)
		if n := testing.AllocsPerRun(100, func() { ParseFloat(b) }); n != 0 && len(s) < 60 {
			t.Errorf("ParseFloat(%q): %v allocs", s, n)
		}
	}
	b := []byte("12345")
	if n := testing.AllocsPerRun(100, func() { ParseInt(b) }); n != 0 {
		t.Errorf("ParseInt: %v allocs", n)
	}
}

// FuzzParseFloat: ParseFloat never panics and what it accepts formats and
// parses back to the same value.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"1.5", "inf", "0x1p-3", "1e-400", "nan", " 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := ParseFloat(b)
		if !ok {
			return
		}
		if math.IsNaN(v) {
			t.Fatalf("%q gave NaN", b)
		}
		back, ok := ParseFloat(AppendFloat(nil, v))
		if !ok || back != v {
			t.Fatalf("%q -> %v -> %q -> %v %v", b, v, AppendFloat(nil, v), back, ok)
		}
	})
}
