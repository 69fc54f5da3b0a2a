package oauthflow

import (
	"errors"
	"net"
	"strconv"
	"testing"
)

func hasIPv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestListenLoopback(t *testing.T) {
	v6 := hasIPv6Loopback()
	for _, tc := range []struct {
		host  string
		want  []string // networks of the listeners' addresses, "4" or "6"
		needs bool     // needs IPv6 loopback
	}{
		{"127.0.0.1", []string{"4"}, false},
		{"localhost", map[bool][]string{true: {"4", "6"}, false: {"4"}}[v6], false},
		{"", map[bool][]string{true: {"4", "6"}, false: {"4"}}[v6], false},
		{"::1", []string{"6"}, true},
		{"[::1]", []string{"6"}, true},
	} {
		t.Run(tc.host, func(t *testing.T) {
			if tc.needs && !v6 {
				t.Skip("no IPv6 loopback here")
			}
			ls, err := ListenLoopback(tc.host, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			port := -1
			for _, l := range ls {
				a := l.Addr().(*net.TCPAddr)
				if a.IP.To4() != nil {
					got = append(got, "4")
				} else {
					got = append(got, "6")
				}
				if port >= 0 && a.Port != port {
					t.Errorf("ports differ: %d and %d", port, a.Port)
				}
				port = a.Port
				l.Close()
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) > 1 && got[1] != tc.want[1]) {
				t.Errorf("listeners %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := ListenLoopback("example.com", 0); err == nil {
		t.Error("a non-loopback host was accepted")
	}
}

func TestListenLoopbackBusy(t *testing.T) {
	held, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port
	var busy *PortInUseError
	if _, err := ListenLoopback("localhost", port); !errors.As(err, &busy) || busy.IPv6() {
		t.Fatalf("IPv4 side busy: err = %v", err)
	}
	if !hasIPv6Loopback() {
		return
	}
	// Someone holds only the IPv6 side: an error too, and the IPv4 socket is released.
	h6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer h6.Close()
	p6 := h6.Addr().(*net.TCPAddr).Port
	if _, err := ListenLoopback("localhost", p6); !errors.As(err, &busy) || !busy.IPv6() {
		t.Fatalf("IPv6 side busy: err = %v", err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p6))
	if err != nil {
		t.Fatalf("IPv4 socket not released: %v", err)
	}
	l.Close()
}
