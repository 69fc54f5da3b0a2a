package sandbox

import (
	"fmt"
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

// TestValidDtimeMatchesParse holds validDtime to time.ParseInLocation's
// verdict (plus the 14-character rule): every date of several years'
// months 00–13 and days 00–32, every hour 00–25, minute and second
// 00–61, and strings with signs, spaces and other characters.
func TestValidDtimeMatchesParse(t *testing.T) {
	check := func(v string) {
		_, err := time.ParseInLocation("20060102150405", v, kst)
		if want := err == nil && len(v) == 14; validDtime(v) != want {
			t.Errorf("validDtime(%q) = %v, time.ParseInLocation says %v", v, !want, want)
		}
	}
	for _, y := range []string{"0000", "0001", "0004", "1900", "2000", "2023", "2024", "2026", "2100", "2400", "9999"} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf("%s%02d%02d101010", y, m, d))
			}
		}
	}
	for h := 0; h <= 25; h++ {
		for mi := 0; mi <= 61; mi++ {
			for s := 0; s <= 61; s++ {
				check(fmt.Sprintf("20261126%02d%02d%02d", h, mi, s))
			}
		}
	}
	for _, v := range []string{"", "2026112610101", "202611261010100", "+0261126101010", "-0261126101010",
		"2026 126101010", "20261126 10101", "2026112610101a", "2026-1-6101010", "20261126+1+1+1", "2026112610+1+1",
		"２０２61126101010", "2026112610101\x00"} {
		check(v)
	}
}
