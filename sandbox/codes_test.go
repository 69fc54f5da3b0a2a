package sandbox

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestKSTFormsMatchTimeFormat: the digit-by-digit KST forms are
// time.Format's, across zones, day and year edges, and milliseconds.
func TestKSTFormsMatchTimeFormat(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 26, 10, 10, 10, 999_999_999, kst),
		time.Date(2026, 12, 31, 15, 0, 0, 0, time.UTC), // 2027-01-01 00:00 KST
		time.Date(2026, 12, 31, 14, 59, 59, 1_000_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, kst),
		time.Date(9999, 12, 31, 23, 59, 59, 123_456_789, kst),
		time.Date(12345, 1, 2, 3, 4, 5, 6, kst),
		time.Date(-5, 1, 2, 3, 4, 5, 6, kst),
		time.Unix(0, 0),
		time.Now(),
	}
	for i := range 500 {
		times = append(times, time.Unix(int64(i)*7_919_993, int64(i)*1_234_567%1e9))
	}
	for _, tm := range times {
		k := tm.In(kst)
		for _, c := range []struct{ got, want string }{
			{kstDay(tm), k.Format("20060102")},
			{kstTime(tm), k.Format("150405")},
			{kstDtime(tm), k.Format("20060102150405")},
			{apiTranDtm(tm), strings.Replace(k.Format("20060102150405.000"), ".", "", 1)},
		} {
			if c.got != c.want {
				t.Errorf("%v: %q, time.Format gives %q", tm, c.got, c.want)
			}
		}
	}
}

// TestNewUUIDForm: version 4, variant 10, 8-4-4-4-12 lower-case hex.
func TestNewUUIDForm(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 200 {
		u := newUUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("uuid %q (repeated: %v)", u, seen[u])
		}
		seen[u] = true
	}
}
